package crosslink

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/links"
	"github.com/tidewatch/tidewatch/links/accountlink"
	"github.com/tidewatch/tidewatch/schema"
)

// PostLinks are the posts of one account linking to one URL.
type PostLinks struct {
	Platform  string
	ChannelID uint64
	URL       string
	// Posts is the number of posts with the link.
	Posts int
	// Pinned is set when the link is in the account's pinned post.
	Pinned              bool
	FirstSeen, LastSeen time.Time
}

// Inputs are what [Suggest] reads: the accounts with their about texts, the links their posts
// and pinned posts make, and the links already stored (their decisions are kept).
type Inputs struct {
	Accounts []accountlink.Account
	Links    []PostLinks
	Existing []schema.AccountLink
}

type pairKey struct {
	fromPlatform string
	fromID       uint64
	toPlatform   string
	toHandle     string
}

// Suggest proposes links from every kind of evidence (see the package comment), merged per
// pair with the links already stored: a decided link keeps its status and decision, and
// evidence stored before (a manual link, say) stays part of the pair's confidence. Links come
// sorted by id.
func Suggest(in Inputs) []*accountlink.Link {
	byHandle := map[string]*accountlink.Account{} // platform NUL lowercase username
	for i := range in.Accounts {
		a := &in.Accounts[i]
		if a.Username != "" {
			byHandle[a.Platform+"\x00"+strings.ToLower(a.Username)] = a
		}
	}
	out := map[pairKey]*accountlink.Link{}
	add := func(from string, fromID uint64, to accountlink.Target, ev accountlink.Evidence) {
		k := pairKey{from, fromID, to.Platform, strings.ToLower(to.Handle)}
		l := out[k]
		if l == nil {
			if a := byHandle[to.Platform+"\x00"+strings.ToLower(to.Handle)]; a != nil {
				to.ChannelID = a.ChannelID
			}
			if to.URL == "" {
				to.URL = accountlink.ProfileURL(to.Platform, to.Handle)
			}
			l = &accountlink.Link{FromPlatform: from, FromChannelID: fromID, To: to}
			out[k] = l
		}
		l.Evidence = append(l.Evidence, ev)
	}

	// Handles in about texts.
	for _, a := range in.Accounts {
		for _, l := range accountlink.AboutLinks(a) {
			add(l.FromPlatform, l.FromChannelID, l.To, l.Evidence[0])
		}
	}
	// Profile links in pinned posts and in posts.
	for _, pl := range in.Links {
		u, err := links.Normalize(pl.URL)
		if err != nil {
			continue
		}
		h, ok := links.ProfileHandle(u)
		if !ok || h.Handle == "" || string(h.Platform) == pl.Platform {
			continue
		}
		// A channel linking to its own other accounts is what is sought; a link to the
		// account itself (same platform) was left out above.
		ev := accountlink.Evidence{Kind: accountlink.LinkInPosts, Text: u.String(), Weight: accountlink.PostsWeight(pl.Posts), Count: pl.Posts, FirstSeen: pl.FirstSeen, LastSeen: pl.LastSeen}
		if pl.Posts > 1 {
			ev.Text = fmt.Sprintf("%s (%d posts)", u.String(), pl.Posts)
		}
		if pl.Pinned {
			ev = accountlink.Evidence{Kind: accountlink.LinkInPinned, Text: u.String(), Weight: accountlink.PinnedWeight(h.Confidence), FirstSeen: pl.FirstSeen, LastSeen: pl.LastSeen}
		}
		add(pl.Platform, pl.ChannelID, accountlink.Target{Platform: string(h.Platform), Handle: h.Handle}, ev)
	}
	// Same handle on two platforms.
	groups := map[string][]*accountlink.Account{}
	for i := range in.Accounts {
		a := &in.Accounts[i]
		if a.Username != "" {
			h := strings.ToLower(a.Username)
			groups[h] = append(groups[h], a)
		}
	}
	for h, accts := range groups {
		for _, a := range accts {
			for _, b := range accts {
				if a.Platform == b.Platform {
					continue
				}
				match := a.Title != "" && strings.EqualFold(strings.TrimSpace(a.Title), strings.TrimSpace(b.Title))
				text := "@" + h + " on " + a.Platform + " and " + b.Platform
				if match {
					text += ", both named " + strings.TrimSpace(b.Title)
				}
				add(a.Platform, a.ChannelID, accountlink.Target{Platform: b.Platform, Handle: strings.ToLower(b.Username), ChannelID: b.ChannelID},
					accountlink.Evidence{Kind: accountlink.SameHandle, Text: text, Weight: accountlink.SameHandleWeight(h, match), FirstSeen: later(a.FirstSeen, b.FirstSeen), LastSeen: later(a.LastSeen, b.LastSeen)})
			}
		}
	}

	// Merge what is stored: decisions, and evidence this run does not recompute.
	for _, r := range in.Existing {
		k := pairKey{r.FromPlatform, r.FromChannelID, r.ToPlatform, strings.ToLower(r.ToHandle)}
		l := out[k]
		if l == nil {
			if r.Status == accountlink.Proposed && r.Evidence != accountlink.Manual {
				continue // a proposal whose evidence is gone is left as it was
			}
			l = &accountlink.Link{FromPlatform: r.FromPlatform, FromChannelID: r.FromChannelID, To: accountlink.Target{Platform: r.ToPlatform, Handle: r.ToHandle, ChannelID: r.ToChannelID, URL: r.ToURL}}
			out[k] = l
		}
		if r.Status != accountlink.Proposed && accountlink.IsDecided(r.Version) && r.Version >= l.DecidedVersion {
			l.Status, l.DecidedBy, l.DecidedVersion = r.Status, r.DecidedBy, r.Version
		}
		has := false
		for _, e := range l.Evidence {
			has = has || e.Kind == r.Evidence
		}
		if !has {
			w := 1.0
			if r.Evidence != accountlink.Manual {
				w = storedWeight(r)
			}
			l.Evidence = append(l.Evidence, accountlink.Evidence{Kind: r.Evidence, Text: r.EvidenceText, Weight: w, FirstSeen: r.FirstSeenAt, LastSeen: r.LastVerifiedAt})
		}
		if l.To.ChannelID == 0 {
			l.To.ChannelID = r.ToChannelID
		}
	}
	res := make([]*accountlink.Link, 0, len(out))
	for _, l := range out {
		res = append(res, l)
	}
	sort.Slice(res, func(i, j int) bool { return res[i].ID() < res[j].ID() })
	return res
}

// storedWeight recovers a kind's weight from a stored row when the kind is not recomputed: its
// pair confidence bounds it, and without better knowledge the grade of a labelled handle.
func storedWeight(r schema.AccountLink) float64 {
	w := 0.6
	if float64(r.Confidence) < w {
		w = float64(r.Confidence)
	}
	return w
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
