package migration

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/stats"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// didUnit is one channel's audience in an event's windows.
type didUnit struct {
	key              job.Key
	pre, post, slope float64
	// gap is the post window's mean distance from the pre window's least-squares line.
	gap     float64
	treated bool
	matches int
}

type audienceRow struct {
	Platform  string    `ch:"platform"`
	ChannelID uint64    `ch:"channel_id"`
	At        time.Time `ch:"at"`
	Subs      uint64    `ch:"subs"`
}

// treatedChannels are the channels in scope with an account link (not rejected) to one of
// the event's target accounts on its platform.
func treatedChannels(ctx context.Context, db *store.DB, cond string, args []any, e schema.Event) (map[job.Key]bool, error) {
	targets := make([]string, 0, len(e.Targets))
	for _, t := range e.Targets {
		targets = append(targets, job.Handle(t))
	}
	// The scope's condition is on platform and channel_id: the link's from side.
	q := `SELECT platform, channel_id FROM (
  SELECT from_platform AS platform, from_channel_id AS channel_id, argMax(status, version) AS st
  FROM ` + db.Table(schema.TableAccountLinks) + `
  WHERE to_platform = ? AND has(?, lower(replaceRegexpOne(to_handle, '^@', '')))
  GROUP BY from_platform, from_channel_id, to_platform, to_handle)
WHERE st != 'rejected' AND (` + cond + `)
GROUP BY platform, channel_id`
	keys, err := store.Select[job.Key](ctx, db, q, append([]any{e.Platform, targets}, args...)...)
	if err != nil {
		return nil, err
	}
	out := map[job.Key]bool{}
	for _, k := range keys {
		out[k] = true
	}
	return out, nil
}

// diffInDiff estimates the audience effect of an event listing suspended accounts on the
// channels whose accounts they were, against matched channels.
func diffInDiff(ctx context.Context, db *store.DB, cond string, args []any, e schema.Event, w window) (schema.MigrationDiD, []schema.MigrationDiDUnit, error) {
	nan := math.NaN()
	row := schema.MigrationDiD{EventID: e.EventID, EventAt: e.EventAt.UTC(), EventPlatform: e.Platform, Outcome: OutcomeLogSubscribers,
		Effect: nan, SE: nan, Lo: nan, Hi: nan, P: nan, PreTrend: nan, PreTrendSE: nan, PreTrendP: nan, Status: StatusOK}
	if w.reason != "" {
		row.Status, row.Reason = StatusSkipped, w.reason
		return row, nil, nil
	}
	treated, err := treatedChannels(ctx, db, cond, args, e)
	if err != nil {
		return row, nil, err
	}
	days := map[job.Key]*[2]series{}
	q := job.DailyAudienceQuery(db, cond, w.preFrom, w.postTo)
	err = store.Each(ctx, db, q, func(r *audienceRow) error {
		at := r.At.UTC()
		k := job.Key{Platform: r.Platform, ChannelID: r.ChannelID}
		side := -1
		switch {
		case at.Before(w.preTo):
			side = 0
		case !at.Before(w.postFrom):
			side = 1
		}
		if side < 0 {
			return nil
		}
		d := days[k]
		if d == nil {
			d = &[2]series{}
			days[k] = d
		}
		d[side].t = append(d[side].t, at.Sub(w.preFrom).Hours()/24)
		d[side].v = append(d[side].v, math.Log(float64(r.Subs)))
		return nil
	}, args...)
	if err != nil {
		return row, nil, err
	}
	var treatedUnits, pool []*didUnit
	for k, d := range days {
		if len(d[0].t) < MinUnitDays || len(d[1].t) < MinUnitDays {
			continue
		}
		// The pre window's trend; its days are distinct, so it has a slope.
		a, slope := stat.LinearRegression(d[0].t, d[0].v, nil, false)
		if math.IsNaN(slope) || math.IsInf(slope, 0) {
			continue
		}
		du := &didUnit{key: k, pre: stat.Mean(d[0].v, nil), post: stat.Mean(d[1].v, nil), slope: slope, treated: treated[k]}
		for i, t := range d[1].t {
			du.gap += (d[1].v[i] - (a + slope*t)) / float64(len(d[1].t))
		}
		if du.treated {
			treatedUnits = append(treatedUnits, du)
		} else {
			pool = append(pool, du)
		}
	}
	byKey := func(a, b *didUnit) int { return a.key.Compare(b.key) }
	slices.SortFunc(treatedUnits, byKey)
	slices.SortFunc(pool, byKey)
	if len(treatedUnits) < 2 || len(pool) < 2 {
		row.Treated, row.Controls = uint32(len(treatedUnits)), uint32(len(pool))
		row.Status, row.Reason = StatusSkipped, fmt.Sprintf("%d treated channels (of %d linked to a listed account) and %d untreated with %d days of audience in each window; need 2 each",
			len(treatedUnits), len(treated), len(pool), MinUnitDays)
		return row, nil, nil
	}
	controls := match(treatedUnits, pool)
	units := make([]stats.DiDUnit, 0, len(treatedUnits)+len(controls))
	var slopes []float64
	var flags []bool
	var out []schema.MigrationDiDUnit
	for _, du := range append(slices.Clone(treatedUnits), controls...) {
		// Each channel on its own trend: the pre window is on it by construction (0), the
		// post window is its gap.
		units = append(units, stats.DiDUnit{Pre: 0, Post: du.gap, Treated: du.treated})
		slopes, flags = append(slopes, du.slope), append(flags, du.treated)
		out = append(out, schema.MigrationDiDUnit{EventID: e.EventID, Platform: du.key.Platform, ChannelID: du.key.ChannelID,
			Treated: b2u(du.treated), Matches: uint32(du.matches), Pre: du.pre, Post: du.post, PreSlope: du.slope, PostGap: du.gap})
	}
	fit, err := stats.DifferenceInDifferences(units)
	row.Treated, row.Controls = uint32(fit.Treated), uint32(fit.Control)
	if err != nil {
		row.Status, row.Reason = StatusSkipped, err.Error()
		return row, out, nil
	}
	row.Effect, row.SE, row.Lo, row.Hi, row.P = fit.Effect.Value, fit.Effect.SE, fit.Effect.Lo, fit.Effect.Hi, fit.Effect.P
	if pt, err := stats.MeanDifference(slopes, flags); err == nil {
		row.PreTrend, row.PreTrendSE, row.PreTrendP = pt.Value, pt.SE, pt.P
	}
	return row, out, nil
}

// match picks, for each treated channel, its Matches nearest untreated channels on the
// standardized pre-window level and slope (with replacement), and returns the distinct
// controls with how often each was picked, in key order.
func match(treated, pool []*didUnit) []*didUnit {
	all := append(slices.Clone(treated), pool...)
	sdLevel, sdSlope := sdOf(all, func(u *didUnit) float64 { return u.pre }), sdOf(all, func(u *didUnit) float64 { return u.slope })
	dist := func(a, b *didUnit) float64 {
		dl, ds := (a.pre-b.pre)/sdLevel, (a.slope-b.slope)/sdSlope
		return dl*dl + ds*ds
	}
	idx := make([]int, len(pool))
	for _, t := range treated {
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int {
			da, db := dist(t, pool[a]), dist(t, pool[b])
			switch {
			case da < db:
				return -1
			case da > db:
				return 1
			}
			return 0
		})
		for _, i := range idx[:min(Matches, len(idx))] {
			pool[i].matches++
		}
	}
	var out []*didUnit
	for _, p := range pool {
		if p.matches > 0 {
			out = append(out, p)
		}
	}
	return out
}

func sdOf(us []*didUnit, f func(*didUnit) float64) float64 {
	m := 0.0
	for _, u := range us {
		m += f(u)
	}
	m /= float64(len(us))
	v := 0.0
	for _, u := range us {
		d := f(u) - m
		v += d * d
	}
	sd := math.Sqrt(v / float64(len(us)))
	if !(sd > 0) {
		return 1
	}
	return sd
}

// series is one window's days (t, days since the pre window's start) and log audiences.
type series struct{ t, v []float64 }

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
