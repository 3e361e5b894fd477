package world

import (
	"math"
	"strconv"
	"strings"
)

// platformInfo is one destination platform of outlinks: its token (the
// label the truth plants on each link), the domains its links use, its base
// weight in the link mix, and its share of the links that move away from a
// platform that is taken down.
type platformInfo struct {
	token   string
	domains []string
	weight  float64
	rise    float64
}

// platformTable lists every platform, with realistic domains. It is the one
// place to extend: link generation, about texts and the truth all read it.
var platformTable = []platformInfo{
	{"twitter", []string{"twitter.com", "x.com", "mobile.twitter.com", "www.twitter.com"}, 12, 0},
	{"facebook", []string{"facebook.com", "www.facebook.com", "m.facebook.com", "fb.watch"}, 6, 0},
	{"youtube", []string{"youtube.com", "www.youtube.com", "youtu.be", "m.youtube.com"}, 14, 0},
	{"instagram", []string{"instagram.com", "www.instagram.com"}, 4, 0},
	{"tiktok", []string{"tiktok.com", "www.tiktok.com", "vm.tiktok.com"}, 3, 0},
	{"telegram", []string{"t.me", "telegram.me"}, 14, 0.35},
	{"bluesky", []string{"bsky.app"}, 1, 0.15},
	{"mastodon", []string{"mastodon.social", "mastodon.online", "mstdn.social", "mas.to"}, 1, 0.07},
	{"vk", []string{"vk.com", "m.vk.com"}, 2, 0.03},
	{"gab", []string{"gab.com"}, 1.5, 0.12},
	{"rumble", []string{"rumble.com"}, 2, 0.1},
	{"truthsocial", []string{"truthsocial.com"}, 1, 0.08},
	{"odysee", []string{"odysee.com"}, 1, 0.05},
	{"bitchute", []string{"bitchute.com", "www.bitchute.com"}, 1.5, 0.05},
	{"archive", []string{"archive.org", "web.archive.org", "archive.ph", "archive.today", "archive.is"}, 3, 0},
	{"filesharing", []string{"mega.nz", "mediafire.com", "www.mediafire.com", "drive.google.com", "dropbox.com", "pixeldrain.com", "files.catbox.moe"}, 2, 0},
	{"web", []string{
		"reuters.com", "www.reuters.com", "apnews.com", "bbc.co.uk", "www.bbc.com", "aljazeera.com",
		"www.theguardian.com", "nytimes.com", "www.foxnews.com", "breitbart.com", "www.dailymail.co.uk",
		"rt.com", "lemonde.fr", "www.spiegel.de", "medium.com", "substack.com", "news.yahoo.com",
		"www.washingtonpost.com", "cnn.com", "ria.ru", "www.zerohedge.com", "telegraph.co.uk",
	}, 30, 0},
}

// platformIndex maps a token to its row in platformTable.
var platformIndex = func() map[string]int {
	m := make(map[string]int, len(platformTable))
	for i, p := range platformTable {
		m[p.token] = i
	}
	return m
}()

const platformTelegram = 5 // index of "telegram" in platformTable

// Platforms returns the platform tokens the world plants on links, in table order.
func Platforms() []string {
	out := make([]string, len(platformTable))
	for i, p := range platformTable {
		out[i] = p.token
	}
	return out
}

// PlatformDomains returns the domains links to a platform use (nil if unknown).
func PlatformDomains(token string) []string {
	i, ok := platformIndex[token]
	if !ok {
		return nil
	}
	return append([]string(nil), platformTable[i].domains...)
}

// takedown is a platform takedown as the link mix sees it.
type takedown struct {
	at       int64
	platform int
	share    float64
	// community is the community whose links shift (-1 = all).
	community int
}

// affects reports whether the takedown shifts community c's links.
func (td *takedown) affects(c int) bool { return td.community < 0 || td.community == c }

// takedownFall is how fast links to a taken-down platform fall away (e-folding, seconds).
const takedownFall = 3 * 86400

// numPlatforms is len(platformTable), as a constant for fixed arrays (checked in init).
const numPlatforms = 17

// linkMix is the platform weights of one community at one time.
type linkMix [numPlatforms]float64

func init() {
	if len(platformTable) != numPlatforms || platformTable[platformTelegram].token != "telegram" {
		panic("world: platform table and its size constant disagree")
	}
}

// mixAt returns community c's link mix at time t: its base weights with
// every takedown that concerns c and happened by t applied. A takedown
// removes share of its platform's weight, ramping in over a few days, and
// hands that mass to the platforms people move to, in proportion to their
// rise shares. A takedown that names another community leaves c's mix alone.
func mixAt(base *linkMix, c int, takedowns []takedown, t int64) linkMix {
	m := *base
	for i := range takedowns {
		td := &takedowns[i]
		if t < td.at || !td.affects(c) {
			continue
		}
		td.apply(&m, 1-math.Exp(-float64(t-td.at)/takedownFall))
	}
	return m
}

// apply moves the share of the takedown's platform times ramp (0 to 1) to
// the platforms people move to.
func (td *takedown) apply(m *linkMix, ramp float64) {
	lost := m[td.platform] * td.share * ramp
	m[td.platform] -= lost
	rise := 0.0
	for i, p := range platformTable {
		if i != td.platform {
			rise += p.rise
		}
	}
	for i, p := range platformTable {
		if i != td.platform && p.rise > 0 {
			m[i] += lost * p.rise / rise
		}
	}
}

// urlBuilder writes plausible URLs for each platform.
type urlBuilder struct{ r *rng }

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func (u urlBuilder) token(n int) string {
	var b strings.Builder
	b.Grow(n)
	for i := 0; i < n; i++ {
		b.WriteByte(idAlphabet[u.r.intn(len(idAlphabet))])
	}
	return b.String()
}

func (u urlBuilder) digits(n int) string {
	var b strings.Builder
	b.WriteByte(byte('1' + u.r.intn(9)))
	for i := 1; i < n; i++ {
		b.WriteByte(byte('0' + u.r.intn(10)))
	}
	return b.String()
}

func (u urlBuilder) scheme() string {
	// Telegram recognises bare domains as links too: a share of links comes without a scheme.
	switch u.r.intn(10) {
	case 0, 1:
		return ""
	case 2:
		return "http://"
	default:
		return "https://"
	}
}

// outlink returns a URL to platform p (not telegram: world channel links are
// built by the caller) with handle as the account when the URL names one.
func (u urlBuilder) outlink(p int, handle string) string {
	info := &platformTable[p]
	dom := info.domains[u.r.intn(len(info.domains))]
	s := u.scheme()
	switch info.token {
	case "twitter":
		if u.r.chance(0.7) {
			return s + dom + "/" + handle + "/status/" + u.digits(19)
		}
		return s + dom + "/" + handle
	case "facebook":
		if dom == "fb.watch" {
			return s + dom + "/" + u.token(10) + "/"
		}
		if u.r.chance(0.5) {
			return s + dom + "/" + handle + "/posts/" + u.digits(16)
		}
		return s + dom + "/" + handle
	case "youtube":
		if dom == "youtu.be" {
			return s + dom + "/" + u.token(11)
		}
		if u.r.chance(0.75) {
			return s + dom + "/watch?v=" + u.token(11)
		}
		return s + dom + "/@" + handle
	case "instagram":
		if u.r.chance(0.6) {
			return s + dom + "/p/" + u.token(11) + "/"
		}
		return s + dom + "/" + handle
	case "tiktok":
		if dom == "vm.tiktok.com" {
			return s + dom + "/" + u.token(9) + "/"
		}
		return s + dom + "/@" + handle + "/video/" + u.digits(19)
	case "telegram":
		return s + dom + "/" + handle
	case "bluesky":
		if u.r.chance(0.7) {
			return s + dom + "/profile/" + strings.ToLower(handle) + ".bsky.social/post/3" + strings.ToLower(u.token(12))
		}
		return s + dom + "/profile/" + strings.ToLower(handle) + ".bsky.social"
	case "mastodon":
		if u.r.chance(0.6) {
			return s + dom + "/@" + handle + "/" + u.digits(18)
		}
		return s + dom + "/@" + handle
	case "vk":
		if u.r.chance(0.5) {
			return s + dom + "/wall-" + u.digits(9) + "_" + u.digits(5)
		}
		return s + dom + "/" + strings.ToLower(handle)
	case "gab":
		if u.r.chance(0.6) {
			return s + dom + "/" + handle + "/posts/" + u.digits(18)
		}
		return s + dom + "/" + handle
	case "rumble":
		if u.r.chance(0.7) {
			return s + dom + "/v" + strings.ToLower(u.token(6)) + "-" + slugWords(u.r, 4) + ".html"
		}
		return s + dom + "/c/" + handle
	case "truthsocial":
		if u.r.chance(0.6) {
			return s + dom + "/@" + handle + "/posts/" + u.digits(18)
		}
		return s + dom + "/@" + handle
	case "odysee":
		return s + dom + "/@" + handle + ":" + strconv.Itoa(u.r.intn(10)) + "/" + slugWords(u.r, 3) + ":" + strconv.Itoa(u.r.intn(10))
	case "bitchute":
		if u.r.chance(0.7) {
			return s + dom + "/video/" + u.token(12) + "/"
		}
		return s + dom + "/channel/" + strings.ToLower(handle) + "/"
	case "archive":
		switch dom {
		case "archive.org":
			return s + dom + "/details/" + slugWords(u.r, 3)
		case "web.archive.org":
			return s + dom + "/web/2026" + u.digits(10) + "/https://" + platformTable[len(platformTable)-1].domains[u.r.intn(10)] + "/" + slugWords(u.r, 4)
		default:
			return s + dom + "/" + u.token(5)
		}
	case "filesharing":
		switch dom {
		case "mega.nz":
			return s + dom + "/file/" + u.token(8) + "#" + u.token(43)
		case "drive.google.com":
			return s + dom + "/file/d/" + u.token(33) + "/view"
		default:
			return s + dom + "/" + u.token(10)
		}
	}
	// The open web: news articles.
	return s + dom + "/" + slugSection(u.r) + "/" + slugWords(u.r, 5) + "-" + u.digits(8)
}

var sections = []string{"world", "news", "politics", "europe", "middle-east", "us", "opinion", "video", "2026/03"}

func slugSection(r *rng) string { return sections[r.intn(len(sections))] }

func slugWords(r *rng, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(words[r.intn(len(words))])
	}
	return b.String()
}
