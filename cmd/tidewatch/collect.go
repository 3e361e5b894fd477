package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/tidewatch/tidewatch/cmd/tidewatch/internal/config"
	"github.com/tidewatch/tidewatch/collector/collect"
	"github.com/tidewatch/tidewatch/collector/collect/budget"
	"github.com/tidewatch/tidewatch/collector/collect/discovery"
	"github.com/tidewatch/tidewatch/collector/telegram"
	"github.com/tidewatch/tidewatch/schema/store"
)

type collectOptions struct {
	Env    *cmdEnv
	Watch  bool
	Since  string
	Shard  string
	Status bool
	Top    int
	Args   []string
}

func newCollectCmd(a *app) *cobra.Command {
	var opts collectOptions
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Collect the seeds' channels and the channels discovered from them",
		Long: `Collect public Telegram channels into ClickHouse: resolve the seeds (once; the
ids and access hashes are kept), snapshot metadata and audience on a cadence and
record identity and status changes, fetch the full history on first sight (from
--since) and new posts after that, re-read counters at fixed post ages, store
links and proposed cross-platform accounts, and grow the sampling frame by the
discovery rules (collect.discovery).

Without --watch the run does what is due now and stops; with --watch it keeps
going as a service. Every account in telegram.accounts (or every stored session)
is used; each has its own rate budget per method, and a flood wait parks that
account for that method, remembered across restarts, while other accounts take
its channels. Ctrl-C (SIGINT) or SIGTERM finishes the calls in flight, flushes,
saves the progress and exits 0; after a crash the next run continues where the
last checkpoint left off. --shard i/n collects only the channels whose stable
hash falls in shard i of n, for several processes with distinct accounts and
collect.state_dir.

The collector never joins a chat and never lists members. Persons are stored
as keyed hashes (privacy.hash_key is required); message text only with
collect.store_text.

--status prints the completeness of each channel (from the channel_completeness
view) instead of collecting.`,
		Example: `  # What is due now, then stop
  tidewatch collect

  # As a service, with metrics on :9464
  tidewatch collect --watch --metrics-listen :9464

  # First sight fetches only posts from 2024 on; two processes share the work
  tidewatch collect --watch --since 2024-01-01 --shard 0/2 --collect-state-dir .tidewatch/collect-0

  # How complete is what was collected?
  tidewatch collect --status`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			opts.Env = env
			opts.Args = os.Args[1:]
			if opts.Status {
				return collectStatusRun(cmd.Context(), opts)
			}
			return collectRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.Watch, "watch", false, "keep collecting as a service until interrupted")
	f.StringVar(&opts.Since, "since", "", "on first sight fetch history only from `T` on: a date (2024-01-31), RFC 3339 time, or an age (30d, 72h)")
	f.StringVar(&opts.Shard, "shard", "", "collect only shard `i/n` of the channels (0 <= i < n)")
	f.BoolVar(&opts.Status, "status", false, "print per-channel completeness instead of collecting")
	f.IntVar(&opts.Top, "status-limit", 50, "channels listed by --status, least complete first")
	config.AddFlag(f, "collect.state_dir", "collect.store_text", "telegram.accounts", "metrics.listen",
		"telegram.dc_addr", "telegram.public_key_file", "telegram.sessions_dir")
	return cmd
}

// parseShard reads "i/n".
func parseShard(s string) (int, int, error) {
	if s == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, &usageError{fmt.Errorf("--shard %q: want i/n with 0 <= i < n", s)}
	}
	return i, n, nil
}

// readSince reads --since: a date or an RFC 3339 time, or else an age (positive), which
// counts back from the server's time when the collection starts.
func readSince(s string) (time.Time, time.Duration, error) {
	if s == "" {
		return time.Time{}, 0, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, 0, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, 0, nil
	}
	if age, err := config.ParseAge(s); err == nil {
		return time.Time{}, age, nil
	}
	return time.Time{}, 0, &usageError{fmt.Errorf("--since %q: want a date (2024-01-31), an RFC 3339 time or an age (30d, 72h)", s)}
}

// parseSince reads a date, an RFC 3339 time, or an age before now.
func parseSince(s string, now time.Time) (time.Time, error) {
	t, age, err := readSince(s)
	if age > 0 {
		return now.Add(-age), nil
	}
	return t, err
}

// engineOptions maps the configuration and the flags onto the engine's options; the
// accounts, the output and the clocks are the collector's to wire.
func engineOptions(env *cmdEnv, opts collectOptions, reg prometheus.Registerer) (collect.Options, error) {
	cfg := env.Config
	if cfg.Privacy.HashKey == "" {
		return collect.Options{}, errors.New("privacy.hash_key (or privacy.hash_key_file) is required: persons are stored only as keyed hashes")
	}
	shard, shards, err := parseShard(opts.Shard)
	if err != nil {
		return collect.Options{}, err
	}
	since, sinceAge, err := readSince(opts.Since)
	if err != nil {
		return collect.Options{}, err
	}
	c := cfg.Collect
	var ages []time.Duration
	for _, s := range c.CounterAges {
		a, err := config.ParseAge(s)
		if err != nil {
			return collect.Options{}, err
		}
		ages = append(ages, a)
	}
	limits := collect.DefaultLimits()
	for _, s := range c.Limits {
		m, rate, burst, err := config.ParseLimit(s)
		if err != nil {
			return collect.Options{}, err
		}
		limits[m] = budget.Limit{Rate: rate, Burst: burst}
	}
	seeds, err := collect.ReadSeeds(seedPath(env))
	if err != nil {
		return collect.Options{}, err
	}
	var suffix [3]byte
	_, _ = rand.Read(suffix[:])
	return collect.Options{
		State: collect.StateOptions{Dir: c.StateDir, CheckpointInterval: c.CheckpointInterval},
		Scope: collect.Scope{
			Seeds: seeds,
			Rules: discovery.Rules{
				MaxDepth: c.Discovery.MaxDepth, MinReferences: c.Discovery.MinReferences,
				MinSubscribers: c.Discovery.MinSubscribers, Via: c.Discovery.Via,
			},
			Shard: shard, Shards: shards, Since: since, SinceAge: sinceAge,
		},
		Schedule: collect.Schedule{
			SnapshotInterval: c.SnapshotInterval, HotSnapshotInterval: c.HotSnapshotInterval,
			HistoryInterval: c.HistoryInterval, HotHistoryInterval: c.HotHistoryInterval,
			GoneInterval: c.GoneInterval, RecommendInterval: c.RecommendInterval,
			CounterAges: ages, CounterTolerance: float64(c.CounterTolerance) / 100,
			HotSubscribers: c.HotSubscribers, HotPostsPerDay: c.HotPostsPerDay,
		},
		Rates: collect.Rates{
			Limits: limits, MaxInFlight: c.MaxInFlight, HandoffAfter: c.HandoffAfter, MaxWait: c.MaxWait,
		},
		Watch:   opts.Watch,
		Privacy: collect.Privacy{HashKey: []byte(cfg.Privacy.HashKey.Value()), StoreText: c.StoreText},
		Run: collect.RunInfo{
			ID:          "collect-" + time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(suffix[:]),
			ConfigHash:  config.Fingerprint(cfg),
			CodeVersion: readBuildVersion().String(),
			Args:        strings.Join(opts.Args, " "),
		},
		Logger:     env.Log,
		Registerer: reg,
	}, nil
}

// notLoggedIn is the login prompt of a collection: it cannot ask anything.
type notLoggedIn struct{ label string }

func (p notLoggedIn) Code(context.Context) (string, error) {
	return "", fmt.Errorf("account %s is not logged in: run 'tidewatch login --label %s'", p.label, p.label)
}

func (p notLoggedIn) Password(ctx context.Context) (string, error) { return p.Code(ctx) }

// dialAccounts connects the accounts to collect with: telegram.accounts, or every stored
// session. The caller closes them.
func dialAccounts(ctx context.Context, env *cmdEnv, reg prometheus.Registerer) ([]*telegram.Account, error) {
	t := env.Config.Telegram
	labels := t.Accounts
	if len(labels) == 0 {
		sessions, err := telegram.ListSessions(t.SessionsDir)
		if err != nil {
			return nil, err
		}
		for _, s := range sessions {
			labels = append(labels, s.Label)
		}
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("no logged-in account in %s: run 'tidewatch login' first", t.SessionsDir)
	}
	var accs []*telegram.Account
	closeAll := func() error {
		var errs []error
		for _, a := range accs {
			errs = append(errs, a.Close())
		}
		return errors.Join(errs...)
	}
	for _, label := range labels {
		opts, err := telegramOptions(env, "", label)
		if err != nil {
			return nil, errors.Join(err, closeAll())
		}
		opts.Registerer = reg
		acc, err := dialAccount(ctx, opts)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("account %s: %w", label, err), closeAll())
		}
		accs = append(accs, acc)
		if err := acc.Login(ctx, notLoggedIn{label}); err != nil {
			return nil, errors.Join(fmt.Errorf("account %s: %w", label, err), closeAll())
		}
	}
	return accs, nil
}

// serveMetrics serves reg on addr until ctx ends; the returned function waits for it.
func serveMetrics(ctx context.Context, env *cmdEnv, addr string, reg *prometheus.Registry) (func() error, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics.listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	stop := context.AfterFunc(ctx, func() { _ = srv.Close() })
	env.Log.Info("serving metrics", "addr", ln.Addr().String())
	return func() error {
		stop()
		_ = srv.Close()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}, nil
}

func collectRun(ctx context.Context, opts collectOptions) error {
	env := opts.Env
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	eopts, err := engineOptions(env, opts, reg)
	if err != nil {
		return err
	}
	if listen := env.Config.Metrics.Listen; listen != "" {
		mctx, cancel := context.WithCancel(ctx)
		defer cancel()
		waitMetrics, err := serveMetrics(mctx, env, listen, reg)
		if err != nil {
			return err
		}
		defer func() {
			cancel()
			_ = waitMetrics()
		}()
	}
	accs, err := dialAccounts(ctx, env, reg)
	if err != nil {
		return err
	}
	defer func() {
		for _, a := range accs {
			_ = a.Close()
		}
	}()
	db, err := openDatabase(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, a := range accs {
		eopts.Accounts = append(eopts.Accounts, a)
	}
	if len(eopts.Scope.Seeds) == 0 {
		env.Log.Warn("the seed list is empty: add seeds with 'tidewatch seeds add'", "list", seedPath(env))
	}
	sum, err := collect.CollectIntoStore(ctx, collect.StoreRun{
		Engine: eopts, Time: accs[0], DB: db, Writer: collectWriterOptions(env, reg), SoftMemoryLimit: true,
		Progress: func(ctx context.Context, c *collect.Collector) { showProgress(ctx, c, env) },
	})
	if sum.RunID != "" {
		printSummary(env, sum)
	}
	return err
}

// collectWriterOptions are the configured writer options with the writers' counters
// (rows, inserts, spool) on the collector's /metrics.
func collectWriterOptions(env *cmdEnv, reg prometheus.Registerer) store.WriterOptions {
	o := writerOptions(env)
	o.Registerer = reg
	return o
}

// printSummary writes the end-of-run report.
func printSummary(env *cmdEnv, s collect.Summary) {
	w := env.Stdout
	fmt.Fprintf(w, "run %s: %s\n", s.RunID, s.Status)
	fmt.Fprintf(w, "  frame %s: %d channels\n", s.FrameID, s.Channels)
	fmt.Fprintf(w, "  posts %d, events %d, flood waits %d (%s)\n", s.Posts, s.Events, s.Floods, s.FloodWait.Round(time.Second))
	took := s.Finished.Sub(s.Started)
	fmt.Fprintf(w, "  data time %s .. %s (%s)\n", s.Started.UTC().Format(time.DateTime), s.Finished.UTC().Format(time.DateTime), took.Round(time.Second))
	var calls []string
	for m, n := range s.Calls {
		calls = append(calls, fmt.Sprintf("%s %d", m, n))
	}
	if len(calls) > 0 {
		slices.Sort(calls)
		fmt.Fprintf(w, "  calls: %s\n", strings.Join(calls, ", "))
	}
	for _, e := range s.Errors {
		fmt.Fprintf(w, "  problem: %s\n", e)
	}
}

// completenessLine is one row of `collect status`, read from the channel_completeness view.
type completenessLine struct {
	ChannelID      uint64 `ch:"channel_id"`
	Username       string `ch:"username"`
	Status         string `ch:"status"`
	HistoryDone    uint8  `ch:"history_done"`
	IDsExpected    uint64 `ch:"ids_expected"`
	Stored         uint64 `ch:"stored"`
	Gaps           uint64 `ch:"gaps"`
	Deleted        uint64 `ch:"deleted"`
	NotFetched     uint64 `ch:"not_fetched"`
	Unreadable     uint64 `ch:"unreadable"`
	Unexplained    int64  `ch:"unexplained"`
	CountersDone   uint64 `ch:"counters_done"`
	CountersMissed uint64 `ch:"counters_missed"`
	CountersLate   uint64 `ch:"counters_late"`
	CountersLost   uint64 `ch:"counters_lost"`
	CountersDue    uint64 `ch:"counters_due"`
}

// collectStatusRun prints the per-channel completeness.
func collectStatusRun(ctx context.Context, opts collectOptions) error {
	env := opts.Env
	db, err := openDatabase(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	q := fmt.Sprintf(`SELECT %s FROM %s WHERE included = 1
		ORDER BY unexplained DESC, stored_share, channel_id LIMIT %d`, store.Columns[completenessLine](), db.Table("channel_completeness"), max(opts.Top, 1))
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "CHANNEL\tUSERNAME\tSTATUS\tDONE\tEXPECTED\tSTORED\tGAPS\tDELETED\tTO FETCH\tUNREADABLE\tUNEXPLAINED\tREADS\tMISSED\tLATE\tLOST\tDUE\t")
	n := 0
	err = store.Each(ctx, db, q, func(r *completenessLine) error {
		doneText := "no"
		if r.HistoryDone == 1 {
			doneText = "yes"
		}
		name := "-" // no public username (a private link or a channel known by id)
		if r.Username != "" {
			name = "@" + r.Username
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", r.ChannelID, name, r.Status, doneText,
			r.IDsExpected, r.Stored, r.Gaps, r.Deleted, r.NotFetched, r.Unreadable, r.Unexplained,
			r.CountersDone, r.CountersMissed, r.CountersLate, r.CountersLost, r.CountersDue)
		n++
		return nil
	})
	if err != nil {
		return fmt.Errorf("read completeness: %w", err)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(env.Stderr, "nothing collected yet")
	}
	return nil
}
