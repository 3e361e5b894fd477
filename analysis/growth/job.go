package growth

import (
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

// Name is the job's name in runs (analyze:growth) and on the command line.
const Name = "growth"

// Defaults of Options.
const (
	DefaultMaxGap      = 7 * 24 * time.Hour
	DefaultMinPoints   = 5
	DefaultEventWindow = 7 * 24 * time.Hour
)

// Options of a growth run.
type Options struct {
	Params job.Params
	Meta   job.Meta
	// MaxGap is the longest time between two snapshots across which days are
	// interpolated; longer stretches are gaps. Default DefaultMaxGap.
	MaxGap time.Duration
	// MinPoints is the fewest observed days a channel needs for a rate fit;
	// a channel with fewer is recorded as skipped. Default DefaultMinPoints.
	MinPoints int
	// EventWindow is how long after a registry event its window lasts: the growth of a
	// channel on days inside the windows of the events concerning it (job.Applies) is its
	// spike growth. Default DefaultEventWindow.
	EventWindow time.Duration
	// Progress, when set, is called after each channel with the count so far.
	Progress func(channels int)
	// Workers is how many channels are fitted at once. Default GOMAXPROCS.
	Workers int
	// BatchRows is how many snapshot rows are read at a time (channels are never split).
	// Default job.DefaultBatchRows.
	BatchRows uint64
}

// Summary is what a run did.
type Summary struct {
	RunID    string
	Status   string
	Channels int // channels with snapshots in the range
	Fitted   int
	Logistic int // channels where the logistic model was chosen
	Skipped  int
	Jumps    int
	Reasons  []string // why the whole run was skipped
}

type dayRow struct {
	Platform  string    `ch:"platform"`
	ChannelID uint64    `ch:"channel_id"`
	At        time.Time `ch:"at"`
	Subs      uint64    `ch:"subs"`
}

// Run computes the growth figures of every channel in scope over the range and writes
// them, keyed by a new run, to growth_channels, growth_series and growth_jumps.
// Aggregation to one point per channel and day (the day's last snapshot) runs in
// ClickHouse. A bad parameter is a job.ParamError and nothing is written.
func Run(ctx context.Context, db *store.DB, o Options) (Summary, error) {
	if err := o.Check(); err != nil {
		return Summary{}, err
	}
	var sum Summary
	var err error
	sum.Status, sum.Reasons, err = job.Execute(ctx, db, Name, o.Params, []string{schema.TableChannelSnapshots, schema.TableEvents, schema.TableCommunities}, o.Meta,
		func(scope job.Channels, runID string) (map[string]uint64, string, error) {
			sum.RunID = runID
			counts, err := compute(ctx, db, o, scope, runID, &sum)
			skip := ""
			if sum.Channels == 0 {
				skip = "no snapshots of channels in scope in the range"
			}
			return counts, skip, err
		})
	return sum, err
}

func compute(ctx context.Context, db *store.DB, o Options, scope job.Channels, runID string, sum *Summary) (map[string]uint64, error) {
	wopts := o.Meta.Writer
	chans, err := store.NewWriter[schema.GrowthChannel](db, schema.TableGrowthChannels, wopts)
	if err != nil {
		return nil, err
	}
	days, err := store.NewWriter[schema.GrowthDay](db, schema.TableGrowthSeries, wopts)
	if err != nil {
		return nil, errors.Join(err, chans.Close(ctx))
	}
	jumps, err := store.NewWriter[schema.GrowthJump](db, schema.TableGrowthJumps, wopts)
	if err != nil {
		return nil, errors.Join(err, chans.Close(ctx), days.Close(ctx))
	}
	models, err := store.NewWriter[schema.GrowthModel](db, schema.TableGrowthModels, wopts)
	if err != nil {
		return nil, errors.Join(err, chans.Close(ctx), days.Close(ctx), jumps.Close(ctx))
	}
	closeAll := func() error {
		return errors.Join(chans.Close(ctx), days.Close(ctx), jumps.Close(ctx), models.Close(ctx))
	}
	events, err := job.Events(ctx, db, o.Params.From.Add(-o.EventWindow), o.Params.To)
	if err != nil {
		return nil, errors.Join(err, closeAll())
	}
	members, err := job.Memberships(ctx, db)
	if err != nil {
		return nil, errors.Join(err, closeAll())
	}
	groups := newAggregates()
	cond, args := scope.Filter()
	batches, err := job.Batches(ctx, db, schema.TableChannelSnapshots, fmt.Sprintf("snapshot_at >= toDateTime(%d) AND snapshot_at < toDateTime(%d) AND subscribers > 0 AND (%s)",
		o.Params.From.Unix(), o.Params.To.Unix(), cond), o.BatchRows, args...)
	if err != nil {
		return nil, errors.Join(err, closeAll())
	}

	type input struct {
		k      job.Key
		points []Point
	}
	type result struct {
		k      job.Key
		gc     schema.GrowthChannel
		gm     schema.GrowthModel
		series []Day
		jumps  []Jump
		pelt   int // of jumps, the PELT ones (first)
	}
	work := func(in input) result {
		gc, series, pj, cj := channel(in.k, in.points, o)
		gm := model(in.k, in.points, series, gc, windows(events, in.k, members[in.k], o.EventWindow))
		return result{k: in.k, gc: gc, gm: gm, series: series, jumps: append(pj, cj...), pelt: len(pj)}
	}
	use := func(r result) error {
		cur := r.k
		gc, gm := r.gc, r.gm
		gc.RunID, gm.RunID = runID, runID
		sum.Channels++
		if gc.Status == "ok" {
			sum.Fitted++
		} else {
			sum.Skipped++
		}
		if gm.Model == stats.ModelLogistic {
			sum.Logistic++
		}
		groups.add(cur, members[cur], gc, gm)
		if err := chans.Write(ctx, gc); err != nil {
			return err
		}
		if err := models.Write(ctx, gm); err != nil {
			return err
		}
		for _, d := range r.series {
			row := schema.GrowthDay{RunID: runID, Platform: cur.Platform, ChannelID: cur.ChannelID, Day: d.Day, Subscribers: d.Subs}
			if d.Observed {
				row.Observed = 1
			}
			if d.Gap {
				row.Gap = 1
			}
			if err := days.Write(ctx, row); err != nil {
				return err
			}
		}
		sum.Jumps += r.pelt
		for _, j := range r.jumps {
			if err := jumps.Write(ctx, schema.GrowthJump{RunID: runID, Platform: cur.Platform, ChannelID: cur.ChannelID, Day: j.Day, Method: j.Method, Factor: j.Factor}); err != nil {
				return err
			}
		}
		if o.Progress != nil {
			o.Progress(sum.Channels)
		}
		return nil
	}
	err = job.Pipeline(ctx, o.Workers, func(ctx context.Context, emit func(input) error) error {
		// A batch of channels is read whole, then handed out channel by channel.
		for _, b := range batches {
			bcond, bargs := b.Filter()
			q := job.DailyAudienceQuery(db, "("+cond+") AND "+bcond, o.Params.From, o.Params.To)
			var ins []input
			err := store.Each(ctx, db, q, func(r *dayRow) error {
				k := job.Key{Platform: r.Platform, ChannelID: r.ChannelID}
				if len(ins) == 0 || ins[len(ins)-1].k != k {
					ins = append(ins, input{k: k})
				}
				in := &ins[len(ins)-1]
				in.points = append(in.points, Point{At: r.At.UTC(), Subs: float64(r.Subs)})
				return nil
			}, append(slices.Clone(args), bargs...)...)
			if err != nil {
				return err
			}
			for _, in := range ins {
				if err := emit(in); err != nil {
					return err
				}
			}
		}
		return nil
	}, work, use)
	cerr := closeAll()
	if err == nil && cerr == nil && sum.Channels > 0 {
		err = writeGroups(ctx, db, wopts, runID, groups)
	}
	counts := map[string]uint64{
		"channels": uint64(sum.Channels), "fitted": uint64(sum.Fitted), "skipped": uint64(sum.Skipped), "jumps": uint64(sum.Jumps),
		"logistic": uint64(sum.Logistic), "events": uint64(len(events)),
	}
	return counts, errors.Join(err, cerr)
}

// channel computes one channel's figures from its daily points.
func channel(k job.Key, points []Point, o Options) (schema.GrowthChannel, []Day, []Jump, []Jump) {
	series := Daily(points, o.Params.From, o.Params.To, o.MaxGap)
	// Growth windows end at the last day with a value.
	last := len(series)
	for last > 0 && series[last-1].Gap {
		last--
	}
	gc := schema.GrowthChannel{Platform: k.Platform, ChannelID: k.ChannelID, Days: uint32(len(series)), Status: "ok"}
	first := -1
	for i, d := range series {
		if d.Observed {
			gc.ObservedDays++
		}
		if d.Gap {
			gc.GapDays++
		} else if first < 0 {
			first = i
		}
	}
	gc.SubsFirst, gc.SubsLast = math.NaN(), math.NaN()
	if first >= 0 {
		gc.SubsFirst, gc.SubsLast = series[first].Subs, series[last-1].Subs
	}
	c1, c7, c30 := Over(series[:last], 1), Over(series[:last], 7), Over(series[:last], 30)
	gc.Growth1d, gc.Growth1dPct = c1.Abs, c1.Pct
	gc.Growth7d, gc.Growth7dPct = c7.Abs, c7.Pct
	gc.Growth30d, gc.Growth30dPct = c30.Abs, c30.Pct

	nan := math.NaN()
	gc.ExpRate, gc.ExpRateLo, gc.ExpRateHi, gc.Doubling, gc.DoublingLo, gc.DoublingHi, gc.ExpR2, gc.ExpAIC = nan, nan, nan, nan, nan, nan, nan, nan
	if len(points) < o.MinPoints {
		gc.Status, gc.Reason = "skipped", fmt.Sprintf("%d observed days, a fit needs %d", len(points), o.MinPoints)
		return gc, series, nil, nil
	}
	t := make([]float64, len(points))
	s := make([]float64, len(points))
	for i, p := range points {
		t[i] = p.At.Sub(o.Params.From).Hours() / 24
		s[i] = p.Subs
	}
	fit, err := stats.FitExponential(t, s)
	if err != nil {
		gc.Status, gc.Reason = "skipped", "exponential fit: "+err.Error()
		return gc, series, nil, nil
	}
	gc.ExpRate, gc.ExpRateLo, gc.ExpRateHi = fit.Rate, fit.RateLo, fit.RateHi
	gc.Doubling, gc.DoublingLo, gc.DoublingHi = fit.DoublingDays, fit.DoublingLo, fit.DoublingHi
	gc.ExpR2, gc.ExpAIC = fit.R2, fit.AIC
	pj, cj := Jumps(series)
	gc.Jumps, gc.CUSUMAlarms = uint32(len(pj)), uint32(len(cj))
	return gc, series, pj, cj
}

// Check fills in the defaults and checks the options; a bad one is a job.ParamError. Run
// calls it; a caller running several jobs calls it first for all of them.
func (o *Options) Check() error {
	if err := o.Params.Validate(); err != nil {
		return err
	}
	if o.MaxGap <= 0 {
		o.MaxGap = DefaultMaxGap
	}
	if o.MinPoints <= 0 {
		o.MinPoints = DefaultMinPoints
	}
	if o.EventWindow <= 0 {
		o.EventWindow = DefaultEventWindow
	}
	if o.MinPoints < 3 {
		return &job.ParamError{Param: "--min-points", Msg: fmt.Sprintf("%d: a rate fit with an interval needs at least 3 points", o.MinPoints)}
	}
	return nil
}
