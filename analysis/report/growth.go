package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// Sizes of the growth section.
const (
	topMovers    = 10
	trajectories = 8
	topJumps     = 15
)

// growthModelRow is the model AIC chose for a channel.
type growthModelRow struct {
	Platform  string `ch:"platform"`
	ChannelID uint64 `ch:"channel_id"`
	Model     string `ch:"model"`
}

// growth is audience growth: the top movers with their fitted rates, their trajectories,
// the audience jumps, and the aggregates per platform and community.
func (b *builder) growth() (Section, bool, error) {
	r, found := b.runs["growth"]
	if !found {
		return Section{}, false, nil
	}
	s := Section{ID: "growth", Title: "Audience growth", Text: []string{
		"Daily audience series interpolate between snapshots (days across a longer gap than the job's --max-gap are gaps, left out). " +
			"The exponential rate is the slope of ln(subscribers) over days, with its 95% interval; doubling time is ln 2 over the rate. " +
			"The logistic model is chosen over the exponential when its AIC is lower. Audience jumps are PELT changepoints (and CUSUM alarms) in the daily series.",
	}}
	if r.Status != job.StatusOK {
		s.Text = append(s.Text, notOK(r))
		return s, true, nil
	}
	movers, err := b.growthMovers(r.RunID)
	if err != nil {
		return s, false, err
	}
	s.Figures = append(s.Figures, movers.table)
	traj, err := b.growthTrajectories(r.RunID, movers.keys)
	if err != nil {
		return s, false, err
	}
	s.Figures = append(s.Figures, traj, movers.rates)
	jumps, err := b.growthJumps(r.RunID)
	if err != nil {
		return s, false, err
	}
	groups, err := b.growthGroups(r.RunID)
	if err != nil {
		return s, false, err
	}
	s.Figures = append(s.Figures, jumps, groups)
	return s, true, nil
}

type moverFigures struct {
	table, rates Figure
	keys         []job.Key
}

func (b *builder) growthMovers(id string) (moverFigures, error) {
	q := "SELECT " + store.Columns[schema.GrowthChannel]() + " FROM " + b.table(schema.TableGrowthChannels) + " FINAL WHERE " + runIs(id) +
		" AND status = 'ok' ORDER BY abs(exp_rate) DESC, platform, channel_id LIMIT " + strconv.Itoa(topMovers)
	mq := "SELECT platform, channel_id, model FROM " + b.table(schema.TableGrowthModels) + " FINAL WHERE " + runIs(id)
	out := moverFigures{
		table: Figure{ID: "growth-movers", Title: "Top movers: the fastest fitted rates, up or down", Runs: []string{id}, Query: q + ";\n" + mq,
			Caption: "Rate per day with its 95% interval; doubling time in days (halving time for a negative rate)."},
		rates: Figure{ID: "growth-rates", Title: "Fitted daily growth rates of the top movers, with 95% intervals", Runs: []string{id}, Query: q},
	}
	rows, err := selectRows[schema.GrowthChannel](b, q)
	if err != nil {
		return out, err
	}
	if len(rows) == 0 {
		out.table.Empty = "No channel had enough observed days for a rate fit in this range."
		out.rates.Empty = out.table.Empty
		return out, nil
	}
	models, err := selectRows[growthModelRow](b, mq)
	if err != nil {
		return out, err
	}
	model := map[job.Key]string{}
	for _, m := range models {
		model[job.Key{Platform: m.Platform, ChannelID: m.ChannelID}] = m.Model
	}
	for _, c := range rows {
		out.keys = append(out.keys, job.Key{Platform: c.Platform, ChannelID: c.ChannelID})
	}
	if err := b.loadLabels(out.keys); err != nil {
		return out, err
	}
	t := &Table{Columns: []string{"channel", "platform", "id", "subscribers first", "subscribers last", "growth %", "rate per day (95% CI)",
		"doubling days (95% CI)", "model", "jumps"}, Text: []bool{true, false, false, false, false, false, false, false, false, false}}
	chart := &Chart{Kind: ChartBars, XLabel: "exponential growth rate per day", YLabel: ""}
	for i, c := range rows {
		k := out.keys[i]
		m := model[k]
		if m == "" {
			m = "exponential"
		}
		t.Rows = append(t.Rows, []string{b.label(k, MaxCell), c.Platform, strconv.FormatUint(c.ChannelID, 10), num(c.SubsFirst, 0), num(c.SubsLast, 0),
			num(pct(c.SubsFirst, c.SubsLast), 1), interval(c.ExpRate, c.ExpRateLo, c.ExpRateHi, 4, "n/a"),
			interval(c.Doubling, c.DoublingLo, c.DoublingHi, 1, "unbounded"), m, count(c.Jumps)})
		chart.Bars = append(chart.Bars, Bar{Label: b.label(k, MaxLabel), Value: c.ExpRate, Lo: c.ExpRateLo, Hi: c.ExpRateHi, HasInterval: true})
	}
	out.table.Table, out.rates.Chart = t, chart
	return out, nil
}

func (b *builder) growthTrajectories(id string, keys []job.Key) (Figure, error) {
	if len(keys) > trajectories {
		keys = keys[:trajectories]
	}
	var ids []string
	for _, k := range keys {
		ids = append(ids, quote(k.Platform+":"+strconv.FormatUint(k.ChannelID, 10)))
	}
	q := "SELECT " + store.Columns[schema.GrowthDay]() + " FROM " + b.table(schema.TableGrowthSeries) + " FINAL WHERE " + runIs(id) +
		" AND has([" + strings.Join(ids, ", ") + "], concat(platform, ':', toString(channel_id))) AND gap = 0 ORDER BY platform, channel_id, day"
	f := Figure{ID: "growth-trajectories", Title: "Audience trajectories of the top movers (log scale)", Runs: []string{id}, Query: q,
		Caption: "Daily subscribers from growth_series; days inside gaps are left out."}
	if len(keys) == 0 {
		f.Empty = "No channel had a fitted rate, so there are no trajectories to draw."
		return f, nil
	}
	days, err := selectRows[schema.GrowthDay](b, q)
	if err != nil {
		return f, err
	}
	series := map[job.Key]*Series{}
	for _, d := range days {
		k := job.Key{Platform: d.Platform, ChannelID: d.ChannelID}
		sr := series[k]
		if sr == nil {
			sr = &Series{Name: b.label(k, MaxLabel)}
			series[k] = sr
		}
		sr.X = append(sr.X, float64(d.Day.Unix()))
		sr.Y = append(sr.Y, d.Subscribers)
	}
	chart := &Chart{Kind: ChartLines, XLabel: "day", YLabel: "subscribers", XTime: true, LogY: true}
	for _, k := range keys {
		if sr := series[k]; sr != nil {
			chart.Series = append(chart.Series, *sr)
		}
	}
	if len(chart.Series) == 0 {
		f.Empty = "The growth series of the top movers hold no days outside gaps."
		return f, nil
	}
	tl, err := b.growthTimeline(id, ids)
	if err != nil {
		return f, err
	}
	chart.Marks = tl.marks
	f.Query += ";\n" + tl.query
	if len(tl.table.Rows) > 0 {
		f.Table = tl.table
		f.Caption += " Dashed lines: the registry events (E1, E2, ...) and these channels' audience jumps (J1, J2, ...) that the table names."
	}
	f.Chart = chart
	return f, nil
}

// timelineRow is a registry event or an audience jump on the trajectories' time axis.
type timelineRow struct {
	At     time.Time `ch:"at"`
	What   string    `ch:"what"`
	Name   string    `ch:"name"`
	Factor float64   `ch:"factor"`
}

// growthTimeline reads the registry events of the range (recorded or imported, not the
// status changes the collector detected) and the PELT jumps of the charted channels, as marks: one per day, the names of a day's events and jumps together.
func (b *builder) growthTimeline(id string, ids []string) (linkMarks, error) {
	from, to := b.o.Params.From.Unix(), b.o.Params.To.Unix()
	q := "SELECT event_at AS at, 'event' AS what, concat(toString(kind), ' ', event_id) AS name, 0 AS factor FROM " + b.table(schema.TableEvents) +
		" FINAL WHERE deleted = 0 AND has(" + quoteList(job.DefaultEventOrigins) + ", origin) AND event_at >= toDateTime(" + strconv.FormatInt(from, 10) + ") AND event_at < toDateTime(" + strconv.FormatInt(to, 10) + ")" +
		" UNION ALL SELECT toDateTime(day) AS at, 'jump' AS what, concat(platform, ':', toString(channel_id)) AS name, factor FROM " + b.table(schema.TableGrowthJumps) +
		" FINAL WHERE " + runIs(id) + " AND method = 'pelt' AND has([" + strings.Join(ids, ", ") + "], concat(platform, ':', toString(channel_id)))"
	out := linkMarks{query: q}
	rows, err := selectRows[timelineRow](b, q)
	if err != nil {
		return out, err
	}
	slices.SortStableFunc(rows, func(a, c timelineRow) int {
		return cmp.Or(a.At.Compare(c.At), cmp.Compare(a.What, c.What), cmp.Compare(a.Name, c.Name))
	})
	out.table = &Table{Columns: []string{"mark", "day", "what", "event or channel", "jump factor"}, Text: []bool{false, false, false, true, false}}
	byDay := map[string]int{}
	events, jumps := 0, 0
	for _, r := range rows {
		var name, factor string
		if r.What == "event" {
			events++
			name, factor = "E"+strconv.Itoa(events), ""
		} else {
			jumps++
			name, factor = "J"+strconv.Itoa(jumps), num(r.Factor, 2)
		}
		out.table.Rows = append(out.table.Rows, []string{name, day(r.At), r.What, Clean(r.Name, MaxCell), factor})
		d := day(r.At)
		if k, ok := byDay[d]; ok {
			out.marks[k].Label += " " + name
			continue
		}
		byDay[d] = len(out.marks)
		out.marks = append(out.marks, Mark{X: float64(r.At.Unix()), Label: name})
	}
	return out, nil
}

func (b *builder) growthJumps(id string) (Figure, error) {
	q := "SELECT " + store.Columns[schema.GrowthJump]() + " FROM " + b.table(schema.TableGrowthJumps) + " FINAL WHERE " + runIs(id) +
		" ORDER BY abs(log(factor)) DESC, day, platform, channel_id LIMIT " + strconv.Itoa(topJumps)
	f := Figure{ID: "growth-jumps", Title: "Audience jumps (changepoints), the largest first", Runs: []string{id}, Query: q,
		Caption: "factor: the audience after the jump over the audience before it."}
	rows, err := selectRows[schema.GrowthJump](b, q)
	if err != nil {
		return f, err
	}
	if len(rows) == 0 {
		f.Empty = "No audience jump was found in this range."
		return f, nil
	}
	var keys []job.Key
	for _, j := range rows {
		keys = append(keys, job.Key{Platform: j.Platform, ChannelID: j.ChannelID})
	}
	if err := b.loadLabels(keys); err != nil {
		return f, err
	}
	f.Table = &Table{Columns: []string{"day", "channel", "id", "method", "factor"}, Text: []bool{false, true, false, false, false}}
	for i, j := range rows {
		f.Table.Rows = append(f.Table.Rows, []string{day(j.Day), b.label(keys[i], MaxCell), strconv.FormatUint(j.ChannelID, 10), j.Method, num(j.Factor, 2)})
	}
	return f, nil
}

func (b *builder) growthGroups(id string) (Figure, error) {
	q := "SELECT " + store.Columns[schema.GrowthGroup]() + " FROM " + b.table(schema.TableGrowthGroups) + " FINAL WHERE " + runIs(id) +
		" ORDER BY group_kind DESC, subscribers_last DESC, group_name"
	f := Figure{ID: "growth-groups", Title: "Growth per platform and community", Runs: []string{id}, Query: q,
		Caption: "Median and quartiles of the fitted daily rates; spike share: the share of growth on days inside registry-event windows."}
	rows, err := selectRows[schema.GrowthGroup](b, q)
	if err != nil {
		return f, err
	}
	if len(rows) == 0 {
		f.Empty = "No platform or community aggregate was written for this run."
		return f, nil
	}
	f.Table = &Table{Columns: []string{"group", "name", "channels", "fitted", "subscribers first", "subscribers last", "growth %", "rate q1 / median / q3", "spike share"},
		Text: []bool{false, true, false, false, false, false, false, false, false}}
	for _, g := range rows {
		f.Table.Rows = append(f.Table.Rows, []string{g.GroupKind, Clean(g.GroupName, MaxCell), count(g.Channels), count(g.Fitted), num(g.SubsFirst, 0),
			num(g.SubsLast, 0), num(g.GrowthPct, 1), fmt.Sprintf("%s / %s / %s", num(g.RateQ1, 4), num(g.RateMedian, 4), num(g.RateQ3, 4)), num(g.SpikeShare, 2)})
	}
	return f, nil
}

// finiteOr is v, or alt when v is not a finite number.
func finiteOr(v, alt float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return alt
	}
	return v
}

// quoteList is a ClickHouse array literal of quoted strings.
func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = quote(v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
