// Package engagement is the engagement job: per channel in
// scope over a time range, how much it posts (organic and forwarded), how many views a post
// gets, its reach rates ERR and ERR24, its engagement rate ER, and CrowdTangle's
// overperformance score of every post against the channel's own recent posts of the same
// type. Posts are read a batch of channels at a time and merged in Go (read.go); the rates
// are computed with analysis/stats.
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
	// BatchRows is how many stored post rows are read at a time (channels are never
	// split). Default job.DefaultBatchRows.
	BatchRows uint64
	// Workers is how many channels are scored at once. Default GOMAXPROCS.
	Workers int
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
	var sum Summary
	var err error
	sum.Status, sum.Reasons, err = job.Execute(ctx, db, Name, o.Params, []string{schema.TablePosts, schema.TablePostCounters, schema.TableChannelSnapshots}, o.Meta,
		func(scope job.Channels, runID string) (map[string]uint64, string, error) {
			sum.RunID = runID
			counts, err := compute(ctx, db, o, scope, runID, &sum)
			skip := ""
			if sum.Channels == 0 {
				skip = "no posts or snapshots of channels in scope in the range"
			}
			return counts, skip, err
		})
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
	write := func(k job.Key, ec schema.EngagementChannel, eps []schema.EngagementPost) error {
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
	from := o.Params.From.Add(-o.History)
	batches, err := job.Batches(ctx, db, schema.TablePosts, postsWhere(cond, from, o.Params.To), o.BatchRows, args...)
	if err == nil {
		type result struct {
			k   job.Key
			ec  schema.EngagementChannel
			eps []schema.EngagementPost
		}
		err = job.Pipeline(ctx, o.Workers, func(ctx context.Context, emit func(channelPosts) error) error {
			for _, b := range batches {
				cps, err := readBatch(ctx, db, b, cond, args, from, o.Params.To)
				if err != nil {
					return err
				}
				for _, cp := range cps {
					if err := emit(cp); err != nil {
						return err
					}
				}
			}
			return nil
		}, func(cp channelPosts) result {
			audienceAt(cp.Posts, series[cp.Key])
			ec, eps := Channel(cp.Key, cp.Posts, subs[cp.Key], o)
			return result{cp.Key, ec, eps}
		}, func(r result) error { return write(r.k, r.ec, r.eps) })
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
			ec, eps := Channel(k, nil, subs[k], o)
			if err = write(k, ec, eps); err != nil {
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
