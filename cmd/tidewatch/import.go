package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/tidewatch/tidewatch/cmd/tidewatch/internal/config"
	"github.com/tidewatch/tidewatch/collector/importer"
	"github.com/tidewatch/tidewatch/collector/importer/crowdtangle"
	"github.com/tidewatch/tidewatch/collector/importer/csvlayout"
	"github.com/tidewatch/tidewatch/collector/importer/tgexport"
	"github.com/tidewatch/tidewatch/collector/importer/twitterio"
	"github.com/tidewatch/tidewatch/collector/importer/twitterv2"
	"github.com/tidewatch/tidewatch/schema/store"
)

// importFormats are the formats `tidewatch import` reads, in the order help lists them.
var importFormats = []importer.Format{
	crowdtangle.Format, twitterv2.Format, twitterio.Format, tgexport.Format,
	csvlayout.Accounts, csvlayout.Posts, csvlayout.Events, csvlayout.Links, csvlayout.Communities,
}

func importFormat(name string) (importer.Format, bool) {
	for _, f := range importFormats {
		if f.Name == name {
			return f, true
		}
	}
	return importer.Format{}, false
}

func formatList() string {
	var b strings.Builder
	for _, f := range importFormats {
		fmt.Fprintf(&b, "  %-17s %s\n", f.Name, f.Summary)
	}
	return b.String()
}

// importFlags are the options every import shares (import, events import, links import,
// communities import).
type importFlags struct {
	DryRun     bool
	Rejects    string
	ObservedAt string
	TZ         string
	Quiet      bool
}

func (f *importFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.DryRun, "dry-run", false, "parse and validate, count what would be written, write nothing")
	fl.StringVar(&f.Rejects, "rejects", "", "import the good records and write the bad ones with their reasons to `file` (CSV)")
	fl.StringVar(&f.ObservedAt, "observed-at", "", "when the export was made (`time`, RFC 3339 or 2006-01-02): dates counters and follower counts the export does not date")
	fl.StringVar(&f.TZ, "tz", "", "read local times written without a zone in `zone` (IANA name like Europe/Berlin, or +03:00); default UTC")
	fl.BoolVar(&f.Quiet, "quiet", false, "no progress lines on stderr")
	config.AddFlag(fl, "collect.store_text", "clickhouse.addr", "clickhouse.database")
}

type importOptions struct {
	Env    *cmdEnv
	Format importer.Format
	Files  []string
	Flags  importFlags
	Args   []string
}

func newImportCmd(a *app) *cobra.Command {
	var opts importOptions
	cmd := &cobra.Command{
		Use:   "import FORMAT FILE...",
		Short: "Import exports of other platforms (CrowdTangle, X/Twitter, Telegram Desktop) and CSV layouts",
		Long: `Import files into the same tables the collector fills. FORMAT is one of:

` + formatList() + `
Every file is read twice, streaming: first to validate it all (and to learn
which accounts the export is about: their ids stay in clear, everyone else is a
keyed hash), then to write. Memory does not grow with the files. By default a
file set with any bad record imports nothing and every error is listed as
file:line: field: expected X, got "Y" (exit code 1); with --rejects FILE the
good records are imported and the bad ones written to FILE with their reasons.
Importing the same files again changes nothing: rows are keyed by their natural
keys. Each import records a runs row (job import:FORMAT) with its counts, the
files' SHA-256 and the code version.

Links in posts are normalized and classified exactly as the collector does;
bios that name accounts on other platforms become proposed account links
('tidewatch links list'). Message text is stored only with collect.store_text.
The layouts of every format are documented in collector/importer/README.md.`,
		Example: `  # Check a CrowdTangle export without writing anything
  tidewatch import crowdtangle --dry-run export-2021-07.csv

  # Import twarc2 output, keeping the good lines and listing the bad ones
  tidewatch import twitter-v2 --rejects rejected.csv tweets-*.jsonl

  # An information-operations release: users and tweets together, dated by the release
  tidewatch import twitter-io --observed-at 2019-06-13 iran_201906_users.csv iran_201906_tweets.csv

  # A channel exported by hand with Telegram Desktop on a machine in Moscow (old layout)
  tidewatch import telegram-desktop --tz Europe/Moscow ChatExport_2021-07-14/result.json

  # Researchers' community labels (the communities layout)
  tidewatch import communities --dry-run communities.csv`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return &usageError{fmt.Errorf("%q needs FORMAT and at least one FILE", cmd.CommandPath())}
			}
			f, ok := importFormat(args[0])
			if !ok {
				names := make([]string, len(importFormats))
				for i, f := range importFormats {
					names[i] = f.Name
				}
				return &usageError{fmt.Errorf("unknown format %q: expected one of %s", args[0], strings.Join(names, ", "))}
			}
			opts.Format = f
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			opts.Env, opts.Files, opts.Args = env, args[1:], os.Args[1:]
			return importRun(cmd.Context(), opts)
		},
	}
	opts.Flags.add(cmd)
	return cmd
}

func importRun(ctx context.Context, opts importOptions) error {
	sum, err := runImport(ctx, opts.Env, opts.Format, opts.Files, opts.Flags, opts.Args)
	if sum != nil {
		printImportSummary(opts.Env.Stdout, sum)
	}
	return err
}

// runImport runs one import with the shared flags; import, events import and links import
// all come here.
func runImport(ctx context.Context, env *cmdEnv, f importer.Format, files []string, fl importFlags, args []string) (*importer.Summary, error) {
	cfg := env.Config
	iopts := importer.Options{
		Format:      f,
		Files:       files,
		DryRun:      fl.DryRun,
		StoreText:   cfg.Collect.StoreText,
		HashKey:     []byte(cfg.Privacy.HashKey.Value()),
		CodeVersion: readBuildVersion().String(),
		ConfigHash:  config.Fingerprint(cfg),
		Args:        strings.Join(args, " "),
		Logger:      env.Log,
	}
	if !fl.DryRun && len(iopts.HashKey) == 0 {
		return nil, errors.New("privacy.hash_key (or privacy.hash_key_file) is required: persons are stored only as keyed hashes")
	}
	if fl.ObservedAt != "" {
		t, ok := importer.ParseTime(fl.ObservedAt, nil)
		if !ok {
			return nil, &usageError{fmt.Errorf("--observed-at %q: expected a time like 2019-06-13 or 2019-06-13T00:00:00Z", fl.ObservedAt)}
		}
		iopts.ObservedAt = t
	}
	if fl.TZ != "" {
		loc, err := parseZone(fl.TZ)
		if err != nil {
			return nil, &usageError{err}
		}
		iopts.Location = loc
	}
	if !fl.Quiet {
		iopts.Progress = env.Stderr
		if f, ok := env.Stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			iopts.ProgressTerminal = true
		} else {
			iopts.ProgressEvery = 10 * time.Second
		}
	}
	if fl.Rejects != "" {
		rf, err := os.Create(fl.Rejects)
		if err != nil {
			return nil, fmt.Errorf("--rejects: %w", err)
		}
		defer rf.Close()
		iopts.Rejects = rf
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// Bound the heap by what the writers need, not by how fast garbage piles up: the
		// peak then does not depend on the size of the files (see importer.MemoryLimit).
		debug.SetMemoryLimit(importer.MemoryLimit(cfg.Writer.BatchRows))
	}
	var sink *importer.StoreSink
	if !fl.DryRun {
		db, err := openDatabase(ctx, env)
		if err != nil {
			return nil, err
		}
		defer db.Close()
		if iopts.Study, err = knownAccounts(ctx, db); err != nil {
			return nil, err
		}
		if sink, err = importer.NewStoreSink(db, writerOptions(env)); err != nil {
			return nil, err
		}
		iopts.Sink = sink
	}
	sum, err := importer.Run(ctx, iopts)
	if sink != nil {
		// Close flushes; what ClickHouse did not take stays in the spool, replayed later.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		err = errors.Join(err, sink.Close(cctx))
	}
	return sum, err
}

// knownAccounts are the accounts already in the channels table: accounts under study, whose
// ids stay in clear when an import names them (a retweet of one, say).
func knownAccounts(ctx context.Context, db *store.DB) (*importer.Study, error) {
	type account struct {
		Platform   string `ch:"platform"`
		ExternalID string `ch:"external_id"`
		Username   string `ch:"username"`
	}
	rows, err := store.Select[account](ctx, db, "SELECT "+store.Columns[account]()+" FROM channels FINAL")
	if err != nil {
		return nil, fmt.Errorf("read channels: %w", err)
	}
	s := importer.NewStudy()
	for _, r := range rows {
		s.Add(importer.AccountRef{Platform: r.Platform, ID: r.ExternalID, Handle: r.Username})
	}
	return s, nil
}

// parseZone reads an IANA zone name or a fixed offset.
func parseZone(s string) (*time.Location, error) {
	if loc, err := time.LoadLocation(s); err == nil {
		return loc, nil
	}
	if loc, ok := importer.ParseZone(s); ok {
		return loc, nil
	}
	return nil, fmt.Errorf("--tz %q: expected a zone like Europe/Berlin, UTC or +03:00", s)
}

func printImportSummary(w io.Writer, s *importer.Summary) {
	verb := "imported"
	switch {
	case s.DryRun:
		verb = "dry run, nothing written:"
	case len(s.Rows) == 0 && s.Rejected > 0:
		// Bad records stopped the import before anything was written.
		verb = "nothing imported: read"
	}
	fmt.Fprintf(w, "%s %d files, %d records", verb, len(s.Files), s.Records)
	if s.Rejected > 0 {
		fmt.Fprintf(w, ", %d rejected", s.Rejected)
	}
	fmt.Fprintf(w, " in %s", s.Elapsed.Round(time.Millisecond))
	if s.RunID != "" {
		fmt.Fprintf(w, " (run %s)", s.RunID)
	}
	fmt.Fprintln(w)
	tables := make([]string, 0, len(s.Rows))
	for t := range s.Rows {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		fmt.Fprintf(w, "  %-18s %d\n", t, s.Rows[t])
	}
}
