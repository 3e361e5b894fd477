package bench

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/tidewatch/tidewatch/analysis/stats"
)

// Client runs clickhouse-client against one server, as an analyst without tidewatch
// would.
type Client struct {
	Host     string
	Port     int
	Database string
}

// Export runs query (which must end in FORMAT CSV or another text format) with
// clickhouse-client and writes its output to path.
func (c Client) Export(ctx context.Context, query, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "clickhouse-client", "--host", c.Host, "--port", strconv.Itoa(c.Port),
		"--database", c.Database, "--query", query)
	w := bufio.NewWriterSize(f, 1<<20)
	cmd.Stdout = w
	var stderr limitedBuffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("clickhouse-client %q: %w: %s", query, err, stderr.String())
	}
	return nil
}

type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := 4096 - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return string(l.b) }

// RefGrowth is one channel's growth figures as the reference computes them: the daily
// series (each day's last snapshot, days without one linearly interpolated at the day's
// end between the snapshots around it when they are at most 7 days apart, else gaps),
// the growth over the last 30 days up to the series' last day with a value, and the
// least-squares slope of ln S over the days' last snapshots (per day).
type RefGrowth struct {
	ChannelID    uint64
	ObservedDays int
	SubsLast     float64
	Growth30d    float64
	Growth30dPct float64
	Slope        float64
	// The fits over the days' last snapshots (t in days since the range start), with
	// analysis/stats as tidewatch does: the exponential with its interval, the logistic, the
	// model AIC chooses; and the changepoints of the daily ln S differences (PELT, BIC
	// penalty).
	ExpRate      float64
	Model        string
	Changepoints int
}

// RefEngagement is one channel's engagement figures: views per post over the undeleted
// posts of the range, and over those of the last 30 days ERR (mean views per post / the
// subscribers at the range's end, in percent) and ER ((forwards + replies + reactions) /
// views, in percent).
type RefEngagement struct {
	ChannelID    uint64
	Posts        int
	ViewsPerPost float64
	ERR          float64
	ER           float64
	// Scored is how many posts got an overperformance score against the interquartile mean
	// of the channel's previous 100 posts of the same type (stats.Overperformance),
	// Overperforming how many of those scored at least 2.
	Scored, Overperforming int
}

// RefResult is what a reference run computed and wrote.
type RefResult struct {
	Growth     map[uint64]RefGrowth
	Engagement map[uint64]RefEngagement
	Snapshots  int // rows read from the snapshots file
	Posts      int // rows read from the posts file
	Export     time.Duration
	Compute    time.Duration
}

const (
	refMaxGap = 7 * 24 * time.Hour
	chTime    = "2006-01-02 15:04:05"
)

// Reference exports channel_snapshots and posts of [from, to) to CSV files in dir with
// clickhouse-client, computes the growth and engagement figures of every channel from
// the files with encoding/csv and writes them to growth.csv and engagement.csv in dir.
// The heavy figures (the exponential and logistic fits, changepoints, overperformance)
// use the same analysis/stats routines as tidewatch, one channel after another, as an
// analyst's script calling a statistics library would.
func Reference(ctx context.Context, c Client, dir string, from, to time.Time) (res RefResult, err error) {
	start := time.Now()
	snapPath, postPath := filepath.Join(dir, "channel_snapshots.csv"), filepath.Join(dir, "posts.csv")
	where := func(col string) string {
		return fmt.Sprintf("%s >= '%s' AND %s < '%s'", col, from.UTC().Format(chTime), col, to.UTC().Format(chTime))
	}
	if err := c.Export(ctx, "SELECT platform, channel_id, snapshot_at, subscribers FROM channel_snapshots WHERE "+
		where("snapshot_at")+" FORMAT CSV", snapPath); err != nil {
		return res, err
	}
	if err := c.Export(ctx, "SELECT platform, channel_id, post_id, posted_at, kind, views, forwards, replies, reactions, deleted, "+
		"if(fwd_channel_id != 0 OR fwd_person_hash != '', 'forward', toString(post_type)) FROM posts WHERE "+
		where("posted_at")+" FORMAT CSV", postPath); err != nil {
		return res, err
	}
	res.Export = time.Since(start)
	start = time.Now()
	defer func() { res.Compute = time.Since(start) }() // the results written included

	type snap struct {
		at   time.Time
		subs float64
	}
	snaps := map[uint64][]snap{}
	err = readCSV(snapPath, 4, func(rec []string) error {
		id, err := strconv.ParseUint(rec[1], 10, 64)
		if err != nil {
			return err
		}
		at, err := time.Parse(chTime, rec[2])
		if err != nil {
			return err
		}
		s, err := strconv.ParseFloat(rec[3], 64)
		if err != nil {
			return err
		}
		res.Snapshots++
		if s > 0 {
			snaps[id] = append(snaps[id], snap{at, s})
		}
		return nil
	})
	if err != nil {
		return res, err
	}

	res.Growth = make(map[uint64]RefGrowth, len(snaps))
	subsEnd := make(map[uint64]float64, len(snaps))
	days := int(to.Sub(from) / day)
	series := make([]float64, days)
	var xs, ys []float64
	for id, ss := range snaps {
		slices.SortFunc(ss, func(a, b snap) int { return a.at.Compare(b.at) })
		// Each day's last snapshot.
		xs, ys = xs[:0], ys[:0]
		var pts []snap
		for i, s := range ss {
			if i+1 < len(ss) && ss[i+1].at.Truncate(day).Equal(s.at.Truncate(day)) {
				continue
			}
			pts = append(pts, s)
			xs = append(xs, s.at.Sub(from).Hours()/24)
			ys = append(ys, math.Log(s.subs))
		}
		g := RefGrowth{ChannelID: id, ObservedDays: len(pts), SubsLast: math.NaN(), Growth30d: math.NaN(), Growth30dPct: math.NaN(), Slope: math.NaN()}
		j := 0
		last := -1
		for d := 0; d < days; d++ {
			ds := from.Add(time.Duration(d) * day)
			de := ds.Add(day)
			for j < len(pts) && pts[j].at.Before(ds) {
				j++
			}
			series[d] = math.NaN()
			switch {
			case j < len(pts) && pts[j].at.Before(de):
				series[d] = pts[j].subs
			case j > 0 && j < len(pts) && pts[j].at.Sub(pts[j-1].at) <= refMaxGap:
				a, b := pts[j-1], pts[j]
				f := de.Sub(a.at).Seconds() / b.at.Sub(a.at).Seconds()
				series[d] = a.subs + f*(b.subs-a.subs)
			}
			if !math.IsNaN(series[d]) {
				last = d
			}
		}
		if last >= 0 {
			g.SubsLast = series[last]
			subsEnd[id] = series[last]
			if last >= 30 && !math.IsNaN(series[last-30]) {
				g.Growth30d = series[last] - series[last-30]
				if series[last-30] > 0 {
					g.Growth30dPct = 100 * g.Growth30d / series[last-30]
				}
			}
		}
		if len(xs) >= 3 {
			g.Slope = olsSlope(xs, ys)
		}
		g.ExpRate = math.NaN()
		if len(pts) >= 5 {
			s := make([]float64, len(pts))
			for i, p := range pts {
				s[i] = p.subs
			}
			if ef, err := stats.FitExponential(xs, s); err == nil {
				g.ExpRate = ef.Rate
				ef.AIC = stats.ExponentialAIC(xs, s, ef)
				lf, lerr := stats.FitLogistic(xs, s)
				g.Model = stats.ChooseGrowthModel(ef, lf, lerr)
			}
			var diffs []float64
			for d := 1; d < days; d++ {
				if a, b := series[d-1], series[d]; a > 0 && b > 0 {
					diffs = append(diffs, math.Log(b)-math.Log(a))
				}
			}
			if len(diffs) > 2 {
				g.Changepoints = len(stats.ChangepointsPELT(diffs, stats.BICPenalty(diffs), 1))
			}
		}
		res.Growth[id] = g
	}

	type acc struct {
		posts, winPosts               int
		views, winViews, winInteracts float64
	}
	accs := map[uint64]*acc{}
	obs := map[uint64][]stats.PostObs{}
	winStart := to.Add(-30 * day)
	err = readCSV(postPath, 11, func(rec []string) error {
		res.Posts++
		if rec[4] == "service" || rec[9] != "0" {
			return nil
		}
		id, err := strconv.ParseUint(rec[1], 10, 64)
		if err != nil {
			return err
		}
		at, err := time.Parse(chTime, rec[3])
		if err != nil {
			return err
		}
		var v [4]float64
		for k := range v {
			if v[k], err = strconv.ParseFloat(rec[5+k], 64); err != nil {
				return err
			}
		}
		a := accs[id]
		if a == nil {
			a = &acc{}
			accs[id] = a
		}
		a.posts++
		a.views += v[0]
		obs[id] = append(obs[id], stats.PostObs{At: at, Kind: rec[10], Value: v[0]})
		if at.After(winStart) {
			a.winPosts++
			a.winViews += v[0]
			a.winInteracts += v[1] + v[2] + v[3]
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	res.Engagement = make(map[uint64]RefEngagement, len(accs))
	for id, a := range accs {
		e := RefEngagement{ChannelID: id, Posts: a.posts, ViewsPerPost: a.views / float64(a.posts), ERR: math.NaN(), ER: math.NaN()}
		if s := subsEnd[id]; a.winPosts > 0 && s > 0 {
			e.ERR = a.winViews / float64(a.winPosts) / s * 100
		}
		if a.winViews > 0 {
			e.ER = a.winInteracts / a.winViews * 100
		}
		ps := obs[id]
		slices.SortStableFunc(ps, func(a, b stats.PostObs) int { return a.At.Compare(b.At) })
		scores, err := stats.Overperformance(ps)
		if err != nil {
			return res, err
		}
		for _, sc := range scores {
			if !math.IsNaN(sc) {
				e.Scored++
				if sc >= 2 {
					e.Overperforming++
				}
			}
		}
		res.Engagement[id] = e
	}
	return res, writeResults(dir, res)
}

func olsSlope(x, y []float64) float64 {
	var xb, yb float64
	for i := range x {
		xb += x[i]
		yb += y[i]
	}
	n := float64(len(x))
	xb, yb = xb/n, yb/n
	var sxx, sxy float64
	for i := range x {
		sxx += (x[i] - xb) * (x[i] - xb)
		sxy += (x[i] - xb) * (y[i] - yb)
	}
	if sxx == 0 {
		return math.NaN()
	}
	return sxy / sxx
}

func readCSV(path string, fields int, fn func([]string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
	r.FieldsPerRecord = fields
	r.ReuseRecord = true
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := fn(rec); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
}

func writeResults(dir string, res RefResult) error {
	f := func(name string, header []string, rows [][]string) error {
		out, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		bw := bufio.NewWriter(out)
		w := csv.NewWriter(bw)
		_ = w.Write(header)
		_ = w.WriteAll(rows)
		err = errors.Join(w.Error(), bw.Flush())
		return errors.Join(err, out.Close())
	}
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	var rows [][]string
	for _, r := range res.Growth {
		rows = append(rows, []string{strconv.FormatUint(r.ChannelID, 10), strconv.Itoa(r.ObservedDays), g(r.SubsLast), g(r.Growth30d), g(r.Growth30dPct), g(r.Slope),
			g(r.ExpRate), r.Model, strconv.Itoa(r.Changepoints)})
	}
	if err := f("growth.csv", []string{"channel_id", "observed_days", "subs_last", "growth_30d", "growth_30d_pct", "ln_slope", "exp_rate", "model", "changepoints"}, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for _, r := range res.Engagement {
		rows = append(rows, []string{strconv.FormatUint(r.ChannelID, 10), strconv.Itoa(r.Posts), g(r.ViewsPerPost), g(r.ERR), g(r.ER),
			strconv.Itoa(r.Scored), strconv.Itoa(r.Overperforming)})
	}
	return f("engagement.csv", []string{"channel_id", "posts", "views_per_post", "err_pct", "er_pct", "scored", "overperforming"}, rows)
}
