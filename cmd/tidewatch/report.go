package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/report"
	"github.com/tidewatch/tidewatch/cmd/tidewatch/internal/config"
)

type reportOptions struct {
	analyze      analyzeOptions
	Compare      string
	Out          string
	FromManifest string
}

func newReportCmd(a *app) *cobra.Command {
	var opts reportOptions
	cmd := &cobra.Command{
		Use:   "report --from DATE --to DATE --out DIR",
		Short: "Run the analysis jobs over a range and write a trend report",
		Long: `report runs every analysis job over [--from, --to) (as 'analyze all' does)
and over the comparison period, then writes into --out:

  report.html    the report: headline numbers against the comparison period,
                 coverage and method, audience growth, engagement, event
                 bursts, events and migration impact, link ecology, the
                 network (forwards, mentions and t.me links), cross-platform
                 actors (accounts, audience share per platform by week,
                 moves), takedowns and reincarnations, caveats;
                 inline SVG charts, no script, nothing fetched
  report.md      its Markdown twin
  *.csv          one per chart and table
  manifest.json  the parameters, every run (its parameters, configuration
                 hash, code version and data version), every figure's runs
                 and query, and the files with their SHA-256

--compare is "previous" (the equal-length period just before, the default),
"none", or FROM..TO (dates; TO excluded). --from-manifest FILE writes the same
report again from the runs a manifest names, without running any job, and says
which input tables changed since those runs read them.`,
		Example: `  tidewatch report --from 2026-01-01 --to 2026-04-01 --out reports/q1
  tidewatch report --from 2026-03-01 --to 2026-04-01 --compare 2025-03-01..2025-04-01 --scope community:far-right --out reports/march
  tidewatch report --from-manifest reports/q1/manifest.json --out reports/q1-again`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.check(cmd); err != nil {
				return err
			}
			if err := report.CheckOutDir(opts.Out); err != nil {
				return &usageError{err}
			}
			if opts.FromManifest != "" {
				m, err := report.ReadManifest(opts.FromManifest)
				if err != nil {
					return &usageError{fmt.Errorf("--from-manifest: %w", err)}
				}
				env, err := a.load(cmd)
				if err != nil {
					return err
				}
				return reportFromManifest(cmd.Context(), env, m, opts.Out)
			}
			cur, prev, compare, err := opts.plans()
			if err != nil {
				return err
			}
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			return reportRun(cmd.Context(), env, cur, prev, compare, opts.Out)
		},
	}
	f := cmd.Flags()
	o := &opts.analyze
	f.StringVar(&o.From, "from", "", "start of the range: a date (2026-01-01) or an RFC 3339 time")
	f.StringVar(&o.To, "to", "", "end of the range, exclusive")
	f.StringVar(&o.Scope, "scope", "platform", "channels covered: platform[:NAME,...], channels:@h|id,..., community:NAME,... or actor:ID,...")
	f.StringVar(&opts.Compare, "compare", "previous", "comparison period: previous, none, or FROM..TO")
	f.StringVar(&opts.Out, "out", "", "folder the report is written to (created if missing; required)")
	f.StringVar(&opts.FromManifest, "from-manifest", "", "regenerate the report a manifest.json describes, from its runs")
	config.AddFlag(f, "clickhouse.addr", "clickhouse.database")
	return cmd
}

// check reads the flags that decide what the command does; job defaults fill the rest.
func (o *reportOptions) check(cmd *cobra.Command) error {
	if o.Out == "" {
		return &usageError{&job.ParamError{Param: "--out", Msg: "required"}}
	}
	if o.FromManifest != "" {
		for _, name := range []string{"from", "to", "scope", "compare"} {
			if cmd.Flags().Changed(name) {
				return &usageError{&job.ParamError{Param: "--" + name, Msg: "not with --from-manifest (the manifest holds the range, scope and comparison)"}}
			}
		}
		return nil
	}
	a := &o.analyze
	a.MaxGap, a.MinPoints, a.EventWindow = defaultAnalyze.MaxGap, defaultAnalyze.MinPoints, defaultAnalyze.EventWindow
	a.Threshold, a.History, a.MaxSnapshotAge = defaultAnalyze.Threshold, defaultAnalyze.History, defaultAnalyze.MaxSnapshotAge
	a.Window, a.Weeks, a.EventOrigins = defaultAnalyze.Window, defaultAnalyze.Weeks, defaultAnalyze.EventOrigins
	a.RespawnWindow, a.RespawnScore = defaultAnalyze.RespawnWindow, defaultAnalyze.RespawnScore
	a.ImpactWindow, a.Washout = defaultAnalyze.ImpactWindow, defaultAnalyze.Washout
	return nil
}

// defaultAnalyze is the job options of 'analyze' with every flag at its default.
var defaultAnalyze = func() analyzeOptions {
	var o analyzeOptions
	cmd := newAnalyzeCmd(&app{})
	o.MaxGap, _ = cmd.Flags().GetDuration("max-gap")
	o.MinPoints, _ = cmd.Flags().GetInt("min-points")
	o.EventWindow, _ = cmd.Flags().GetDuration("event-window")
	o.Threshold, _ = cmd.Flags().GetFloat64("threshold")
	o.History, _ = cmd.Flags().GetDuration("history")
	o.MaxSnapshotAge, _ = cmd.Flags().GetDuration("max-snapshot-age")
	o.Window, _ = cmd.Flags().GetDuration("window")
	o.Weeks, _ = cmd.Flags().GetInt("weeks")
	o.EventOrigins, _ = cmd.Flags().GetStringSlice("event-origins")
	o.RespawnWindow, _ = cmd.Flags().GetDuration("respawn-window")
	o.RespawnScore, _ = cmd.Flags().GetFloat64("respawn-score")
	o.ImpactWindow, _ = cmd.Flags().GetDuration("impact-window")
	o.Washout, _ = cmd.Flags().GetDuration("washout")
	return o
}()

// plans are the jobs of the current period and of the comparison period (empty jobs when
// there is none), checked before anything runs.
func (o *reportOptions) plans() (cur, prev analyzePlan, compare report.Period, err error) {
	p, err := o.analyze.params()
	if err != nil {
		return cur, prev, compare, err
	}
	if cur, err = o.analyze.plan(p, analyzeJobs); err != nil {
		return cur, prev, compare, err
	}
	if compare, err = comparePeriod(o.Compare, p); err != nil {
		return cur, prev, compare, &usageError{err}
	}
	if compare.IsZero() {
		return cur, prev, compare, nil
	}
	cp := job.Params{From: compare.From, To: compare.To, Scope: p.Scope}
	prev, err = o.analyze.plan(cp, analyzeJobs)
	return cur, prev, compare, err
}

// comparePeriod reads --compare: previous, none, or FROM..TO.
func comparePeriod(s string, p job.Params) (report.Period, error) {
	switch s {
	case "none", "":
		return report.Period{}, nil
	case "previous":
		d := p.To.Sub(p.From)
		return report.Period{From: p.From.Add(-d), To: p.From, Label: "previous"}, nil
	}
	a, b, ok := strings.Cut(s, "..")
	if !ok {
		return report.Period{}, &job.ParamError{Param: "--compare", Msg: fmt.Sprintf("%q: want previous, none or FROM..TO", s)}
	}
	from, err := job.ParseTime("--compare", a)
	if err != nil {
		return report.Period{}, err
	}
	to, err := job.ParseTime("--compare", b)
	if err != nil {
		return report.Period{}, err
	}
	cp := job.Params{From: from, To: to}
	if err := cp.Validate(); err != nil {
		return report.Period{}, &job.ParamError{Param: "--compare", Msg: err.Error()}
	}
	return report.Period{From: from, To: to, Label: a + ".." + b}, nil
}

// reportRun runs the jobs of both periods with a progress display on stderr, then builds
// and writes the report and prints its path.
func reportRun(ctx context.Context, env *cmdEnv, cur, prev analyzePlan, compare report.Period, out string) error {
	quiet := *env
	quiet.Stdout = env.Stderr // job summaries are progress here; stdout gets the report's path
	total := len(cur.jobs) + len(prev.jobs)
	done := 0
	started := time.Now()
	track := func(period string, runs map[string]string) func(string, string) {
		return func(name, runID string) {
			done++
			runs[name] = runID
			fmt.Fprintf(env.Stderr, "report: [%d/%d] %s (%s period) done: run %s, %s elapsed\n", done, total, name, period, runID, time.Since(started).Round(time.Second))
		}
	}
	curRuns, prevRuns := map[string]string{}, map[string]string{}
	cur.onRun, prev.onRun = track(report.PeriodCurrent, curRuns), track(report.PeriodComparison, prevRuns)
	fmt.Fprintf(env.Stderr, "report: running %d jobs (%s)\n", total, strings.Join(cur.jobs, ", "))
	if err := analyzeRun(ctx, &quiet, cur); err != nil {
		return err
	}
	if len(prev.jobs) > 0 {
		if err := analyzeRun(ctx, &quiet, prev); err != nil {
			return err
		}
	}
	o := report.Options{Params: cur.growth.Params, Compare: compare, Runs: curRuns, CompareRuns: prevRuns,
		CodeVersion: readBuildVersion().String(), ConfigHash: config.Fingerprint(env.Config)}
	return writeReport(ctx, env, o, nil, out)
}

// reportFromManifest writes a manifest's report again from its runs.
func reportFromManifest(ctx context.Context, env *cmdEnv, m report.Manifest, out string) error {
	o, err := m.Options()
	if err != nil {
		return &usageError{fmt.Errorf("--from-manifest: %w", err)}
	}
	return writeReport(ctx, env, o, &m, out)
}

// writeReport builds the report from its runs and writes it; with a manifest, it first
// records which inputs changed since the manifest's runs read them.
func writeReport(ctx context.Context, env *cmdEnv, o report.Options, m *report.Manifest, out string) error {
	db, err := openDatabase(ctx, env)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	fmt.Fprintf(env.Stderr, "report: reading the results\n")
	r, err := report.Build(ctx, db, o)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if m != nil {
		if r.Changes, err = report.Changes(ctx, db, *m, r); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if len(r.Changes) == 0 {
			fmt.Fprintln(env.Stderr, "report: the input tables are as the runs read them")
		}
		for _, c := range r.Changes {
			fmt.Fprintf(env.Stderr, "report: input changed: %s\n", c)
		}
	}
	man, err := report.Write(out, r)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(env.Stderr, "report: %d sections, %d figures, %d files\n", len(r.Sections), len(man.Figures), len(man.Files)+1)
	fmt.Fprintln(env.Stdout, filepath.Join(out, report.HTMLFile))
	return nil
}
