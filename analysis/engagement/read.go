package engagement

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// The posts of the channels in scope are read a batch of channels at a time (job.Batches):
// every stored version of each message in one query per batch, with no GROUP BY, FINAL or
// ORDER BY for ClickHouse to run over all of them, and the merging done in Go:
//
//   - each message's latest version (the largest version, as ReplacingMergeTree keeps it);
//   - its counters: the later of its row in posts (read with its history page) and its
//     latest re-read in post_counters; its views at 24 h of age from the re-read scheduled
//     at 24 h (target_age_s = 86400) closest to that age;
//   - an album's messages merged into one post: its first message's id and time, the type
//     of its earliest message, the largest of its counters, forwarded when any message is,
//     deleted only when all of them are;
//   - service messages left out; posts sorted by time, then id.
//
// Memory is bounded by a batch, not by the range.

// messageRow is one stored version of a message.
type messageRow struct {
	ChannelID uint64    `ch:"channel_id"`
	PostID    uint64    `ch:"post_id"`
	PostKey   uint64    `ch:"post_key"`
	PostedAt  time.Time `ch:"posted_at"`
	PostType  string    `ch:"post_type"`
	Forwarded uint8     `ch:"fwd"`
	Deleted   uint8     `ch:"deleted"`
	Views     uint64    `ch:"views"`
	Forwards  uint64    `ch:"forwards"`
	Replies   uint64    `ch:"replies"`
	Reactions uint64    `ch:"reactions"`
	ReadAt    time.Time `ch:"read_at"`
	Version   uint64    `ch:"version"`
}

// rereadRow is a message's re-reads in post_counters, aggregated.
type rereadRow struct {
	ChannelID uint64    `ch:"channel_id"`
	PostID    uint64    `ch:"post_id"`
	Views24   uint64    `ch:"v24"`
	Has24     uint8     `ch:"h24"`
	ReadAt    time.Time `ch:"lr"`
	Views     uint64    `ch:"lv"`
	Forwards  uint64    `ch:"lf"`
	Replies   uint64    `ch:"lrp"`
	Reactions uint64    `ch:"lx"`
}

type msgKey struct{ channel, post uint64 }

// channelPosts is one channel's posts, sorted by time.
type channelPosts struct {
	Key   job.Key
	Posts []Post
}

// postsWhere is the condition on posts for [from, to) and a scope's filter.
func postsWhere(cond string, from, to time.Time) string {
	return fmt.Sprintf("posted_at >= toDateTime(%d) AND posted_at < toDateTime(%d) AND kind != 'service' AND (%s)", from.Unix(), to.Unix(), cond)
}

// readBatch reads the posts of one batch of channels posted in [from, to), merged as the
// package comment says, one channelPosts per channel with posts, in channel order.
func readBatch(ctx context.Context, db *store.DB, b job.Batch, cond string, args []any, from, to time.Time) ([]channelPosts, error) {
	bcond, bargs := b.Filter()
	qargs := append(slices.Clone(args), bargs...)
	q := fmt.Sprintf(`SELECT channel_id, post_id, post_key, posted_at, toString(post_type) AS post_type,
    fwd_channel_id != 0 OR fwd_person_hash != '' OR toString(post_type) = 'retweet' AS fwd,
    deleted, views, forwards, replies, reactions,
    if(counters_at > toDateTime(0), counters_at, posted_at) AS read_at, version
FROM %s
WHERE %s AND %s`, db.Table(schema.TablePosts), postsWhere(cond, from, to), bcond)
	msgs := make([]messageRow, 0, b.Rows)
	if err := store.Each(ctx, db, q, func(r *messageRow) error {
		msgs = append(msgs, *r)
		return nil
	}, qargs...); err != nil {
		return nil, err
	}
	if len(msgs) == 0 {
		return nil, nil
	}
	rq := fmt.Sprintf(`SELECT channel_id, post_id,
    argMinIf(views, abs(toInt64(age_s) - %[3]d), target_age_s = %[3]d) AS v24,
    maxIf(toUInt8(1), target_age_s = %[3]d) AS h24,
    max(read_at) AS lr,
    argMax(views, read_at) AS lv, argMax(forwards, read_at) AS lf,
    argMax(replies, read_at) AS lrp, argMax(reactions, read_at) AS lx
FROM %[1]s
WHERE read_at >= toDateTime(%[4]d) AND (%[5]s) AND %[2]s
GROUP BY channel_id, post_id`, db.Table(schema.TablePostCounters), bcond, Age24h, from.Unix(), cond)
	rereads := map[msgKey]rereadRow{}
	if err := store.Each(ctx, db, rq, func(r *rereadRow) error {
		rereads[msgKey{r.ChannelID, r.PostID}] = *r
		return nil
	}, qargs...); err != nil {
		return nil, err
	}
	return mergeMessages(b.Platform, msgs, rereads), nil
}

// mergeMessages turns a batch's message versions (in any order) and their re-reads into
// each channel's posts, as the package comment says.
func mergeMessages(platform string, msgs []messageRow, rereads map[msgKey]rereadRow) []channelPosts {
	slices.SortFunc(msgs, func(a, b messageRow) int {
		return cmp.Or(cmp.Compare(a.ChannelID, b.ChannelID), cmp.Compare(a.PostID, b.PostID), cmp.Compare(a.Version, b.Version))
	})
	var out []channelPosts
	albums := map[uint64]int{} // post_key -> index in the current channel's posts
	var earliest []time.Time   // per post: its earliest message's time, for its type
	for i := 0; i < len(msgs); i++ {
		m := msgs[i]
		if i+1 < len(msgs) && msgs[i+1].ChannelID == m.ChannelID && msgs[i+1].PostID == m.PostID {
			continue // an older version: the latest comes last
		}
		if len(out) == 0 || out[len(out)-1].Key.ChannelID != m.ChannelID {
			out = append(out, channelPosts{Key: job.Key{Platform: platform, ChannelID: m.ChannelID}})
			clear(albums)
			earliest = earliest[:0]
		}
		cp := &out[len(out)-1]
		p := Post{
			ID: m.PostID, At: m.PostedAt.UTC(), Type: m.PostType, Forwarded: m.Forwarded != 0, Deleted: m.Deleted != 0,
			Views: m.Views, Forwards: m.Forwards, Replies: m.Replies, Reactions: m.Reactions, ReadAt: m.ReadAt.UTC(),
		}
		if r, ok := rereads[msgKey{m.ChannelID, m.PostID}]; ok {
			p.Views24, p.Has24 = r.Views24, r.Has24 != 0
			if r.ReadAt.After(m.ReadAt) {
				p.Views, p.Forwards, p.Replies, p.Reactions, p.ReadAt = r.Views, r.Forwards, r.Replies, r.Reactions, r.ReadAt.UTC()
			}
		}
		j, ok := albums[m.PostKey]
		if !ok {
			albums[m.PostKey] = len(cp.Posts)
			cp.Posts = append(cp.Posts, p)
			earliest = append(earliest, p.At)
			continue
		}
		a := &cp.Posts[j]
		if p.At.Before(earliest[j]) {
			a.Type, earliest[j] = p.Type, p.At
		}
		a.ID = min(a.ID, p.ID)
		if p.At.Before(a.At) {
			a.At = p.At
		}
		a.Forwarded = a.Forwarded || p.Forwarded
		a.Deleted = a.Deleted && p.Deleted
		a.Views, a.Forwards = max(a.Views, p.Views), max(a.Forwards, p.Forwards)
		a.Replies, a.Reactions = max(a.Replies, p.Replies), max(a.Reactions, p.Reactions)
		a.Views24, a.Has24 = max(a.Views24, p.Views24), a.Has24 || p.Has24
		if p.ReadAt.After(a.ReadAt) {
			a.ReadAt = p.ReadAt
		}
	}
	for i := range out {
		slices.SortFunc(out[i].Posts, func(a, b Post) int {
			return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.ID, b.ID))
		})
	}
	return out
}
