// Package accountlink is the shared vocabulary of links between accounts of different
// platforms (the Telegram channel and the X account of one outlet, say): the rows of
// account_links, how their evidence is graded and combined, how a decision outranks a
// proposal, and the links an about text proposes on its own. The importers write about-text
// links and curated link files through it; analysis/crosslink proposes links from every kind
// of evidence and records decisions with it.
//
// A proposed link carries its evidence, one account_links row per kind:
//
//	handle_in_about  the account's about text or bio names the other account
//	                 ("Twitter: @name", "instagram.com/name", "@user@mastodon.social")
//	link_in_pinned   the account's pinned post links to the other account's profile
//	link_in_posts    the account's posts link to the other account's profile
//	same_handle      both accounts have the same handle
//	manual           a researcher recorded the link
//
// and one confidence for the pair, stored on each of its rows, combining the evidence as
// independent signals (a noisy-OR):
//
//	confidence = 1 - Π_k (1 - w_k)
//
// with w_k the weight of each kind present:
//
//	handle_in_about  the handle's own grade: 0.9 for a profile URL on a known host,
//	                 0.6 for a labelled handle or an address, 0.3 for a bare @name
//	                 next to a platform word (package links)
//	link_in_pinned   0.8 (0.3 when the URL's platform is itself a guess)
//	link_in_posts    0.5 × (1 - 0.8^n) for n posts: 0.1 for one post, 0.34 for five,
//	                 never above 0.5 (channels also link to accounts they only cite)
//	same_handle      0.35, or 0.6 when the display names match too; 0.15 for handles of
//	                 fewer than 6 characters, which coincide by chance
//	manual           1
//
// So a handle in the bio alone gives 0.9; a same handle alone 0.35; both 0.94; five posts
// linking plus a same handle 0.57.
package accountlink

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/links"
	"github.com/tidewatch/tidewatch/schema"
)

// Evidence kinds, as stored in account_links.evidence.
const (
	HandleInAbout = "handle_in_about"
	LinkInPinned  = "link_in_pinned"
	LinkInPosts   = "link_in_posts"
	SameHandle    = "same_handle"
	Manual        = "manual"
)

// Statuses of a link.
const (
	Proposed = "proposed"
	Accepted = "accepted"
	Rejected = "rejected"
)

// decisionBit is set in the version of every decided row (accepted, rejected, manual), so a
// decision outranks every proposal: proposals carry the time of their evidence, which a later
// import or suggestion run can push past the time of the decision.
const decisionBit = 1 << 62

// DecisionVersion is the version of a row decided at t.
func DecisionVersion(t time.Time) uint64 { return decisionBit | schema.Version(t) }

// IsDecided tells whether a row's version is a decision's.
func IsDecided(version uint64) bool { return version&decisionBit != 0 }

// Evidence is one kind of evidence for a link.
type Evidence struct {
	Kind string
	// Text is what was seen: the about text's words, the URL, the handle.
	Text string
	// Weight is w_k in the formula above.
	Weight float64
	// Count is the number of posts for link_in_posts.
	Count int
	// FirstSeen and LastSeen date the evidence.
	FirstSeen, LastSeen time.Time
}

// Combine is the pair's confidence from its evidence: 1 - Π(1 - w_k), one weight per kind
// (the strongest when a kind appears twice), rounded to 3 digits.
func Combine(ev []Evidence) float64 {
	best := map[string]float64{}
	for _, e := range ev {
		best[e.Kind] = math.Max(best[e.Kind], clamp(e.Weight))
	}
	miss := 1.0
	for _, w := range best {
		miss *= 1 - w
	}
	return math.Round((1-miss)*1000) / 1000
}

func clamp(w float64) float64 { return math.Min(1, math.Max(0, w)) }

// PostsWeight is the weight of n posts linking to an account.
func PostsWeight(n int) float64 { return 0.5 * (1 - math.Pow(0.8, float64(n))) }

// SameHandleWeight is the weight of two accounts sharing a handle.
func SameHandleWeight(handle string, namesMatch bool) float64 {
	switch {
	case len(handle) < 6:
		return 0.15
	case namesMatch:
		return 0.6
	}
	return 0.35
}

// PinnedWeight is the weight of a profile link in a pinned post.
func PinnedWeight(c links.Confidence) float64 {
	if c >= links.ConfidenceHigh {
		return 0.8
	}
	return 0.3
}

// Account is an account as the channels table knows it.
type Account struct {
	Platform  string
	ChannelID uint64
	Username  string
	Title     string
	About     string
	FirstSeen time.Time
	LastSeen  time.Time
}

// Target is the other end of a link: an account of another platform by its handle (and id
// when tidewatch knows the account).
type Target struct {
	Platform  string
	Handle    string
	ChannelID uint64
	URL       string
}

// Link is a proposed or curated link with all its evidence.
type Link struct {
	FromPlatform  string
	FromChannelID uint64
	To            Target
	Evidence      []Evidence
	Status        string
	DecidedBy     string
	// Version of a decided link (its rows keep it when the evidence is renewed).
	DecidedVersion uint64
}

// ID names the pair: 12 hex digits of the SHA-256 of both ends, for `links accept ID`.
func ID(fromPlatform string, fromChannelID uint64, toPlatform, toHandle string) string {
	h := sha256.Sum256([]byte(fromPlatform + "\x1f" + strconv.FormatUint(fromChannelID, 10) + "\x1f" + toPlatform + "\x1f" + strings.ToLower(toHandle)))
	return hex.EncodeToString(h[:6])
}

// ID names the link's pair.
func (l *Link) ID() string { return ID(l.FromPlatform, l.FromChannelID, l.To.Platform, l.To.Handle) }

// Confidence combines the link's evidence.
func (l *Link) Confidence() float64 { return Combine(l.Evidence) }

// Rows are the link's account_links rows, one per evidence kind, each with the pair's
// confidence. Proposals are versioned by the time of their latest evidence, so renewing the
// same evidence changes nothing; decided links keep their decision's version.
func (l *Link) Rows() []schema.AccountLink {
	conf := float32(l.Confidence())
	status := l.Status
	if status == "" {
		status = Proposed
	}
	byKind := map[string]Evidence{}
	var kinds []string
	for _, e := range l.Evidence {
		cur, ok := byKind[e.Kind]
		if !ok {
			kinds = append(kinds, e.Kind)
			byKind[e.Kind] = e
			continue
		}
		if e.Weight > cur.Weight {
			e.FirstSeen = earliest(e.FirstSeen, cur.FirstSeen)
			byKind[e.Kind] = e
		}
	}
	sort.Strings(kinds)
	out := make([]schema.AccountLink, 0, len(kinds))
	for _, k := range kinds {
		e := byKind[k]
		v := schema.Version(e.LastSeen)
		if status != Proposed && l.DecidedVersion != 0 {
			v = l.DecidedVersion
		}
		out = append(out, schema.AccountLink{
			FromPlatform:   l.FromPlatform,
			FromChannelID:  l.FromChannelID,
			ToPlatform:     l.To.Platform,
			ToHandle:       l.To.Handle,
			ToChannelID:    l.To.ChannelID,
			ToURL:          l.To.URL,
			Evidence:       k,
			EvidenceText:   e.Text,
			Confidence:     conf,
			Status:         status,
			FirstSeenAt:    e.FirstSeen,
			LastVerifiedAt: e.LastSeen,
			DecidedBy:      l.DecidedBy,
			Version:        v,
		})
	}
	return out
}

func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

// ProfileURL is the canonical profile URL of a handle, or "" for platforms without one.
func ProfileURL(platform, handle string) string {
	switch platform {
	case "twitter":
		return "https://x.com/" + handle
	case "telegram":
		return "https://t.me/" + handle
	case "instagram":
		return "https://www.instagram.com/" + handle
	case "facebook":
		return "https://www.facebook.com/" + handle
	case "youtube":
		if strings.HasPrefix(handle, "uc") || strings.HasPrefix(handle, "UC") {
			return "https://www.youtube.com/channel/" + handle
		}
		return "https://www.youtube.com/@" + handle
	case "tiktok":
		return "https://www.tiktok.com/@" + handle
	case "bluesky":
		return "https://bsky.app/profile/" + handle
	case "vk":
		return "https://vk.com/" + handle
	case "gab":
		return "https://gab.com/" + handle
	case "truthsocial":
		return "https://truthsocial.com/@" + handle
	case "threads":
		return "https://www.threads.net/@" + handle
	case "gettr":
		return "https://gettr.com/user/" + handle
	case "odysee":
		return "https://odysee.com/@" + handle
	case "rumble":
		return "https://rumble.com/c/" + handle
	case "bitchute":
		return "https://www.bitchute.com/channel/" + handle
	case "minds":
		return "https://www.minds.com/" + handle
	case "mastodon":
		if user, host, ok := strings.Cut(handle, "@"); ok {
			return "https://" + host + "/@" + user
		}
	}
	return ""
}

// AboutLinks are the proposed links of an account whose about text (bio, description) names
// accounts on other platforms, dated by when the account was seen with that text.
func AboutLinks(a Account) []Link {
	if strings.TrimSpace(a.About) == "" {
		return nil
	}
	var out []Link
	seen := map[string]int{}
	for _, h := range links.ExtractHandles(a.About) {
		p := string(h.Platform)
		if p == a.Platform || h.Handle == "" {
			continue // an account naming another of its own platform is a mention, not a link
		}
		ev := Evidence{Kind: HandleInAbout, Text: h.Evidence, Weight: h.Confidence.Score(), FirstSeen: a.FirstSeen, LastSeen: a.LastSeen}
		key := p + "\x00" + h.Handle
		if i, ok := seen[key]; ok {
			if ev.Weight > out[i].Evidence[0].Weight {
				out[i].Evidence[0] = ev
			}
			continue
		}
		seen[key] = len(out)
		out = append(out, Link{
			FromPlatform:  a.Platform,
			FromChannelID: a.ChannelID,
			To:            Target{Platform: p, Handle: h.Handle, URL: ProfileURL(p, h.Handle)},
			Evidence:      []Evidence{ev},
		})
	}
	return out
}
