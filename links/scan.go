package links

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"
)

// The plain-text scanners follow what Telegram's and Twitter's linkifiers do
// closely enough that links in imported posts are found the same way as the
// ones Telegram marks with entities:
//   - a URL is http://, https:// or tg:// followed by anything up to a
//     delimiter, or a bare host whose top-level domain is on the public
//     suffix list ("example.com/path", "www.x.com", "t.me/name");
//   - a URL ends at white space, quotes, angle brackets, guillemets and CJK
//     punctuation; trailing punctuation (".,:;!?'*…" and the like) is not
//     part of it, and a closing bracket is only when it closes one opened
//     inside the URL (en.wikipedia.org/wiki/Foo_(bar));
//   - a bare host preceded by "@" or followed by "@" is an e-mail address,
//     and one preceded by "/" is part of a path, not a link;
//   - bare hosts whose top-level domain is also a common file extension
//     (readme.md, setup.py, archive.zip) are links only with a path.

// isHostRune reports whether r can be part of a host name written in text.
func isHostRune(r rune) bool {
	if r < utf8.RuneSelf {
		c := byte(r)
		return isASCIILetter(c) || isASCIIDigit(c) || c == '-' || c == '.' || c == '_'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// isURLDelimiter reports whether r ends a URL written in text.
func isURLDelimiter(r rune) bool {
	if r < utf8.RuneSelf {
		return r <= ' ' || r == 0x7f || strings.ContainsRune("<>\"`|", r)
	}
	if unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError {
		return true
	}
	switch r {
	case '«', '»', '“', '”', '„', '‘', '’', '‹', '›', '…',
		'\u200b', '\u200c', '\u200d', '\u2028', '\u2029', '\ufeff',
		'、', '。', '，', '！', '？', '：', '；', '「', '」', '『', '』',
		'（', '）', '【', '】', '《', '》', '〈', '〉':
		return true
	}
	return false
}

// fileLikeTLDs are top-level domains that are also common file extensions.
var fileLikeTLDs = map[string]bool{
	"py": true, "sh": true, "md": true, "rs": true, "pl": true, "ps": true,
	"zip": true, "mov": true, "so": true, "pm": true,
}

// schemeAt returns the length of "http://", "https://" or "tg://" at text[i:],
// case-insensitively, or 0.
func schemeAt(text string, i int) int {
	for _, s := range [...]string{"https://", "http://", "tg://"} {
		if len(text)-i >= len(s) && strings.EqualFold(text[i:i+len(s)], s) {
			return len(s)
		}
	}
	return 0
}

// urlEnd returns the end of the URL that continues at byte i.
func urlEnd(text string, i int) int {
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if isURLDelimiter(r) {
			break
		}
		i += size
	}
	return i
}

// trimTrailing removes trailing punctuation and unbalanced closing brackets
// from text[start:end], never going below min.
func trimTrailing(text string, start, end, min int) int {
	for end > min {
		r, size := utf8.DecodeLastRuneInString(text[start:end])
		switch r {
		case ')', ']', '}':
			open := map[rune]string{')': "(", ']': "[", '}': "{"}[r]
			body := text[start:end]
			if strings.Count(body, open) >= strings.Count(body, string(r)) {
				return end
			}
		case '/', '_', '-', '#', '=', '+':
			return end
		default:
			if !unicode.IsPunct(r) && !unicode.IsSymbol(r) {
				return end
			}
		}
		end -= size
	}
	return end
}

// knownTLD reports whether the ASCII host ends in a suffix of the public
// suffix list (ICANN or private); "e.g", "node.js" and "v1.2" do not.
func knownTLD(asciiHost string) bool {
	ps, icann := publicsuffix.PublicSuffix(asciiHost)
	if !icann && !strings.Contains(ps, ".") {
		return false
	}
	return ps != asciiHost
}

// bareHost checks a host written without scheme and returns its ASCII form.
func bareHost(h string) (string, bool) {
	if !strings.Contains(h, ".") {
		return "", false
	}
	for _, l := range strings.Split(h, ".") {
		if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
			return "", false
		}
	}
	tld := h[strings.LastIndexByte(h, '.')+1:]
	if isASCII(tld) {
		if len(tld) < 2 {
			return "", false
		}
		for i := 0; i < len(tld); i++ {
			if !isASCIILetter(tld[i]) {
				return "", false
			}
		}
	}
	ascii, isIP, err := normalizeHostName(h)
	if err != nil || isIP || !knownTLD(ascii) {
		return "", false
	}
	return ascii, true
}

// scanURLs returns the spans of URLs written in plain text outside skip.
// Every URL has a "." in its host or the ":" of its scheme, so the scan
// jumps from one of those bytes to the next and looks at the run of host
// characters around it; most of a post is never decoded.
func scanURLs(text string, skip []span) []span {
	var out []span
	pos := 0
	for pos < len(text) {
		j := strings.IndexAny(text[pos:], ".:")
		if j < 0 {
			break
		}
		k := pos + j
		runStart := k
		for runStart > pos {
			r, size := utf8.DecodeLastRuneInString(text[pos:runStart])
			if !isHostRune(r) {
				break
			}
			runStart -= size
		}
		runEnd := k
		for runEnd < len(text) {
			r, size := utf8.DecodeRuneInString(text[runEnd:])
			if !isHostRune(r) {
				break
			}
			runEnd += size
		}
		if text[k] == ':' {
			if n := schemeAt(text, runStart); n > 0 && runStart+n-3 == k {
				// "http" + "://": the run is exactly the scheme.
				hostStart := runStart + n
				end := trimTrailing(text, runStart, urlEnd(text, hostStart), hostStart)
				if end > hostStart && !overlaps(skip, runStart, end) {
					out = append(out, span{runStart, end})
				}
				pos = max(end, hostStart)
				continue
			}
			pos = k + 1
			continue
		}
		if sp, ok := bareURL(text, runStart, runEnd); ok {
			if !overlaps(skip, sp.start, sp.end) {
				out = append(out, sp)
			}
			pos = sp.end
			continue
		}
		pos = max(runEnd, k+1)
	}
	return out
}

// bareURL checks the host-character run text[i:runEnd] for a scheme-less URL.
func bareURL(text string, i, runEnd int) (span, bool) {
	switch runeBefore(text, i) {
	case '@', '＠', '/', '\\', '$', '#', '&', '=', '%', '~':
		return span{}, false
	}
	hs, he := i, runEnd
	for hs < he && strings.IndexByte(".-_", text[hs]) >= 0 {
		hs++
	}
	for he > hs && strings.IndexByte(".-_", text[he-1]) >= 0 {
		he--
	}
	if he-hs < 4 {
		return span{}, false
	}
	if runEnd < len(text) && he == runEnd && text[runEnd] == '@' {
		return span{}, false // the local part of an e-mail address
	}
	ascii, ok := bareHost(text[hs:he])
	if !ok {
		return span{}, false
	}
	end := he
	if he == runEnd {
		if end < len(text) && text[end] == ':' {
			p := end + 1
			for p < len(text) && isASCIIDigit(text[p]) {
				p++
			}
			if p > end+1 && p-end-1 <= 5 && (p == len(text) || strings.IndexByte("/?#", text[p]) >= 0 || isURLDelimiter(rune(text[p]))) {
				end = p
			}
		}
		if end < len(text) && strings.IndexByte("/?#", text[end]) >= 0 {
			end = trimTrailing(text, hs, urlEnd(text, end), end)
		}
	}
	if end == he && fileLikeTLDs[ascii[strings.LastIndexByte(ascii, '.')+1:]] {
		return span{}, false
	}
	return span{hs, end}, true
}

// scanEmails returns the spans of e-mail addresses outside skip, so that
// neither their domains nor their "@" are taken for links or mentions.
func scanEmails(text string, skip []span) []span {
	var out []span
	for at := 0; at < len(text); {
		j := strings.IndexByte(text[at:], '@')
		if j < 0 {
			break
		}
		at += j
		ls := at
		for ls > 0 && (isNameByte(text[ls-1]) || strings.IndexByte(".+-%", text[ls-1]) >= 0) {
			ls--
		}
		de := at + 1
		for de < len(text) && (isNameByte(text[de]) || text[de] == '.' || text[de] == '-') {
			de++
		}
		for de > at+1 && text[de-1] == '.' {
			de--
		}
		// "@user@host" is a fediverse address, not an e-mail address.
		fediverse := ls > 0 && (text[ls-1] == '@' || strings.HasSuffix(text[:ls], "＠"))
		if !fediverse && ls < at && de > at+1 && strings.Contains(text[at+1:de], ".") && !overlaps(skip, ls, de) {
			if _, ok := bareHost(text[at+1 : de]); ok {
				out = append(out, span{ls, de})
				at = de
				continue
			}
		}
		at++
	}
	return out
}

// scanMentions returns @mentions in plain text outside skip: "@" (or the
// full-width "＠") not preceded by a name character, then 1 to 32 letters,
// digits or underscores, optionally followed by "@host" for a fediverse
// address.
func scanMentions(text string, skip []span) []Mention {
	var out []Mention
	hasWide := strings.Contains(text, "＠")
	for i := 0; i < len(text); {
		start, size := nextMarker(text, i, '@', "＠", hasWide)
		if start < 0 {
			break
		}
		i = start + size
		if p := runeBefore(text, start); p >= 0 && (p == '@' || p == '＠' || p == '_' || unicode.IsLetter(p) || unicode.IsDigit(p) || p == '.' || p == '/') {
			continue
		}
		ne := i
		for ne < len(text) && isNameByte(text[ne]) {
			ne++
		}
		if ne == i || ne-i > 32 {
			i = ne
			continue
		}
		m := Mention{Name: text[i:ne], Username: strings.ToLower(text[i:ne]), Source: SourceText, Start: start, End: ne}
		if ne < len(text) && text[ne] == '@' {
			he := ne + 1
			for he < len(text) && (isNameByte(text[he]) || text[he] == '.' || text[he] == '-') {
				he++
			}
			for he > ne+1 && text[he-1] == '.' {
				he--
			}
			if host, ok := bareHost(text[ne+1 : he]); ok {
				m.Instance, m.End = host, he
			}
		}
		i = m.End
		if !overlaps(skip, m.Start, m.End) {
			out = append(out, m)
		}
	}
	return out
}

// nextMarker finds the next ASCII marker or its full-width form at or after
// i, returning its offset (-1 if none) and length. The full-width form is
// searched for only when the text has one (hasWide), as it is rare.
func nextMarker(text string, i int, ascii byte, wide string, hasWide bool) (int, int) {
	a := strings.IndexByte(text[i:], ascii)
	w := -1
	if hasWide {
		w = strings.Index(text[i:], wide)
	}
	switch {
	case a < 0 && w < 0:
		return -1, 0
	case w < 0 || a >= 0 && a < w:
		return i + a, 1
	default:
		return i + w, len(wide)
	}
}

// isTagRune reports whether r can be part of a hashtag.
func isTagRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// scanHashtags returns hashtags in plain text outside skip: "#" not preceded
// by a letter, digit, "&" or "#", followed by letters, digits, marks and
// underscores with at least one that is not a digit (so "#1" is a number).
func scanHashtags(text string, skip []span) []Hashtag {
	var out []Hashtag
	hasWide := strings.Contains(text, "＃")
	for i := 0; i < len(text); {
		start, size := nextMarker(text, i, '#', "＃", hasWide)
		if start < 0 {
			break
		}
		i = start + size
		if p := runeBefore(text, start); p >= 0 && (isTagRune(p) || p == '&' || p == '#' || p == '＃') {
			continue
		}
		te, runes, letter := i, 0, false
		for te < len(text) {
			r, size := utf8.DecodeRuneInString(text[te:])
			if !isTagRune(r) {
				break
			}
			if !unicode.IsDigit(r) && r != '_' {
				letter = true
			}
			te += size
			runes++
		}
		if !letter || runes > 256 {
			i = te
			continue
		}
		if !overlaps(skip, start, te) {
			tag := text[i:te]
			out = append(out, Hashtag{Tag: tag, Normalized: strings.ToLower(tag), Source: SourceText, Start: start, End: te})
		}
		i = te
	}
	return out
}
