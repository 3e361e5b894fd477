package links

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// HandleMethod says how a handle was found.
type HandleMethod string

// Ways a handle is found, from strongest to weakest evidence.
const (
	HandleFromURL     HandleMethod = "url"     // a profile URL: twitter.com/name
	HandleFromAddress HandleMethod = "address" // a fediverse or Bluesky address: @user@mastodon.social, @name.bsky.social
	HandleFromLabel   HandleMethod = "label"   // a labelled handle: "Twitter: @name", "IG: name"
	HandleFromMention HandleMethod = "mention" // an @name next to a platform word: "follow us on X @name", "🐦 @name"
)

// Handle is an account on some platform named in a text (an about text, a
// bio, a pinned post): a proposed cross-platform account link.
type Handle struct {
	// Platform is the account's platform.
	Platform Platform
	// Handle is the account's name normalized by NormalizeHandle: lowercase
	// where the platform ignores case, "user@instance" on Mastodon, the
	// domain on Bluesky, or an id when IsID.
	Handle string
	// IsID is set when Handle is a platform id rather than a chosen name
	// (facebook.com/profile.php?id=..., youtube.com/channel/UC..., vk.com/id1,
	// did:plc:... on Bluesky).
	IsID bool
	// Method says how it was found.
	Method HandleMethod
	// Confidence is high for profile URLs on known hosts, medium for
	// addresses and labelled handles, low for an @name next to a platform
	// word and for profile URLs whose platform is itself a guess.
	Confidence Confidence
	// Evidence is the text the handle was read from.
	Evidence string
	// Start and End are the byte offsets of Evidence in the text.
	Start, End int
}

// ErrInvalidHandle is returned by NormalizeHandle.
var ErrInvalidHandle = errors.New("invalid handle")

// handleRule describes the names a platform allows, in the plain ASCII form
// that its profile URLs use.
type handleRule struct {
	min, max  int
	extra     string // allowed besides ASCII letters and digits
	noEdge    string // not allowed first or last
	keepCase  bool   // names are case-sensitive
	reserved  map[string]bool
	noRepeats string // characters that may not appear twice in a row
}

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// handleRules holds each platform's username rules and the first path
// segments that look like names but are site pages.
var handleRules = map[Platform]handleRule{
	PlatformTwitter: {min: 1, max: 15, extra: "_", reserved: set(
		"home", "explore", "notifications", "messages", "i", "intent", "share", "search",
		"hashtag", "settings", "login", "logout", "signup", "tos", "privacy", "compose",
		"about", "download", "jobs", "account", "widgets", "oauth", "following", "followers",
		"lists", "bookmarks", "communities", "premium", "verified", "rules", "help",
		"personalization", "session", "who_to_follow", "topics", "status", "statuses", "en",
		"search_advanced", "tweetbutton", "web", "user", "articles")},
	PlatformInstagram: {min: 1, max: 30, extra: "_.", noEdge: ".", noRepeats: ".", reserved: set(
		"p", "reel", "reels", "tv", "stories", "explore", "accounts", "direct", "about",
		"developer", "legal", "web", "emails", "challenge", "oauth", "graphql", "api",
		"static", "press", "privacy", "terms", "directory", "topics", "s", "ar", "session")},
	PlatformThreads: {min: 1, max: 30, extra: "_.", noEdge: ".", noRepeats: ".", reserved: set(
		"search", "login", "settings", "t", "about")},
	PlatformFacebook: {min: 5, max: 50, extra: ".", noEdge: ".", reserved: set(
		"sharer", "sharer.php", "share", "share.php", "dialog", "plugins", "login", "login.php",
		"home.php", "watch", "groups", "events", "pages", "profile.php", "photo.php", "photos",
		"photo", "story.php", "permalink.php", "hashtag", "help", "policies", "privacy",
		"settings", "marketplace", "gaming", "business", "ads", "l.php", "messages",
		"notifications", "friends", "search", "bookmarks", "people", "media", "video.php",
		"reel", "reels", "stories", "live", "fundraisers", "legal", "terms", "about",
		"careers", "recover", "checkpoint", "videos", "posts", "notes", "public", "places",
		"directory", "badges", "reg", "r.php", "campaign", "privacy", "offsite_redirect")},
	PlatformYouTube: {min: 3, max: 30, extra: "_.-", reserved: set(
		"watch", "shorts", "playlist", "results", "feed", "embed", "live", "redirect", "hashtag",
		"premium", "about", "account", "gaming", "music", "channel", "c", "user",
		"attribution_link", "signin", "logout", "upload", "kids", "howyoutubeworks",
		"creators", "ads", "t", "s", "v", "e", "yt", "img", "iframe_api", "subscription_center",
		"oembed", "post", "source", "supported_browsers", "new", "store", "trending",
		"movies", "podcasts", "sports", "news", "learning", "fashion", "jobs", "playables",
		"courses", "select", "reporthistory", "paid_memberships", "channel_switcher")},
	PlatformTikTok:      {min: 2, max: 24, extra: "_.", noEdge: "."},
	PlatformVK:          {min: 3, max: 32, extra: "_.", noEdge: ".", reserved: set("away.php", "feed", "im", "search", "login", "groups", "friends", "video", "audio", "photos", "apps", "market", "settings", "share.php", "dev", "about", "blog", "jobs", "support", "terms", "privacy", "docs", "doc", "clips", "music", "stories", "services", "bugs", "legal", "ads", "help", "join", "restore", "mail", "wall", "albums", "widget_community.php", "write", "games", "mobile", "discover", "vkpay", "podcasts")},
	PlatformGab:         {min: 1, max: 30, extra: "_", reserved: set("home", "explore", "groups", "g", "news", "tv", "trends", "about", "auth", "search", "hashtag", "tags", "compose", "settings", "notifications", "timeline", "posts", "pro", "shop", "marketplace", "help", "privacy", "terms", "lists", "chats", "links", "feeds")},
	PlatformTruthSocial: {min: 1, max: 30, extra: "_"},
	PlatformGettr:       {min: 3, max: 30, extra: "_"},
	PlatformRumble:      {min: 1, max: 64, extra: "_-"},
	PlatformOdysee:      {min: 1, max: 64, extra: "_-"},
	PlatformBitChute:    {min: 1, max: 64, extra: "_-"},
	PlatformMastodon:    {min: 1, max: 64, extra: "_.-", noEdge: ".-"},
}

var (
	youtubeChannelID = regexp.MustCompile(`^UC[A-Za-z0-9_-]{22}$`)
	vkPostPath       = regexp.MustCompile(`^[a-z]+-?\d+_\d+$`)
	vkIDPath         = regexp.MustCompile(`^(id|club|public|event)\d+$`)
	blueskyDID       = regexp.MustCompile(`^did:(plc:[a-z2-7]{24}|web:[a-z0-9.-]+)$`)
	fbNameWithID     = regexp.MustCompile(`^[A-Za-z0-9.\-]+-(\d{6,})$`)
)

// NormalizeHandle checks a name on a platform against that platform's rules
// and returns the form to store and compare; isID is set when the name is a
// platform id. A leading "@" is ignored. Mastodon handles are
// "user@instance"; Bluesky handles are domains or DIDs; Telegram names
// follow NormalizeUsername. Importers use it so that a handle from an export
// and one found in a bio compare equal.
func NormalizeHandle(p Platform, name string) (handle string, isID bool, err error) {
	name = strings.TrimPrefix(name, "@")
	bad := func(why string) (string, bool, error) {
		return "", false, fmt.Errorf("%w %q on %s: %s", ErrInvalidHandle, name, p, why)
	}
	switch p {
	case PlatformTelegram:
		u, err := NormalizeUsername(name)
		return u, false, err
	case PlatformBluesky:
		l := strings.ToLower(name)
		if blueskyDID.MatchString(l) {
			return l, true, nil
		}
		if !isDomainHandle(l) {
			return bad("not a domain name")
		}
		return l, false, nil
	case PlatformMastodon:
		user, inst, ok := strings.Cut(name, "@")
		if !ok {
			return bad("want user@instance")
		}
		u, _, err := checkName(PlatformMastodon, user)
		if err != nil {
			return "", false, err
		}
		host, _, err := normalizeHostName(inst)
		if err != nil || !isDomainHandle(host) {
			return bad("bad instance")
		}
		return u + "@" + host, false, nil
	case PlatformFacebook:
		if isAllDigits(name) {
			return name, true, nil
		}
	case PlatformYouTube:
		if youtubeChannelID.MatchString(name) {
			return name, true, nil
		}
	case PlatformVK:
		l := strings.ToLower(name)
		if vkIDPath.MatchString(l) {
			return l, true, nil
		}
		if vkPostPath.MatchString(l) || isAllDigits(strings.NewReplacer("_", "", ".", "").Replace(l)) {
			return bad("not a name")
		}
	}
	if _, ok := handleRules[p]; !ok {
		return bad("platform has no handle rules")
	}
	return checkName(p, name)
}

// checkName applies a platform's handleRule.
func checkName(p Platform, name string) (string, bool, error) {
	r := handleRules[p]
	bad := func(why string) (string, bool, error) {
		return "", false, fmt.Errorf("%w %q on %s: %s", ErrInvalidHandle, name, p, why)
	}
	if len(name) < r.min || len(name) > r.max {
		return bad(fmt.Sprintf("length %d not in %d-%d", len(name), r.min, r.max))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isASCIILetter(c) && !isASCIIDigit(c) && strings.IndexByte(r.extra, c) < 0 {
			return bad(fmt.Sprintf("character %q", c))
		}
		if i > 0 && c == name[i-1] && strings.IndexByte(r.noRepeats, c) >= 0 {
			return bad(fmt.Sprintf("%q twice in a row", c))
		}
	}
	if strings.IndexByte(r.noEdge, name[0]) >= 0 || strings.IndexByte(r.noEdge, name[len(name)-1]) >= 0 {
		return bad("bad first or last character")
	}
	out := name
	if !r.keepCase {
		out = strings.ToLower(name)
	}
	if r.reserved[strings.ToLower(name)] {
		return bad("a site page, not an account")
	}
	return out, false, nil
}

// isDomainHandle reports whether s is a lowercase domain name of two or
// more labels (a Bluesky handle or a Mastodon instance).
func isDomainHandle(s string) bool {
	if len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z') && !isASCIIDigit(c) && c != '-' {
				return false
			}
		}
	}
	return true
}

// ProfileHandle returns the account a profile URL names: twitter.com/name,
// instagram.com/name, facebook.com/name or profile.php?id=, youtube.com/@name,
// /c/, /user/ and /channel/, tiktok.com/@name, bsky.app/profile/name,
// name.bsky.social, mastodon /@user, vk.com/name, gab.com/name,
// rumble.com/c/name, truthsocial.com/@name, odysee.com/@name,
// threads.net/@name, gettr.com/user/name, bitchute.com/channel/name and
// t.me/name. Posts, videos, share and intent pages are not profiles. The
// result has Method HandleFromURL and the confidence of the URL's
// classification, without Evidence.
func ProfileHandle(u URL) (Handle, bool) {
	cl := ClassifyDetail(u)
	if cl.Platform == PlatformWeb || u.IsShortener && cl.Platform != PlatformFacebook {
		return Handle{}, false
	}
	segs := pathSegments(u.Path)
	host := u.SiteHost()
	h := Handle{Platform: cl.Platform, Method: HandleFromURL, Confidence: cl.Confidence}
	ok := func(p Platform, name string) (Handle, bool) {
		n, isID, err := NormalizeHandle(p, name)
		if err != nil {
			return Handle{}, false
		}
		h.Platform, h.Handle, h.IsID = p, n, isID
		return h, true
	}
	seg := func(i int) string {
		if i < len(segs) {
			return segs[i]
		}
		return ""
	}
	at := func(s string) (string, bool) {
		return strings.CutPrefix(s, "@")
	}
	switch cl.Platform {
	case PlatformTwitter:
		if host == "t.co" || strings.HasSuffix(host, "twimg.com") {
			return Handle{}, false
		}
		switch {
		case len(segs) == 3 && seg(0) == "i" && seg(1) == "user" && isAllDigits(seg(2)):
			h.Platform, h.Handle, h.IsID = PlatformTwitter, seg(2), true
			return h, true
		case len(segs) == 1, len(segs) == 2 && slices.Contains([]string{"with_replies", "media", "likes", "highlights"}, seg(1)):
			return ok(PlatformTwitter, seg(0))
		}
	case PlatformInstagram:
		if host != "instagram.com" && host != "instagr.am" && host != "ddinstagram.com" {
			return Handle{}, false
		}
		switch {
		case len(segs) == 2 && seg(0) == "_u":
			return ok(PlatformInstagram, seg(1))
		case len(segs) == 1, len(segs) == 2 && slices.Contains([]string{"reels", "tagged", "guide", "guides"}, seg(1)):
			return ok(PlatformInstagram, seg(0))
		}
	case PlatformThreads:
		if n, isAt := at(seg(0)); isAt && len(segs) == 1 {
			return ok(PlatformThreads, n)
		}
	case PlatformFacebook:
		if !facebookProfileHosts[host] {
			return Handle{}, false
		}
		switch {
		case len(segs) == 1 && strings.EqualFold(seg(0), "profile.php"):
			if id := u.Query("id"); isAllDigits(id) {
				h.Handle, h.IsID = id, true
				return h, true
			}
		case len(segs) >= 2 && strings.EqualFold(seg(0), "pages"):
			last := segs[len(segs)-1]
			if m := fbNameWithID.FindStringSubmatch(last); m != nil {
				last = m[1]
			}
			if isAllDigits(last) {
				h.Handle, h.IsID = last, true
				return h, true
			}
		case len(segs) == 1 || len(segs) == 2 && slices.Contains([]string{"about", "posts", "videos", "photos", "community"}, strings.ToLower(seg(1))):
			if m := fbNameWithID.FindStringSubmatch(seg(0)); m != nil {
				h.Handle, h.IsID = m[1], true
				return h, true
			}
			return ok(PlatformFacebook, seg(0))
		}
	case PlatformYouTube:
		if host != "youtube.com" {
			return Handle{}, false
		}
		if n, isAt := at(seg(0)); isAt && len(segs) >= 1 {
			return ok(PlatformYouTube, n)
		}
		switch strings.ToLower(seg(0)) {
		case "channel":
			if youtubeChannelID.MatchString(seg(1)) {
				h.Handle, h.IsID = seg(1), true
				return h, true
			}
			return Handle{}, false
		case "c", "user":
			if n := seg(1); n != "" && len(n) <= 100 && isLegacyYouTubeName(n) {
				h.Handle = strings.ToLower(n)
				return h, true
			}
			return Handle{}, false
		}
		if len(segs) == 1 {
			return ok(PlatformYouTube, seg(0))
		}
	case PlatformTikTok:
		if n, isAt := at(seg(0)); isAt && (len(segs) == 1 || len(segs) == 2 && seg(1) == "live") {
			return ok(PlatformTikTok, n)
		}
	case PlatformBluesky:
		if host == "bsky.app" {
			if len(segs) == 2 && seg(0) == "profile" {
				return ok(PlatformBluesky, seg(1))
			}
			return Handle{}, false
		}
		if strings.HasSuffix(host, ".bsky.social") && len(segs) == 0 {
			return ok(PlatformBluesky, host)
		}
	case PlatformMastodon:
		inst := host
		switch {
		case len(segs) >= 1 && strings.HasPrefix(seg(0), "@") && (len(segs) == 1 || cl.Confidence == ConfidenceHigh && len(segs) == 2 && slices.Contains([]string{"with_replies", "media", "followers", "following"}, seg(1))):
			user := seg(0)[1:]
			if u2, i2, remote := strings.Cut(user, "@"); remote {
				user, inst = u2, i2
			}
			return ok(PlatformMastodon, user+"@"+inst)
		case cl.Confidence == ConfidenceHigh && len(segs) == 2 && seg(0) == "users" && !strings.HasPrefix(seg(1), "@"):
			// The ActivityPub actor URL.
			return ok(PlatformMastodon, seg(1)+"@"+inst)
		case cl.Confidence == ConfidenceHigh && len(segs) == 2 && seg(0) == "web" && strings.HasPrefix(seg(1), "@"):
			// The old web interface.
			return ok(PlatformMastodon, seg(1)[1:]+"@"+inst)
		}
	case PlatformVK:
		if len(segs) == 1 && (host == "vk.com" || host == "vk.ru" || host == "vkontakte.ru") {
			return ok(PlatformVK, seg(0))
		}
	case PlatformGab:
		if len(segs) == 1 && (host == "gab.com" || host == "gab.ai") {
			n, _ := at(seg(0))
			return ok(PlatformGab, n)
		}
	case PlatformRumble:
		if len(segs) >= 2 && (seg(0) == "c" || seg(0) == "user") {
			return ok(PlatformRumble, seg(1))
		}
	case PlatformTruthSocial:
		if n, isAt := at(seg(0)); isAt && len(segs) == 1 {
			return ok(PlatformTruthSocial, n)
		}
	case PlatformOdysee:
		if n, isAt := at(seg(0)); isAt && len(segs) == 1 {
			if i := strings.IndexAny(n, ":#"); i >= 0 {
				n = n[:i] // the claim id suffix (@name:7) picks one of several channels of that name
			}
			return ok(PlatformOdysee, n)
		}
	case PlatformGettr:
		if len(segs) == 2 && seg(0) == "user" {
			return ok(PlatformGettr, seg(1))
		}
	case PlatformBitChute:
		if len(segs) == 2 && seg(0) == "channel" {
			return ok(PlatformBitChute, seg(1))
		}
	case PlatformTelegram:
		l, err := ParseTelegram(u)
		if err == nil && (l.Kind == TelegramChannel || l.Kind == TelegramPreview) {
			h.Handle = l.Username
			return h, true
		}
	}
	return Handle{}, false
}

// facebookProfileHosts serve profile pages; other facebook.com hosts
// (developers., l., business.) do not.
var facebookProfileHosts = set("facebook.com", "web.facebook.com", "mbasic.facebook.com", "touch.facebook.com", "fb.com", "fb.me")

func isLegacyYouTubeName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isASCIILetter(c) && !isASCIIDigit(c) && strings.IndexByte("_.-", c) < 0 {
			return false
		}
	}
	return true
}

// handleLabel is a word or symbol that announces an account on a platform.
type handleLabel struct {
	text     string
	platform Platform
	// word labels must stand alone (not inside a longer word); symbols
	// (emoji) need not.
	word bool
	// needsOn is set for labels too ambiguous alone ("x"): a bare @name
	// counts only after "on X" / "in X", and a labelled one only with "@".
	needsOn bool
}

// handleLabels: the words and symbols people put before their handles, in
// English, Russian, Ukrainian and Arabic.
var handleLabels = buildLabels(map[Platform][]string{
	PlatformTwitter:     {"twitter", "tw", "x", "твиттер", "твітер", "تويتر", "🐦", "𝕏"},
	PlatformInstagram:   {"instagram", "insta", "ig", "инстаграм", "инстаграмм", "инста", "інстаграм", "انستغرام", "انستقرام", "إنستغرام"},
	PlatformFacebook:    {"facebook", "fb", "фейсбук", "фэйсбук", "فيسبوك", "فيس بوك"},
	PlatformYouTube:     {"youtube", "yt", "ютуб", "ютюб", "يوتيوب"},
	PlatformTikTok:      {"tiktok", "tik tok", "тикток", "тік ток", "تيك توك"},
	PlatformTelegram:    {"telegram", "tg", "телеграм", "телеграмм", "тг", "تلغرام", "تيليجرام", "تليجرام"},
	PlatformBluesky:     {"bluesky", "bsky", "🦋"},
	PlatformVK:          {"vk", "vkontakte", "вк", "вконтакте"},
	PlatformGab:         {"gab"},
	PlatformRumble:      {"rumble"},
	PlatformTruthSocial: {"truth social", "truthsocial"},
	PlatformOdysee:      {"odysee"},
	PlatformGettr:       {"gettr"},
	PlatformThreads:     {"threads"},
	PlatformBitChute:    {"bitchute"},
})

func buildLabels(m map[Platform][]string) []handleLabel {
	var out []handleLabel
	for p, words := range m {
		for _, w := range words {
			r, _ := utf8.DecodeRuneInString(w)
			out = append(out, handleLabel{text: w, platform: p, word: unicode.IsLetter(r), needsOn: w == "x"})
		}
	}
	// Longest first, so "instagram" wins over "insta"; then by text for a
	// stable order.
	slices.SortFunc(out, func(a, b handleLabel) int {
		if len(a.text) != len(b.text) {
			return len(b.text) - len(a.text)
		}
		return strings.Compare(a.text, b.text)
	})
	return out
}

// labelFirstBytes holds the bytes a label can start with, in either case,
// so that the label scan skips most of a text at one comparison a byte.
var labelFirstBytes = func() (set [256]bool) {
	for _, lb := range handleLabels {
		for _, v := range []string{lb.text, strings.ToUpper(lb.text), strings.ToLower(lb.text)} {
			set[v[0]] = true
		}
	}
	return set
}()

// labelSeparators may stand between a label and its handle.
const labelSeparators = ":：-–—=→➡»➜"

var bskyAddress = regexp.MustCompile(`(?i)@((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+bsky\.social)\b`)

// ExtractHandles finds accounts on other platforms named in a text such as a
// channel's about text, a bio or a pinned post: profile URLs (high
// confidence), fediverse and Bluesky addresses (@user@mastodon.social,
// @name.bsky.social: medium), labelled handles ("Twitter: @name",
// "IG: name": medium), and an @name next to a platform word ("follow us on
// X @name", "🐦 @name": low). Each platform and handle is reported once, with
// its strongest evidence, in text order. Bare @mentions without a platform
// word are not handles: they name Telegram accounts of any kind.
func ExtractHandles(text string) []Handle {
	ex := ExtractAll(text, nil)
	var (
		out    []Handle
		inLink []span
	)
	for _, l := range ex.Links {
		// A bare domain ("some.page") does not hide a labelled handle
		// ("FB: some.page"): names with dots are often valid domains too.
		if strings.ContainsRune(l.Raw, '/') {
			inLink = append(inLink, span{l.Start, l.End})
		}
		if h, ok := ProfileHandle(l.URL); ok {
			h.Evidence, h.Start, h.End = text[l.Start:l.End], l.Start, l.End
			out = append(out, h)
		}
	}
	for _, m := range ex.Mentions {
		if m.Instance == "" {
			continue
		}
		p := Classify(URL{Scheme: "https", Host: m.Instance, Path: "/"})
		h := Handle{Method: HandleFromAddress, Confidence: ConfidenceMedium, Evidence: text[m.Start:m.End], Start: m.Start, End: m.End}
		var err error
		switch p {
		case PlatformThreads, PlatformTruthSocial, PlatformGab:
			h.Platform = p
			h.Handle, h.IsID, err = NormalizeHandle(p, m.Name)
		case PlatformWeb, PlatformMastodon:
			h.Platform = PlatformMastodon
			h.Handle, h.IsID, err = NormalizeHandle(PlatformMastodon, m.Name+"@"+m.Instance)
		default:
			continue
		}
		if err == nil {
			out = append(out, h)
		}
	}
	for _, loc := range bskyAddress.FindAllStringSubmatchIndex(text, -1) {
		if p := runeBefore(text, loc[0]); p >= 0 && (isNameByte(byte(p)) && p < utf8.RuneSelf || p == '@') {
			continue
		}
		if name, _, err := NormalizeHandle(PlatformBluesky, text[loc[2]:loc[3]]); err == nil && !overlaps(inLink, loc[0], loc[1]) {
			out = append(out, Handle{Platform: PlatformBluesky, Handle: name, Method: HandleFromAddress,
				Confidence: ConfidenceMedium, Evidence: text[loc[0]:loc[1]], Start: loc[0], End: loc[1]})
		}
	}
	out = append(out, scanLabelled(text, inLink)...)

	// Keep the strongest evidence for each account, then text order.
	slices.SortStableFunc(out, func(a, b Handle) int {
		if a.Confidence != b.Confidence {
			return int(b.Confidence) - int(a.Confidence)
		}
		return a.Start - b.Start
	})
	out = dedupe(out, func(h Handle) string { return string(h.Platform) + " " + h.Handle })
	slices.SortStableFunc(out, func(a, b Handle) int { return a.Start - b.Start })
	return out
}

// scanLabelled finds "LABEL: @name", "LABEL: name" and "LABEL @name".
func scanLabelled(text string, inLink []span) []Handle {
	var out []Handle
	for i := 0; i < len(text); {
		if !labelFirstBytes[text[i]] {
			i++
			continue
		}
		prev := runeBefore(text, i)
		matched := false
		for _, lb := range handleLabels {
			if len(text)-i < len(lb.text) || !strings.EqualFold(text[i:i+len(lb.text)], lb.text) {
				continue
			}
			if lb.word && prev >= 0 && (unicode.IsLetter(prev) || unicode.IsDigit(prev) || prev == '_' || prev == '@' || prev == '.' || prev == '/') {
				continue
			}
			j := i + len(lb.text)
			if lb.word {
				if r, _ := utf8.DecodeRuneInString(text[j:]); j < len(text) && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.') {
					continue
				}
			}
			if h, ok := readLabelled(text, i, j, lb); ok && !overlaps(inLink, h.Start, h.End) {
				out = append(out, h)
				i, matched = h.End, true
				break
			}
		}
		if !matched {
			_, size := utf8.DecodeRuneInString(text[i:])
			i += size
		}
	}
	return out
}

// readLabelled reads what follows a label ending at j.
func readLabelled(text string, start, j int, lb handleLabel) (Handle, bool) {
	k := j
	if r, size := utf8.DecodeRuneInString(text[k:]); r == '\ufe0f' {
		k += size // emoji presentation selector
	}
	k = skipBlanks(text, k, false)
	sep := false
	for k < len(text) {
		r, size := utf8.DecodeRuneInString(text[k:])
		if !strings.ContainsRune(labelSeparators, r) {
			break
		}
		sep = true
		k += size
	}
	k = skipBlanks(text, k, sep)
	hasAt := false
	if r, size := utf8.DecodeRuneInString(text[k:]); r == '@' || r == '＠' {
		hasAt = true
		k += size
	}
	if !hasAt && !sep {
		return Handle{}, false
	}
	if lb.needsOn && !hasAt {
		return Handle{}, false
	}
	if lb.needsOn && !sep && !precededByOn(text, start) {
		return Handle{}, false
	}
	e := k
	for e < len(text) && (isNameByte(text[e]) || text[e] == '.' || text[e] == '-') {
		e++
	}
	for e > k && (text[e-1] == '.' || text[e-1] == '-') {
		e--
	}
	if e == k {
		return Handle{}, false
	}
	if e < len(text) {
		switch r, _ := utf8.DecodeRuneInString(text[e:]); {
		case r == '@' || r == '/' || r == ':' && strings.HasPrefix(text[e:], "://"):
			return Handle{}, false // an address or a URL, read elsewhere
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '’':
			return Handle{}, false
		}
	}
	if !hasAt && !endsBareName(text, e) {
		return Handle{}, false
	}
	p := lb.platform
	if p == PlatformMastodon {
		return Handle{}, false // a Mastodon name means nothing without its instance
	}
	name, isID, err := NormalizeHandle(p, text[k:e])
	if err != nil {
		return Handle{}, false
	}
	h := Handle{Platform: p, Handle: name, IsID: isID, Method: HandleFromLabel, Confidence: ConfidenceMedium,
		Evidence: text[start:e], Start: start, End: e}
	if !sep {
		h.Method, h.Confidence = HandleFromMention, ConfidenceLow
	}
	return h, true
}

// skipBlanks skips spaces and tabs, and one line break when allowNewline.
func skipBlanks(text string, k int, allowNewline bool) int {
	for k < len(text) {
		r, size := utf8.DecodeRuneInString(text[k:])
		switch {
		case r == '\n' && allowNewline:
			allowNewline = false
		case r != '\n' && r != '\r' && unicode.IsSpace(r):
		default:
			return k
		}
		k += size
	}
	return k
}

// precededByOn reports whether the label at i follows "on " or "in ".
func precededByOn(text string, i int) bool {
	t := strings.TrimRight(text[:i], " \t")
	if len(t) == i || len(t) < 2 {
		return false
	}
	w := strings.ToLower(t[len(t)-2:])
	if w != "on" && w != "in" {
		return false
	}
	p := runeBefore(t, len(t)-2)
	return p < 0 || !unicode.IsLetter(p) && !unicode.IsDigit(p)
}

// endsBareName reports whether a handle written without "@" ends where a
// list of handles would end it: the end of the text or line, or a
// separator such as "|", ",", "•". Without this, "Twitter: great place"
// would propose the account "great".
func endsBareName(text string, e int) bool {
	k := skipBlanks(text, e, false)
	if k >= len(text) {
		return true
	}
	r, size := utf8.DecodeRuneInString(text[k:])
	switch r {
	case '\n', '\r', '|', ',', ';', '•', '·', '/', ')', ']', '｜', '、':
		return true
	case '.', '!':
		next, _ := utf8.DecodeRuneInString(text[k+size:])
		return k+size >= len(text) || unicode.IsSpace(next)
	}
	// Another label or emoji starting the next entry: "IG: name 🐦 @other".
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '@' && r != '#' || startsLabel(text, k)
}

// startsLabel reports whether a handle label starts at k.
func startsLabel(text string, k int) bool {
	for _, lb := range handleLabels {
		if len(text)-k >= len(lb.text) && strings.EqualFold(text[k:k+len(lb.text)], lb.text) {
			return true
		}
	}
	return false
}
