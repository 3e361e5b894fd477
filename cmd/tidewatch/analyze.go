package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tidewatch/tidewatch/analysis/actors"
	"github.com/tidewatch/tidewatch/analysis/bursts"
	"github.com/tidewatch/tidewatch/analysis/engagement"
	"github.com/tidewatch/tidewatch/analysis/growth"
	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/migration"
	"github.com/tidewatch/tidewatch/analysis/network"
	"github.com/tidewatch/tidewatch/analysis/takedowns"
	"github.com/tidewatch/tidewatch/cmd/tidewatch/internal/config"
)

// analyzeJobs are the analysis jobs, in the order "all" runs them.
var analyzeJobs = []string{growth.Name, engagement.Name, bursts.Name, takedowns.Name, migration.Name, network.Name, actors.Name}

type analyzeOptions struct {
	From, To, Scope string
	MaxGap          time.Duration
	MinPoints       int
	EventWindow     time.Duration
	// engagement
	Threshold      float64
	History        time.Duration
	MaxSnapshotAge time.Duration
	// bursts
	Window time.Duration
	Weeks  int
	// bursts and takedowns
	EventKinds, EventOrigins []string
	// takedowns
	RespawnWindow time.Duration
	RespawnScore  float64
	// migration
	ImpactWindow, Washout time.Duration
	// network
	GEXF string
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
  engagement posts per day, organic and forwarded posts, views per post,
           ERR over the last 30 days (deleted posts excluded), ERR24 from
           the counters read at 24 h, ER, and each post's overperformance
           against the interquartile mean of the channel's last 100 posts
           of its type: engagement_channels, engagement_posts
  bursts   for every registry event in the range, each channel's and
           community's post count in the --window after it as a z-score
           against the same hours of the --weeks before:
           bursts_channels, bursts_communities
  takedowns each channel's lifetime from its creation (else its first
           sighting) to when it went private, was banned or deleted,
           censored while public, at risk from its first sighting;
           Kaplan-Meier survival with Greenwood intervals and the median
           lifetime with its interval, for all channels and for those
           created before and after each registry event; candidate
           reincarnations (a channel created within --respawn-window of
           another's end, its title or handle alike, scored with shared
           forward sources; lag and audience recovery):
           takedowns_lifetimes, takedowns_cohorts, takedowns_survival,
           takedowns_respawns
  migration weekly outlink shares by destination platform per channel,
           community and platform; for every registry event, each
           community's and platform's posts (organic and forwarded apart),
           new channels and their median lifetime, and link mix in the
           --impact-window before it and in as long a window starting
           --washout after it, with the Jensen-Shannon shift (nats) and a
           bootstrap interval; interrupted time series of the daily link
           share of the event's platform and of the daily posts (Newey-West
           errors, placebo pre-trend check); for events listing suspended
           accounts (target_kind account), a difference in differences of
           the audience of the channels linked to them against matched
           channels (errors clustered by channel): migration_shares,
           migration_windows, migration_window_shares, migration_its,
           migration_did, migration_did_units
  network  the forward graph (A -> B weighted by A's posts forwarded from
           B) and the mention and t.me-link layer (A's posts naming B):
           weighted PageRank, HITS hubs and authorities on the forwards,
           Louvain communities on both layers (each channel's edges as
           shares of its own), citing-channel counts;
           --gexf FILE also writes it for Gephi: network_nodes,
           network_edges, network_mentions, network_communities

  actors   for every actor (tidewatch links actor create), its accounts with the
           evidence tying them (account links, confidence), its audience
           per platform week by week from collected and imported counts
           with each platform's share, and the weeks its audience moved
           (another platform took the largest share): actors_accounts,
           actors_audience, actors_moves

bursts, takedowns and migration use the registry events that --event-kinds and
--event-origins keep (default: every kind recorded or imported by
researchers, not the status changes the collector detected).

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
			jobs := args
			if args[0] == "all" {
				jobs = analyzeJobs
			}
			pl, err := opts.plan(p, jobs)
			if err != nil {
				return err
			}
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			return analyzeRun(cmd.Context(), env, pl)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.From, "from", "", "start of the range: a date (2026-01-01) or an RFC 3339 time (required)")
	f.StringVar(&opts.To, "to", "", "end of the range, exclusive (required)")
	f.StringVar(&opts.Scope, "scope", "platform", "channels covered: platform[:NAME,...], channels:@h|id,..., community:NAME,... or actor:ID,...")
	f.DurationVar(&opts.MaxGap, "max-gap", growth.DefaultMaxGap, "growth: longest time between snapshots that days are interpolated across")
	f.IntVar(&opts.MinPoints, "min-points", growth.DefaultMinPoints, "growth: fewest observed days for a rate fit")
	f.DurationVar(&opts.EventWindow, "event-window", growth.DefaultEventWindow, "growth: how long after a registry event its growth counts as the event's")
	f.Float64Var(&opts.Threshold, "threshold", engagement.DefaultThreshold, "engagement: overperformance score that counts a post as overperforming")
	f.DurationVar(&opts.History, "history", engagement.DefaultHistory, "engagement: how far before --from posts are read to benchmark the first ones")
	f.DurationVar(&opts.MaxSnapshotAge, "max-snapshot-age", engagement.DefaultMaxSnapshotAge, "engagement: oldest subscriber count, before --to, that ERR may use")
	f.DurationVar(&opts.Window, "window", bursts.DefaultWindow, "bursts: the window after each event (whole hours)")
	f.IntVar(&opts.Weeks, "weeks", bursts.DefaultWeeks, "bursts: preceding weeks whose same hours are the baseline")
	f.DurationVar(&opts.RespawnWindow, "respawn-window", takedowns.DefaultRespawnWindow, "takedowns: how long after a channel left public view a successor may be created")
	f.Float64Var(&opts.RespawnScore, "respawn-score", takedowns.DefaultRespawnScore, "takedowns: the lowest score of a candidate reincarnation stored, in (0, 1]")
	f.DurationVar(&opts.ImpactWindow, "impact-window", migration.DefaultWindow, "migration: length of the windows before and after each event (whole days)")
	f.DurationVar(&opts.Washout, "washout", migration.DefaultWashout, "migration: time after an event left out before the post window starts (whole days; 0 for none)")
	f.StringVar(&opts.GEXF, "gexf", "", "network: also write the forward graph to this GEXF file (for Gephi)")
	f.StringSliceVar(&opts.EventKinds, "event-kinds", nil, "bursts, takedowns, migration: only registry events of these kinds (takedown, ban, attack, ...; default all)")
	f.StringSliceVar(&opts.EventOrigins, "event-origins", job.DefaultEventOrigins, "bursts, takedowns, migration: only registry events of these origins (registry, import, detected)")
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
	if o.EventWindow <= 0 {
		return p, &usageError{&job.ParamError{Param: "--event-window", Msg: fmt.Sprintf("%s: want a positive duration", o.EventWindow)}}
	}
	return p, nil
}

// events is the registry-event filter of the flags, a copy for each job.
func (o analyzeOptions) events() job.EventFilter {
	return job.EventFilter{Kinds: slices.Clone(o.EventKinds), Origins: slices.Clone(o.EventOrigins)}
}

// analyzePlan is the jobs to run, in order, with their checked options.
type analyzePlan struct {
	jobs       []string
	growth     growth.Options
	engagement engagement.Options
	bursts     bursts.Options
	takedowns  takedowns.Options
	migration  migration.Options
	network    network.Options
	actors     actors.Options
	// onRun, when set, hears of every run a job started, once it ended.
	onRun func(job, runID string)
}

// ran tells onRun that a job's run ended.
func (pl analyzePlan) ran(name, runID string) {
	if pl.onRun != nil && runID != "" {
		pl.onRun(name, runID)
	}
}

// plan builds and checks every job's options before anything runs, so a bad flag of the
// last job of "all" stops the first one from writing.
func (o analyzeOptions) plan(p job.Params, jobs []string) (analyzePlan, error) {
	pl := analyzePlan{
		jobs:       jobs,
		growth:     growth.Options{Params: p, MaxGap: o.MaxGap, MinPoints: o.MinPoints, EventWindow: o.EventWindow},
		engagement: engagement.Options{Params: p, Threshold: o.Threshold, History: o.History, MaxSnapshotAge: o.MaxSnapshotAge},
		bursts:     bursts.Options{Params: p, Window: o.Window, Weeks: o.Weeks, Events: o.events()},
		takedowns:  takedowns.Options{Params: p, Events: o.events(), RespawnWindow: o.RespawnWindow, RespawnScore: o.RespawnScore},
		migration:  migration.Options{Params: p, Events: o.events(), Window: o.ImpactWindow, Washout: o.Washout, NoWashout: o.Washout == 0},
		network:    network.Options{Params: p, GEXF: o.GEXF},
		actors:     actors.Options{Params: p},
	}
	for _, name := range jobs {
		var err error
		switch name {
		case growth.Name:
			err = pl.growth.Check()
		case engagement.Name:
			err = pl.engagement.Check()
		case bursts.Name:
			err = pl.bursts.Check()
		case takedowns.Name:
			err = pl.takedowns.Check()
		case migration.Name:
			err = pl.migration.Check()
		case network.Name:
			err = pl.network.Check()
		case actors.Name:
			err = pl.actors.Check()
		}
		if err != nil {
			return pl, &usageError{err}
		}
	}
	return pl, nil
}

func analyzeRun(ctx context.Context, env *cmdEnv, pl analyzePlan) error {
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
	for _, name := range pl.jobs {
		switch name {
		case growth.Name:
			o := pl.growth
			o.Meta, o.Progress = meta, progressEvery(env.Stderr, "growth", "channels")
			sum, err := growth.Run(ctx, db, o)
			pl.ran(name, sum.RunID)
			if job.IsParamError(err) {
				return &usageError{err}
			}
			printGrowthSummary(env.Stdout, sum)
			if err != nil {
				return fmt.Errorf("analyze growth: %w", err)
			}
		case engagement.Name:
			o := pl.engagement
			o.Meta, o.Progress = meta, progressEvery(env.Stderr, "engagement", "channels")
			sum, err := engagement.Run(ctx, db, o)
			pl.ran(name, sum.RunID)
			if job.IsParamError(err) {
				return &usageError{err}
			}
			printEngagementSummary(env.Stdout, sum)
			if err != nil {
				return fmt.Errorf("analyze engagement: %w", err)
			}
		case bursts.Name:
			o := pl.bursts
			o.Meta, o.Progress = meta, progressEvery(env.Stderr, "bursts", "channel windows")
			sum, err := bursts.Run(ctx, db, o)
			pl.ran(name, sum.RunID)
			if job.IsParamError(err) {
				return &usageError{err}
			}
			printBurstsSummary(env.Stdout, sum)
			if err != nil {
				return fmt.Errorf("analyze bursts: %w", err)
			}
		case takedowns.Name:
			o := pl.takedowns
			o.Meta = meta
			sum, err := takedowns.Run(ctx, db, o)
			pl.ran(name, sum.RunID)
			if job.IsParamError(err) {
				return &usageError{err}
			}
			printTakedownsSummary(env.Stdout, sum)
			if err != nil {
				return fmt.Errorf("analyze takedowns: %w", err)
			}
		case migration.Name:
			o := pl.migration
			o.Meta = meta
			sum, err := migration.Run(ctx, db, o)
			pl.ran(name, sum.RunID)
			if job.IsParamError(err) {
				return &usageError{err}
			}
			printMigrationSummary(env.Stdout, sum)
			if err != nil {
				return fmt.Errorf("analyze migration: %w", err)
			}
		case actors.Name:
			o := pl.actors
			o.Meta = meta
			sum, err := actors.Run(ctx, db, o)
			pl.ran(name, sum.RunID)
			if job.IsParamError(err) {
				return &usageError{err}
			}
			printActorsSummary(env.Stdout, sum)
			if err != nil {
				return fmt.Errorf("analyze actors: %w", err)
			}
		case network.Name:
			o := pl.network
			o.Meta = meta
			sum, err := network.Run(ctx, db, o)
			pl.ran(name, sum.RunID)
			if job.IsParamError(err) {
				return &usageError{err}
			}
			printNetworkSummary(env.Stdout, sum, o.GEXF)
			if err != nil {
				return fmt.Errorf("analyze network: %w", err)
			}
		}
	}
	return nil
}

// progressEvery reports a job's progress on w every 500 units.
func progressEvery(w io.Writer, name, unit string) func(int) {
	return func(n int) {
		if n%500 == 0 {
			fmt.Fprintf(w, "%s: %d %s\r", name, n, unit)
		}
	}
}

func printEngagementSummary(w io.Writer, s engagement.Summary) {
	if s.RunID == "" {
		return
	}
	fmt.Fprintf(w, "engagement run %s: %s\n", s.RunID, s.Status)
	fmt.Fprintf(w, "  channels %d, with ERR %d, skipped %d; posts %d, scored %d, overperforming %d\n",
		s.Channels, s.OK, s.Skipped, s.Posts, s.Scored, s.Overperforming)
	for _, r := range s.Reasons {
		fmt.Fprintf(w, "  %s\n", r)
	}
	for i, p := range s.Top {
		if i == 3 {
			break
		}
		fmt.Fprintf(w, "  top post: %s channel %d post %d (%s): score %.1f\n", p.Platform, p.ChannelID, p.PostID, p.PostedAt.UTC().Format(time.DateOnly), p.Score)
	}
	if s.Status == job.StatusOK {
		fmt.Fprintf(w, "  results: engagement_channels, engagement_posts WHERE run_id = '%s'\n", s.RunID)
	}
}

func printBurstsSummary(w io.Writer, s bursts.Summary) {
	if s.RunID == "" {
		return
	}
	fmt.Fprintf(w, "bursts run %s: %s\n", s.RunID, s.Status)
	fmt.Fprintf(w, "  events %d; channel windows %d (scored %d, skipped %d); community windows %d (scored %d, skipped %d)\n",
		s.Events, s.Channels, s.ChannelsScored, s.ChannelsSkipped, s.Communities, s.CommunitiesScored, s.CommunitiesSkipped)
	for _, r := range s.Reasons {
		fmt.Fprintf(w, "  %s\n", r)
	}
	for i, b := range s.TopCommunities {
		if i == 3 {
			break
		}
		fmt.Fprintf(w, "  top community: %s after %s %s: %.0f posts, z %.1f\n", b.Community, b.EventKind, b.EventAt.UTC().Format(time.DateTime), b.Count, b.Z)
	}
	for i, b := range s.TopChannels {
		if i == 3 {
			break
		}
		fmt.Fprintf(w, "  top channel: %s %d after %s %s: %.0f posts, z %.1f\n", b.Platform, b.ChannelID, b.EventKind, b.EventAt.UTC().Format(time.DateTime), b.Count, b.Z)
	}
	if s.Status == job.StatusOK {
		fmt.Fprintf(w, "  results: bursts_channels, bursts_communities WHERE run_id = '%s'\n", s.RunID)
	}
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

func printTakedownsSummary(w io.Writer, s takedowns.Summary) {
	if s.RunID == "" {
		return
	}
	fmt.Fprintf(w, "takedowns run %s: %s\n", s.RunID, s.Status)
	fmt.Fprintf(w, "  channels %d, in the estimate %d, left public view %d; cohorts %d\n", s.Channels, s.Entered, s.Ended, len(s.Cohorts))
	for _, r := range s.Reasons {
		fmt.Fprintf(w, "  %s\n", r)
	}
	days := func(v float64) string {
		if math.IsNaN(v) {
			return "not reached"
		}
		return fmt.Sprintf("%.1f", v)
	}
	for i, c := range s.Cohorts {
		if i == 7 {
			fmt.Fprintf(w, "  ... %d more cohorts\n", len(s.Cohorts)-i)
			break
		}
		if c.Status != takedowns.StatusOK {
			fmt.Fprintf(w, "  cohort %s: %d channels, skipped: %s\n", c.Name, c.Channels, c.Reason)
			continue
		}
		fmt.Fprintf(w, "  cohort %s: %d channels, %d gone; median lifetime %s days (95%% CI %s to %s)\n",
			c.Name, c.Channels, c.Ended, days(c.Median), days(c.MedianLo), days(c.MedianHi))
	}
	fmt.Fprintf(w, "  candidate reincarnations: %d\n", len(s.Respawns))
	for i, r := range s.Respawns {
		if i == 3 {
			break
		}
		fmt.Fprintf(w, "  respawn: %s %d -> %d after %.0f h, score %.2f (title %.2f, handle %.2f), audience recovered %.2f\n",
			r.Platform, r.PredecessorID, r.ChannelID, r.LagHours, r.Score, r.TitleSimilarity, r.HandleSimilarity, r.Recovery)
	}
	if s.Status == job.StatusOK {
		fmt.Fprintf(w, "  results: takedowns_lifetimes, takedowns_cohorts, takedowns_survival, takedowns_respawns WHERE run_id = '%s'\n", s.RunID)
	}
}

func printNetworkSummary(w io.Writer, s network.Summary, gexf string) {
	if s.RunID == "" {
		return
	}
	fmt.Fprintf(w, "network run %s: %s\n", s.RunID, s.Status)
	fmt.Fprintf(w, "  nodes %d, edges %d, forwarded posts %d, mention and t.me-link edges %d; %d communities (both layers), modularity %.3f\n", s.Nodes, s.Edges, s.Forwards, s.Mentions, s.Communities, s.Modularity)
	for _, r := range s.Reasons {
		fmt.Fprintf(w, "  %s\n", r)
	}
	for i, n := range s.Top {
		if i == 3 {
			break
		}
		fmt.Fprintf(w, "  top by PageRank: %s %d %q: %.4f, cited by %d channels, community %d\n", n.Platform, n.ChannelID, n.Title, n.PageRank, n.CitingChannels, n.Community)
	}
	if s.Status == job.StatusOK {
		if gexf != "" {
			fmt.Fprintf(w, "  graph written to %s\n", gexf)
		}
		fmt.Fprintf(w, "  results: network_nodes, network_edges, network_communities WHERE run_id = '%s'\n", s.RunID)
	}
}

func printMigrationSummary(w io.Writer, s migration.Summary) {
	if s.RunID == "" {
		return
	}
	fmt.Fprintf(w, "migration run %s: %s\n", s.RunID, s.Status)
	fmt.Fprintf(w, "  channels with links %d, weekly share rows %d; event windows %d, time series %d, differences in differences %d\n",
		s.Channels, s.ShareRows, len(s.Windows), len(s.ITS), len(s.DiD))
	for _, r := range s.Reasons {
		fmt.Fprintf(w, "  %s\n", r)
	}
	for _, win := range s.Windows {
		if win.Level != migration.LevelCommunity || win.Status != migration.StatusOK || math.IsNaN(win.JSNats) {
			continue
		}
		fmt.Fprintf(w, "  %s %s, community %s: links to %s %.1f%% -> %.1f%%, JS shift %.3f nats (%.3f-%.3f); posts %+.0f%%, forwarded %+.0f%%\n",
			win.EventKind, win.EventAt.UTC().Format(time.DateOnly), win.Unit, win.EventPlatform, 100*win.EventSharePre, 100*win.EventSharePost,
			win.JSNats, win.JSLo, win.JSHi, win.PostsChangePct, win.ForwardedChangePct)
	}
	for _, d := range s.DiD {
		if d.Status != migration.StatusOK {
			fmt.Fprintf(w, "  %s accounts suspended %s: skipped: %s\n", d.EventPlatform, d.EventAt.UTC().Format(time.DateOnly), d.Reason)
			continue
		}
		fmt.Fprintf(w, "  %s accounts suspended %s: %d channels vs %d matched: audience %+.1f%% (%+.1f%% to %+.1f%%), pre-trend p %.2f\n",
			d.EventPlatform, d.EventAt.UTC().Format(time.DateOnly), d.Treated, d.Controls,
			100*(math.Exp(d.Effect)-1), 100*(math.Exp(d.Lo)-1), 100*(math.Exp(d.Hi)-1), d.PreTrendP)
	}
	if s.Status == job.StatusOK {
		fmt.Fprintf(w, "  results: migration_shares, migration_windows, migration_window_shares, migration_its, migration_did, migration_did_units WHERE run_id = '%s'\n", s.RunID)
	}
}

func printActorsSummary(w io.Writer, s actors.Summary) {
	if s.RunID == "" {
		return
	}
	fmt.Fprintf(w, "actors run %s: %s\n", s.RunID, s.Status)
	for _, r := range s.Reasons {
		fmt.Fprintf(w, "  %s\n", r)
	}
	for _, a := range s.Actors {
		var shares []string
		for _, p := range a.Platforms {
			if v, ok := a.Latest[p]; ok {
				shares = append(shares, fmt.Sprintf("%s %.0f%%", p, 100*v))
			}
		}
		fmt.Fprintf(w, "  actor %s (%s): %d accounts; audience in its last week: %s\n", a.ID, a.Name, a.Accounts, strings.Join(shares, ", "))
		for _, m := range a.Moves {
			fmt.Fprintf(w, "    week of %s: the largest share moved from %s to %s (%.0f%% -> %.0f%%)\n",
				m.Week.UTC().Format(time.DateOnly), m.FromPlatform, m.ToPlatform, 100*m.FromShareBefore, 100*m.ToShareAfter)
		}
	}
	if s.Status == job.StatusOK {
		fmt.Fprintf(w, "  results: actors_accounts, actors_audience, actors_moves WHERE run_id = '%s'\n", s.RunID)
	}
}
