// Package migration is the migration job: where channels' links and activity go around
// registry events. It computes every channel's, community's and platform's weekly outlink
// shares by destination platform; for every registry event in the range, the activity and
// link mix of each community and platform in a pre and a post window (posts, organic and
// forwarded apart, new channels and their lifetimes, as the Europol Action Day studies
// report them) with the Jensen-Shannon shift of the mix; interrupted time series of the
// daily link share of the event's platform and of the daily posts, with Newey-West errors
// and a placebo pre-trend check; and, for every event listing suspended accounts, a
// difference in differences of the audience of the channels whose accounts they were
// against matched channels, with errors clustered by channel.
package migration

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/takedowns"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// Name is the job's name in runs (analyze:migration) and on the command line.
const Name = "migration"

// Levels of aggregation (the level column).
const (
	LevelChannel   = "channel"
	LevelCommunity = "community"
	LevelPlatform  = "platform"
)

// Outcomes of the interrupted time series and the difference in differences.
const (
	OutcomeLinkShare      = "link_share"
	OutcomePosts          = "posts"
	OutcomeForwarded      = "forwarded"
	OutcomeLogSubscribers = "log_subscribers"
)

// Row statuses.
const (
	StatusOK      = "ok"
	StatusSkipped = "skipped"
)

// Defaults and thresholds.
const (
	DefaultWindow  = 30 * 24 * time.Hour
	DefaultWashout = 7 * 24 * time.Hour
	// MinWindowDays is the shortest pre or post window, in days, an event is measured with.
	MinWindowDays = 7
	// MinDailyLinks is the fewest links a day needs to enter the link-share series.
	MinDailyLinks = 5
	// MinWindowLinks is the fewest links each window needs for a link mix and its shift.
	MinWindowLinks = 20
	// Matches is how many untreated channels each treated channel is matched with.
	Matches = 3
	// Resamples is the number of bootstrap resamples of the Jensen-Shannon interval.
	Resamples = 200
	// MinUnitDays is the fewest days of audience a channel needs in each window of a
	// difference in differences.
	MinUnitDays = 3
)

// DefaultBatchRows is how many post_links rows a batch of channels holds at most.
const DefaultBatchRows = 2_000_000

// Options of a migration run.
type Options struct {
	Params job.Params
	Meta   job.Meta
	// Events selects the registry events measured (default: every kind, origins registry
	// and import).
	Events job.EventFilter
	// Window is the length of the pre and post windows (default DefaultWindow); Washout is
	// the time after an event left out before the post window starts (default
	// DefaultWashout; NoWashout for none).
	Window, Washout time.Duration
	NoWashout       bool
	// BatchRows bounds the post_links rows of one batch of channels (default
	// DefaultBatchRows).
	BatchRows uint64
}

// Summary is what a run did.
type Summary struct {
	RunID     string
	Status    string
	Reasons   []string
	Channels  int // channels with links in the range
	ShareRows int // migration_shares rows written
	Windows   []schema.MigrationWindow
	// WindowShares are the windows' link mixes by destination.
	WindowShares []schema.MigrationWindowShare
	ITS          []schema.MigrationITS
	DiD          []schema.MigrationDiD
}

// Check fills in the defaults and checks the options; a bad one is a job.ParamError.
func (o *Options) Check() error {
	if err := o.Params.Validate(); err != nil {
		return err
	}
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.Washout == 0 && !o.NoWashout {
		o.Washout = DefaultWashout
	}
	if o.BatchRows == 0 {
		o.BatchRows = DefaultBatchRows
	}
	switch {
	case o.Window < MinWindowDays*24*time.Hour || o.Window%(24*time.Hour) != 0:
		return &job.ParamError{Param: "--impact-window", Msg: fmt.Sprintf("%v: want whole days, at least %d", o.Window, MinWindowDays)}
	case o.Washout < 0 || o.Washout%(24*time.Hour) != 0:
		return &job.ParamError{Param: "--washout", Msg: fmt.Sprintf("%v: want whole days, zero or more", o.Washout)}
	}
	return o.Events.Check()
}

// Run computes the outlink shares, the event windows, the time series and the differences
// in differences of the channels in scope over the range and writes them, keyed by a new
// run, to migration_shares, migration_windows, migration_its, migration_did and
// migration_did_units.
func Run(ctx context.Context, db *store.DB, o Options) (Summary, error) {
	if err := o.Check(); err != nil {
		return Summary{}, err
	}
	var sum Summary
	var err error
	inputs := []string{schema.TablePostLinks, schema.TablePosts, schema.TableChannelSnapshots, schema.TableChannels,
		schema.TableChannelEvents, schema.TableEvents, schema.TableAccountLinks, schema.TableCommunities}
	sum.Status, sum.Reasons, err = job.Execute(ctx, db, Name, o.Params, inputs, o.Meta,
		func(scope job.Channels, runID string) (map[string]uint64, string, error) {
			sum.RunID = runID
			werr := compute(ctx, db, o, scope, runID, &sum)
			skip := ""
			if werr == nil && sum.Channels == 0 {
				skip = "no channel in scope has an outbound link in the range"
			}
			counts := map[string]uint64{"channels": uint64(sum.Channels), "shares": uint64(sum.ShareRows),
				"windows": uint64(len(sum.Windows)), "its": uint64(len(sum.ITS)), "did": uint64(len(sum.DiD))}
			return counts, skip, werr
		})
	return sum, err
}

// units names the units a channel counts toward: its platform, and its communities.
type units struct {
	members map[job.Key][]string
}

func (u units) of(k job.Key) (platform string, communities []string) {
	return k.Platform, u.members[k]
}

func channelUnit(k job.Key) string { return k.Platform + ":" + strconv.FormatUint(k.ChannelID, 10) }

func compute(ctx context.Context, db *store.DB, o Options, scope job.Channels, runID string, sum *Summary) error {
	members, err := job.Memberships(ctx, db)
	if err != nil {
		return err
	}
	u := units{members: members}
	cond, args := scope.Filter()
	batches, err := job.Batches(ctx, db, schema.TablePostLinks, cond, o.BatchRows, args...)
	if err != nil {
		return err
	}
	rows, known, err := writeShares(ctx, db, o, batches, u, runID)
	if err != nil {
		return err
	}
	sum.Channels, sum.ShareRows = len(known), rows
	if len(known) == 0 {
		return nil
	}
	events, err := job.Events(ctx, db, o.Params.From, o.Params.To)
	if err != nil {
		return err
	}
	events = o.Events.Apply(events)
	if len(events) == 0 {
		return nil
	}
	lifetimes, err := takedowns.Lifetimes(ctx, db, scope, o.Params.From, o.Params.To)
	if err != nil {
		return err
	}
	wins := make([]window, len(events))
	for i, e := range events {
		wins[i] = windowsOf(e.EventAt, o)
	}
	results, err := measureEvents(ctx, db, batches, u, events, wins, lifetimes, known)
	if err != nil {
		return err
	}
	for i, e := range events {
		win := wins[i]
		ws, shares, its := results[i].windows, results[i].shares, results[i].its
		for i := range ws {
			ws[i].RunID = runID
		}
		for i := range shares {
			shares[i].RunID = runID
		}
		sum.WindowShares = append(sum.WindowShares, shares...)
		for i := range its {
			its[i].RunID = runID
		}
		sum.Windows = append(sum.Windows, ws...)
		sum.ITS = append(sum.ITS, its...)
		if e.TargetKind == "account" && len(e.Targets) > 0 {
			d, dus, err := diffInDiff(ctx, db, cond, args, e, win)
			if err != nil {
				return fmt.Errorf("event %s: %w", e.EventID, err)
			}
			d.RunID = runID
			for i := range dus {
				dus[i].RunID = runID
			}
			sum.DiD = append(sum.DiD, d)
			if err := store.WriteAll(ctx, db, schema.TableMigrationDiDUnits, o.Meta.Writer, dus...); err != nil {
				return err
			}
		}
	}
	if err := store.WriteAll(ctx, db, schema.TableMigrationWindows, o.Meta.Writer, sum.Windows...); err != nil {
		return err
	}
	if err := store.WriteAll(ctx, db, schema.TableMigrationWindowShares, o.Meta.Writer, sum.WindowShares...); err != nil {
		return err
	}
	if err := store.WriteAll(ctx, db, schema.TableMigrationITS, o.Meta.Writer, sum.ITS...); err != nil {
		return err
	}
	return store.WriteAll(ctx, db, schema.TableMigrationDiD, o.Meta.Writer, sum.DiD...)
}

// window is an event's pre and post windows, whole days clipped to the range.
type window struct {
	at                               time.Time
	preFrom, preTo, postFrom, postTo time.Time
	reason                           string // why the event cannot be measured, if it cannot
}

const day = 24 * time.Hour

func windowsOf(at time.Time, o Options) window {
	at = at.UTC()
	d0 := at.Truncate(day)
	d1 := d0
	if d1.Before(at) {
		d1 = d1.Add(day)
	}
	from, to := o.Params.From.UTC(), o.Params.To.UTC()
	if f := from.Truncate(day); f.Before(from) {
		from = f.Add(day)
	}
	to = to.Truncate(day)
	w := window{at: at, preFrom: d0.Add(-o.Window), preTo: d0, postFrom: d1.Add(o.Washout)}
	w.postTo = w.postFrom.Add(o.Window)
	if w.preFrom.Before(from) {
		w.preFrom = from
	}
	if w.postTo.After(to) {
		w.postTo = to
	}
	pre, post := w.preTo.Sub(w.preFrom)/day, w.postTo.Sub(w.postFrom)/day
	if pre < MinWindowDays || post < MinWindowDays {
		w.reason = fmt.Sprintf("the range leaves %d days before the event and %d after the washout; each window needs %d", max(pre, 0), max(post, 0), MinWindowDays)
	}
	return w
}

// pct is 100 (post - pre) / pre, NaN when pre is 0.
func pct(pre, post uint64) float64 {
	if pre == 0 {
		return math.NaN()
	}
	return 100 * (float64(post) - float64(pre)) / float64(pre)
}

// concerned says whether event e concerns a community (level community) or a platform.
func concerned(e schema.Event, level, unit string, memberIDs []job.Key) bool {
	if level == LevelPlatform {
		return true
	}
	switch {
	case e.TargetKind == "community":
		return slices.Contains(e.Targets, unit)
	case e.TargetKind == "channel" || len(e.TargetChannelIDs) > 0:
		for _, k := range memberIDs {
			if job.Applies(e, k, nil) {
				return true
			}
		}
		return false
	}
	return true
}

// linkFilter is the condition on post_links rows counted as a post's own links.
const linkFilter = "link_kind IN ('url', 'invite') AND source_kind NOT IN ('about', 'pinned')"

// ownLinksQuery counts, per channel, day or week and destination, the own links of the
// posts of [from, to) of the channels cond keeps; forwarded posts' links are left out.
func ownLinksQuery(db *store.DB, bucket, cond string, from, to time.Time) string {
	return fmt.Sprintf(`SELECT platform, channel_id, %[1]s(posted_at) AS bucket, toString(dest_platform) AS destination, uniqExact(post_id, url) AS links
FROM %[2]s
WHERE posted_at >= toDateTime(%[3]d) AND posted_at < toDateTime(%[4]d) AND %[5]s AND (%[6]s)
  AND %[7]s
GROUP BY platform, channel_id, bucket, destination`, bucket, db.Table(schema.TablePostLinks), from.Unix(), to.Unix(), linkFilter, cond, job.NotForwarded(db, cond, from, to))
}

type linkRow struct {
	Platform    string    `ch:"platform"`
	ChannelID   uint64    `ch:"channel_id"`
	Bucket      time.Time `ch:"bucket"`
	Destination string    `ch:"destination"`
	Links       uint64    `ch:"links"`
}

// eachLinks reads the own links of every batch's channels, by bucket ("toMonday",
// "toDate") and destination. A batch's condition appears twice in ownLinksQuery, and so
// do its arguments.
func eachLinks(ctx context.Context, db *store.DB, batches []job.Batch, bucket string, from, to time.Time, fn func(*linkRow) error) error {
	for _, b := range batches {
		cond, args := b.Filter()
		if err := store.Each(ctx, db, ownLinksQuery(db, bucket, cond, from, to), fn, append(slices.Clone(args), args...)...); err != nil {
			return err
		}
	}
	return nil
}

// shareKey is one unit's week.
type shareKey struct {
	level, unit string
	week        time.Time
}

// writeShares writes the weekly outlink shares of every channel, community and platform,
// and returns the rows written and the channels with links, in the order first read.
func writeShares(ctx context.Context, db *store.DB, o Options, batches []job.Batch, u units, runID string) (rows int, known []job.Key, err error) {
	w, err := store.NewWriter[schema.MigrationShare](db, schema.TableMigrationShares, o.Meta.Writer)
	if err != nil {
		return 0, nil, err
	}
	seenKey := map[job.Key]bool{}
	groups := map[shareKey]map[string]uint64{}
	add := func(k shareKey, dest string, n uint64) {
		m := groups[k]
		if m == nil {
			m = map[string]uint64{}
			groups[k] = m
		}
		m[dest] += n
	}
	// Channels' weeks are gathered and written a batch at a time; communities' and
	// platforms' at the end.
	for _, b := range batches {
		chans := map[shareKey]map[string]uint64{}
		err = eachLinks(ctx, db, []job.Batch{b}, "toMonday", o.Params.From, o.Params.To, func(r *linkRow) error {
			k := job.Key{Platform: r.Platform, ChannelID: r.ChannelID}
			if !seenKey[k] {
				seenKey[k] = true
				known = append(known, k)
			}
			wk := r.Bucket.UTC()
			ck := shareKey{LevelChannel, channelUnit(k), wk}
			m := chans[ck]
			if m == nil {
				m = map[string]uint64{}
				chans[ck] = m
			}
			m[r.Destination] += r.Links
			plat, coms := u.of(k)
			add(shareKey{LevelPlatform, plat, wk}, r.Destination, r.Links)
			for _, c := range coms {
				add(shareKey{LevelCommunity, c, wk}, r.Destination, r.Links)
			}
			return nil
		})
		if err != nil {
			break
		}
		var n int
		if n, err = writeGroups(ctx, w, runID, chans); err != nil {
			break
		}
		rows += n
	}
	if err == nil {
		var n int
		n, err = writeGroups(ctx, w, runID, groups)
		rows += n
	}
	if cerr := w.Close(ctx); err == nil {
		err = cerr
	}
	return rows, known, err
}

func writeGroups(ctx context.Context, w *store.Writer[schema.MigrationShare], runID string, groups map[shareKey]map[string]uint64) (int, error) {
	keys := make([]shareKey, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b shareKey) int {
		return cmp.Or(strings.Compare(a.level, b.level), strings.Compare(a.unit, b.unit), a.week.Compare(b.week))
	})
	n := 0
	for _, k := range keys {
		m := groups[k]
		total := uint64(0)
		for _, v := range m {
			total += v
		}
		dests := make([]string, 0, len(m))
		for d := range m {
			dests = append(dests, d)
		}
		slices.Sort(dests)
		for _, d := range dests {
			if err := w.Write(ctx, schema.MigrationShare{RunID: runID, Level: k.level, Unit: k.unit, Week: k.week, Destination: d,
				Links: m[d], WeekLinks: total, Share: float64(m[d]) / float64(total)}); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}
