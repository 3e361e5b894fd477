package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/schema"
)

// scopeCondition is a WHERE condition, with its values spelled out, that keeps the
// channels of a resolved scope: the query a report prints runs as printed.
func scopeCondition(c job.Channels) string {
	if c.All {
		if len(c.Platforms) == 0 {
			return "1"
		}
		qs := make([]string, len(c.Platforms))
		for i, p := range c.Platforms {
			qs[i] = quote(p)
		}
		return "has([" + strings.Join(qs, ", ") + "], platform)"
	}
	qs := make([]string, len(c.Keys))
	for i, k := range c.Keys {
		qs[i] = quote(k.Platform + ":" + strconv.FormatUint(k.ChannelID, 10))
	}
	return "has([" + strings.Join(qs, ", ") + "], concat(platform, ':', toString(channel_id)))"
}

// timeLit is a DateTime literal in UTC.
func timeLit(t time.Time) string {
	return "toDateTime(" + quote(t.UTC().Format(time.DateTime)) + ", 'UTC')"
}

// completenessRow is the collector's account of the channels in scope, summed.
type completenessRow struct {
	Channels       float64 `ch:"channels"`
	Expected       float64 `ch:"ids_expected"`
	Stored         float64 `ch:"stored"`
	Gaps           float64 `ch:"gaps"`
	NotFetched     float64 `ch:"not_fetched"`
	Unreadable     float64 `ch:"unreadable"`
	Deleted        float64 `ch:"deleted"`
	CountersDone   float64 `ch:"counters_done"`
	CountersMissed float64 `ch:"counters_missed"`
	CountersLate   float64 `ch:"counters_late"`
	CountersLost   float64 `ch:"counters_lost"`
}

var completenessColumns = []string{"ids_expected", "stored", "gaps", "not_fetched", "unreadable", "deleted",
	"counters_done", "counters_missed", "counters_late", "counters_lost"}

// coverage is what the report stands on: the channels, posts and snapshots in scope, the
// collector's gaps, the runs and the data version.
func (b *builder) coverage() (Section, bool, error) {
	s := Section{ID: "coverage", Title: "Coverage and method"}
	s.Text = []string{
		fmt.Sprintf("Range [%s, %s), scope %s. Every job reads the stored observations of that range and writes its results keyed by its run; "+
			"the figures below name the run and print the query that reads them.", stamp(b.o.Params.From), stamp(b.o.Params.To), b.o.Params.Scope),
		"Coverage counts are read from the base tables when the report is written, not from a run: they move when new data arrives. " +
			"The collector's own account of gaps (collect_completeness) is its latest, whatever the range.",
	}
	scope, err := job.Resolve(b.ctx, b.db, b.o.Params.Scope)
	if err != nil {
		return s, false, fmt.Errorf("coverage: %w", err)
	}
	cond := scopeCondition(scope)
	counts, err := b.coverageCounts(cond)
	if err != nil {
		return s, false, err
	}
	comp, err := b.completeness(cond)
	if err != nil {
		return s, false, err
	}
	s.Figures = append(s.Figures, counts, comp, b.runsFigure(), b.dataVersionFigure())
	return s, true, nil
}

func (b *builder) coverageCounts(cond string) (Figure, error) {
	rng := timeLit(b.o.Params.From) + " AND %s < " + timeLit(b.o.Params.To)
	qs := []string{
		"SELECT toFloat64(count()) AS a, toFloat64(countIf(status = 'active')) AS b, toFloat64(countIf(status IN ('private', 'banned', 'deleted', 'not_found'))) AS c, 0. AS d, 0. AS e FROM " +
			b.table(schema.TableChannels) + " FINAL WHERE " + cond,
		"SELECT toFloat64(count()) AS a, toFloat64(uniqExact(platform, channel_id)) AS b, 0. AS c, 0. AS d, 0. AS e FROM " +
			b.table(schema.TableChannelSnapshots) + " WHERE " + cond + " AND snapshot_at >= " + fmt.Sprintf(rng, "snapshot_at"),
		"SELECT toFloat64(count()) AS a, toFloat64(countIf(deleted = 1)) AS b, toFloat64(countIf(fwd_channel_id != 0)) AS c, toFloat64(uniqExact(platform, channel_id)) AS d, 0. AS e FROM " +
			b.table(schema.TablePosts) + " FINAL WHERE " + cond + " AND kind = 'post' AND posted_at >= " + fmt.Sprintf(rng, "posted_at"),
	}
	var r [3]aggRow
	for i, q := range qs {
		var err error
		if r[i], err = agg(b, q); err != nil {
			return Figure{}, err
		}
	}
	rows := [][]string{
		{"channels in scope (known to the store)", num(r[0].A, 0)},
		{"of them public at their last observation", num(r[0].B, 0)},
		{"of them private, banned, deleted or not found", num(r[0].C, 0)},
		{"snapshots in the range", num(r[1].A, 0)},
		{"channels with a snapshot in the range", num(r[1].B, 0)},
		{"posts in the range", num(r[2].A, 0)},
		{"of them deleted later", num(r[2].B, 0)},
		{"of them forwarded from another channel", num(r[2].C, 0)},
		{"channels with a post in the range", num(r[2].D, 0)},
	}
	return Figure{ID: "coverage-counts", Title: "Channels, snapshots and posts in scope", Query: strings.Join(qs, ";\n"),
		Caption: "Read from the base tables when the report was written.",
		Table:   &Table{Columns: []string{"measure", "value"}, Text: make([]bool, 2), Rows: rows}}, nil
}

func (b *builder) completeness(cond string) (Figure, error) {
	var last, sums []string
	for _, c := range completenessColumns {
		last = append(last, "argMax("+c+", version) AS "+c)
		sums = append(sums, "toFloat64(sum("+c+")) AS "+c)
	}
	q := "SELECT toFloat64(count()) AS channels, " + strings.Join(sums, ", ") + " FROM (SELECT platform, channel_id, " + strings.Join(last, ", ") +
		" FROM " + b.table(schema.TableCompleteness) + " GROUP BY platform, channel_id) WHERE " + cond
	f := Figure{ID: "coverage-completeness", Title: "Gaps and losses the collector knows of", Query: q,
		Caption: "Message ids expected in each channel's history and what became of them; counter re-reads at the fixed post ages done, missed (the age had passed when the post was first seen), late, or lost to rate limits."}
	rows, err := selectRows[completenessRow](b, q)
	if err != nil {
		return f, err
	}
	if len(rows) == 0 || rows[0].Channels == 0 {
		f.Empty = "The collector has recorded no completeness account for the channels in scope (imported data, or nothing collected yet), so gaps and rate-limit losses are unknown."
		return f, nil
	}
	c := rows[0]
	share := func(v float64) string {
		if c.Expected == 0 {
			return "n/a"
		}
		return num(100*v/c.Expected, 1) + "%"
	}
	f.Table = &Table{Columns: []string{"measure", "value", "share of ids expected"}, Text: make([]bool, 3), Rows: [][]string{
		{"channels with an account", num(c.Channels, 0), ""},
		{"message ids expected", num(c.Expected, 0), share(c.Expected)},
		{"stored", num(c.Stored, 0), share(c.Stored)},
		{"gaps (deleted before they could be fetched)", num(c.Gaps, 0), share(c.Gaps)},
		{"not fetched yet", num(c.NotFetched, 0), share(c.NotFetched)},
		{"unreadable (the channel went away first)", num(c.Unreadable, 0), share(c.Unreadable)},
		{"stored, then found deleted", num(c.Deleted, 0), share(c.Deleted)},
		{"counter re-reads done", num(c.CountersDone, 0), ""},
		{"counter re-reads missed", num(c.CountersMissed, 0), ""},
		{"counter re-reads late", num(c.CountersLate, 0), ""},
		{"counter re-reads lost to rate limits", num(c.CountersLost, 0), ""},
	}}
	return f, nil
}

// runsFigure lists the runs the report reads, with what produced them.
func (b *builder) runsFigure() Figure {
	f := Figure{ID: "coverage-runs", Title: "The job runs this report reads",
		Query: "SELECT run_id, job, status, started_at, finished_at, args, config_hash, code_version FROM " + b.table(schema.TableRuns) +
			" FINAL WHERE has([" + strings.Join(b.runIDs(), ", ") + "], run_id)",
		Table: &Table{Columns: []string{"job", "period", "run", "status", "parameters", "finished", "configuration hash", "code version"}, Text: []bool{false, false, false, false, true, false, true, true}}}
	for _, r := range b.rep.Runs {
		f.Runs = append(f.Runs, r.RunID)
		f.Table.Rows = append(f.Table.Rows, []string{r.Job, r.Period, r.RunID, r.Status, Clean(r.Args, 200), stamp(r.FinishedAt),
			Clean(r.ConfigHash, MaxCell), Clean(r.CodeVersion, MaxCell)})
	}
	if len(f.Table.Rows) == 0 {
		f.Table, f.Empty = nil, "The report reads no job run."
	}
	return f
}

func (b *builder) runIDs() []string {
	var ids []string
	for _, r := range b.rep.Runs {
		ids = append(ids, quote(r.RunID))
	}
	return ids
}

// dataVersionFigure is the data version: per input table, the rows and latest ingest the
// runs read.
func (b *builder) dataVersionFigure() Figure {
	f := Figure{ID: "coverage-data-version", Title: "Data version: what the runs read",
		Query: "SELECT input_table, max(rows) AS rows, max(latest) AS latest FROM " + b.table(schema.TableRunInputs) +
			" FINAL WHERE has([" + strings.Join(b.runIDs(), ", ") + "], run_id) GROUP BY input_table ORDER BY input_table",
		Caption: "Row counts are of stored rows (before replacing merges collapse duplicates): what moves when new data arrives.",
		Table:   &Table{Columns: []string{"table", "rows", "latest ingest"}, Text: make([]bool, 3)}}
	for _, in := range b.rep.DataVersion {
		f.Table.Rows = append(f.Table.Rows, []string{in.InputTable, count(in.Rows), stamp(in.Latest)})
	}
	f.Runs = append(f.Runs, b.runsList()...)
	if len(f.Table.Rows) == 0 {
		f.Table, f.Empty = nil, "No run recorded its inputs."
	}
	return f
}

func (b *builder) runsList() []string {
	var ids []string
	for _, r := range b.rep.Runs {
		ids = append(ids, r.RunID)
	}
	return ids
}
