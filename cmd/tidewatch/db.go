package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tidewatch/tidewatch/cmd/tidewatch/internal/config"
	"github.com/tidewatch/tidewatch/schema/chserver"
	"github.com/tidewatch/tidewatch/schema/migrate"
	"github.com/tidewatch/tidewatch/schema/store"
)

// dbFlags are the keys every db command takes as flags: where the server is.
var dbFlags = []string{
	"clickhouse.addr",
	"clickhouse.database",
	"clickhouse.local.dir",
	"clickhouse.local.tcp_port",
	"clickhouse.local.http_port",
	"clickhouse.local.interserver_port",
	"clickhouse.local.cluster",
	"clickhouse.local.cluster_dir",
}

func newDBCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Run the local ClickHouse and manage the schema",
		Long: `With no clickhouse.addr configured, tidewatch runs its own clickhouse-server
(the Debian package; 'make deps' installs it) on 127.0.0.1, with its data under
clickhouse.local.dir. Commands that need the database start it when it is not
running. With clickhouse.addr set, that server is used as it is.

With clickhouse.local.cluster (--cluster on the db commands), the managed server is
a local cluster instead: Debian's ZooKeeper and 2 shards x 2 replicas of
clickhouse-server on 127.0.0.1, under clickhouse.local.cluster_dir, named by
clickhouse.cluster (default tidewatch). Set the key in the configuration file or
as TIDEWATCH_CLICKHOUSE_LOCAL_CLUSTER=true so that collect and analyze use it too.`,
		Example: `  tidewatch db start
  tidewatch db start --cluster && tidewatch db migrate --cluster
  tidewatch db migrate
  tidewatch db status
  tidewatch db stop`,
		Args: groupArgs,
		RunE: groupRun,
	}
	config.AddFlag(cmd.PersistentFlags(), dbFlags...)
	// --cluster is the short spelling of --clickhouse-local-cluster.
	cmd.SetGlobalNormalizationFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "cluster" {
			name = config.FlagName("clickhouse.local.cluster")
		}
		return pflag.NormalizedName(name)
	})
	cmd.AddCommand(newDBStartCmd(a), newDBStopCmd(a), newDBStatusCmd(a), newDBMigrateCmd(a))
	return cmd
}

// localServer returns the options of the managed server.
func localServer(env *cmdEnv) chserver.Options {
	l := env.Config.ClickHouse.Local
	return chserver.Options{
		Dir:             l.Dir,
		TCPPort:         int(l.TCPPort),
		HTTPPort:        int(l.HTTPPort),
		InterserverPort: int(l.InterserverPort),
		Binary:          l.Binary,
		Database:        env.Config.ClickHouse.Database,
		Logger:          env.Log,
	}
}

// localCluster returns the options of the managed local cluster.
func localCluster(env *cmdEnv) chserver.ClusterOptions {
	l := env.Config.ClickHouse.Local
	return chserver.ClusterOptions{
		Dir:      l.ClusterDir,
		Name:     env.Config.ClickHouse.ClusterName(),
		Binary:   l.Binary,
		Database: env.Config.ClickHouse.Database,
		Logger:   env.Log,
	}
}

// managedCluster reports whether the managed server is a local cluster.
func managedCluster(env *cmdEnv) bool {
	return env.Config.ClickHouse.Managed() && env.Config.ClickHouse.Local.Cluster
}

// errNotManaged is returned by the commands that only act on the managed server.
func errNotManaged(env *cmdEnv) error {
	return fmt.Errorf("clickhouse.addr is set (%s): tidewatch only starts and stops its own local server",
		strings.Join(env.Config.ClickHouse.Addr, ", "))
}

type dbStartOptions struct {
	Env *cmdEnv
}

func newDBStartCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "start",
		Short: "Start the managed local clickhouse-server",
		Long: `Start clickhouse-server on 127.0.0.1 with its data under clickhouse.local.dir and
wait until it answers. Nothing happens when it already runs.`,
		Example: `  tidewatch db start
  tidewatch db start --clickhouse-local-tcp-port 29000 --clickhouse-local-http-port 28123`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			return dbStartRun(cmd.Context(), dbStartOptions{Env: env})
		},
	}
}

func dbStartRun(ctx context.Context, opts dbStartOptions) error {
	env := opts.Env
	if !env.Config.ClickHouse.Managed() {
		return errNotManaged(env)
	}
	if managedCluster(env) {
		before, err := chserver.InspectCluster(ctx, localCluster(env))
		if err != nil {
			return err
		}
		st, err := chserver.StartCluster(ctx, localCluster(env))
		if err != nil {
			return err
		}
		verb := "started"
		if before.Running {
			verb = "already running"
		}
		fmt.Fprintf(env.Stdout, "cluster %s %s: zookeeper pid %d on %s, data %s\n", st.Name, verb, st.ZooKeeperPID, st.ZooKeeperAddr, st.Dir)
		for _, n := range st.Nodes {
			fmt.Fprintf(env.Stdout, "  shard %d replica %d: pid %d, native %s, http %s\n", n.Shard+1, n.Replica+1, n.PID, n.Addr, n.HTTPAddr)
		}
		return nil
	}
	before, err := chserver.Inspect(ctx, localServer(env))
	if err != nil {
		return err
	}
	st, err := chserver.Start(ctx, localServer(env))
	if err != nil {
		return err
	}
	verb := "started"
	if before.Running {
		verb = "already running"
	}
	fmt.Fprintf(env.Stdout, "clickhouse-server %s: pid %d, native %s, http %s, data %s\n", verb, st.PID, st.Addr, st.HTTPAddr, st.Dir)
	return nil
}

type dbStopOptions struct {
	Env *cmdEnv
}

func newDBStopCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "stop",
		Short: "Stop the managed local clickhouse-server",
		Long: `Stop the managed clickhouse-server (SIGTERM, then SIGKILL if it does not exit in
time) and wait until its process is gone. Nothing happens when it does not run.`,
		Example: `  tidewatch db stop`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			return dbStopRun(cmd.Context(), dbStopOptions{Env: env})
		},
	}
}

func dbStopRun(ctx context.Context, opts dbStopOptions) error {
	env := opts.Env
	if !env.Config.ClickHouse.Managed() {
		return errNotManaged(env)
	}
	if managedCluster(env) {
		st, err := chserver.InspectCluster(ctx, localCluster(env))
		if err != nil {
			return err
		}
		if err := chserver.StopCluster(ctx, localCluster(env)); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "cluster %s stopped (data %s)\n", st.Name, st.Dir)
		return nil
	}
	st, err := chserver.Inspect(ctx, localServer(env))
	if err != nil {
		return err
	}
	if st.PID == 0 {
		fmt.Fprintf(env.Stdout, "clickhouse-server is not running (data %s)\n", st.Dir)
		return nil
	}
	if err := chserver.Stop(ctx, localServer(env)); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "clickhouse-server stopped: pid %d\n", st.PID)
	return nil
}

type dbStatusOptions struct {
	Env *cmdEnv
}

func newDBStatusCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the server, whether it answers, its version and the migrations",
		Long: `Show which ClickHouse is used (the managed local server with its pid, ports and
folder, or the configured addresses), whether it answers, its version, and which
migrations are applied or pending. It does not start the server, and exits with
code 1 when the server does not answer.`,
		Example: `  tidewatch db status
  TIDEWATCH_CLICKHOUSE_ADDR=ch1.example.org:9000 tidewatch db status`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			return dbStatusRun(cmd.Context(), dbStatusOptions{Env: env})
		},
	}
}

func dbStatusRun(ctx context.Context, opts dbStatusOptions) error {
	env := opts.Env
	ch := env.Config.ClickHouse
	w := env.Stdout

	addrs := ch.Addr
	if managedCluster(env) {
		st, err := chserver.InspectCluster(ctx, localCluster(env))
		if err != nil {
			return err
		}
		field(w, "server", "managed local cluster "+st.Name)
		zk := "none (not running)"
		if st.ZooKeeperPID != 0 {
			zk = fmt.Sprintf("pid %d on %s", st.ZooKeeperPID, st.ZooKeeperAddr)
		}
		field(w, "zookeeper", zk)
		for _, n := range st.Nodes {
			state := "not running"
			if n.PID != 0 {
				state = fmt.Sprintf("pid %d, answers %v", n.PID, n.Running)
			}
			field(w, fmt.Sprintf("shard %d/%d", n.Shard+1, n.Replica+1), n.Addr+" ("+state+")")
		}
		field(w, "data", st.Dir)
		if !st.Running {
			field(w, "answers", "no")
			return fmt.Errorf("%w; 'tidewatch db start --cluster' starts it", errNoAnswer)
		}
		addrs = st.Addrs()
	} else if ch.Managed() {
		st, err := chserver.Inspect(ctx, localServer(env))
		if err != nil {
			return err
		}
		field(w, "server", "managed local clickhouse-server")
		if st.PID == 0 {
			field(w, "pid", "none (not running)")
		} else {
			field(w, "pid", strconv.Itoa(st.PID))
		}
		field(w, "native", st.Addr)
		field(w, "http", st.HTTPAddr)
		field(w, "data", st.Dir)
		field(w, "logs", st.LogDir)
		if !st.Running {
			field(w, "answers", "no")
			return fmt.Errorf("%w; 'tidewatch db start' starts it", errNoAnswer)
		}
		addrs = []string{st.Addr}
	} else {
		field(w, "server", strings.Join(addrs, ", ")+" (configured)")
	}

	db, err := openAdmin(ctx, env, addrs)
	if err != nil {
		field(w, "answers", "no")
		return fmt.Errorf("%w: %w", errNoAnswer, err)
	}
	defer db.Close()
	field(w, "answers", "yes")
	var version string
	if err := db.QueryRow(ctx, "SELECT version()").Scan(&version); err != nil {
		return fmt.Errorf("read server version: %w", err)
	}
	field(w, "version", version)
	mode := "single server"
	if c := ch.ClusterName(); c != "" {
		mode = "cluster " + c
	}
	field(w, "database", ch.Database+" ("+mode+")")

	var exists uint64
	if err := db.QueryRow(ctx, "SELECT count() FROM system.databases WHERE name = ?", ch.Database).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", ch.Database, err)
	}
	if exists == 0 {
		field(w, "migrations", "none applied: the database does not exist; 'tidewatch db migrate' creates it")
		return nil
	}
	list, err := migrate.Status(ctx, db, migrateOptions(env))
	if err != nil {
		return err
	}
	applied, pending := 0, 0
	for _, m := range list {
		if m.Applied {
			applied++
		} else {
			pending++
		}
	}
	field(w, "migrations", fmt.Sprintf("%d applied, %d pending", applied, pending))
	for _, m := range list {
		name := m.File
		if name == "" {
			name = fmt.Sprintf("%04d_%s", m.Version, m.Name)
		}
		state := "pending"
		switch {
		case m.Unknown:
			state = "applied by a newer tidewatch (unknown to this one)"
		case m.Changed:
			state = "applied, but the file changed since (checksum differs)"
		case m.Applied:
			state = "applied " + m.AppliedAt.UTC().Format(time.DateTime) + " UTC"
		}
		fmt.Fprintf(w, "  %-24s %s\n", name, state)
	}
	return nil
}

// errNoAnswer makes `db status` exit non-zero when the server does not answer,
// after it has printed what it knows.
var errNoAnswer = errors.New("clickhouse does not answer")

type dbMigrateOptions struct {
	Env *cmdEnv
}

func newDBMigrateCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Create the database and apply the pending schema migrations",
		Long: `Create clickhouse.database if needed and apply the migrations embedded in this
binary that it lacks, in order, printing each one. Running it again changes
nothing. A migration that was applied and has since been edited stops the run.
With no clickhouse.addr, the managed local server is started first if needed.
With clickhouse.cluster set, tables are created ON CLUSTER as replicated local
tables behind Distributed tables.`,
		Example: `  tidewatch db migrate
  TIDEWATCH_CLICKHOUSE_ADDR=ch1.example.org:9000 TIDEWATCH_CLICKHOUSE_PASSWORD_FILE=ch.pass tidewatch db migrate`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			return dbMigrateRun(cmd.Context(), dbMigrateOptions{Env: env})
		},
	}
}

func dbMigrateRun(ctx context.Context, opts dbMigrateOptions) error {
	env := opts.Env
	addrs, err := ensureServer(ctx, env)
	if err != nil {
		return err
	}
	db, err := openAdmin(ctx, env, addrs)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := migrate.Migrate(ctx, db, migrateOptions(env))
	for _, m := range applied {
		fmt.Fprintf(env.Stdout, "applied %s\n", m.File)
	}
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(env.Stdout, "schema is up to date (database %s)\n", env.Config.ClickHouse.Database)
		return nil
	}
	fmt.Fprintf(env.Stdout, "database %s: %d migrations applied\n", env.Config.ClickHouse.Database, len(applied))
	return nil
}

// migrateOptions has no logger: db migrate prints each applied migration itself.
func migrateOptions(env *cmdEnv) migrate.Options {
	return migrate.Options{
		Database: env.Config.ClickHouse.Database,
		Cluster:  env.Config.ClickHouse.ClusterName(),
	}
}

// storeOptions are the connection options for the configured login.
func storeOptions(env *cmdEnv, addrs []string, database string) store.Options {
	ch := env.Config.ClickHouse
	return store.Options{
		Addr:     addrs,
		Database: database,
		Username: ch.User,
		Password: ch.Password.Value(),
		TLS:      ch.TLS,
		Logger:   env.Log,
	}
}

// openDatabase connects to clickhouse.database. With no clickhouse.addr it
// first starts the managed local server when it is not running. Every command
// that reads or writes tidewatch's tables connects through it; the caller
// closes the DB.
func openDatabase(ctx context.Context, env *cmdEnv) (*store.DB, error) {
	addrs, err := ensureServer(ctx, env)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, storeOptions(env, addrs, env.Config.ClickHouse.Database))
	if errors.Is(err, store.ErrUnknownDatabase) {
		return nil, fmt.Errorf("database %s does not exist yet: run 'tidewatch db migrate'", env.Config.ClickHouse.Database)
	}
	return db, err
}

// openAdmin connects for commands that must work before the database exists:
// to clickhouse.database when it does, else to the server's "default" database.
// Queries use qualified table names, so the current database does not matter.
func openAdmin(ctx context.Context, env *cmdEnv, addrs []string) (*store.DB, error) {
	db, err := store.Open(ctx, storeOptions(env, addrs, env.Config.ClickHouse.Database))
	if errors.Is(err, store.ErrUnknownDatabase) {
		return store.Open(ctx, storeOptions(env, addrs, "default"))
	}
	return db, err
}

// writerOptions are the batched writer's options from the writer section.
func writerOptions(env *cmdEnv) store.WriterOptions {
	w := env.Config.Writer
	return store.WriterOptions{
		BatchRows:     w.BatchRows,
		FlushInterval: w.FlushInterval,
		SpoolDir:      w.SpoolDir,
		Logger:        env.Log,
	}
}

// ensureServer makes the configured ClickHouse reachable and returns the
// addresses to connect to. With no clickhouse.addr that is the managed local
// server, started first when it is not running (which is said on stderr, since
// the server outlives the command); otherwise the configured addresses as they are.
func ensureServer(ctx context.Context, env *cmdEnv) ([]string, error) {
	if !env.Config.ClickHouse.Managed() {
		return env.Config.ClickHouse.Addr, nil
	}
	if managedCluster(env) {
		opts := localCluster(env)
		st, err := chserver.InspectCluster(ctx, opts)
		if err != nil {
			return nil, err
		}
		if !st.Running {
			fmt.Fprintf(env.Stderr, "starting the local cluster (data %s); 'tidewatch db stop --cluster' stops it\n", st.Dir)
			if st, err = chserver.StartCluster(ctx, opts); err != nil {
				return nil, err
			}
		}
		return st.Addrs(), nil
	}
	opts := localServer(env)
	st, err := chserver.Inspect(ctx, opts)
	if err != nil {
		return nil, err
	}
	if !st.Running {
		fmt.Fprintf(env.Stderr, "starting the local clickhouse-server (data %s); 'tidewatch db stop' stops it\n", st.Dir)
		if st, err = chserver.Start(ctx, opts); err != nil {
			return nil, err
		}
	}
	return []string{st.Addr}, nil
}

// field prints one "label: value" line of db status, values aligned.
func field(w io.Writer, label, value string) {
	fmt.Fprintf(w, "%-12s%s\n", label+":", value)
}
