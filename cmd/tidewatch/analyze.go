package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tidewatch/tidewatch/analysis/growth"
	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/cmd/tidewatch/internal/config"
)

// analyzeJobs are the analysis jobs, in the order "all" runs them.
var analyzeJobs = []string{growth.Name}

type analyzeOptions struct {
	From, To, Scope string
	MaxGap          time.Duration
	MinPoints       int
}

func newAnalyzeCmd(a *app) *cobra.Command {
	var opts analyzeOptions
	cmd := &cobra.Command{
		Use:   "analyze JOB|all",
		Short: "Run analysis jobs over the stored data and write their results to ClickHouse",
		Long: `analyze runs an analysis job over [--from, --to) and writes its results to
ClickHouse, every row keyed by the run's id; the runs table holds the run's
parameters, configuration hash and code version, and run_inputs the data
version it read (row count and latest ingest of each input table).

Jobs:
  growth   daily subscriber series (interpolated, gaps marked), growth over
           1, 7 and 30 days, exponential rate with its 95% interval and
           doubling time, logistic fit (K, r, N0 with intervals) chosen
           over the exponential by AIC, audience jumps (PELT, CUSUM), the
           share of growth inside registry-event windows, aggregates per
           platform and community: growth_channels, growth_series,
           growth_jumps, growth_models, growth_groups

--scope limits the channels: platform[:NAME,...] (default: every channel),
channels:@handle|id,..., community:NAME,... (the communities table) or
actor:ID,... (actor_accounts). A channel with too little data is recorded as
skipped with the reason; a run with no data at all is recorded as skipped.
Bad parameters exit with code 2 and write nothing.`,
		Example: `  tidewatch analyze growth --from 2026-01-01 --to 2026-04-01
  tidewatch analyze all --from 2026-01-01 --to 2026-04-01 --scope platform:telegram
  # The latest growth run's fastest growers
  clickhouse-client --query "SELECT channel_id, exp_rate, doubling_days FROM growth_channels
    WHERE run_id = (SELECT argMax(run_id, finished_at) FROM runs FINAL WHERE job = 'analyze:growth' AND status = 'ok')
    AND status = 'ok' ORDER BY exp_rate DESC LIMIT 10"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &usageError{fmt.Errorf("%q needs one JOB (%s) or all", cmd.CommandPath(), strings.Join(analyzeJobs, ", "))}
			}
			if args[0] != "all" && !contains(analyzeJobs, args[0]) {
				return &usageError{fmt.Errorf("unknown job %q: expected one of %s, or all", args[0], strings.Join(analyzeJobs, ", "))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := opts.params()
			if err != nil {
				return err
			}
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			jobs := args
			if args[0] == "all" {
				jobs = analyzeJobs
			}
			return analyzeRun(cmd.Context(), env, jobs, p, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.From, "from", "", "start of the range: a date (2026-01-01) or an RFC 3339 time (required)")
	f.StringVar(&opts.To, "to", "", "end of the range, exclusive (required)")
	f.StringVar(&opts.Scope, "scope", "platform", "channels covered: platform[:NAME,...], channels:@h|id,..., community:NAME,... or actor:ID,...")
	f.DurationVar(&opts.MaxGap, "max-gap", growth.DefaultMaxGap, "growth: longest time between snapshots that days are interpolated across")
	f.IntVar(&opts.MinPoints, "min-points", growth.DefaultMinPoints, "growth: fewest observed days for a rate fit")
	config.AddFlag(f, "clickhouse.addr", "clickhouse.database")
	return cmd
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// params reads and checks the range and scope before anything connects.
func (o analyzeOptions) params() (job.Params, error) {
	var p job.Params
	if o.From == "" {
		return p, &usageError{&job.ParamError{Param: "--from", Msg: "required"}}
	}
	if o.To == "" {
		return p, &usageError{&job.ParamError{Param: "--to", Msg: "required"}}
	}
	var err error
	if p.From, err = job.ParseTime("--from", o.From); err != nil {
		return p, &usageError{err}
	}
	if p.To, err = job.ParseTime("--to", o.To); err != nil {
		return p, &usageError{err}
	}
	if p.Scope, err = job.ParseScope(o.Scope); err != nil {
		return p, &usageError{err}
	}
	if err := p.Validate(); err != nil {
		return p, &usageError{err}
	}
	if o.MaxGap <= 0 {
		return p, &usageError{&job.ParamError{Param: "--max-gap", Msg: fmt.Sprintf("%s: want a positive duration", o.MaxGap)}}
	}
	if o.MinPoints < 3 {
		return p, &usageError{&job.ParamError{Param: "--min-points", Msg: fmt.Sprintf("%d: a rate fit with an interval needs at least 3 points", o.MinPoints)}}
	}
	return p, nil
}

func analyzeRun(ctx context.Context, env *cmdEnv, jobs []string, p job.Params, o analyzeOptions) error {
	db, err := openDatabase(ctx, env)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	meta := job.Meta{
		ConfigHash:  config.Fingerprint(env.Config),
		CodeVersion: readBuildVersion().String(),
		Writer:      writerOptions(env),
	}
	for _, name := range jobs {
		switch name {
		case growth.Name:
			progress := func(n int) {
				if n%500 == 0 {
					fmt.Fprintf(env.Stderr, "growth: %d channels\r", n)
				}
			}
			sum, err := growth.Run(ctx, db, growth.Options{Params: p, Meta: meta, MaxGap: o.MaxGap, MinPoints: o.MinPoints, Progress: progress})
			if job.IsParamError(err) {
				return &usageError{err}
			}
			printGrowthSummary(env.Stdout, sum)
			if err != nil {
				return fmt.Errorf("analyze growth: %w", err)
			}
		}
	}
	return nil
}

func printGrowthSummary(w io.Writer, s growth.Summary) {
	if s.RunID == "" {
		return
	}
	fmt.Fprintf(w, "growth run %s: %s\n", s.RunID, s.Status)
	fmt.Fprintf(w, "  channels %d, fitted %d (logistic chosen by AIC for %d), skipped (too few snapshots) %d, audience jumps %d\n",
		s.Channels, s.Fitted, s.Logistic, s.Skipped, s.Jumps)
	for _, r := range s.Reasons {
		fmt.Fprintf(w, "  %s\n", r)
	}
	if s.Status == job.StatusOK {
		fmt.Fprintf(w, "  results: growth_channels, growth_series, growth_jumps, growth_models, growth_groups WHERE run_id = '%s'\n", s.RunID)
	}
}
