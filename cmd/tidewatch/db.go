package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tidewatch/tidewatch/cmd/tidewatch/internal/config"
	"github.com/tidewatch/tidewatch/schema/chserver"
)

// dbFlags are the keys every db command takes as flags: where the server is.
var dbFlags = []string{
	"clickhouse.addr",
	"clickhouse.database",
	"clickhouse.local.dir",
	"clickhouse.local.tcp_port",
	"clickhouse.local.http_port",
	"clickhouse.local.interserver_port",
}

func newDBCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Run the local ClickHouse and manage the schema",
		Long: `With no clickhouse.addr configured, tidewatch runs its own clickhouse-server
(the Debian package; 'make deps' installs it) on 127.0.0.1, with its data under
clickhouse.local.dir. Commands that need the database start it when it is not
running. With clickhouse.addr set, that server is used as it is.`,
		Example: `  tidewatch db start
  tidewatch db migrate
  tidewatch db status
  tidewatch db stop`,
		Args: groupArgs,
		RunE: groupRun,
	}
	config.AddFlag(cmd.PersistentFlags(), dbFlags...)
	cmd.AddCommand(newDBStartCmd(a), newDBStopCmd(a))
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
		Logger:          env.Log,
	}
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

// errNoAnswer makes `db status` exit non-zero when the server does not answer,
// after it has printed what it knows.
var errNoAnswer = errors.New("clickhouse does not answer")

// ensureServer makes the configured ClickHouse reachable and returns the
// addresses to connect to. With no clickhouse.addr that is the managed local
// server, started first when it is not running (which is said on stderr, since
// the server outlives the command); otherwise the configured addresses as they are.
func ensureServer(ctx context.Context, env *cmdEnv) ([]string, error) {
	if !env.Config.ClickHouse.Managed() {
		return env.Config.ClickHouse.Addr, nil
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
