// Package engagement is the engagement job: per channel in
// scope over a time range, how much it posts (organic and forwarded), how many views a post
// gets, its reach rates ERR and ERR24, its engagement rate ER, and CrowdTangle's
// overperformance score of every post against the channel's own recent posts of the same
// type. One row per post with its latest counters (and its views at 24 h of age) is built
// in ClickHouse; the rates are computed in Go with analysis/stats.
package engagement

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/stats"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// Name is the job's name in runs (analyze:engagement) and on the command line.
const Name = "engagement"

// Defaults of Options.
const (
	DefaultThreshold      = 2.0
	DefaultHistory        = 90 * 24 * time.Hour
	DefaultMaxSnapshotAge = 30 * 24 * time.Hour
	// TopN is how many of the highest-scoring posts a Summary lists.
	TopN = 10
)

// Row statuses, as stored in engagement_channels.status.
const (
	StatusOK      = "ok"
	StatusSkipped = "skipped"
)

// Ages at which a post's views are compared (engagement_posts.basis).
const (
	Basis24h    = "24h"    // views read at 24 h of age (post_counters target_age_s = 86400)
	BasisLatest = "latest" // the latest views: used only when the channel has no 24 h reads
)

// Age24h is the scheduled read age whose views ERR24 and overperformance use.
const Age24h = 86400

// Options of an engagement run.
type Options struct {
	Params job.Params
	Meta   job.Meta
	// Threshold is the overperformance score from which a post counts as overperforming
	// (and, negated, underperforming). At least 1. Default DefaultThreshold.
	Threshold float64
	// History is how far before the range posts are read as the benchmark of the first
	// posts in the range (they are neither scored nor counted). Default DefaultHistory.
	History time.Duration
	// MaxSnapshotAge is how old, before the range end, the latest subscriber count may be
	// for ERR; a channel whose latest count is older is skipped. Default
	// DefaultMaxSnapshotAge.
	MaxSnapshotAge time.Duration
	// Progress, when set, is called after each channel with the count so far.
	Progress func(channels int)
}

// TopPost is a highly scored post, as a Summary lists it.
type TopPost struct {
	Platform  string
	ChannelID uint64
	PostID    uint64
	PostedAt  time.Time
	Score     float64
}

// Summary is what a run did.
type Summary struct {
	RunID          string
	Status         string
	Channels       int // channel rows written
	OK             int // channels with an ERR
	Skipped        int
	Posts          int // posts in the range (deleted included)
	Scored         int // posts with an overperformance score
	Overperforming int // scored posts with score >= Threshold
	// Top is the highest-scoring posts, at most TopN, highest first.
	Top     []TopPost
	Reasons []string // why the whole run was skipped
}

// postRow is one post as ClickHouse aggregates it: an album once, its latest counters, its
// views at 24 h of age where read.
type postRow struct {
	Platform  string    `ch:"platform"`
	ChannelID uint64    `ch:"channel_id"`
	PostID    uint64    `ch:"pid"`
	PostedAt  time.Time `ch:"posted_at"`
	PostType  string    `ch:"post_type"`
	Forwarded uint8     `ch:"forwarded"`
	Deleted   uint8     `ch:"deleted"`
	Views     uint64    `ch:"views"`
	Forwards  uint64    `ch:"forwards"`
	Replies   uint64    `ch:"replies"`
	Reactions uint64    `ch:"reactions"`
	Views24   uint64    `ch:"views24"`
	Has24     uint8     `ch:"has24"`
	ReadAt    time.Time `ch:"read_at"`
}

type subsRow struct {
	Platform  string    `ch:"platform"`
	ChannelID uint64    `ch:"channel_id"`
	Subs      uint64    `ch:"subs"`
	At        time.Time `ch:"at"`
}

// Subs is a channel's subscriber count and when it was read; a zero At is no count.
type Subs struct {
	Count float64
	At    time.Time
}

// Run computes the engagement figures of every channel in scope over the range and writes
// them, keyed by a new run, to engagement_channels and engagement_posts. A channel gets a
// row when it has posts or a snapshot in the range, or is named by the scope. A bad
// parameter is a job.ParamError and nothing is written.
func Run(ctx context.Context, db *store.DB, o Options) (Summary, error) {
	if err := o.Check(); err != nil {
		return Summary{}, err
	}
	scope, err := job.Resolve(ctx, db, o.Params.Scope)
	if err != nil {
		return Summary{}, err
	}
	run, err := job.Start(ctx, db, Name, o.Params, []string{schema.TablePosts, schema.TablePostCounters, schema.TableChannelSnapshots}, o.Meta)
	if err != nil {
		return Summary{}, err
	}
	sum := Summary{RunID: run.ID}
	counts, werr := compute(ctx, db, o, scope, run.ID, &sum)
	skip := ""
	if sum.Channels == 0 {
		skip = "no posts or snapshots of channels in scope in the range"
	}
	sum.Status, sum.Reasons, err = run.End(ctx, werr, skip, counts)
	return sum, err
}

// subscribers reads, per channel in scope, the latest non-zero subscriber count at or
// before the range end.
func subscribers(ctx context.Context, db *store.DB, o Options, scope job.Channels) (map[job.Key]Subs, error) {
	cond, args := scope.Filter()
	q := fmt.Sprintf(`SELECT platform, channel_id, argMax(subscribers, snapshot_at) AS subs, max(snapshot_at) AS at
FROM %s
WHERE snapshot_at <= toDateTime(%d) AND subscribers > 0 AND (%s)
GROUP BY platform, channel_id`, db.Table(schema.TableChannelSnapshots), o.Params.To.Unix(), cond)
	out := map[job.Key]Subs{}
	err := store.Each(ctx, db, q, func(r *subsRow) error {
		out[job.Key{Platform: r.Platform, ChannelID: r.ChannelID}] = Subs{Count: float64(r.Subs), At: r.At.UTC()}
		return nil
	}, args...)
	return out, err
}

// daySubs is a channel's audience at the end of a day: its last snapshot that day.
type daySubs struct {
	Platform  string    `ch:"platform"`
	ChannelID uint64    `ch:"channel_id"`
	At        time.Time `ch:"at"`
	Subs      uint64    `ch:"subs"`
}

// audiences reads each channel's daily audience (the day's last snapshot) over the ERR
// window, for the audience each post was posted to.
func audiences(ctx context.Context, db *store.DB, o Options, scope job.Channels) (map[job.Key][]daySubs, error) {
	cond, args := scope.Filter()
	from := o.Params.To.Add(-stats.EngagementWindow - 7*24*time.Hour)
	q := job.DailyAudienceQuery(db, cond, from, o.Params.To)
	out := map[job.Key][]daySubs{}
	err := store.Each(ctx, db, q, func(r *daySubs) error {
		k := job.Key{Platform: r.Platform, ChannelID: r.ChannelID}
		r.At = r.At.UTC()
		out[k] = append(out[k], *r)
		return nil
	}, args...)
	return out, err
}

// audienceAt sets each post's Audience: the last daily audience read at or before it was
// posted, or the first read after it on the same day; 0 (unknown) otherwise.
func audienceAt(ps []Post, series []daySubs) {
	for i := range ps {
		j, _ := slices.BinarySearchFunc(series, ps[i].At, func(d daySubs, t time.Time) int { return d.At.Compare(t) })
		switch {
		case j < len(series) && series[j].At.Equal(ps[i].At):
			ps[i].Audience = float64(series[j].Subs)
		case j > 0:
			ps[i].Audience = float64(series[j-1].Subs)
		case j < len(series) && series[j].At.Sub(ps[i].At) < 24*time.Hour:
			ps[i].Audience = float64(series[j].Subs)
		}
	}
}

// postsQuery is one row per post of the channels in scope posted in [from, to): service
// messages left out, an album's messages merged into one post (its first message's id and
// time, the type of its earliest message, the largest of its counters, deleted only when
// all of them are), each message's latest version (argMax by version), and the views of
// the read closest to 24 h of age among those scheduled at 24 h (has24 = 0 when there is
// none). A post's counters are the later of its row in posts (the counters when its
// history page was read) and its latest re-read in post_counters. Ordered by channel, then
// time. One JOIN per SELECT: 18.16 takes no more.
func postsQuery(db *store.DB, cond string, from, to time.Time) string {
	return fmt.Sprintf(`SELECT platform, channel_id, min(post_id) AS pid, min(at) AS posted_at,
    argMin(ptype, at) AS post_type, max(fwd) AS forwarded, min(del) AS deleted,
    max(if(lr > vat, lv, v)) AS views, max(if(lr > vat, lf, f)) AS forwards,
    max(if(lr > vat, lrp, r)) AS replies, max(if(lr > vat, lx, x)) AS reactions,
    max(v24) AS views24, max(h24) AS has24, max(if(lr > vat, lr, vat)) AS read_at
FROM
(
    SELECT platform, channel_id, post_id,
        argMax(post_key, version) AS pkey,
        argMax(posted_at, version) AS at,
        argMax(toString(post_type), version) AS ptype,
        argMax(fwd_channel_id != 0 OR fwd_person_hash != '' OR toString(post_type) = 'retweet', version) AS fwd,
        argMax(deleted, version) AS del,
        argMax(views, version) AS v,
        argMax(forwards, version) AS f,
        argMax(replies, version) AS r,
        argMax(reactions, version) AS x,
        argMax(if(counters_at > toDateTime(0), counters_at, posted_at), version) AS vat
    FROM %[1]s
    WHERE posted_at >= toDateTime(%[3]d) AND posted_at < toDateTime(%[4]d) AND kind != 'service' AND (%[5]s)
    GROUP BY platform, channel_id, post_id
)
ALL LEFT JOIN
(
    SELECT platform, channel_id, post_id,
        argMinIf(views, abs(toInt64(age_s) - %[6]d), target_age_s = %[6]d) AS v24,
        maxIf(toUInt8(1), target_age_s = %[6]d) AS h24,
        max(read_at) AS lr,
        argMax(views, read_at) AS lv,
        argMax(forwards, read_at) AS lf,
        argMax(replies, read_at) AS lrp,
        argMax(reactions, read_at) AS lx
    FROM %[2]s
    WHERE read_at >= toDateTime(%[3]d) AND (%[5]s)
    GROUP BY platform, channel_id, post_id
) USING (platform, channel_id, post_id)
GROUP BY platform, channel_id, pkey
ORDER BY platform, channel_id, posted_at, pid`,
		db.Table(schema.TablePosts), db.Table(schema.TablePostCounters), from.Unix(), to.Unix(), cond, Age24h)
}

func compute(ctx context.Context, db *store.DB, o Options, scope job.Channels, runID string, sum *Summary) (map[string]uint64, error) {
	subs, err := subscribers(ctx, db, o, scope)
	if err != nil {
		return nil, err
	}
	series, err := audiences(ctx, db, o, scope)
	if err != nil {
		return nil, err
	}
	wopts := o.Meta.Writer
	chans, err := store.NewWriter[schema.EngagementChannel](db, schema.TableEngagementChannels, wopts)
	if err != nil {
		return nil, err
	}
	posts, err := store.NewWriter[schema.EngagementPost](db, schema.TableEngagementPosts, wopts)
	if err != nil {
		return nil, errors.Join(err, chans.Close(ctx))
	}
	done := map[job.Key]bool{}
	write := func(k job.Key, ps []Post) error {
		audienceAt(ps, series[k])
		ec, eps := Channel(k, ps, subs[k], o)
		ec.RunID = runID
		done[k] = true
		sum.Channels++
		if ec.Status == StatusOK {
			sum.OK++
		} else {
			sum.Skipped++
		}
		sum.Posts += int(ec.Posts)
		sum.Scored += int(ec.ScoredPosts)
		sum.Overperforming += int(ec.Overperforming)
		if err := chans.Write(ctx, ec); err != nil {
			return err
		}
		for i := range eps {
			eps[i].RunID = runID
			if err := posts.Write(ctx, eps[i]); err != nil {
				return err
			}
			sum.Top = addTop(sum.Top, TopPost{Platform: k.Platform, ChannelID: k.ChannelID, PostID: eps[i].PostID, PostedAt: eps[i].PostedAt, Score: eps[i].Score})
		}
		if o.Progress != nil {
			o.Progress(sum.Channels)
		}
		return nil
	}

	cond, args := scope.Filter()
	q := postsQuery(db, cond, o.Params.From.Add(-o.History), o.Params.To)
	var (
		cur job.Key
		buf []Post
	)
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		err := write(cur, buf)
		buf = buf[:0]
		return err
	}
	err = store.Each(ctx, db, q, func(r *postRow) error {
		k := job.Key{Platform: r.Platform, ChannelID: r.ChannelID}
		if k != cur {
			if err := flush(); err != nil {
				return err
			}
			cur = k
		}
		buf = append(buf, Post{
			ID: r.PostID, At: r.PostedAt.UTC(), Type: r.PostType, Forwarded: r.Forwarded != 0, Deleted: r.Deleted != 0,
			Views: r.Views, Forwards: r.Forwards, Replies: r.Replies, Reactions: r.Reactions, Views24: r.Views24, Has24: r.Has24 != 0,
			ReadAt: r.ReadAt.UTC(),
		})
		return nil
	}, append(slices.Clone(args), args...)...)
	if err == nil {
		err = flush()
	}
	// Channels without posts in the range: those named by the scope, and those with a
	// snapshot in the range, are recorded as skipped.
	if err == nil {
		var rest []job.Key
		if !scope.All {
			rest = append(rest, scope.Keys...)
		}
		for k, s := range subs {
			if !s.At.Before(o.Params.From) {
				rest = append(rest, k)
			}
		}
		slices.SortFunc(rest, func(a, b job.Key) int {
			return cmp.Or(cmp.Compare(a.Platform, b.Platform), cmp.Compare(a.ChannelID, b.ChannelID))
		})
		for _, k := range slices.Compact(rest) {
			if done[k] {
				continue
			}
			if err = write(k, nil); err != nil {
				break
			}
		}
	}
	cerr := errors.Join(chans.Close(ctx), posts.Close(ctx))
	counts := map[string]uint64{
		"channels": uint64(sum.Channels), "ok": uint64(sum.OK), "skipped": uint64(sum.Skipped),
		"posts": uint64(sum.Posts), "scored": uint64(sum.Scored), "overperforming": uint64(sum.Overperforming),
	}
	return counts, errors.Join(err, cerr)
}

// addTop inserts p into top (highest score first), keeping at most TopN.
func addTop(top []TopPost, p TopPost) []TopPost {
	if math.IsNaN(p.Score) || (len(top) == TopN && p.Score <= top[len(top)-1].Score) {
		return top
	}
	i, _ := slices.BinarySearchFunc(top, p.Score, func(t TopPost, s float64) int { return cmp.Compare(s, t.Score) })
	// i is the first entry with a score below p's: p goes after the equal ones.
	for i < len(top) && top[i].Score >= p.Score {
		i++
	}
	top = slices.Insert(top, i, p)
	if len(top) > TopN {
		top = top[:TopN]
	}
	return top
}

// Check fills in the defaults and checks the options; a bad one is a job.ParamError. Run
// calls it; a caller running several jobs calls it first for all of them.
func (o *Options) Check() error {
	if err := o.Params.Validate(); err != nil {
		return err
	}
	if o.Threshold == 0 {
		o.Threshold = DefaultThreshold
	}
	if o.History == 0 {
		o.History = DefaultHistory
	}
	if o.MaxSnapshotAge == 0 {
		o.MaxSnapshotAge = DefaultMaxSnapshotAge
	}
	switch {
	case !(o.Threshold >= 1) || math.IsInf(o.Threshold, 1):
		return &job.ParamError{Param: "--threshold", Msg: fmt.Sprintf("%g: scores never fall in (-1, 1); want at least 1", o.Threshold)}
	case o.History < 0:
		return &job.ParamError{Param: "--history", Msg: fmt.Sprintf("%v: negative", o.History)}
	case o.MaxSnapshotAge < 0:
		return &job.ParamError{Param: "--max-snapshot-age", Msg: fmt.Sprintf("%v: negative", o.MaxSnapshotAge)}
	}
	return nil
}
