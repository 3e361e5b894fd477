package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/tidewatch/tidewatch/cmd/tidewatch/internal/config"
)

func newConfigCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show the configuration in effect, or write a default config file",
		Example: `  tidewatch config init
  tidewatch config show --sources`,
		Args: groupArgs,
		RunE: groupRun,
	}
	cmd.AddCommand(newConfigShowCmd(a), newConfigInitCmd(a))
	return cmd
}

type configShowOptions struct {
	Env     *cmdEnv
	Sources bool
}

func newConfigShowCmd(a *app) *cobra.Command {
	var opts configShowOptions
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Print the configuration in effect, secrets redacted",
		Long: `Print the configuration after merging flags, TIDEWATCH_* environment variables,
the config file and the defaults, as YAML. Secrets are printed as '***'. With
--sources, each key says where its value came from: default, file (with its
line), env (with the variable) or flag.`,
		Example: `  tidewatch config show
  TIDEWATCH_CLICKHOUSE_DATABASE=test tidewatch config show --sources
  tidewatch --config prod.yaml config show`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			opts.Env = env
			return configShowRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Sources, "sources", false, "say where each value came from")
	return cmd
}

func configShowRun(_ context.Context, opts configShowOptions) error {
	var sources map[string]config.Source
	if opts.Sources {
		sources = opts.Env.Sources
		file := opts.Env.File
		if file == "" {
			file = "none"
		}
		fmt.Fprintf(opts.Env.Stdout, "# config file: %s\n", file)
	}
	out, err := config.Show(opts.Env.Config, sources)
	if err != nil {
		return err
	}
	_, err = opts.Env.Stdout.Write(out)
	return err
}

type configInitOptions struct {
	Path   string
	Force  bool
	Stdout io.Writer
}

func newConfigInitCmd(a *app) *cobra.Command {
	var opts configInitOptions
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented default " + config.DefaultFile,
		Long: `Write a config file with every key, its default and a line saying what it does.
The file goes to ` + config.DefaultFile + ` in the working directory, or to --config FILE.
An existing file is kept unless --force is given.`,
		Example: `  tidewatch config init
  tidewatch --config /etc/tidewatch.yaml config init --force`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The file is not loaded: it may not exist yet, or be the broken one
			// that is being replaced.
			opts.Path, opts.Stdout = a.configFile, a.stdout
			if opts.Path == "" {
				opts.Path = config.DefaultFile
			}
			return configInitRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite an existing file")
	return cmd
}

func configInitRun(_ context.Context, opts configInitOptions) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if opts.Force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(opts.Path, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; use --force to overwrite it", opts.Path)
	}
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	_, err = f.Write(config.InitFile())
	if err = errors.Join(err, f.Close()); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	fmt.Fprintf(opts.Stdout, "wrote %s\n", opts.Path)
	return nil
}
