package links

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// URL is a normalized link. Two links that lead to the same place in the same
// way have equal URLs; String gives the form stored in the database.
type URL struct {
	// Scheme is "http" or "https" ("https" when the input had none).
	Scheme string
	// Host is lowercase ASCII: internationalized labels are in Punycode
	// ("xn--..."), IPv6 literals are bracketed. www., m. and mobile.
	// prefixes are kept: they are part of the address, and classification
	// ignores them anyway.
	Host string
	// Port is a non-default port ("8080"), or "".
	Port string
	// Path is the percent-normalized path: at least "/", dot segments
	// resolved, no trailing slash except for the root.
	Path string
	// RawQuery is the query without tracking parameters, pairs sorted by key
	// (the order of repeated keys kept), without "?"; "" when empty.
	RawQuery string
	// Domain is the registered domain (eTLD+1 from the public suffix list,
	// private suffixes included: user.github.io stays apart from
	// other.github.io), the host itself when the host is a public suffix,
	// or the IP address for IP hosts.
	Domain string
	// IsIP is set when the host is an IPv4 or IPv6 literal.
	IsIP bool
	// IsShortener is set for link shorteners and redirectors (bit.ly, t.co,
	// ...): the real destination is not known without following the link,
	// which this package never does.
	IsShortener bool
}

// String returns the normalized URL; "" for the zero URL.
func (u URL) String() string {
	if u.Host == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(u.Scheme) + 3 + len(u.Host) + len(u.Port) + 1 + len(u.Path) + len(u.RawQuery) + 1)
	b.WriteString(u.Scheme)
	b.WriteString("://")
	b.WriteString(u.Host)
	if u.Port != "" {
		b.WriteByte(':')
		b.WriteString(u.Port)
	}
	b.WriteString(u.Path)
	if u.RawQuery != "" {
		b.WriteByte('?')
		b.WriteString(u.RawQuery)
	}
	return b.String()
}

// SiteHost returns Host without leading "www.", "m." and "mobile." labels,
// as long as what remains is still within the registered domain: m.me stays
// m.me. Handle and Telegram parsing use it to treat mobile variants alike.
func (u URL) SiteHost() string {
	h := u.Host
	for {
		var rest string
		switch {
		case strings.HasPrefix(h, "www."):
			rest = h[4:]
		case strings.HasPrefix(h, "m."):
			rest = h[2:]
		case strings.HasPrefix(h, "mobile."):
			rest = h[7:]
		default:
			return h
		}
		if u.IsIP || len(rest) < len(u.Domain) {
			return h
		}
		h = rest
	}
}

// Query returns the value of the first query parameter named key, decoded;
// "" when absent or undecodable.
func (u URL) Query(key string) string {
	for _, pair := range strings.Split(u.RawQuery, "&") {
		k, v, _ := strings.Cut(pair, "=")
		if dk, err := url.QueryUnescape(k); err == nil && dk == key {
			dv, err := url.QueryUnescape(v)
			if err != nil {
				return ""
			}
			return dv
		}
	}
	return ""
}

// Errors returned by Normalize, wrapped with the offending part.
var (
	ErrEmptyURL           = errors.New("empty URL")
	ErrUnsupportedScheme  = errors.New("unsupported URL scheme")
	ErrInvalidHost        = errors.New("invalid host")
	ErrInvalidPort        = errors.New("invalid port")
	ErrNoRegisteredDomain = errors.New("host has no registered domain")
	ErrRedirectLoop       = errors.New("too many nested redirect wrappers")
)

// maxUnwrap bounds nested redirect wrappers (and tg:// rewrites); beyond it
// Normalize fails rather than return a URL that a second call would change.
const maxUnwrap = 8

// Normalize turns a link as written into its canonical URL:
//   - "https://" is added when there is no scheme; http and https are kept as
//     given; tg:// links become their https://t.me equivalents; any other
//     scheme (mailto:, javascript:, ftp:, tg://user) is ErrUnsupportedScheme;
//   - user info is dropped; the host is mapped and validated as IDNA (UTS #46:
//     lowercased, NFC, full-width forms folded) and converted to Punycode,
//     stripped of a trailing dot; IPv4 and IPv6 literals are canonicalized;
//     hosts without a registered domain (localhost, single labels) fail;
//   - default ports (80 for http, 443 for https) are dropped;
//   - percent-encoding is normalized (unreserved characters decoded, the rest
//     uppercase), dot segments are resolved, trailing slashes removed except
//     for the root path "/";
//   - the fragment is dropped, except a "#!/path" hashbang on the root path,
//     which becomes the path (old twitter.com/#!/name links);
//   - tracking parameters listed in platforms.txt are removed and the rest
//     sorted by key;
//   - redirect wrappers listed in platforms.txt (l.facebook.com/l.php?u=,
//     vk.com/away.php?to=, google.com/url?q=, ...) are replaced by the URL
//     they wrap.
//
// Normalize is idempotent: normalizing u.String() gives u again.
func Normalize(raw string) (URL, error) {
	return normalize(raw, 0)
}

func normalize(raw string, depth int) (URL, error) {
	if depth > maxUnwrap {
		return URL{}, ErrRedirectLoop
	}
	s := cleanInput(raw)
	if s == "" {
		return URL{}, ErrEmptyURL
	}
	scheme, rest, err := splitScheme(s)
	if err != nil {
		return URL{}, err
	}
	if scheme == "tg" {
		target, err := tgToHTTPS(rest)
		if err != nil {
			return URL{}, err
		}
		return normalize(target, depth+1)
	}

	end := strings.IndexAny(rest, "/?#\\")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	fragment := ""
	if i := strings.IndexByte(tail, '#'); i >= 0 {
		tail, fragment = tail[:i], tail[i+1:]
	}
	path, query := tail, ""
	if i := strings.IndexByte(tail, '?'); i >= 0 {
		path, query = tail[:i], tail[i+1:]
	}
	path = strings.ReplaceAll(path, "\\", "/")
	if (path == "" || path == "/") && strings.HasPrefix(fragment, "!/") {
		p, q, _ := strings.Cut(fragment[1:], "?")
		path = p
		if q != "" {
			if query != "" {
				query += "&"
			}
			query += q
		}
	}

	u := URL{Scheme: scheme}
	if u.Host, u.Port, u.IsIP, err = normalizeAuthority(authority, scheme); err != nil {
		return URL{}, err
	}
	if u.Domain, err = registeredDomain(u.Host, u.IsIP); err != nil {
		return URL{}, err
	}
	u.Path = normalizePath(path)
	rows := []*hostRule{defaultTable.global}
	if !u.IsIP {
		rows = defaultTable.chain(u.Host)
	}
	u.RawQuery = normalizeQuery(query, rows)

	if target, ok := unwrapTarget(u, rows); ok {
		inner, err := normalize(target, depth+1)
		if errors.Is(err, ErrRedirectLoop) {
			return URL{}, err
		}
		if err == nil {
			return inner, nil
		}
		// A wrapper whose target is not a usable URL is kept as it is.
	}
	for _, r := range rows {
		if r.shortener {
			u.IsShortener = true
		}
	}
	return u, nil
}

// cleanInput drops what browsers drop: surrounding spaces and control
// characters, and tabs and newlines anywhere.
func cleanInput(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' || unicode.IsSpace(r) || r == 0xFEFF })
	if strings.ContainsAny(s, "\t\n\r") {
		s = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(s)
	}
	return s
}

// splitScheme separates a lowercase scheme from the rest, with the slashes
// after the colon removed. "example.com:8080/x" and "localhost:80" have a
// port, not a scheme; a scheme-less input gets "https".
func splitScheme(s string) (scheme, rest string, err error) {
	colon := strings.IndexByte(s, ':')
	stop := strings.IndexAny(s, "/?#\\")
	if colon > 0 && (stop < 0 || colon < stop) && isSchemeToken(s[:colon]) {
		after := s[colon+1:]
		isPort := after == "" || (after[0] >= '0' && after[0] <= '9')
		if !isPort || strings.HasPrefix(after, "//") {
			scheme = strings.ToLower(s[:colon])
			switch scheme {
			case "http", "https", "tg":
				return scheme, strings.TrimLeft(after, "/\\"), nil
			default:
				return "", "", fmt.Errorf("%w %q", ErrUnsupportedScheme, scheme)
			}
		}
	}
	if strings.HasPrefix(s, "//") || strings.HasPrefix(s, "\\\\") {
		s = strings.TrimLeft(s, "/\\")
	}
	return "https", s, nil
}

// isSchemeToken reports whether s can be a scheme. A dot makes it a host
// instead: schemes with dots exist but never appear in posts, hosts do.
func isSchemeToken(s string) bool {
	if s == "" || !isASCIILetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isASCIILetter(c) && !isASCIIDigit(c) && c != '+' && c != '-' {
			return false
		}
	}
	return true
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isASCIIDigit(c byte) bool  { return c >= '0' && c <= '9' }

// normalizeAuthority returns the normalized host and port of an authority.
func normalizeAuthority(a, scheme string) (host, port string, isIP bool, err error) {
	if i := strings.LastIndexByte(a, '@'); i >= 0 {
		a = a[i+1:]
	}
	if a == "" {
		return "", "", false, fmt.Errorf("%w: empty", ErrInvalidHost)
	}
	if a[0] == '[' {
		j := strings.IndexByte(a, ']')
		if j < 0 {
			return "", "", false, fmt.Errorf("%w %q: unclosed [", ErrInvalidHost, a)
		}
		addr, perr := netip.ParseAddr(a[1:j])
		if perr != nil || !addr.Is6() || addr.Zone() != "" {
			return "", "", false, fmt.Errorf("%w %q: not an IPv6 address", ErrInvalidHost, a[:j+1])
		}
		host, isIP = "["+addr.String()+"]", true
		rest := a[j+1:]
		if rest != "" {
			if rest[0] != ':' {
				return "", "", false, fmt.Errorf("%w %q", ErrInvalidHost, a)
			}
			port = rest[1:]
		}
	} else {
		name := a
		if i := strings.LastIndexByte(a, ':'); i >= 0 {
			name, port = a[:i], a[i+1:]
		}
		if host, isIP, err = normalizeHostName(name); err != nil {
			return "", "", false, err
		}
	}
	if port, err = normalizePort(port, scheme); err != nil {
		return "", "", false, err
	}
	return host, port, isIP, nil
}

func normalizePort(p, scheme string) (string, error) {
	if p == "" {
		return "", nil
	}
	for i := 0; i < len(p); i++ {
		if !isASCIIDigit(p[i]) {
			return "", fmt.Errorf("%w %q", ErrInvalidPort, p)
		}
	}
	p = strings.TrimLeft(p, "0")
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("%w %q", ErrInvalidPort, p)
	}
	if (scheme == "http" && n == 80) || (scheme == "https" && n == 443) {
		return "", nil
	}
	return p, nil
}

// hostProfile is the IDNA processing of hosts: UTS #46 mapping (case folding,
// NFC, width and compatibility mappings, full-width and ideographic dots as
// label separators) and validation, set up as the WHATWG URL Standard's
// "domain to ASCII" does it, which is what browsers do with the host of a
// link that is followed:
//   - nontransitional processing: "ß" and "ς" stay themselves ("straße.de" is
//     xn--strae-oqa.de, not strasse.de), as in IDNA2008 and current browsers;
//   - STD3 ASCII rules off: "_" and other ASCII are passed through here, and
//     normalizeHostName decides which ASCII a label may hold;
//   - hyphens unchecked: "r3---sn-abc.googlevideo.com" and "-x.example.com"
//     are real hosts;
//   - the Bidi and ContextJ rules checked: hosts that break them do not
//     resolve in a browser;
//   - DNS lengths checked by normalizeHostName, for its own error messages.
//
// idna.Lookup is not used as is because it applies STD3 rules and checks
// hyphens, which would reject those hosts.
var hostProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.StrictDomainName(false),
	idna.CheckHyphens(false),
	idna.CheckJoiners(true),
	idna.BidiRule(),
	idna.VerifyDNSLength(false),
)

// normalizeHostName returns the ASCII form of a host name, or reports whether
// it is an IPv4 address. The name is percent-decoded and processed with
// hostProfile (IDNA, UTS #46), so a host written with capitals, full-width
// letters or dots, composed or decomposed accents, or already in Punycode
// comes out as one lowercase ASCII name; one trailing dot is dropped. Labels
// may then hold ASCII letters, digits, "-" and "_" only.
//
// A name that cannot be a host is an error wrapping ErrInvalidHost that names
// the host as given and the reason: an empty label, a character no host
// holds, an "xn--" label that is not canonical Punycode of a non-ASCII label,
// a label that IDNA rejects (a disallowed character, a combining mark at the
// start, a Bidi or joiner rule broken), a label over 63 or a name over 253
// characters, or a numeric top-level label that is not an IPv4 address.
func normalizeHostName(h string) (string, bool, error) {
	orig := h
	if strings.IndexByte(h, '%') >= 0 {
		d, err := url.PathUnescape(h)
		if err != nil || !utf8.ValidString(d) {
			return "", false, fmt.Errorf("%w %q: bad percent-encoding", ErrInvalidHost, orig)
		}
		h = d
	}
	if !utf8.ValidString(h) {
		return "", false, fmt.Errorf("%w %q: not UTF-8", ErrInvalidHost, orig)
	}
	h = strings.Map(labelSeparator, h)
	h = strings.TrimSuffix(h, ".")
	if h == "" {
		return "", false, fmt.Errorf("%w %q: empty", ErrInvalidHost, orig)
	}
	punycode := false
	for l := range strings.SplitSeq(h, ".") {
		if l == "" {
			return "", false, fmt.Errorf("%w %q: empty label", ErrInvalidHost, orig)
		}
		if len(l) >= 4 && strings.EqualFold(l[:4], "xn--") && isASCII(l) {
			if err := checkPunycode(strings.ToLower(l)); err != nil {
				return "", false, fmt.Errorf("%w %q: %v", ErrInvalidHost, orig, err)
			}
			punycode = true
		}
	}
	var ascii string
	if isASCII(h) && !punycode {
		// For ASCII without Punycode labels, the UTS #46 mapping with STD3
		// rules off is lowercasing, and there is nothing to validate.
		ascii = strings.ToLower(h)
	} else {
		var err error
		if ascii, err = hostProfile.ToASCII(h); err != nil {
			return "", false, fmt.Errorf("%w %q: %v", ErrInvalidHost, orig, strings.TrimPrefix(err.Error(), "idna: "))
		}
	}
	labels := strings.Split(ascii, ".")
	last := labels[len(labels)-1]
	if last != "" && isAllDigits(last) {
		addr, err := netip.ParseAddr(ascii)
		if err != nil || !addr.Is4() {
			return "", false, fmt.Errorf("%w %q: numeric top-level label", ErrInvalidHost, orig)
		}
		return addr.String(), true, nil
	}
	total := 0
	for _, l := range labels {
		if l == "" {
			// A label of characters IDNA ignores (a soft hyphen, a zero-width space).
			return "", false, fmt.Errorf("%w %q: empty label", ErrInvalidHost, orig)
		}
		for j := 0; j < len(l); j++ {
			c := l[j]
			if !isASCIILetter(c) && !isASCIIDigit(c) && c != '-' && c != '_' {
				return "", false, fmt.Errorf("%w %q: character %q", ErrInvalidHost, orig, c)
			}
		}
		if len(l) > 63 {
			return "", false, fmt.Errorf("%w %q: label longer than 63", ErrInvalidHost, orig)
		}
		total += len(l) + 1
	}
	if total-1 > 253 {
		return "", false, fmt.Errorf("%w %q: longer than 253", ErrInvalidHost, orig)
	}
	return ascii, false, nil
}

// labelSeparator maps the label separators of UTS #46 (full-width, ideographic
// and halfwidth ideographic full stops, as typed on CJK keyboards) to ".", so
// that labels can be told apart before the rest of the IDNA mapping.
func labelSeparator(r rune) rune {
	switch r {
	case '\uff0e', '\u3002', '\uff61':
		return '.'
	}
	return r
}

// checkPunycode checks a lowercase "xn--" label: it must decode, to a label
// that is not empty and not all ASCII, and be the canonical encoding of what
// it decodes to, so that every host has one ASCII form. IDNA validation of the
// decoded label (NFC, allowed characters) is hostProfile's.
func checkPunycode(l string) error {
	dec, err := idna.Punycode.ToUnicode(l)
	if err != nil || dec == "" || isASCII(dec) {
		return fmt.Errorf("bad Punycode label %q", l)
	}
	if enc, err := idna.Punycode.ToASCII(dec); err != nil || enc != l {
		return fmt.Errorf("non-canonical Punycode label %q", l)
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isASCIIDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// registeredDomain returns the eTLD+1 of a normalized host.
func registeredDomain(host string, isIP bool) (string, error) {
	if isIP {
		return strings.Trim(host, "[]"), nil
	}
	if !strings.Contains(host, ".") {
		return "", fmt.Errorf("%w: %q", ErrNoRegisteredDomain, host)
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		// The host is itself a public suffix (co.uk, github.io): it is the
		// most specific name there is, so it stands for its own domain.
		return host, nil
	}
	return d, nil
}

// normalizePath percent-normalizes, resolves dot segments and drops trailing
// slashes. Dropping them conflates /a and /a/, which nearly every site serves
// alike; link counts would otherwise split on a typing habit.
func normalizePath(p string) string {
	if p == "" {
		return "/"
	}
	p = normalizeEscapes(p, false)
	p = removeDotSegments(p)
	p = strings.TrimRight(p, "/")
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	return p
}

// removeDotSegments is RFC 3986 section 5.2.4.
func removeDotSegments(p string) string {
	if !strings.Contains(p, ".") {
		return p
	}
	var out []string
	segs := strings.Split(p, "/")
	for i, s := range segs {
		switch s {
		case ".":
			if i == len(segs)-1 {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if i == len(segs)-1 {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	r := strings.Join(out, "/")
	if !strings.HasPrefix(r, "/") {
		r = "/" + r
	}
	return r
}

const upperHex = "0123456789ABCDEF"

func isHex(c byte) bool { return isASCIIDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }

func unhex(c byte) byte {
	if isASCIIDigit(c) {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}

func isUnreserved(c byte) bool {
	return isASCIILetter(c) || isASCIIDigit(c) || c == '-' || c == '.' || c == '_' || c == '~'
}

// normalizeEscapes applies RFC 3986 percent-encoding normalization: escapes
// of unreserved characters are decoded, other escapes uppercased, and bytes
// that may not appear raw (spaces, quotes, non-ASCII) escaped. Reserved
// characters keep their form, escaped or not, because that changes meaning.
func normalizeEscapes(s string, query bool) string {
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' || !allowedRaw(c, query) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			d := unhex(s[i+1])<<4 | unhex(s[i+2])
			if isUnreserved(d) {
				b.WriteByte(d)
			} else {
				b.WriteByte('%')
				b.WriteByte(upperHex[d>>4])
				b.WriteByte(upperHex[d&15])
			}
			i += 2
			continue
		}
		if c != '%' && allowedRaw(c, query) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
	return b.String()
}

// allowedRaw reports whether c may appear unescaped in a path (pchar and
// "/") or in a query component (pchar, "/" and "?").
func allowedRaw(c byte, query bool) bool {
	if isUnreserved(c) {
		return true
	}
	switch c {
	case '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', ':', '@', '/':
		return true
	case '?':
		return query
	}
	return false
}

// queryPair is one key=value of a query, already escape-normalized.
type queryPair struct {
	key, value string
	hasEq      bool
}

// normalizeQuery removes empty pairs and tracking parameters and sorts the
// rest by key, keeping the order of values of a repeated key (a=2&a=1 may
// mean something different from a=1&a=2).
func normalizeQuery(q string, rows []*hostRule) string {
	if q == "" {
		return ""
	}
	var pairs []queryPair
	for _, part := range strings.Split(q, "&") {
		if part == "" {
			continue
		}
		k, v, hasEq := strings.Cut(part, "=")
		p := queryPair{key: normalizeEscapes(k, true), value: normalizeEscapes(v, true), hasEq: hasEq}
		dk := p.key
		if strings.IndexByte(dk, '%') >= 0 {
			if d, err := url.PathUnescape(dk); err == nil {
				dk = d
			}
		}
		if stripKey(rows, strings.ToLower(dk)) {
			continue
		}
		pairs = append(pairs, p)
	}
	slices.SortStableFunc(pairs, func(a, b queryPair) int { return strings.Compare(a.key, b.key) })
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		if p.hasEq {
			b.WriteByte('=')
			b.WriteString(p.value)
		}
	}
	return b.String()
}

// unwrapTarget returns the URL wrapped by a redirect wrapper, if u is one.
func unwrapTarget(u URL, rows []*hostRule) (string, bool) {
	for _, r := range rows {
		for _, w := range r.unwraps {
			if w.path != "*" && w.path != u.Path {
				continue
			}
			v := u.Query(w.param)
			if v == "" {
				continue
			}
			lv := strings.ToLower(v)
			switch {
			case strings.HasPrefix(lv, "http://") || strings.HasPrefix(lv, "https://"):
				return v, true
			case strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "//"):
				// A path on the wrapper's own site (youtube.com/attribution_link?u=/watch...).
				return u.Scheme + "://" + u.Host + v, true
			}
		}
	}
	return "", false
}

// tgToHTTPS rewrites a tg:// deep link (without "tg:" and its slashes) to
// the t.me URL that Telegram treats as the same link. Links that point at a
// person (tg://user?id=) or at app screens have no public equivalent and are
// rejected.
func tgToHTTPS(rest string) (string, error) {
	action, rawQuery, _ := strings.Cut(rest, "?")
	action = strings.ToLower(strings.Trim(action, "/"))
	q, _ := url.ParseQuery(strings.ReplaceAll(rawQuery, ";", "%3B"))
	get := func(k string) string { return q.Get(k) }
	seg := url.PathEscape
	switch action {
	case "resolve":
		domain := get("domain")
		if domain == "" {
			break
		}
		target := "https://t.me/" + seg(domain)
		if post := get("post"); post != "" {
			target += "/" + seg(post)
		}
		q.Del("domain")
		q.Del("post")
		if len(q) > 0 {
			target += "?" + q.Encode()
		}
		return target, nil
	case "join":
		if inv := get("invite"); inv != "" {
			return "https://t.me/+" + seg(inv), nil
		}
	case "addstickers", "addemoji":
		if set := get("set"); set != "" {
			return "https://t.me/" + action + "/" + seg(set), nil
		}
	case "privatepost":
		if ch, post := get("channel"), get("post"); ch != "" && post != "" {
			return "https://t.me/c/" + seg(ch) + "/" + seg(post), nil
		}
	case "msg_url", "share":
		if get("url") != "" {
			return "https://t.me/share/url?" + q.Encode(), nil
		}
	case "proxy", "socks":
		return "https://t.me/" + action + "?" + q.Encode(), nil
	case "addlist":
		if slug := get("slug"); slug != "" {
			return "https://t.me/addlist/" + seg(slug), nil
		}
	case "boost":
		if d := get("domain"); d != "" {
			return "https://t.me/boost/" + seg(d), nil
		}
		if c := get("channel"); c != "" {
			return "https://t.me/boost?c=" + url.QueryEscape(c), nil
		}
	}
	return "", fmt.Errorf("%w: tg://%s has no public t.me form", ErrUnsupportedScheme, action)
}
