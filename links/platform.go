package links

import (
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Platform is the destination platform of a link: a stable lowercase token
// stored in the database. Tokens are never renamed, because stored links and
// the platform shares computed from them would silently split in two.
type Platform string

// The platforms a link can be classified as. The host table that maps hosts
// to them is platforms.txt; README.md explains each choice.
const (
	PlatformWeb         Platform = "web" // anything not listed, including news sites
	PlatformTwitter     Platform = "twitter"
	PlatformFacebook    Platform = "facebook"
	PlatformInstagram   Platform = "instagram"
	PlatformThreads     Platform = "threads"
	PlatformYouTube     Platform = "youtube"
	PlatformTikTok      Platform = "tiktok"
	PlatformTelegram    Platform = "telegram"
	PlatformTelegraph   Platform = "telegraph"
	PlatformBluesky     Platform = "bluesky"
	PlatformMastodon    Platform = "mastodon"
	PlatformVK          Platform = "vk"
	PlatformOK          Platform = "ok"
	PlatformGab         Platform = "gab"
	PlatformRumble      Platform = "rumble"
	PlatformTruthSocial Platform = "truthsocial"
	PlatformGettr       Platform = "gettr"
	PlatformParler      Platform = "parler"
	PlatformOdysee      Platform = "odysee"
	PlatformBitChute    Platform = "bitchute"
	PlatformMinds       Platform = "minds"
	PlatformReddit      Platform = "reddit"
	PlatformImageboard  Platform = "imageboard"
	PlatformDiscord     Platform = "discord"
	PlatformWhatsApp    Platform = "whatsapp"
	PlatformSignal      Platform = "signal"
	PlatformArchive     Platform = "archive"
	PlatformFileSharing Platform = "filesharing"
	PlatformPastebin    Platform = "pastebin"
)

// allPlatforms lists every token; the table parser rejects any other so a
// typo in platforms.txt cannot create a new platform.
var allPlatforms = []Platform{
	PlatformWeb, PlatformTwitter, PlatformFacebook, PlatformInstagram, PlatformThreads,
	PlatformYouTube, PlatformTikTok, PlatformTelegram, PlatformTelegraph, PlatformBluesky,
	PlatformMastodon, PlatformVK, PlatformOK, PlatformGab, PlatformRumble,
	PlatformTruthSocial, PlatformGettr, PlatformParler, PlatformOdysee, PlatformBitChute,
	PlatformMinds, PlatformReddit, PlatformImageboard, PlatformDiscord, PlatformWhatsApp,
	PlatformSignal, PlatformArchive, PlatformFileSharing, PlatformPastebin,
}

// Platforms returns every platform token, sorted, for documentation and for
// validating stored values.
func Platforms() []Platform {
	out := slices.Clone(allPlatforms)
	slices.Sort(out)
	return out
}

// Confidence grades how sure a classification or a handle is. The zero value
// means "no evidence".
type Confidence uint8

// Confidence levels, ordered: a higher value is stronger evidence.
const (
	ConfidenceNone Confidence = iota
	ConfidenceLow
	ConfidenceMedium
	ConfidenceHigh
)

// String returns "none", "low", "medium" or "high".
func (c Confidence) String() string {
	switch c {
	case ConfidenceLow:
		return "low"
	case ConfidenceMedium:
		return "medium"
	case ConfidenceHigh:
		return "high"
	default:
		return "none"
	}
}

// Score maps the level to the number stored in confidence columns, so that
// every writer stores the same value for the same level.
func (c Confidence) Score() float64 {
	switch c {
	case ConfidenceLow:
		return 0.3
	case ConfidenceMedium:
		return 0.6
	case ConfidenceHigh:
		return 0.9
	default:
		return 0
	}
}

// Classification is the platform of a URL with how it was decided.
type Classification struct {
	// Platform is the destination platform; PlatformWeb when nothing matched.
	Platform Platform
	// Confidence is high for a host listed in the table, medium for a
	// first-label pattern (nitter.*), low for the Mastodon URL shape on an
	// unlisted host, and none for PlatformWeb by default.
	Confidence Confidence
	// Rule names what decided: the table pattern ("x.com", "nitter.*"),
	// "mastodon-shape", or "" when nothing matched.
	Rule string
}

// Classify returns the destination platform of a normalized URL.
func Classify(u URL) Platform {
	return ClassifyDetail(u).Platform
}

// mastodonShape is the profile or status URL shape shared by Mastodon and
// its forks (/@user, /@user/123, /@user@remote.host).
var mastodonShape = regexp.MustCompile(`^/@[A-Za-z0-9_][A-Za-z0-9_.-]*(@[a-z0-9.-]+)?(/.*)?$`)

// ClassifyDetail returns the platform of a normalized URL with its confidence
// and the rule that decided. It looks the host up in platforms.txt (the host
// and each parent domain, longest first), then tries first-label patterns,
// then the Mastodon URL shape; everything else is PlatformWeb.
func ClassifyDetail(u URL) Classification {
	if u.Host == "" {
		return Classification{Platform: PlatformWeb}
	}
	if !u.IsIP {
		if r := defaultTable.match(u.Host); r != nil {
			return Classification{Platform: r.platform, Confidence: r.confidence, Rule: r.pattern}
		}
		if mastodonShape.MatchString(u.Path) {
			return Classification{Platform: PlatformMastodon, Confidence: ConfidenceLow, Rule: "mastodon-shape"}
		}
	}
	return Classification{Platform: PlatformWeb}
}

//go:embed platforms.txt
var platformsTxt string

// defaultTable is parsed once; it is never modified afterwards.
var defaultTable = mustParseTable(platformsTxt)

// hostRule is one row of platforms.txt.
type hostRule struct {
	pattern    string
	platform   Platform
	confidence Confidence
	shortener  bool
	strip      []string // exact keys, or prefixes ending in '*'
	unwraps    []unwrapRule
}

// unwrapRule says that path (or any path when "*") carries the wrapped URL
// in query parameter param.
type unwrapRule struct {
	path, param string
}

// platformTable is the parsed form of platforms.txt.
type platformTable struct {
	hosts      map[string]*hostRule
	firstLabel map[string]*hostRule
	global     *hostRule
	rows       []*hostRule // in file order, for documentation and tests
}

func mustParseTable(text string) *platformTable {
	t, err := parseTable(text)
	if err != nil {
		panic("links: platforms.txt: " + err.Error())
	}
	return t
}

// parseTable reads the platforms.txt format described at the top of that
// file. It is strict: an unknown platform, flag or a duplicate pattern is an
// error, so that mistakes in the table fail the tests instead of silently
// classifying links as web.
func parseTable(text string) (*platformTable, error) {
	t := &platformTable{hosts: map[string]*hostRule{}, firstLabel: map[string]*hostRule{}}
	for n, line := range strings.Split(text, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 2 {
			return nil, fmt.Errorf("line %d: want PATTERN PLATFORM [FLAG...]", n+1)
		}
		r := &hostRule{pattern: f[0], platform: Platform(f[1]), confidence: ConfidenceHigh}
		if r.pattern == "*" {
			if f[1] != "-" {
				return nil, fmt.Errorf("line %d: the * row takes platform -", n+1)
			}
			r.platform = ""
		} else if !slices.Contains(allPlatforms, r.platform) {
			return nil, fmt.Errorf("line %d: unknown platform %q", n+1, f[1])
		}
		for _, flag := range f[2:] {
			key, val, _ := strings.Cut(flag, "=")
			switch key {
			case "shortener":
				r.shortener = true
			case "strip":
				for _, p := range strings.Split(val, ",") {
					if p == "" || p != strings.ToLower(p) {
						return nil, fmt.Errorf("line %d: strip keys must be lowercase and non-empty: %q", n+1, p)
					}
					r.strip = append(r.strip, p)
				}
			case "unwrap":
				path, param, ok := strings.Cut(val, "?")
				if !ok || param == "" || (path != "*" && !strings.HasPrefix(path, "/")) {
					return nil, fmt.Errorf("line %d: unwrap wants /path?param or *?param, got %q", n+1, val)
				}
				r.unwraps = append(r.unwraps, unwrapRule{path: path, param: param})
			case "confidence":
				switch val {
				case "medium":
					r.confidence = ConfidenceMedium
				case "low":
					r.confidence = ConfidenceLow
				default:
					return nil, fmt.Errorf("line %d: confidence must be medium or low, got %q", n+1, val)
				}
			default:
				return nil, fmt.Errorf("line %d: unknown flag %q", n+1, flag)
			}
		}
		switch {
		case r.pattern == "*":
			if t.global != nil {
				return nil, fmt.Errorf("line %d: second * row", n+1)
			}
			t.global = r
		case strings.HasSuffix(r.pattern, ".*"):
			label := strings.TrimSuffix(r.pattern, ".*")
			if _, dup := t.firstLabel[label]; dup {
				return nil, fmt.Errorf("line %d: duplicate pattern %q", n+1, r.pattern)
			}
			t.firstLabel[label] = r
		default:
			if r.pattern != strings.ToLower(r.pattern) || strings.ContainsAny(r.pattern, "*/:") {
				return nil, fmt.Errorf("line %d: pattern must be a lowercase host: %q", n+1, r.pattern)
			}
			if _, dup := t.hosts[r.pattern]; dup {
				return nil, fmt.Errorf("line %d: duplicate pattern %q", n+1, r.pattern)
			}
			t.hosts[r.pattern] = r
		}
		t.rows = append(t.rows, r)
	}
	if t.global == nil {
		t.global = &hostRule{pattern: "*"}
	}
	return t, nil
}

// match returns the row deciding host's platform: the longest host pattern
// that equals host or one of its parent domains, else a first-label pattern.
func (t *platformTable) match(host string) *hostRule {
	for h := host; ; {
		if r, ok := t.hosts[h]; ok {
			return r
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			break
		}
		h = h[i+1:]
	}
	if i := strings.IndexByte(host, '.'); i > 0 {
		if r, ok := t.firstLabel[host[:i]]; ok {
			return r
		}
	}
	return nil
}

// chain returns every row that applies to host (the host, its parent domains,
// the first-label pattern and the global row), for query stripping, where the
// rules of youtube.com must also apply to m.youtube.com.
func (t *platformTable) chain(host string) []*hostRule {
	out := []*hostRule{t.global}
	for h := host; ; {
		if r, ok := t.hosts[h]; ok {
			out = append(out, r)
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			break
		}
		h = h[i+1:]
	}
	if i := strings.IndexByte(host, '.'); i > 0 {
		if r, ok := t.firstLabel[host[:i]]; ok {
			out = append(out, r)
		}
	}
	return out
}

// stripKey reports whether a query key (decoded, lowercased) is a tracking
// parameter for any of the rows.
func stripKey(rows []*hostRule, key string) bool {
	for _, r := range rows {
		for _, s := range r.strip {
			if prefix, ok := strings.CutSuffix(s, "*"); ok {
				if strings.HasPrefix(key, prefix) {
					return true
				}
			} else if key == s {
				return true
			}
		}
	}
	return false
}
