package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// ManifestFormat names the layout of manifest.json.
const ManifestFormat = "tidewatch-report/1"

// Manifest is what makes a report reproducible: its parameters, the runs it read (each
// with its own parameters, configuration hash, code version and data version), every
// figure's runs and query, and the files written with their checksums.
type Manifest struct {
	Format      string          `json:"format"`
	Generated   time.Time       `json:"generated"`
	From        time.Time       `json:"from"`
	To          time.Time       `json:"to"`
	Scope       string          `json:"scope"`
	Compare     *ManifestPeriod `json:"compare,omitempty"`
	CodeVersion string          `json:"code_version"`
	ConfigHash  string          `json:"config_hash"`
	Runs        []ManifestRun   `json:"runs"`
	DataVersion []ManifestInput `json:"data_version"`
	Figures     []ManifestFig   `json:"figures"`
	Files       []ManifestFile  `json:"files"`
}

// ManifestPeriod is the comparison period.
type ManifestPeriod struct {
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	Label string    `json:"label"`
}

// ManifestRun is one job run the report read.
type ManifestRun struct {
	Job         string          `json:"job"`
	Period      string          `json:"period"`
	RunID       string          `json:"run_id"`
	Status      string          `json:"status"`
	Args        string          `json:"args"`
	ConfigHash  string          `json:"config_hash"`
	CodeVersion string          `json:"code_version"`
	StartedAt   time.Time       `json:"started_at"`
	FinishedAt  time.Time       `json:"finished_at"`
	Inputs      []ManifestInput `json:"inputs"`
}

// ManifestInput is one input table's data version.
type ManifestInput struct {
	Table  string    `json:"table"`
	Rows   uint64    `json:"rows"`
	Latest time.Time `json:"latest"`
}

// ManifestFig is one figure: where it is, what it reads.
type ManifestFig struct {
	ID      string   `json:"id"`
	Section string   `json:"section"`
	Title   string   `json:"title"`
	Runs    []string `json:"runs"`
	Query   string   `json:"query"`
	Empty   string   `json:"empty,omitempty"`
	CSV     []string `json:"csv,omitempty"`
}

// ManifestFile is one written file with its SHA-256.
type ManifestFile struct {
	Name   string `json:"name"`
	Bytes  int    `json:"bytes"`
	SHA256 string `json:"sha256"`
}

func inputsOf(ins []schema.RunInput) []ManifestInput {
	out := make([]ManifestInput, 0, len(ins))
	for _, in := range ins {
		out = append(out, ManifestInput{Table: in.InputTable, Rows: in.Rows, Latest: in.Latest.UTC()})
	}
	return out
}

// NewManifest describes a report and the files written for it.
func NewManifest(r *Report, files []File) Manifest {
	m := Manifest{Format: ManifestFormat, Generated: r.Generated, From: r.Params.From.UTC(), To: r.Params.To.UTC(), Scope: r.Params.Scope.String(),
		CodeVersion: r.CodeVersion, ConfigHash: r.ConfigHash, DataVersion: inputsOf(r.DataVersion), Runs: []ManifestRun{}, Figures: []ManifestFig{}}
	if !r.Compare.IsZero() {
		m.Compare = &ManifestPeriod{From: r.Compare.From.UTC(), To: r.Compare.To.UTC(), Label: r.Compare.Label}
	}
	for _, run := range r.Runs {
		m.Runs = append(m.Runs, ManifestRun{Job: run.Job, Period: run.Period, RunID: run.RunID, Status: run.Status, Args: run.Args,
			ConfigHash: run.ConfigHash, CodeVersion: run.CodeVersion, StartedAt: run.StartedAt.UTC(), FinishedAt: run.FinishedAt.UTC(), Inputs: inputsOf(run.Inputs)})
	}
	for _, s := range r.Sections {
		for _, f := range s.Figures {
			mf := ManifestFig{ID: f.ID, Section: s.ID, Title: f.Title, Runs: f.Runs, Query: f.Query, Empty: f.Empty}
			if mf.Runs == nil {
				mf.Runs = []string{}
			}
			if f.Empty == "" && f.Chart != nil {
				mf.CSV = append(mf.CSV, f.ID+".csv")
			}
			if f.Empty == "" && f.Table != nil {
				mf.CSV = append(mf.CSV, f.ID+tableSuffix(f)+".csv")
			}
			m.Figures = append(m.Figures, mf)
		}
	}
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		m.Files = append(m.Files, ManifestFile{Name: f.Name, Bytes: len(f.Data), SHA256: hex.EncodeToString(sum[:])})
	}
	return m
}

// ReadManifest reads and checks a manifest.json.
func ReadManifest(path string) (Manifest, error) {
	var m Manifest
	data, err := os.ReadFile(path)
	if err != nil {
		return m, fmt.Errorf("read manifest: %w", err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("manifest %s: %w", path, err)
	}
	if m.Format != ManifestFormat {
		return m, fmt.Errorf("manifest %s: format %q, want %q", path, Clean(m.Format, MaxLabel), ManifestFormat)
	}
	for _, r := range m.Runs {
		if err := CheckRunID(r.RunID); err != nil {
			return m, fmt.Errorf("manifest %s: %s run: %w", path, Clean(r.Job, MaxLabel), err)
		}
	}
	return m, nil
}

// Options are the build options that regenerate the manifest's report from its runs.
func (m Manifest) Options() (Options, error) {
	scope, err := job.ParseScope(m.Scope)
	if err != nil {
		return Options{}, fmt.Errorf("manifest scope: %w", err)
	}
	o := Options{Params: job.Params{From: m.From.UTC(), To: m.To.UTC(), Scope: scope}, Runs: map[string]string{}, CompareRuns: map[string]string{},
		CodeVersion: m.CodeVersion, ConfigHash: m.ConfigHash}
	if err := o.Params.Validate(); err != nil {
		return o, fmt.Errorf("manifest range: %w", err)
	}
	if m.Compare != nil {
		o.Compare = Period{From: m.Compare.From.UTC(), To: m.Compare.To.UTC(), Label: m.Compare.Label}
	}
	for _, r := range m.Runs {
		switch r.Period {
		case PeriodCurrent:
			o.Runs[r.Job] = r.RunID
		case PeriodComparison:
			o.CompareRuns[r.Job] = r.RunID
		default:
			return o, fmt.Errorf("manifest run %s: period %q, want %s or %s", r.RunID, Clean(r.Period, MaxLabel), PeriodCurrent, PeriodComparison)
		}
	}
	return o, nil
}

// Changes compares a regenerated report with the manifest it came from: a run whose
// recorded inputs differ from the manifest's, and every input table whose stored rows or
// latest ingest moved on since (the report's numbers come from the runs, which did not
// read the new rows; coverage counts read the tables as they are now).
func Changes(ctx context.Context, db *store.DB, m Manifest, r *Report) ([]string, error) {
	var out []string
	stored := map[string][]schema.RunInput{}
	for _, run := range r.Runs {
		stored[run.RunID] = run.Inputs
	}
	for _, run := range m.Runs {
		if !sameInputs(run.Inputs, inputsOf(stored[run.RunID])) {
			out = append(out, fmt.Sprintf("the run_inputs of run %s differ from the manifest's", run.RunID))
		}
	}
	tables := make([]string, 0, len(m.DataVersion))
	for _, in := range m.DataVersion {
		tables = append(tables, in.Table)
	}
	now, err := job.DataVersion(ctx, db, tables)
	if err != nil {
		return nil, err
	}
	for i, in := range m.DataVersion {
		cur := now[i]
		if cur.Rows != in.Rows || !cur.Latest.Equal(in.Latest) {
			out = append(out, fmt.Sprintf("%s: %d rows, latest ingest %s when the runs read it; now %d rows, latest %s. "+
				"The figures from runs are unchanged; rerun the jobs (tidewatch report without --from-manifest) to include the new data.",
				in.Table, in.Rows, stamp(in.Latest), cur.Rows, stamp(cur.Latest)))
		}
	}
	return out, nil
}

func sameInputs(a, b []ManifestInput) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Table != b[i].Table || a[i].Rows != b[i].Rows || !a[i].Latest.Equal(b[i].Latest) {
			return false
		}
	}
	return true
}
