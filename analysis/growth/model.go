package growth

import (
	"context"
	"errors"
	"math"
	"sort"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/stats"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// window is a half-open span of time after a registry event.
type window struct{ from, to time.Time }

// windows are the spans [event, event + w) of the events that concern channel k.
func windows(events []schema.Event, k job.Key, communities []string, w time.Duration) []window {
	var out []window
	for _, e := range events {
		if job.Applies(e, k, communities) {
			out = append(out, window{e.EventAt.UTC(), e.EventAt.UTC().Add(w)})
		}
	}
	return out
}

// inside reports whether the day starting at day overlaps one of ws.
func inside(ws []window, day time.Time) bool {
	end := day.AddDate(0, 0, 1)
	for _, w := range ws {
		if day.Before(w.to) && end.After(w.from) {
			return true
		}
	}
	return false
}

// model fits the logistic curve to a channel's daily points, chooses between it and the
// exponential fit by AIC, and splits the channel's growth into the part inside event
// windows and the rest. The logistic is fitted only where the exponential fit of gc was.
func model(k job.Key, points []Point, series []Day, gc schema.GrowthChannel, ws []window) schema.GrowthModel {
	nan := math.NaN()
	gm := schema.GrowthModel{
		Platform: k.Platform, ChannelID: k.ChannelID, LogisticStatus: "skipped",
		K: nan, KLo: nan, KHi: nan, R: nan, RLo: nan, RHi: nan, N0: nan, N0Lo: nan, N0Hi: nan,
		LogisticAIC: nan, ExpAIC: nan, GrowthTotal: nan, GrowthInWindows: nan, SpikeShare: nan,
		EventWindows: uint32(len(ws)),
	}
	// Spike share: day-to-day changes between days that both have a value.
	var total, in float64
	pairs := 0
	for i, d := range series {
		if inside(ws, d.Day) {
			gm.WindowDays++
		}
		if i == 0 || d.Gap || series[i-1].Gap {
			continue
		}
		inc := d.Subs - series[i-1].Subs
		pairs++
		total += inc
		if inside(ws, d.Day) {
			in += inc
		}
	}
	if pairs > 0 {
		gm.GrowthTotal, gm.GrowthInWindows = total, in
		if total > 0 {
			gm.SpikeShare = in / total
		}
	}
	if gc.Status != "ok" {
		gm.LogisticReason = "no exponential fit to compare with: " + gc.Reason
		return gm
	}
	t := make([]float64, len(points))
	s := make([]float64, len(points))
	for i, p := range points {
		t[i] = p.At.Sub(points[0].At).Hours() / 24
		s[i] = p.Subs
	}
	exp, err := stats.FitExponential(t, s)
	if err != nil {
		gm.LogisticReason = "no exponential fit to compare with: " + err.Error()
		return gm
	}
	// Both AICs on the S scale at their own least-squares optima.
	gm.ExpAIC = stats.ExponentialAIC(t, s, exp)
	logi, lerr := stats.FitLogistic(t, s)
	gm.Model = stats.ChooseGrowthModel(stats.ExpFit{AIC: gm.ExpAIC}, logi, lerr)
	if lerr != nil {
		gm.LogisticStatus, gm.LogisticReason = "failed", lerr.Error()
		return gm
	}
	gm.LogisticStatus = "ok"
	gm.K, gm.KLo, gm.KHi = logi.K, logi.KLo, logi.KHi
	gm.R, gm.RLo, gm.RHi = logi.R, logi.RLo, logi.RHi
	gm.N0, gm.N0Lo, gm.N0Hi = logi.N0, logi.N0Lo, logi.N0Hi
	gm.LogisticAIC = logi.AIC
	return gm
}

// aggregates accumulates the per-platform and per-community figures of a run.
type aggregates map[[2]string]*group

type group struct {
	channels, fitted, logistic int
	first, last                float64
	rates                      []float64
	total, in                  float64
	withGrowth                 int
}

func newAggregates() aggregates { return aggregates{} }

func (a aggregates) add(k job.Key, communities []string, gc schema.GrowthChannel, gm schema.GrowthModel) {
	keys := [][2]string{{"platform", k.Platform}}
	for _, c := range communities {
		keys = append(keys, [2]string{"community", c})
	}
	for _, key := range keys {
		g := a[key]
		if g == nil {
			g = &group{}
			a[key] = g
		}
		g.channels++
		if gc.Status == "ok" {
			g.fitted++
			g.rates = append(g.rates, gc.ExpRate)
		}
		if gm.Model == stats.ModelLogistic {
			g.logistic++
		}
		if !math.IsNaN(gc.SubsFirst) && !math.IsNaN(gc.SubsLast) {
			g.first += gc.SubsFirst
			g.last += gc.SubsLast
		}
		if !math.IsNaN(gm.GrowthTotal) {
			g.total += gm.GrowthTotal
			g.in += gm.GrowthInWindows
			g.withGrowth++
		}
	}
}

func writeGroups(ctx context.Context, db *store.DB, wopts store.WriterOptions, runID string, a aggregates) error {
	w, err := store.NewWriter[schema.GrowthGroup](db, schema.TableGrowthGroups, wopts)
	if err != nil {
		return err
	}
	keys := make([][2]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] > keys[j][0] // platform before community
		}
		return keys[i][1] < keys[j][1]
	})
	nan := math.NaN()
	var werr error
	for _, k := range keys {
		g := a[k]
		row := schema.GrowthGroup{
			RunID: runID, GroupKind: k[0], GroupName: k[1], Channels: uint32(g.channels), Fitted: uint32(g.fitted),
			Logistic: uint32(g.logistic), SubsFirst: g.first, SubsLast: g.last, GrowthPct: nan,
			RateQ1: nan, RateMedian: nan, RateQ3: nan, GrowthTotal: nan, GrowthInWindows: nan, SpikeShare: nan,
		}
		if g.first > 0 {
			row.GrowthPct = 100 * (g.last/g.first - 1)
		}
		if len(g.rates) > 0 {
			sort.Float64s(g.rates)
			row.RateQ1 = stat.Quantile(0.25, stat.LinInterp, g.rates, nil)
			row.RateMedian = stat.Quantile(0.5, stat.LinInterp, g.rates, nil)
			row.RateQ3 = stat.Quantile(0.75, stat.LinInterp, g.rates, nil)
		}
		if g.withGrowth > 0 {
			row.GrowthTotal, row.GrowthInWindows = g.total, g.in
			if g.total > 0 {
				row.SpikeShare = g.in / g.total
			}
		}
		if werr = w.Write(ctx, row); werr != nil {
			break
		}
	}
	return errors.Join(werr, w.Close(ctx))
}
