package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/tidewatch/tidewatch/schema"
)

// metric is one headline number of a run.
type metric struct {
	Name  string
	Value float64
	Prec  int
}

// headlineQuery reads a job's headline numbers from one of its runs.
type headlineQuery struct {
	queries func(b *builder, runID string) []string
	read    func(b *builder, qs []string) ([]metric, error)
}

// aggRow is a row of aggregates, every one cast to Float64.
type aggRow struct {
	A float64 `ch:"a"`
	B float64 `ch:"b"`
	C float64 `ch:"c"`
	D float64 `ch:"d"`
	E float64 `ch:"e"`
}

// agg runs a query whose columns are a, b, c, d, e and returns its one row.
func agg(b *builder, q string) (aggRow, error) {
	rows, err := selectRows[aggRow](b, q)
	if err != nil || len(rows) == 0 {
		return aggRow{}, err
	}
	return rows[0], nil
}

// pct is 100 (last - first) / first.
func pct(first, last float64) float64 {
	if first == 0 {
		return math.NaN()
	}
	return 100 * (last - first) / first
}

var headlineQueries = map[string]headlineQuery{
	"growth": {
		queries: func(b *builder, id string) []string {
			t := b.table(schema.TableGrowthChannels) + " FINAL WHERE " + runIs(id)
			return []string{
				"SELECT toFloat64(count()) AS a, toFloat64(countIf(status = 'ok')) AS b, sumIf(subscribers_first, status = 'ok') AS c, " +
					"sumIf(subscribers_last, status = 'ok') AS d, toFloat64(sum(jumps)) AS e FROM " + t,
				"SELECT quantileExact(0.5)(exp_rate) AS a, toFloat64(count()) AS b, 0. AS c, 0. AS d, 0. AS e FROM " + t + " AND status = 'ok'",
			}
		},
		read: func(b *builder, qs []string) ([]metric, error) {
			r, err := agg(b, qs[0])
			if err != nil {
				return nil, err
			}
			m, err := agg(b, qs[1])
			if err != nil {
				return nil, err
			}
			median := math.NaN()
			if m.B > 0 {
				median = m.A
			}
			return []metric{
				{"channels with snapshots", r.A, 0}, {"channels with a fitted rate", r.B, 0},
				{"audience of fitted channels at the end", r.D, 0}, {"audience growth of fitted channels, %", pct(r.C, r.D), 1},
				{"median daily growth rate (exponential fit)", median, 4}, {"audience jumps found", r.E, 0},
			}, nil
		},
	},
	"engagement": {
		queries: func(b *builder, id string) []string {
			t := b.table(schema.TableEngagementChannels) + " FINAL WHERE " + runIs(id)
			return []string{
				"SELECT toFloat64(sum(posts)) AS a, toFloat64(sum(overperforming)) AS b, toFloat64(countIf(status = 'ok')) AS c, 0. AS d, 0. AS e FROM " + t,
				"SELECT quantileExact(0.5)(err) AS a, toFloat64(count()) AS b, 0. AS c, 0. AS d, 0. AS e FROM " + t + " AND status = 'ok' AND err = err",
				"SELECT quantileExact(0.5)(er) AS a, toFloat64(count()) AS b, 0. AS c, 0. AS d, 0. AS e FROM " + t + " AND status = 'ok' AND er = er",
			}
		},
		read: func(b *builder, qs []string) ([]metric, error) {
			var r [3]aggRow
			for i, q := range qs {
				var err error
				if r[i], err = agg(b, q); err != nil {
					return nil, err
				}
			}
			median := func(a aggRow) float64 {
				if a.B == 0 {
					return math.NaN()
				}
				return a.A
			}
			return []metric{
				{"posts", r[0].A, 0}, {"channels with ERR", r[0].C, 0}, {"median ERR, %", median(r[1]), 1},
				{"median ER, %", median(r[2]), 2}, {"overperforming posts", r[0].B, 0},
			}, nil
		},
	},
	"bursts": {
		queries: func(b *builder, id string) []string {
			return []string{
				"SELECT toFloat64(uniqExact(event_id)) AS a, toFloat64(countIf(status = 'ok')) AS b, 0. AS c, 0. AS d, 0. AS e FROM " +
					b.table(schema.TableBurstsChannels) + " FINAL WHERE " + runIs(id),
				"SELECT max(z) AS a, toFloat64(count()) AS b, 0. AS c, 0. AS d, 0. AS e FROM " + b.table(schema.TableBurstsCommunities) +
					" FINAL WHERE " + runIs(id) + " AND status = 'ok' AND z = z",
			}
		},
		read: func(b *builder, qs []string) ([]metric, error) {
			r, err := agg(b, qs[0])
			if err != nil {
				return nil, err
			}
			c, err := agg(b, qs[1])
			if err != nil {
				return nil, err
			}
			top := math.NaN()
			if c.B > 0 {
				top = c.A
			}
			return []metric{{"registry events scored", r.A, 0}, {"channel windows scored", r.B, 0}, {"highest community burst z", top, 1}}, nil
		},
	},
	"takedowns": {
		queries: func(b *builder, id string) []string {
			return []string{"SELECT toFloat64(channels) AS a, toFloat64(ended) AS b, median_days AS c, if(status = 'ok', 1., 0.) AS d, 0. AS e FROM " +
				b.table(schema.TableTakedownsCohorts) + " FINAL WHERE " + runIs(id) + " AND cohort = 'all'"}
		},
		read: func(b *builder, qs []string) ([]metric, error) {
			r, err := agg(b, qs[0])
			if err != nil {
				return nil, err
			}
			median := r.C
			if r.D == 0 {
				median = math.NaN()
			}
			return []metric{{"channels followed for lifetimes", r.A, 0}, {"channels that left public view", r.B, 0}, {"median lifetime, days", median, 1}}, nil
		},
	},
	"network": {
		queries: func(b *builder, id string) []string {
			return []string{
				"SELECT toFloat64(count()) AS a, toFloat64(sum(cited_channels)) AS b, 0. AS c, 0. AS d, 0. AS e FROM " + b.table(schema.TableNetworkNodes) + " FINAL WHERE " + runIs(id),
				"SELECT toFloat64(count()) AS a, max(modularity) AS b, 0. AS c, 0. AS d, 0. AS e FROM " + b.table(schema.TableNetworkCommunities) + " FINAL WHERE " + runIs(id),
				"SELECT toFloat64(count()) AS a, 0. AS b, 0. AS c, 0. AS d, 0. AS e FROM " + b.table(schema.TableNetworkMentions) + " FINAL WHERE " + runIs(id),
			}
		},
		read: func(b *builder, qs []string) ([]metric, error) {
			n, err := agg(b, qs[0])
			if err != nil {
				return nil, err
			}
			c, err := agg(b, qs[1])
			if err != nil {
				return nil, err
			}
			m, err := agg(b, qs[2])
			if err != nil {
				return nil, err
			}
			mod := math.NaN()
			if c.A > 0 {
				mod = c.B
			}
			return []metric{{"channels in the forward graph", n.A, 0}, {"forward edges", n.B, 0}, {"mention and t.me-link edges", m.A, 0},
				{"communities (Louvain, both layers)", c.A, 0}, {"modularity", mod, 3}}, nil
		},
	},
	"actors": {
		queries: func(b *builder, id string) []string {
			return []string{
				"SELECT toFloat64(uniqExact(actor_id)) AS a, toFloat64(count()) AS b, 0. AS c, 0. AS d, 0. AS e FROM " + b.table(schema.TableActorsAccounts) + " FINAL WHERE " + runIs(id),
				"SELECT toFloat64(count()) AS a, 0. AS b, 0. AS c, 0. AS d, 0. AS e FROM " + b.table(schema.TableActorsMoves) + " FINAL WHERE " + runIs(id),
			}
		},
		read: func(b *builder, qs []string) ([]metric, error) {
			a, err := agg(b, qs[0])
			if err != nil {
				return nil, err
			}
			m, err := agg(b, qs[1])
			if err != nil {
				return nil, err
			}
			return []metric{{"actors", a.A, 0}, {"actor accounts", a.B, 0}, {"audience moves between platforms", m.A, 0}}, nil
		},
	},
}

// headline is the key numbers of every ok run against the comparison period's.
func (b *builder) headline() (Section, bool, error) {
	s := Section{ID: "headline", Title: "Headline numbers"}
	if b.o.Compare.IsZero() {
		s.Text = append(s.Text, "No comparison period was asked for; the comparison column is empty.")
	} else {
		s.Text = append(s.Text, fmt.Sprintf("This period: %s to %s; comparison period (%s): %s to %s, the same scope and parameters.",
			stamp(b.o.Params.From), stamp(b.o.Params.To), b.o.Compare.Label, stamp(b.o.Compare.From), stamp(b.o.Compare.To)))
	}
	f := Figure{ID: "headline", Title: "Headline numbers against the comparison period",
		Table: &Table{Columns: []string{"measure", "this period", "comparison", "change", "run"}, Text: make([]bool, 5)}}
	var queries []string
	for _, name := range Jobs {
		r, ok := b.ok(name)
		if !ok {
			continue
		}
		h, known := headlineQueries[name]
		if !known {
			continue
		}
		qs := h.queries(b, r.RunID)
		cur, err := h.read(b, qs)
		if err != nil {
			return s, false, err
		}
		queries = append(queries, "-- "+name+", this period\n"+strings.Join(qs, ";\n"))
		f.Runs = append(f.Runs, r.RunID)
		var prev []metric
		if p, ok := b.prev[name]; ok && p.Status == "ok" {
			pqs := h.queries(b, p.RunID)
			if prev, err = h.read(b, pqs); err != nil {
				return s, false, err
			}
			queries = append(queries, "-- "+name+", comparison period\n"+strings.Join(pqs, ";\n"))
			f.Runs = append(f.Runs, p.RunID)
		}
		for i, m := range cur {
			row := []string{m.Name, num(m.Value, m.Prec), "not computed", "n/a", r.RunID}
			if prev != nil {
				row[2], row[3] = num(prev[i].Value, m.Prec), change(m.Value, prev[i].Value, m.Prec)
				row[4] += ", " + b.prev[name].RunID
			}
			f.Table.Rows = append(f.Table.Rows, row)
		}
	}
	f.Query = strings.Join(queries, ";\n\n")
	if len(f.Table.Rows) == 0 {
		f.Table, f.Empty = nil, "No job run of this period ended ok, so there are no headline numbers."
	}
	s.Figures = append(s.Figures, f)
	return s, true, nil
}
