package report

import (
	"sort"
	"strconv"
	"time"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// Sizes of the link ecology section: the destinations drawn (the rest pooled as other),
// the communities charted, the shifts listed.
const (
	linkDestinations = 5
	linkCommunities  = 2
	topShifts        = 15
)

// otherDestinations names the pooled destinations outside the top ones.
const otherDestinations = "other"

// linkEcology is where the channels' own links point over time: weekly outlink shares by
// destination platform, for the platform and the communities with the most links, with
// the registry events marked, and the largest shifts of the link mix around events.
func (b *builder) linkEcology() (Section, bool, error) {
	r, found := b.runs["migration"]
	if !found {
		return Section{}, false, nil
	}
	s := Section{ID: "links", Title: "Link ecology", Text: []string{
		"Where posts' own outbound and invite links point, by destination platform, week by week (weeks start on Monday); links of forwarded posts, about texts and pinned posts are left out, and a post linking the same address twice counts once. " +
			"Each week's shares are of that week's links; the top destinations over the range are drawn, the rest pooled as \"other\". Dashed lines mark the registry events the run measured.",
	}}
	if r.Status != job.StatusOK {
		s.Text = append(s.Text, notOK(r))
		return s, true, nil
	}
	ev, err := b.linkEvents(r.RunID)
	if err != nil {
		return s, false, err
	}
	plat, err := b.platformShares(r.RunID, ev)
	if err != nil {
		return s, false, err
	}
	s.Figures = append(s.Figures, plat)
	comms, err := b.communityShares(r.RunID, ev)
	if err != nil {
		return s, false, err
	}
	s.Figures = append(s.Figures, comms...)
	shifts, err := b.linkShifts(r.RunID)
	if err != nil {
		return s, false, err
	}
	s.Figures = append(s.Figures, shifts)
	return s, true, nil
}

// eventRow is a registry event a migration run measured.
type eventRow struct {
	EventID       string    `ch:"event_id"`
	EventAt       time.Time `ch:"event_at"`
	EventKind     string    `ch:"event_kind"`
	EventPlatform string    `ch:"event_platform"`
}

// linkMarks are the events of a run as chart marks, with the query and the table that
// name them.
type linkMarks struct {
	query string
	marks []Mark
	table *Table
}

// linkEvents reads the events the run measured; events of the same day share a mark.
func (b *builder) linkEvents(id string) (linkMarks, error) {
	q := "SELECT DISTINCT event_id, event_at, event_kind, event_platform FROM " + b.table(schema.TableMigrationWindows) + " FINAL WHERE " + runIs(id) +
		" ORDER BY event_at, event_id"
	out := linkMarks{query: q}
	rows, err := selectRows[eventRow](b, q)
	if err != nil {
		return out, err
	}
	out.table = &Table{Columns: []string{"mark", "event", "kind", "platform", "at"}, Text: []bool{false, true, true, true, false}}
	byDay := map[string]int{}
	for i, e := range rows {
		name := "E" + strconv.Itoa(i+1)
		out.table.Rows = append(out.table.Rows, []string{name, Clean(e.EventID, MaxCell), Clean(e.EventKind, MaxLabel), Clean(e.EventPlatform, MaxLabel), stamp(e.EventAt)})
		d := day(e.EventAt)
		if k, ok := byDay[d]; ok {
			out.marks[k].Label += " " + name
			continue
		}
		byDay[d] = len(out.marks)
		out.marks = append(out.marks, Mark{X: float64(e.EventAt.Unix()), Label: name})
	}
	return out, nil
}

func (b *builder) sharesQuery(id, level, unit string) string {
	q := "SELECT " + store.Columns[schema.MigrationShare]() + " FROM " + b.table(schema.TableMigrationShares) + " FINAL WHERE " + runIs(id) +
		" AND level = " + quote(level)
	if unit != "" {
		q += " AND unit = " + quoteData(unit)
	}
	return q + " ORDER BY unit, week, destination"
}

// platformShares is the chart of the platform level's weekly shares (every platform in
// scope pooled), with the table of the events marked on it.
func (b *builder) platformShares(id string, ev linkMarks) (Figure, error) {
	q := b.sharesQuery(id, "platform", "")
	f := Figure{ID: "links-platform", Title: "Weekly shares of own outlinks by destination, all channels", Runs: []string{id}, Query: q + ";\n" + ev.query,
		Caption: "Share of each week's own links per destination platform; the table names the events marked E1, E2, ..."}
	rows, err := selectRows[schema.MigrationShare](b, q)
	if err != nil {
		return f, err
	}
	if len(rows) == 0 {
		f.Empty = "No channel in scope had an own outbound link in the range."
		return f, nil
	}
	f.Chart = sharesChart(rows, ev.marks)
	if len(ev.table.Rows) > 0 {
		f.Table = ev.table
	} else {
		f.Caption = "Share of each week's own links per destination platform; no registry event was measured in the range, so none is marked."
	}
	return f, nil
}

// unitLinks is a unit's links over a run.
type unitLinks struct {
	Unit  string  `ch:"unit"`
	Total float64 `ch:"total"`
}

// communityShares are the charts of the communities with the most links.
func (b *builder) communityShares(id string, ev linkMarks) ([]Figure, error) {
	tq := "SELECT unit, toFloat64(sum(links)) AS total FROM " + b.table(schema.TableMigrationShares) + " FINAL WHERE " + runIs(id) +
		" AND level = 'community' GROUP BY unit ORDER BY total DESC, unit LIMIT " + strconv.Itoa(linkCommunities)
	top, err := selectRows[unitLinks](b, tq)
	if err != nil {
		return nil, err
	}
	if len(top) == 0 {
		return []Figure{{ID: "links-community-1", Title: "Weekly shares of own outlinks by destination, per community", Runs: []string{id}, Query: tq,
			Empty: "No community has channels with own outbound links in the range (the communities table assigns none of them)."}}, nil
	}
	var out []Figure
	for i, u := range top {
		q := b.sharesQuery(id, "community", u.Unit)
		f := Figure{ID: "links-community-" + strconv.Itoa(i+1), Title: "Weekly shares of own outlinks by destination, community " + Clean(u.Unit, MaxCell),
			Runs: []string{id}, Query: tq + ";\n" + q + ";\n" + ev.query,
			Caption: "The community ranked " + strconv.Itoa(i+1) + " by own links in the range (" + num(u.Total, 0) + " links); the marks are the events of the chart of all channels."}
		rows, err := selectRows[schema.MigrationShare](b, q)
		if err != nil {
			return nil, err
		}
		if len(rows) == 0 {
			f.Empty = "The community's weekly shares hold no rows."
		} else {
			f.Chart = sharesChart(rows, ev.marks)
		}
		out = append(out, f)
	}
	return out, nil
}

// sharesChart draws weekly shares: the top destinations over all weeks, the rest pooled.
// Rows of several units of a week are pooled (their links summed).
func sharesChart(rows []schema.MigrationShare, marks []Mark) *Chart {
	byWeek := map[time.Time]map[string]uint64{}
	totals := map[string]uint64{}
	for _, r := range rows {
		w := r.Week.UTC()
		if byWeek[w] == nil {
			byWeek[w] = map[string]uint64{}
		}
		byWeek[w][r.Destination] += r.Links
		totals[r.Destination] += r.Links
	}
	dests := make([]string, 0, len(totals))
	for d := range totals {
		dests = append(dests, d)
	}
	sort.Slice(dests, func(i, j int) bool {
		if totals[dests[i]] != totals[dests[j]] {
			return totals[dests[i]] > totals[dests[j]]
		}
		return dests[i] < dests[j]
	})
	top := dests[:min(len(dests), linkDestinations)]
	pooled := len(dests) > len(top)
	weeks := make([]time.Time, 0, len(byWeek))
	for w := range byWeek {
		weeks = append(weeks, w)
	}
	sort.Slice(weeks, func(i, j int) bool { return weeks[i].Before(weeks[j]) })
	series := make([]Series, len(top), len(top)+1)
	for i, d := range top {
		series[i].Name = Clean(d, MaxLabel)
	}
	other := Series{Name: otherDestinations}
	for _, w := range weeks {
		m := byWeek[w]
		var all uint64
		for _, n := range m {
			all += n
		}
		if all == 0 {
			continue
		}
		x := float64(w.Unix())
		rest := all
		for i, d := range top {
			series[i].X, series[i].Y = append(series[i].X, x), append(series[i].Y, float64(m[d])/float64(all))
			rest -= m[d]
		}
		other.X, other.Y = append(other.X, x), append(other.Y, float64(rest)/float64(all))
	}
	if pooled {
		series = append(series, other)
	}
	return &Chart{Kind: ChartLines, XLabel: "week", YLabel: "share of own outlinks", XTime: true, Series: series, Marks: marks}
}

// shiftRow is the destinations that gained and lost most in a window row's link mix.
type shiftRow struct {
	EventID string  `ch:"event_id"`
	Level   string  `ch:"lvl"`
	Unit    string  `ch:"unit"`
	Gained  string  `ch:"gained"`
	Gain    float64 `ch:"gain"`
	Lost    string  `ch:"lost"`
	Loss    float64 `ch:"loss"`
}

// linkShifts is the table of the largest shifts of the link mix around events.
func (b *builder) linkShifts(id string) (Figure, error) {
	q := "SELECT " + store.Columns[schema.MigrationWindow]() + " FROM " + b.table(schema.TableMigrationWindows) + " FINAL WHERE " + runIs(id) +
		" AND status = 'ok' AND js_nats = js_nats ORDER BY js_nats DESC, event_at, event_id, level, unit LIMIT " + strconv.Itoa(topShifts)
	sq := "SELECT event_id, toString(level) AS lvl, unit, argMax(toString(destination), share_post - share_pre) AS gained, max(share_post - share_pre) AS gain, " +
		"argMin(toString(destination), share_post - share_pre) AS lost, min(share_post - share_pre) AS loss FROM " + b.table(schema.TableMigrationWindowShares) +
		" FINAL WHERE " + runIs(id) + " GROUP BY event_id, lvl, unit"
	f := Figure{ID: "links-shifts", Title: "Largest shifts of the link mix around an event", Runs: []string{id}, Query: q + ";\n" + sq,
		Caption: "Jensen-Shannon divergence between the link mixes before and after the event, in nats, with its bootstrap 95% interval; " +
			"gained and lost most: the destinations whose share rose and fell most, in share points (0 to 1)."}
	rows, err := selectRows[schema.MigrationWindow](b, q)
	if err != nil {
		return f, err
	}
	if len(rows) == 0 {
		f.Empty = "No community or platform had enough own links in both windows of an event (20 each) to compare its link mix."
		return f, nil
	}
	shifts, err := selectRows[shiftRow](b, sq)
	if err != nil {
		return f, err
	}
	type unitKey struct{ event, level, unit string }
	by := map[unitKey]shiftRow{}
	for _, s := range shifts {
		by[unitKey{s.EventID, s.Level, s.Unit}] = s
	}
	f.Table = &Table{Columns: []string{"event", "kind", "at", "level", "unit", "named", "links before → after", "JS shift, nats (95% CI)",
		"event platform's link share", "gained most", "lost most"},
		Text: []bool{true, true, false, false, true, false, false, false, false, true, true}}
	for _, w := range rows {
		s := by[unitKey{w.EventID, w.Level, w.Unit}]
		f.Table.Rows = append(f.Table.Rows, []string{Clean(w.EventID, MaxCell), eventKind(w.EventKind, w.EventPlatform), stamp(w.EventAt), w.Level,
			Clean(w.Unit, MaxCell), yesNo(w.Concerned), count(w.LinksPre) + " → " + count(w.LinksPost), interval(w.JSNats, w.JSLo, w.JSHi, 3, "n/a"),
			shareChange(w.EventSharePre, w.EventSharePost), shiftText(s.Gained, s.Gain), shiftText(s.Lost, s.Loss)})
	}
	return f, nil
}

// shiftText is a destination with its change of share.
func shiftText(dest string, d float64) string {
	if dest == "" {
		return "n/a"
	}
	return Clean(dest, MaxLabel) + " " + signed(d, 3)
}
