package crosslink

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/links/accountlink"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// LinkWriter takes account_links rows (a store.Writer does).
type LinkWriter interface {
	Write(ctx context.Context, rows ...schema.AccountLink) error
	Flush(ctx context.Context) error
}

type accountRow struct {
	Platform  string    `ch:"platform"`
	ChannelID uint64    `ch:"channel_id"`
	Username  string    `ch:"username"`
	Title     string    `ch:"title"`
	About     string    `ch:"about"`
	FirstSeen time.Time `ch:"first_seen_at"`
	LastSeen  time.Time `ch:"last_seen_at"`
}

type linkRow struct {
	Platform  string    `ch:"platform"`
	ChannelID uint64    `ch:"channel_id"`
	URL       string    `ch:"url"`
	Posts     uint64    `ch:"posts"`
	FirstSeen time.Time `ch:"first_seen"`
	LastSeen  time.Time `ch:"last_seen"`
}

// Queries of Load. They run on ClickHouse 18.16 and current versions (no CTEs, no window
// functions). Links to the web are left out: only profile URLs of platforms can be evidence.
const (
	accountsSQL = `SELECT platform, channel_id, username, title, about, first_seen_at, last_seen_at
FROM channels FINAL`
	postLinksSQL = `SELECT platform, channel_id, url, count() AS posts, min(posted_at) AS first_seen, max(posted_at) AS last_seen
FROM post_links FINAL
WHERE link_kind = 'url' AND dest_platform != 'web' AND dest_platform != platform AND source_kind != 'about'
GROUP BY platform, channel_id, url`
	// The pinned post of each account is the one its latest snapshot names; links the collector
	// stored from pinned posts (source_kind pinned) count too. GLOBAL: on a cluster the
	// right side is read once through its Distributed table and sent to every shard (a plain
	// join of two Distributed tables is refused); on a single server it is a plain join.
	pinnedSQL = `SELECT platform, channel_id, url, count() AS posts, min(posted_at) AS first_seen, max(posted_at) AS last_seen
FROM post_links
GLOBAL ANY INNER JOIN
(
    SELECT platform, channel_id, argMax(pinned_post_id, snapshot_at) AS post_id
    FROM channel_snapshots
    GROUP BY platform, channel_id
    HAVING post_id != 0
) USING (platform, channel_id, post_id)
WHERE link_kind = 'url' AND dest_platform != 'web' AND dest_platform != platform
GROUP BY platform, channel_id, url
UNION ALL
SELECT platform, channel_id, url, count() AS posts, min(posted_at) AS first_seen, max(posted_at) AS last_seen
FROM post_links
WHERE source_kind = 'pinned' AND link_kind = 'url' AND dest_platform != 'web' AND dest_platform != platform
GROUP BY platform, channel_id, url`
	existingSQL = `SELECT from_platform, from_channel_id, to_platform, to_handle, to_channel_id, to_url, evidence,
    evidence_text, confidence, status, first_seen_at, last_verified_at, decided_by, version
FROM account_links FINAL`
)

// Load reads the inputs of [Suggest] from ClickHouse.
func Load(ctx context.Context, db *store.DB) (Inputs, error) {
	var in Inputs
	accts, err := store.Select[accountRow](ctx, db, accountsSQL)
	if err != nil {
		return in, fmt.Errorf("read channels: %w", err)
	}
	in.Accounts = make([]accountlink.Account, len(accts))
	for i, a := range accts {
		in.Accounts[i] = accountlink.Account(a)
	}
	for _, q := range []struct {
		sql    string
		pinned bool
	}{{postLinksSQL, false}, {pinnedSQL, true}} {
		rows, err := store.Select[linkRow](ctx, db, q.sql)
		if err != nil {
			return in, fmt.Errorf("read post links: %w", err)
		}
		for _, r := range rows {
			in.Links = append(in.Links, PostLinks{Platform: r.Platform, ChannelID: r.ChannelID, URL: r.URL, Posts: int(r.Posts), Pinned: q.pinned, FirstSeen: r.FirstSeen, LastSeen: r.LastSeen})
		}
	}
	in.Existing, err = Existing(ctx, db)
	return in, err
}

// Existing reads the stored account links.
func Existing(ctx context.Context, db *store.DB) ([]schema.AccountLink, error) {
	rows, err := store.Select[schema.AccountLink](ctx, db, existingSQL)
	if err != nil {
		return nil, fmt.Errorf("read account links: %w", err)
	}
	return rows, nil
}

// Pair is the stored rows of one link, for listing and deciding.
type Pair struct {
	ID         string
	Rows       []schema.AccountLink
	Confidence float32
	Status     string
}

// Pairs groups stored rows by link, sorted by confidence (highest first), then id.
func Pairs(rows []schema.AccountLink) []Pair {
	idx := map[string]int{}
	var out []Pair
	for _, r := range rows {
		id := accountlink.ID(r.FromPlatform, r.FromChannelID, r.ToPlatform, r.ToHandle)
		i, ok := idx[id]
		if !ok {
			i = len(out)
			idx[id] = i
			out = append(out, Pair{ID: id})
		}
		p := &out[i]
		p.Rows = append(p.Rows, r)
		if r.Confidence > p.Confidence {
			p.Confidence = r.Confidence
		}
		// A pair's status is its latest decision, else proposed.
		if p.Status == "" || r.Version > latest(p.Rows[:len(p.Rows)-1]) {
			p.Status = r.Status
		}
	}
	for i := range out {
		sort.Slice(out[i].Rows, func(a, b int) bool { return out[i].Rows[a].Evidence < out[i].Rows[b].Evidence })
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Confidence != out[j].Confidence {
			return out[i].Confidence > out[j].Confidence
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func latest(rows []schema.AccountLink) uint64 {
	var v uint64
	for _, r := range rows {
		v = max(v, r.Version)
	}
	return v
}

// ErrNoLink is returned for an id that names no stored link.
var ErrNoLink = errors.New("no such link")

// Decide sets the status of the links with the given ids (or unambiguous prefixes of at least
// 6 digits) to accepted or rejected, rewriting every row of each pair with the decision's
// version. It returns the full ids decided.
func Decide(ctx context.Context, db *store.DB, w LinkWriter, ids []string, status, by string, now time.Time) ([]string, error) {
	if status != accountlink.Accepted && status != accountlink.Rejected {
		return nil, fmt.Errorf("status: expected %s or %s, got %q", accountlink.Accepted, accountlink.Rejected, status)
	}
	rows, err := Existing(ctx, db)
	if err != nil {
		return nil, err
	}
	pairs := Pairs(rows)
	var chosen []Pair
	var errs []error
	for _, id := range ids {
		id = strings.ToLower(strings.TrimSpace(id))
		if len(id) < 6 {
			errs = append(errs, fmt.Errorf("%q: expected a link id of at least 6 hex digits (see links list)", id))
			continue
		}
		var match []Pair
		for _, p := range pairs {
			if strings.HasPrefix(p.ID, id) {
				match = append(match, p)
			}
		}
		switch len(match) {
		case 0:
			errs = append(errs, fmt.Errorf("%s: %w", id, ErrNoLink))
		case 1:
			chosen = append(chosen, match[0])
		default:
			errs = append(errs, fmt.Errorf("%s: expected one link, got %d (give more digits)", id, len(match)))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	version := accountlink.DecisionVersion(now)
	var done []string
	for _, p := range chosen {
		out := make([]schema.AccountLink, len(p.Rows))
		for i, r := range p.Rows {
			r.Status, r.DecidedBy, r.Version = status, by, version
			out[i] = r
		}
		if err := w.Write(ctx, out...); err != nil {
			return done, err
		}
		done = append(done, p.ID)
	}
	return done, w.Flush(ctx)
}
