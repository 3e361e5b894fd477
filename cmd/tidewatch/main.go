// Command tidewatch collects public Telegram channels (and imports other
// platforms) into ClickHouse for research on online communities. Run
// `tidewatch --help` for the commands.
//
// Adding a command: write an options struct, newXCmd(a *app) returning the
// cobra command (with Short, Example and Args: noArgs or groupArgs), and
// xRun(ctx, opts). In RunE, a.load(cmd) reads the configuration for that
// command (its own viper, bound to its flags; config.AddFlag adds flags for
// config keys) and returns a cmdEnv with the Config, a Logger and the output
// streams. Commands that need ClickHouse call openDatabase(ctx, env), which
// starts the managed local server when no clickhouse.addr is set, and build
// writers with writerOptions(env). main only turns errors into exit codes.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
