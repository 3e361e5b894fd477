package report

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// Jobs are the analysis jobs whose runs a report reads, in report order. Every one is
// listed with its data version.
var Jobs = []string{"growth", "engagement", "bursts", "takedowns", "migration", "network", "actors"}

// Options say what a report covers and which runs it reads.
type Options struct {
	Params  job.Params
	Compare Period
	// Runs maps a job name to the run of the current period the report reads; a job
	// without a run has no section. CompareRuns are the comparison period's.
	Runs        map[string]string
	CompareRuns map[string]string
	CodeVersion string
	ConfigHash  string
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// builder reads a report's figures from the store.
type builder struct {
	ctx    context.Context
	db     *store.DB
	o      Options
	rep    *Report
	runs   map[string]*Run // current period, by job
	prev   map[string]*Run // comparison period, by job
	labels map[job.Key]string
}

// Build reads the runs named in o and their results and composes the report. A run that
// is unknown, or of another job than the one it is named for, is an error naming it.
func Build(ctx context.Context, db *store.DB, o Options) (*Report, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	b := &builder{ctx: ctx, db: db, o: o, runs: map[string]*Run{}, prev: map[string]*Run{}, labels: map[job.Key]string{}}
	b.rep = &Report{
		Title:  "tidewatch trend report " + day(o.Params.From) + " to " + day(o.Params.To.Add(-time.Second)),
		Params: o.Params, Compare: o.Compare, Generated: now().UTC(), CodeVersion: o.CodeVersion, ConfigHash: o.ConfigHash,
	}
	if err := b.loadRuns(o.Runs, PeriodCurrent, b.runs); err != nil {
		return nil, err
	}
	if err := b.loadRuns(o.CompareRuns, PeriodComparison, b.prev); err != nil {
		return nil, err
	}
	b.rep.DataVersion = mergeInputs(b.rep.Runs)
	steps := []func() (Section, bool, error){
		b.headline, b.coverage, b.growth, b.engagement, b.events, b.migrationImpact, b.linkEcology, b.network, b.actorsSection, b.takedowns, b.caveats,
	}
	for _, step := range steps {
		s, ok, err := step()
		if err != nil {
			return nil, err
		}
		if ok {
			b.rep.Sections = append(b.rep.Sections, s)
		}
	}
	return b.rep, nil
}

// loadRuns reads the runs rows and run_inputs of the named runs.
func (b *builder) loadRuns(ids map[string]string, period string, into map[string]*Run) error {
	for _, name := range Jobs {
		id, ok := ids[name]
		if !ok {
			continue
		}
		if err := CheckRunID(id); err != nil {
			return fmt.Errorf("%s run of the %s period: %w", name, period, err)
		}
		rows, err := store.Select[schema.Run](b.ctx, b.db, "SELECT "+store.Columns[schema.Run]()+" FROM "+b.db.Table(schema.TableRuns)+
			" FINAL WHERE run_id = "+quote(id))
		if err != nil {
			return fmt.Errorf("read run %s: %w", id, err)
		}
		if len(rows) == 0 {
			return fmt.Errorf("run %s (%s, %s period): not in the runs table", id, name, period)
		}
		if rows[0].Job != "analyze:"+name {
			return fmt.Errorf("run %s is a run of %s, not of analyze:%s", id, rows[0].Job, name)
		}
		inputs, err := store.Select[schema.RunInput](b.ctx, b.db, "SELECT "+store.Columns[schema.RunInput]()+" FROM "+
			b.db.Table(schema.TableRunInputs)+" FINAL WHERE run_id = "+quote(id)+" ORDER BY input_table")
		if err != nil {
			return fmt.Errorf("read run_inputs of run %s: %w", id, err)
		}
		r := &Run{Job: name, Period: period, Run: rows[0], Inputs: inputs}
		into[name] = r
		b.rep.Runs = append(b.rep.Runs, *r)
	}
	return nil
}

// mergeInputs is the data version of a set of runs: per table, the largest row count and
// latest ingest any of them read.
func mergeInputs(runs []Run) []schema.RunInput {
	by := map[string]schema.RunInput{}
	for _, r := range runs {
		for _, in := range r.Inputs {
			cur, ok := by[in.InputTable]
			if !ok || in.Rows > cur.Rows {
				cur.Rows = in.Rows
			}
			if !ok || in.Latest.After(cur.Latest) {
				cur.Latest = in.Latest
			}
			cur.InputTable = in.InputTable
			by[in.InputTable] = cur
		}
	}
	out := make([]schema.RunInput, 0, len(by))
	for _, in := range by {
		out = append(out, schema.RunInput{InputTable: in.InputTable, Rows: in.Rows, Latest: in.Latest.UTC()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].InputTable < out[j].InputTable })
	return out
}

// ok tells whether the current period has a finished, ok run of a job.
func (b *builder) ok(name string) (*Run, bool) {
	r, found := b.runs[name]
	return r, found && r.Status == job.StatusOK
}

// notOK is the text of a section whose run did not end ok.
func notOK(r *Run) string {
	why := strings.Join(r.Errors, "; ")
	if why == "" {
		why = "no reason recorded"
	}
	return fmt.Sprintf("The %s run %s ended %s: %s. Its section has no figures.", r.Job, r.RunID, r.Status, Clean(why, 300))
}

// table is a qualified table name.
func (b *builder) table(name string) string { return b.db.Table(name) }

// selectRows runs a figure's query.
func selectRows[T any](b *builder, q string) ([]T, error) {
	rows, err := store.Select[T](b.ctx, b.db, q)
	if err != nil {
		return nil, fmt.Errorf("report query %s: %w", firstLine(q), err)
	}
	return rows, nil
}

func firstLine(q string) string {
	q, _, _ = strings.Cut(strings.TrimSpace(q), "\n")
	return Clean(q, 80)
}

// labelRow is a channel's name.
type labelRow struct {
	Platform  string `ch:"platform"`
	ChannelID uint64 `ch:"channel_id"`
	Username  string `ch:"username"`
	Title     string `ch:"title"`
}

// label is a channel's name for a table or chart: its title and handle, cleaned, or its
// platform and id when the store knows neither.
func (b *builder) label(k job.Key, max int) string {
	if s, ok := b.labels[k]; ok && s != "" {
		return Clean(s, max)
	}
	return k.Platform + " " + strconv.FormatUint(k.ChannelID, 10)
}

// loadLabels reads the names of channels not yet known.
func (b *builder) loadLabels(keys []job.Key) error {
	var ids []string
	for _, k := range keys {
		if _, ok := b.labels[k]; !ok {
			ids = append(ids, strconv.FormatUint(k.ChannelID, 10))
			b.labels[k] = ""
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := selectRows[labelRow](b, "SELECT platform, channel_id, username, title FROM "+b.table(schema.TableChannels)+
		" FINAL WHERE has(["+strings.Join(ids, ",")+"], channel_id)")
	if err != nil {
		return err
	}
	for _, r := range rows {
		k := job.Key{Platform: r.Platform, ChannelID: r.ChannelID}
		name := Clean(r.Title, MaxCell)
		if u := Clean(r.Username, MaxCell); u != "" {
			if name == "" {
				name = "@" + u
			} else {
				name += " (@" + u + ")"
			}
		}
		b.labels[k] = name
	}
	return nil
}

// runQuery is the condition that keeps a run's rows, for a query a report prints.
func runIs(id string) string { return "run_id = " + quote(id) }
