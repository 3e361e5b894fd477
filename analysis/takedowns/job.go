// Package takedowns is the takedowns job: how long channels stay in public view. Every
// channel in scope gets a lifetime from its origin (its creation, else when it was first
// seen) to when it went private, was banned or deleted, censored while it is still
// public, observed from when it was first seen (delayed entry); Kaplan-Meier curves with
// Greenwood intervals and the median lifetime with its interval are computed for all
// channels and, for every registry event in the range, for the channels created before it
// and after it (stats.KaplanMeier). Candidate reincarnations pair a channel that left
// public view with one created soon after whose title or handle is alike, scored with the
// overlap of their forward sources (respawn.go).
package takedowns

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/stats"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// Name is the job's name in runs (analyze:takedowns) and on the command line.
const Name = "takedowns"

// Row statuses.
const (
	StatusOK      = "ok"
	StatusSkipped = "skipped"
)

// Origins of a lifetime (takedowns_lifetimes.origin).
const (
	OriginCreated   = "created"
	OriginFirstSeen = "first_seen"
)

// EndStatus is takedowns_lifetimes.end_kind for a channel stored as gone with no event
// saying when (an imported account): it ends at its last sighting.
const EndStatus = "status"

// CohortAll is the cohort of every channel.
const CohortAll = "all"

// MinCohort is the fewest channels a cohort needs for a curve.
const MinCohort = 5

// Options of a takedowns run.
type Options struct {
	Params job.Params
	Meta   job.Meta
	// Events selects the registry events that split channels into cohorts (default: every
	// kind, origins registry and import).
	Events job.EventFilter
	// RespawnWindow is how long after a channel left public view a successor may be created.
	// Default DefaultRespawnWindow.
	RespawnWindow time.Duration
	// RespawnScore is the lowest score of a stored candidate reincarnation, in (0, 1].
	// Default DefaultRespawnScore.
	RespawnScore float64
}

// Cohort is one cohort's result, as a Summary lists it.
type Cohort struct {
	Name                       string
	EventID                    string
	EventAt                    time.Time
	Channels, Ended            int
	Median, MedianLo, MedianHi float64 // days; NaN when not reached
	Status, Reason             string
}

// Summary is what a run did.
type Summary struct {
	RunID    string
	Status   string
	Channels int // lifetime rows written
	Entered  int // channels in the estimate
	Ended    int // of those, channels that left public view
	Cohorts  []Cohort
	// Respawns are the candidate reincarnations found, highest score first.
	Respawns []schema.TakedownRespawn
	Reasons  []string
}

// Check fills in the defaults and checks the options; a bad one is a job.ParamError.
func (o *Options) Check() error {
	if err := o.Params.Validate(); err != nil {
		return err
	}
	if o.RespawnWindow == 0 {
		o.RespawnWindow = DefaultRespawnWindow
	}
	if o.RespawnScore == 0 {
		o.RespawnScore = DefaultRespawnScore
	}
	switch {
	case o.RespawnWindow < 0:
		return &job.ParamError{Param: "--respawn-window", Msg: fmt.Sprintf("%v: negative", o.RespawnWindow)}
	case !(o.RespawnScore > 0 && o.RespawnScore <= 1):
		return &job.ParamError{Param: "--respawn-score", Msg: fmt.Sprintf("%g: want a score in (0, 1]", o.RespawnScore)}
	}
	return o.Events.Check()
}

// Run computes the lifetimes and survival curves of the channels in scope over the range
// and writes them, keyed by a new run, to takedowns_lifetimes, takedowns_cohorts and
// takedowns_survival.
func Run(ctx context.Context, db *store.DB, o Options) (Summary, error) {
	if err := o.Check(); err != nil {
		return Summary{}, err
	}
	var sum Summary
	var err error
	sum.Status, sum.Reasons, err = job.Execute(ctx, db, Name, o.Params, []string{schema.TableChannels, schema.TableChannelEvents, schema.TableEvents}, o.Meta,
		func(scope job.Channels, runID string) (map[string]uint64, string, error) {
			sum.RunID = runID
			werr := compute(ctx, db, o, scope, runID, &sum)
			skip := ""
			if werr == nil && sum.Entered == 0 {
				skip = "no channel in scope was seen before the range end and still public at its start"
			}
			counts := map[string]uint64{"channels": uint64(sum.Channels), "entered": uint64(sum.Entered), "ended": uint64(sum.Ended),
				"cohorts": uint64(len(sum.Cohorts)), "respawns": uint64(len(sum.Respawns))}
			return counts, skip, werr
		})
	return sum, err
}

type channelRow struct {
	Platform  string    `ch:"platform"`
	ChannelID uint64    `ch:"channel_id"`
	Created   time.Time `ch:"created_at"`
	FirstSeen time.Time `ch:"first_seen_at"`
	LastSeen  time.Time `ch:"last_seen_at"`
	Status    string    `ch:"status"`
	Title     string    `ch:"title"`
	Username  string    `ch:"username"`
	Subs      uint64    `ch:"subscribers"`
}

type sourcesRow struct {
	Platform  string   `ch:"platform"`
	ChannelID uint64   `ch:"channel_id"`
	Sources   []uint64 `ch:"sources"`
}

type goneRow struct {
	Platform  string    `ch:"platform"`
	ChannelID uint64    `ch:"channel_id"`
	At        time.Time `ch:"gone_at"`
	Kind      string    `ch:"gone_kind"`
}

// lifetime is one channel's lifetime as the job computes it from its stored channel row
// and its first disappearance event (a zero goneAt: none), for the range [from, to). ok
// is false when the channel is outside the range (first seen at or after to, gone or last
// seen before from, never seen).
func lifetime(c channelRow, goneAt time.Time, goneKind string, from, to time.Time) (schema.TakedownLifetime, bool) {
	lt := schema.TakedownLifetime{Platform: c.Platform, ChannelID: c.ChannelID, FirstSeenAt: c.FirstSeen.UTC(), Status: StatusOK}
	if c.FirstSeen.Unix() <= 0 || !c.FirstSeen.Before(to) {
		return lt, false
	}
	lt.OriginAt, lt.Origin = c.FirstSeen.UTC(), OriginFirstSeen
	if c.Created.Unix() > 0 && !c.Created.After(c.FirstSeen) {
		lt.OriginAt, lt.Origin = c.Created.UTC(), OriginCreated
	}
	switch {
	case !goneAt.IsZero() && goneAt.Before(to):
		lt.EndAt, lt.Ended, lt.EndKind = goneAt.UTC(), 1, goneKind
	case goneAt.IsZero() && schema.StatusGone(c.Status) && c.LastSeen.Before(to):
		lt.EndAt, lt.Ended, lt.EndKind = c.LastSeen.UTC(), 1, EndStatus
	default:
		// Still public: censored at the last sighting, or at the range end.
		lt.EndAt = to
		if c.LastSeen.Unix() > 0 && c.LastSeen.Before(to) {
			lt.EndAt = c.LastSeen.UTC()
		}
		if lt.EndAt.Before(lt.FirstSeenAt) {
			lt.EndAt = lt.FirstSeenAt
		}
	}
	if lt.EndAt.Before(from) {
		return lt, false // gone, or last seen, before the range
	}
	lt.EntryDays = lt.FirstSeenAt.Sub(lt.OriginAt).Hours() / 24
	lt.ExitDays = lt.EndAt.Sub(lt.OriginAt).Hours() / 24
	if lt.Ended == 1 && !(lt.ExitDays > lt.EntryDays) {
		lt.Status, lt.Reason = StatusSkipped, "gone the moment it was first seen: no time at risk"
	}
	return lt, true
}

// Lifetimes reads the lifetimes of the channels in scope over [from, to), as a takedowns
// run computes them (see lifetime): the channels outside the range are left out, and
// those gone the moment they were first seen are marked skipped. Rows carry no run id.
func Lifetimes(ctx context.Context, db *store.DB, scope job.Channels, from, to time.Time) ([]schema.TakedownLifetime, error) {
	var out []schema.TakedownLifetime
	err := eachLifetime(ctx, db, scope, from, to, func(_ *channelRow, lt schema.TakedownLifetime) error {
		out = append(out, lt)
		return nil
	})
	return out, err
}

// eachLifetime calls fn with every channel in scope within the range and its lifetime, in
// (platform, channel_id) order.
func eachLifetime(ctx context.Context, db *store.DB, scope job.Channels, from, to time.Time, fn func(*channelRow, schema.TakedownLifetime) error) error {
	cond, args := scope.Filter()
	gone := map[job.Key]goneRow{}
	q := fmt.Sprintf(`SELECT platform, channel_id, min(event_at) AS gone_at, argMin(toString(kind), event_at) AS gone_kind
FROM %s
WHERE kind IN ('%s', '%s', '%s') AND event_at < toDateTime(%d) AND (%s)
GROUP BY platform, channel_id`, db.Table(schema.TableChannelEvents), schema.EventWentPrivate, schema.EventBanned, schema.EventDeleted, to.Unix(), cond)
	if err := store.Each(ctx, db, q, func(r *goneRow) error {
		gone[job.Key{Platform: r.Platform, ChannelID: r.ChannelID}] = *r
		return nil
	}, args...); err != nil {
		return err
	}
	q = fmt.Sprintf(`SELECT platform, channel_id, created_at, first_seen_at, last_seen_at, toString(status) AS status, title, username, subscribers
FROM %s FINAL
WHERE first_seen_at < toDateTime(%d) AND (%s)
ORDER BY platform, channel_id`, db.Table(schema.TableChannels), to.Unix(), cond)
	return store.Each(ctx, db, q, func(c *channelRow) error {
		var goneAt time.Time
		g, ok := gone[job.Key{Platform: c.Platform, ChannelID: c.ChannelID}]
		if ok && g.At.Unix() > 0 {
			goneAt = g.At.UTC()
		}
		lt, ok := lifetime(*c, goneAt, g.Kind, from, to)
		if !ok {
			return nil
		}
		return fn(c, lt)
	}, args...)
}

func compute(ctx context.Context, db *store.DB, o Options, scope job.Channels, runID string, sum *Summary) error {
	from, to := o.Params.From, o.Params.To
	cond, args := scope.Filter()
	events, err := job.Events(ctx, db, from, to)
	if err != nil {
		return err
	}
	events = o.Events.Apply(events)

	lw, err := store.NewWriter[schema.TakedownLifetime](db, schema.TableTakedownsLifetimes, o.Meta.Writer)
	if err != nil {
		return err
	}
	var (
		lifetimes []schema.TakedownLifetime
		profiles  []profile
	)
	err = eachLifetime(ctx, db, scope, from, to, func(c *channelRow, lt schema.TakedownLifetime) error {
		lt.RunID = runID
		profiles = append(profiles, profile{lt: lt, title: c.Title, username: c.Username, subs: c.Subs})
		sum.Channels++
		if lt.Status == StatusOK {
			sum.Entered++
			sum.Ended += int(lt.Ended)
			lifetimes = append(lifetimes, lt)
		}
		return lw.Write(ctx, lt)
	})
	if cerr := lw.Close(ctx); err == nil {
		err = cerr
	}
	if err != nil || sum.Entered == 0 {
		return err
	}
	if err := writeRespawns(ctx, db, o, cond, args, runID, profiles, sum); err != nil {
		return err
	}

	type cohortSpec struct {
		name string
		ev   *schema.Event
		keep func(schema.TakedownLifetime) bool
	}
	specs := []cohortSpec{{name: CohortAll, keep: func(schema.TakedownLifetime) bool { return true }}}
	for i := range events {
		e := &events[i]
		specs = append(specs,
			cohortSpec{name: "before:" + e.EventID, ev: e, keep: func(l schema.TakedownLifetime) bool { return l.OriginAt.Before(e.EventAt) }},
			cohortSpec{name: "after:" + e.EventID, ev: e, keep: func(l schema.TakedownLifetime) bool { return !l.OriginAt.Before(e.EventAt) }})
	}
	var (
		cohorts []schema.TakedownCohort
		curves  []schema.TakedownSurvival
	)
	for _, sp := range specs {
		var obs []stats.Lifetime
		for _, l := range lifetimes {
			if sp.keep(l) {
				obs = append(obs, stats.Lifetime{Entry: l.EntryDays, Exit: l.ExitDays, Event: l.Ended == 1})
			}
		}
		c, steps := cohort(sp.name, sp.ev, obs)
		sum.Cohorts = append(sum.Cohorts, c)
		cohorts = append(cohorts, schema.TakedownCohort{RunID: runID, Cohort: c.Name, EventID: c.EventID, EventAt: c.EventAt, Channels: uint32(c.Channels),
			Ended: uint32(c.Ended), MedianDays: c.Median, MedianLo: c.MedianLo, MedianHi: c.MedianHi, Status: c.Status, Reason: c.Reason})
		for _, st := range steps {
			curves = append(curves, schema.TakedownSurvival{RunID: runID, Cohort: c.Name, TimeDays: st.Time, AtRisk: uint32(st.AtRisk),
				Ended: uint32(st.Events), Censored: uint32(st.Censored), Survival: st.S, SE: st.SE, Lo: st.Lo, Hi: st.Hi})
		}
	}
	if err := store.WriteAll(ctx, db, schema.TableTakedownsCohorts, o.Meta.Writer, cohorts...); err != nil {
		return err
	}
	return store.WriteAll(ctx, db, schema.TableTakedownsSurvival, o.Meta.Writer, curves...)
}

// writeRespawns reads the forward sources of the channels, finds the candidate
// reincarnations and writes them.
func writeRespawns(ctx context.Context, db *store.DB, o Options, cond string, args []any, runID string, ps []profile, sum *Summary) error {
	idx := map[job.Key]int{}
	for i, p := range ps {
		idx[job.Key{Platform: p.lt.Platform, ChannelID: p.lt.ChannelID}] = i
	}
	q := fmt.Sprintf(`SELECT platform, channel_id, groupUniqArray(fwd_channel_id) AS sources
FROM %s
WHERE fwd_channel_id != 0 AND posted_at < toDateTime(%d) AND (%s)
GROUP BY platform, channel_id`, db.Table(schema.TablePosts), o.Params.To.Unix(), cond)
	if err := store.Each(ctx, db, q, func(r *sourcesRow) error {
		if i, ok := idx[job.Key{Platform: r.Platform, ChannelID: r.ChannelID}]; ok {
			ps[i].sources = map[uint64]bool{}
			for _, s := range r.Sources {
				ps[i].sources[s] = true
			}
		}
		return nil
	}, args...); err != nil {
		return err
	}
	pairs := respawns(ps, o.RespawnWindow, o.RespawnScore)
	for i := range pairs {
		pairs[i].RunID = runID
	}
	sum.Respawns = pairs
	return store.WriteAll(ctx, db, schema.TableTakedownsRespawns, o.Meta.Writer, pairs...)
}

// cohort estimates one cohort's curve; a cohort too small or without any channel gone is
// recorded as skipped with the reason, and its median is NaN.
func cohort(name string, ev *schema.Event, obs []stats.Lifetime) (Cohort, []stats.SurvivalStep) {
	nan := math.NaN()
	c := Cohort{Name: name, Channels: len(obs), Median: nan, MedianLo: nan, MedianHi: nan, Status: StatusOK}
	if ev != nil {
		c.EventID, c.EventAt = ev.EventID, ev.EventAt.UTC()
	}
	for _, o := range obs {
		if o.Event {
			c.Ended++
		}
	}
	switch {
	case len(obs) < MinCohort:
		c.Status, c.Reason = StatusSkipped, fmt.Sprintf("%d channels, a curve needs %d", len(obs), MinCohort)
		return c, nil
	case c.Ended == 0:
		c.Status, c.Reason = StatusSkipped, "no channel left public view"
		return c, nil
	}
	km, err := stats.KaplanMeier(obs)
	if err != nil {
		c.Status, c.Reason = StatusSkipped, err.Error()
		return c, nil
	}
	c.Median, c.MedianLo, c.MedianHi = km.Median, km.MedianLo, km.MedianHi
	if math.IsNaN(c.Median) {
		c.Reason = "survival stays above one half: the median lifetime is longer than observed"
	}
	return c, km.Steps
}
