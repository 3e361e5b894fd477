package job

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// Run statuses, as stored in runs.status.
const (
	StatusRunning = "running"
	StatusOK      = "ok"
	StatusSkipped = "skipped" // too little data: the reasons are in runs.errors, no results
	StatusFailed  = "failed"
)

// latestColumn is, per input table, the column whose maximum is the table's latest ingest.
var latestColumn = map[string]string{
	schema.TableChannels:         "last_seen_at",
	schema.TableChannelSnapshots: "snapshot_at",
	schema.TablePosts:            "counters_at",
	schema.TablePostCounters:     "read_at",
	schema.TablePostLinks:        "posted_at",
	schema.TableChannelEvents:    "detected_at",
	schema.TableEvents:           "toDateTime(intDiv(version, 1000000000))",
	schema.TableAccountLinks:     "toDateTime(intDiv(version, 1000000000))",
	schema.TableActorAccounts:    "added_at",
	schema.TableCommunities:      "added_at",
}

// DataVersion reads the row count and latest ingest of each input table: what a run saw.
// Counts are of stored rows (before replacing merges collapse duplicates), which is what
// moves when new data arrives.
func DataVersion(ctx context.Context, db *store.DB, tables []string) ([]schema.RunInput, error) {
	out := make([]schema.RunInput, 0, len(tables))
	for _, t := range tables {
		col, ok := latestColumn[t]
		if !ok {
			return nil, fmt.Errorf("data version: no latest-ingest column known for table %s", t)
		}
		in := schema.RunInput{InputTable: t}
		if err := db.QueryRow(ctx, "SELECT count(), max("+col+") FROM "+db.Table(t)).Scan(&in.Rows, &in.Latest); err != nil {
			return nil, fmt.Errorf("data version of %s: %w", t, err)
		}
		in.Latest = in.Latest.UTC()
		out = append(out, in)
	}
	return out, nil
}

// Meta is what a command knows about itself.
type Meta struct {
	ConfigHash  string
	CodeVersion string
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Writer options for the run's own rows.
	Writer store.WriterOptions
}

func (m Meta) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

// Run is one job run in progress. Its results carry ID.
type Run struct {
	ID      string
	Job     string
	Params  Params
	Started time.Time
	Inputs  []schema.RunInput

	db   *store.DB
	meta Meta
	runs *store.Writer[schema.Run]
}

// NewRunID is a fresh run id: the job, the start time and 48 random bits.
func NewRunID(job string, at time.Time) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return job + "-" + at.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Start records a run of job (runs row "running", run_inputs with the data version of the
// input tables). Params must have been validated.
func Start(ctx context.Context, db *store.DB, job string, p Params, inputs []string, m Meta) (*Run, error) {
	started := m.now()
	r := &Run{ID: NewRunID(job, started), Job: job, Params: p, Started: started, db: db, meta: m}
	var err error
	if r.Inputs, err = DataVersion(ctx, db, inputs); err != nil {
		return nil, err
	}
	in, err := store.NewWriter[schema.RunInput](db, schema.TableRunInputs, m.Writer)
	if err != nil {
		return nil, fmt.Errorf("open run_inputs writer: %w", err)
	}
	for i := range r.Inputs {
		r.Inputs[i].RunID = r.ID
		r.Inputs[i].Version = schema.Version(started)
	}
	werr := in.Write(ctx, r.Inputs...)
	if err := errors.Join(werr, in.Close(ctx)); err != nil {
		return nil, fmt.Errorf("write run_inputs: %w", err)
	}
	if r.runs, err = store.NewWriter[schema.Run](db, schema.TableRuns, m.Writer); err != nil {
		return nil, fmt.Errorf("open runs writer: %w", err)
	}
	if err := r.write(ctx, StatusRunning, nil, nil, time.Time{}); err != nil {
		return nil, errors.Join(err, r.runs.Close(ctx))
	}
	if err := r.runs.Flush(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("write runs row: %w", err), r.runs.Close(ctx))
	}
	return r, nil
}

func (r *Run) write(ctx context.Context, status string, counts map[string]uint64, errs []string, finished time.Time) error {
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	values := make([]uint64, len(names))
	for i, n := range names {
		values[i] = counts[n]
	}
	if errs == nil {
		errs = []string{}
	}
	row := schema.Run{
		RunID: r.ID, Job: "analyze:" + r.Job, StartedAt: r.Started, FinishedAt: finished, Status: status,
		ConfigHash: r.meta.ConfigHash, CodeVersion: r.meta.CodeVersion, Args: r.Params.String(),
		CountNames: names, CountValues: values, Errors: errs, Version: schema.Version(r.meta.now()),
	}
	if err := r.runs.Write(ctx, row); err != nil {
		return fmt.Errorf("write runs row: %w", err)
	}
	return nil
}

// End decides a run's outcome and records it with Finish: failed with werr's message when
// the computation failed, skipped with skipReason when it is not empty (there was nothing
// to compute), ok otherwise. It returns the status and reasons recorded, and werr joined
// with any error recording them.
func (r *Run) End(ctx context.Context, werr error, skipReason string, counts map[string]uint64) (status string, reasons []string, err error) {
	status = StatusOK
	switch {
	case werr != nil:
		status, reasons = StatusFailed, []string{werr.Error()}
	case skipReason != "":
		status, reasons = StatusSkipped, []string{skipReason}
	}
	return status, reasons, errors.Join(werr, r.Finish(ctx, status, counts, reasons))
}

// Finish records the run's end: its status, counts (rows written per table, channels
// fitted, skipped, ...) and errors or skip reasons. The results must have been flushed
// before: a run marked ok has all its rows stored.
func (r *Run) Finish(ctx context.Context, status string, counts map[string]uint64, errs []string) error {
	werr := r.write(ctx, status, counts, errs, r.meta.now())
	return errors.Join(werr, r.runs.Close(ctx))
}

// Execute runs a job inside its run record, the same way for every job: it resolves the
// scope (a scope naming unknown channels is a ParamError, and no run is started), starts
// the run with the data version of inputs, calls compute with the scope and the run's id,
// and ends the run with what compute returns: its counts, and why it found nothing to
// compute (skip; empty when it did). The status and reasons are End's.
func Execute(ctx context.Context, db *store.DB, name string, p Params, inputs []string, m Meta,
	compute func(scope Channels, runID string) (counts map[string]uint64, skip string, err error)) (status string, reasons []string, err error) {
	scope, err := Resolve(ctx, db, p.Scope)
	if err != nil {
		return "", nil, err
	}
	run, err := Start(ctx, db, name, p, inputs, m)
	if err != nil {
		return "", nil, err
	}
	counts, skip, werr := compute(scope, run.ID)
	return run.End(ctx, werr, skip, counts)
}
