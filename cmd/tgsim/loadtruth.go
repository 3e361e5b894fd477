package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tidewatch/tidewatch/collector/tgsim/truthdb"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// clickhouseFlags say where ClickHouse is, with the flag names and
// TIDEWATCH_CLICKHOUSE_* environment variables tidewatch uses for the same
// settings (flags win over the environment).
type clickhouseFlags struct {
	addr         []string
	database     string
	user         string
	passwordFile string
	tls          bool
	spoolDir     string
}

func (c *clickhouseFlags) add(fs *pflag.FlagSet) {
	fs.StringSliceVar(&c.addr, "clickhouse-addr", envList("TIDEWATCH_CLICKHOUSE_ADDR"),
		"`host:port` of ClickHouse's native protocol, one or more (default "+store.DefaultAddr+", tidewatch's local server; env TIDEWATCH_CLICKHOUSE_ADDR)")
	fs.StringVar(&c.database, "clickhouse-database", envOr("TIDEWATCH_CLICKHOUSE_DATABASE", store.DefaultDatabase),
		"`database` holding tidewatch's tables, migrated by 'tidewatch db migrate' (env TIDEWATCH_CLICKHOUSE_DATABASE)")
	fs.StringVar(&c.user, "clickhouse-user", envOr("TIDEWATCH_CLICKHOUSE_USER", store.DefaultUsername),
		"`user` to log in as (env TIDEWATCH_CLICKHOUSE_USER)")
	fs.StringVar(&c.passwordFile, "clickhouse-password-file", os.Getenv("TIDEWATCH_CLICKHOUSE_PASSWORD_FILE"),
		"`file` holding the password, a trailing newline ignored (env TIDEWATCH_CLICKHOUSE_PASSWORD_FILE; or set TIDEWATCH_CLICKHOUSE_PASSWORD)")
	fs.BoolVar(&c.tls, "clickhouse-tls", os.Getenv("TIDEWATCH_CLICKHOUSE_TLS") == "true", "connect with TLS (env TIDEWATCH_CLICKHOUSE_TLS)")
	fs.StringVar(&c.spoolDir, "spool-dir", store.DefaultSpoolDir, "`folder` where batches ClickHouse did not take wait to be replayed")
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envList(name string) []string {
	var out []string
	for _, s := range strings.Split(os.Getenv(name), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// open connects to the database.
func (c *clickhouseFlags) open(ctx context.Context) (*store.DB, error) {
	password := os.Getenv("TIDEWATCH_CLICKHOUSE_PASSWORD")
	if c.passwordFile != "" {
		b, err := os.ReadFile(c.passwordFile)
		if err != nil {
			return nil, fmt.Errorf("--clickhouse-password-file: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
	}
	db, err := store.Open(ctx, store.Options{
		Addr:     c.addr,
		Database: c.database,
		Username: c.user,
		Password: password,
		TLS:      c.tls,
	})
	if errors.Is(err, store.ErrUnknownDatabase) {
		return nil, fmt.Errorf("database %s does not exist yet: run 'tidewatch db migrate'", c.database)
	}
	return db, err
}

type loadTruthOptions struct {
	truth truthOptions
	ch    clickhouseFlags
	runID string
}

func newLoadTruthCmd(stdout io.Writer) *cobra.Command {
	var o loadTruthOptions
	cmd := &cobra.Command{
		Use:   "load-truth",
		Short: "Load the world's ground truth into ClickHouse's truth_* tables",
		Long: `load-truth computes the same ground truth as 'tgsim truth' (same world and
schedule flags) and writes it into the truth_* tables of tidewatch's database
under --run-id, so that analyses can be joined to what the world planted:
truth_worlds (seed, period, spec, digest), truth_communities, truth_channels
(growth model and parameters, reach, ERR, carryover), truth_subscribers
(observed and noise-free values at each snapshot), truth_changepoints,
truth_world_events, truth_channel_events, truth_attacks (which channels each
attack affected), truth_reincarnations, truth_link_mix (expected link shares
before and after each takedown, with the Jensen-Shannon shift),
truth_forward_weights, truth_posts (planted view multipliers) and
truth_post_counters. The tables come with tidewatch's migrations ('tidewatch db
migrate'). Loading the same truth again changes nothing; another truth under a
used run id is refused.`,
		Example: `  # The truth of the world a collection run read, under that run's id
  tgsim load-truth --channels 300 --seed 7 --until 30d --every 1d --run-id sim-300-7

  # Into another server and database
  tgsim load-truth --spec world.yaml --seed 3 --no-posts --every 1d --run-id big-3 \
    --clickhouse-addr ch1.example.org:9000 --clickhouse-database research`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return loadTruth(cmd.Context(), o, stdout) },
	}
	f := cmd.Flags()
	o.truth.addFlags(f)
	o.ch.add(f)
	f.StringVar(&o.runID, "run-id", "", "`id` the truth is stored under (required), usually the collection run's")
	return cmd
}

func loadTruth(ctx context.Context, o loadTruthOptions, stdout io.Writer) error {
	if strings.TrimSpace(o.runID) == "" {
		return &usageError{errors.New("--run-id is required")}
	}
	tr, err := buildTruth(o.truth)
	if err != nil {
		return err
	}
	db, err := o.ch.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	counts, err := truthdb.LoadWith(ctx, db, tr, o.runID, store.WriterOptions{SpoolDir: o.ch.spoolDir})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "loaded the truth of seed %d until %s as run %s into %s\n",
		tr.Seed, tr.Until.Format("2006-01-02T15:04:05Z"), o.runID, db.Database())
	for _, table := range schema.TruthTables {
		fmt.Fprintf(stdout, "  %-22s %d rows\n", table, counts[table])
	}
	return nil
}
