package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tidewatch/tidewatch/cmd/tidewatch/internal/config"
	"github.com/tidewatch/tidewatch/collector/collect"
	"github.com/tidewatch/tidewatch/links"
)

func newSeedsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "seeds",
		Short: "Manage the channels collection starts from",
		Long: `Seeds are the public channels a collection starts from; discovery grows the
sampling frame from them (collect.discovery). The list is kept in
collect.state_dir/seeds.txt and read when 'tidewatch collect' starts.`,
		Example: `  tidewatch seeds add @durov t.me/telegram https://t.me/s/tginfo
  tidewatch seeds add --file seeds.txt
  tidewatch seeds list
  tidewatch seeds remove durov`,
		Args: groupArgs,
		RunE: groupRun,
	}
	cmd.AddCommand(newSeedsAddCmd(a), newSeedsListCmd(a), newSeedsRemoveCmd(a))
	return cmd
}

func seedPath(env *cmdEnv) string {
	return filepath.Join(env.Config.Collect.StateDir, collect.SeedFileName)
}

type seedsAddOptions struct {
	Env         *cmdEnv
	Args        []string
	Files       []string
	SkipInvalid bool
}

func newSeedsAddCmd(a *app) *cobra.Command {
	var opts seedsAddOptions
	cmd := &cobra.Command{
		Use:   "add [SEED...]",
		Short: "Add seeds: @name, name, t.me/name, t.me/s/name, t.me/name/123, or files of them",
		Long: `Add seeds given as arguments and in files (--file, one a line, '#' starts a
comment). A seed is a public channel: @name, name, t.me/name, https://t.me/s/name
or a post link https://t.me/name/123 (the whole channel is collected). Invite
links and t.me/c/ links are refused: they do not name a public channel.

Input with an invalid seed is rejected whole, every bad one listed (with its
file and line), unless --skip-invalid adds the valid ones and reports the rest.`,
		Example: `  tidewatch seeds add @durov t.me/telegram
  tidewatch seeds add --file seeds.txt --skip-invalid`,
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			if len(args) == 0 && len(opts.Files) == 0 {
				return &usageError{errors.New("give seeds as arguments or with --file")}
			}
			opts.Env, opts.Args = env, args
			return seedsAddRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringArrayVar(&opts.Files, "file", nil, "read seeds from `file`, one a line (repeatable; - is standard input)")
	cmd.Flags().BoolVar(&opts.SkipInvalid, "skip-invalid", false, "add the valid seeds and report the invalid ones instead of rejecting everything")
	config.AddFlag(cmd.Flags(), "collect.state_dir")
	return cmd
}

func seedsAddRun(_ context.Context, opts seedsAddOptions) error {
	var (
		found []string
		bad   []string
	)
	for _, arg := range opts.Args {
		s, err := links.ParseSeed(arg)
		if err != nil {
			bad = append(bad, fmt.Sprintf("argument %q: %v", arg, err))
			continue
		}
		found = append(found, s.Username)
	}
	for _, name := range opts.Files {
		f := os.Stdin
		if name != "-" {
			var err error
			if f, err = os.Open(name); err != nil {
				return fmt.Errorf("seed file: %w", err)
			}
		}
		seeds, lineErrs := links.ParseSeedFile(f)
		if name != "-" {
			f.Close()
		}
		for _, s := range seeds {
			found = append(found, s.Username)
		}
		for _, le := range lineErrs {
			bad = append(bad, fmt.Sprintf("%s:%d: %v", name, le.Line, le.Err))
		}
	}
	if len(bad) > 0 {
		msg := strings.Join(bad, "\n")
		if !opts.SkipInvalid {
			return &usageError{fmt.Errorf("nothing added: %d invalid seed(s) (--skip-invalid adds the valid ones):\n%s", len(bad), msg)}
		}
		fmt.Fprintf(opts.Env.Stderr, "skipped %d invalid seed(s):\n%s\n", len(bad), msg)
	}
	path := seedPath(opts.Env)
	have, err := collect.ReadSeeds(path)
	if err != nil {
		return err
	}
	added := 0
	for _, u := range found {
		if !slices.Contains(have, u) {
			have = append(have, u)
			added++
		}
	}
	if added > 0 {
		if err := collect.WriteSeeds(path, have); err != nil {
			return err
		}
	}
	fmt.Fprintf(opts.Env.Stdout, "added %d seed(s), %d already present; %d in %s\n", added, len(found)-added, len(have), path)
	return nil
}

type seedsListOptions struct{ Env *cmdEnv }

func newSeedsListCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the seeds",
		Example: `  tidewatch seeds list`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			return seedsListRun(cmd.Context(), seedsListOptions{Env: env})
		},
	}
	config.AddFlag(cmd.Flags(), "collect.state_dir")
	return cmd
}

func seedsListRun(_ context.Context, opts seedsListOptions) error {
	seeds, err := collect.ReadSeeds(seedPath(opts.Env))
	if err != nil {
		return err
	}
	if len(seeds) == 0 {
		fmt.Fprintln(opts.Env.Stderr, "no seeds yet: add some with 'tidewatch seeds add'")
		return nil
	}
	for _, s := range seeds {
		fmt.Fprintln(opts.Env.Stdout, "@"+s)
	}
	return nil
}

type seedsRemoveOptions struct {
	Env  *cmdEnv
	Args []string
}

func newSeedsRemoveCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "remove SEED...",
		Short: "Remove seeds",
		Long: `Remove seeds from the list. Channels already collected stay in the database; the
next collection judges them again by the discovery rules, as any channel.`,
		Example: `  tidewatch seeds remove @durov t.me/telegram`,
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			if len(args) == 0 {
				return &usageError{errors.New("give the seeds to remove")}
			}
			return seedsRemoveRun(cmd.Context(), seedsRemoveOptions{Env: env, Args: args})
		},
	}
	config.AddFlag(cmd.Flags(), "collect.state_dir")
	return cmd
}

func seedsRemoveRun(_ context.Context, opts seedsRemoveOptions) error {
	path := seedPath(opts.Env)
	have, err := collect.ReadSeeds(path)
	if err != nil {
		return err
	}
	var missing []string
	removed := 0
	for _, arg := range opts.Args {
		s, err := links.ParseSeed(arg)
		if err != nil {
			return &usageError{err}
		}
		i := slices.Index(have, s.Username)
		if i < 0 {
			missing = append(missing, "@"+s.Username)
			continue
		}
		have = slices.Delete(have, i, i+1)
		removed++
	}
	if removed > 0 {
		if err := collect.WriteSeeds(path, have); err != nil {
			return err
		}
	}
	fmt.Fprintf(opts.Env.Stdout, "removed %d seed(s); %d left\n", removed, len(have))
	if len(missing) > 0 {
		return fmt.Errorf("not in the seed list: %s", strings.Join(missing, ", "))
	}
	return nil
}
