package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/tidewatch/tidewatch/cmd/tidewatch/internal/config"
)

// Exit codes: 2 follows the shell convention for wrong usage, which here includes
// a wrong configuration; 130 is the shell's code for a process ended by Ctrl-C.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// usageError is a mistake on the command line: an unknown command or flag, or a
// wrong number of arguments.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// execute runs the command line args and returns the process's exit code.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(&app{stdout: stdout, stderr: stderr})
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCode(ctx, err)
	var cerr *config.Error
	switch {
	case errors.As(err, &cerr):
		// Each line already says file:line, key and what is expected.
		fmt.Fprintln(stderr, printableText(cerr.Error()))
	case code == exitUsage:
		fmt.Fprintf(stderr, "tidewatch: %s\nRun 'tidewatch --help' for usage.\n", printableText(err.Error()))
	default:
		fmt.Fprintf(stderr, "tidewatch: %s\n", printableText(err.Error()))
	}
	return code
}

// printableText escapes what a terminal would act on or hide in a message that may quote
// its input: control characters but newline and tab, invalid UTF-8, and the bidirectional
// controls that can make a file name or value read as something else. Each becomes its Go
// escape (\x1b, \xff, \u202e); the rest is left as it is.
func printableText(s string) string {
	clean := func(r rune) bool {
		return r == '\n' || r == '\t' || (r == ' ' || unicode.IsPrint(r)) && !unicode.Is(unicode.Bidi_Control, r)
	}
	if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !clean(r) }) < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case clean(r):
			b.WriteString(s[i : i+n])
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	return b.String()
}

// exitCode maps an error returned by a command to the process's exit code.
func exitCode(ctx context.Context, err error) int {
	var cerr *config.Error
	var uerr *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &cerr), errors.As(err, &uerr):
		return exitUsage
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	return exitFailure
}

// app is what every command shares: the output streams and the root's flags.
type app struct {
	stdout, stderr io.Writer
	configFile     string
}

// cmdEnv is what a command's run function gets: the loaded configuration, a
// logger built from it, and the output streams.
type cmdEnv struct {
	Config  *config.Config
	Sources map[string]config.Source
	File    string // the config file read, "" when none
	Log     *slog.Logger
	Stdout  io.Writer
	Stderr  io.Writer
}

// load reads the configuration for cmd (one viper instance per call, bound to
// cmd's flags) and sets up logging from it.
func (a *app) load(cmd *cobra.Command) (*cmdEnv, error) {
	loaded, err := config.Load(config.LoadOptions{File: a.configFile, Flags: cmd.Flags()})
	if err != nil {
		return nil, err
	}
	env := &cmdEnv{
		Config:  loaded.Config,
		Sources: loaded.Sources,
		File:    loaded.File,
		Log:     newLogger(loaded.Config.Log, a.stderr),
		Stdout:  a.stdout,
		Stderr:  a.stderr,
	}
	for _, w := range config.UnknownEnv(os.Environ()) {
		env.Log.Warn(w)
	}
	return env, nil
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "tidewatch",
		Short: "Collect public Telegram channels into ClickHouse and study how communities move",
		Long: `tidewatch collects public Telegram channels (and imports other platforms) into
ClickHouse, for research on how online communities grow, move and come back.

Configuration comes from flags, then TIDEWATCH_* environment variables, then
tidewatch.yaml in the working directory (or --config FILE), then defaults.
'tidewatch config init' writes a commented file; 'tidewatch config show' prints
what is in effect. A bad configuration exits with code 2.`,
		Example: `  # Start the local database, create the tables, look at them
  tidewatch db start
  tidewatch db migrate
  tidewatch db status`,
		Args:          groupArgs,
		RunE:          groupRun,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		// A secret given as a flag gets told where secrets go instead.
		if name, ok := strings.CutPrefix(err.Error(), "unknown flag: --"); ok {
			if serr := config.SecretFlag(name); serr != nil {
				return &usageError{serr}
			}
		}
		return &usageError{err}
	})
	pf := root.PersistentFlags()
	pf.StringVar(&a.configFile, "config", "", "config `file` (default: "+config.DefaultFile+" in the working directory, if present)")
	config.AddFlag(pf, "data_dir", "log.level", "log.format")

	root.AddCommand(
		newVersionCmd(a),
		newConfigCmd(a),
		newDBCmd(a),
		newLoginCmd(a),
		newAccountsCmd(a),
		newSeedsCmd(a),
		newCollectCmd(a),
		newImportCmd(a),
		newEventsCmd(a),
		newLinksCmd(a),
		newCommunitiesCmd(a),
		newAnalyzeCmd(a),
		newReportCmd(a),
	)
	// Shell completion is left out: the commands are few, and every command
	// here documents itself with an example, which cobra's generated ones lack.
	root.CompletionOptions.DisableDefaultCmd = true
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		if c.Name() == "help" {
			c.Example = "  tidewatch help config show"
		}
	}
	return root
}

// groupArgs rejects an unknown subcommand of a command that only groups others.
func groupArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's own default, set only by its legacy path
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return &usageError{errors.New(msg)}
}

// groupRun shows the help of a command that only groups others.
func groupRun(cmd *cobra.Command, _ []string) error { return cmd.Help() }

// noArgs is cobra.NoArgs as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &usageError{fmt.Errorf("%q takes no arguments, got %q", cmd.CommandPath(), args[0])}
	}
	return nil
}
