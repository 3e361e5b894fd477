package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tidewatch/tidewatch/cmd/tidewatch/internal/config"
	"github.com/tidewatch/tidewatch/collector/importer"
	"github.com/tidewatch/tidewatch/collector/importer/csvlayout"
	"github.com/tidewatch/tidewatch/collector/registry"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

func newEventsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "The events registry: takedowns, suspensions, bans, attacks, policy changes",
		Long: `The events registry holds what happened to accounts, channels and communities:
takedowns, suspensions, bans, attacks, policy changes, each with a time, a
platform, its targets, a kind and a source. Researchers record events with
'events add' or 'events import'; the collector adds the status changes it
detects (a channel went private, was banned or deleted) with origin detected.
Analyses join the registry to growth and activity by time window.

An event's id is a hash of its time, platform, kind and targets: adding or
importing the same event again replaces it instead of adding a second one.`,
		Example: `  tidewatch events add --at 2019-11-21T09:00:00Z --platform telegram --kind takedown \
    --target @nashir_news --target @amaq_agency --title "Europol Action Day" \
    --source https://www.europol.europa.eu/newsroom
  tidewatch events list --since 2019-01-01 --kind takedown`,
		Args: groupArgs,
		RunE: groupRun,
	}
	config.AddFlag(cmd.PersistentFlags(), "clickhouse.addr", "clickhouse.database")
	cmd.AddCommand(newEventsAddCmd(a), newEventsImportCmd(a), newEventsListCmd(a), newEventsDeleteCmd(a))
	return cmd
}

type eventsAddOptions struct {
	Env        *cmdEnv
	At, End    string
	Platform   string
	Kind       string
	TargetKind string
	Targets    []string
	Title      string
	Source     string
	Note       string
	Now        func() time.Time
}

func newEventsAddCmd(a *app) *cobra.Command {
	var opts eventsAddOptions
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Record an event",
		Long: `Record one event. --at, --kind and --source are required. Targets are the
accounts, channels or communities hit, as you name them (@handles, ids, names);
@handles and ids of channels tidewatch knows on --platform are also stored as
channel ids. Adding the same event (time, platform, kind, targets) again updates
its title, source and note. The event's id is printed.`,
		Example: `  tidewatch events add --at 2021-01-08T16:00:00Z --platform twitter --kind suspension \
    --target-kind account --target @realDonaldTrump --title "Permanent suspension" \
    --source https://blog.twitter.com/en_us/topics/company/2020/suspension
  tidewatch events add --at "2017-05-22 21:31" --kind attack --target-kind community \
    --target Manchester --source https://en.wikipedia.org/wiki/Manchester_Arena_bombing`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			opts.Env = env
			return eventsAddRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.At, "at", "", "when it happened (`time`: RFC 3339, 2006-01-02 15:04, 2006-01-02; UTC unless a zone is given)")
	f.StringVar(&opts.End, "end", "", "when it ended, for events that last (`time`)")
	f.StringVar(&opts.Platform, "platform", "", "where it happened: telegram, twitter, facebook, ... (empty for events off any platform)")
	f.StringVar(&opts.Kind, "kind", "", "what happened: "+strings.Join(registry.Kinds[:7], ", ")+", ...")
	f.StringVar(&opts.TargetKind, "target-kind", "", "what the targets are: account, channel, community or platform (default account when targets are given)")
	f.StringArrayVar(&opts.Targets, "target", nil, "an account, channel or community hit (repeatable)")
	f.StringVar(&opts.Title, "title", "", "a short title")
	f.StringVar(&opts.Source, "source", "", "the citation or URL documenting the event")
	f.StringVar(&opts.Note, "note", "", "a note")
	return cmd
}

func eventsAddRun(ctx context.Context, opts eventsAddOptions) error {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	e := registry.Event{Platform: opts.Platform, Kind: opts.Kind, TargetKind: opts.TargetKind, Targets: opts.Targets,
		Title: opts.Title, Source: opts.Source, Note: opts.Note}
	var problems []error
	if opts.At != "" {
		t, ok := importer.ParseTime(opts.At, nil)
		if !ok {
			problems = append(problems, fmt.Errorf("--at %q: expected a time like 2019-11-21T09:00:00Z or 2019-11-21 09:00", opts.At))
		}
		e.At = t
	}
	if opts.End != "" {
		t, ok := importer.ParseTime(opts.End, nil)
		if !ok {
			problems = append(problems, fmt.Errorf("--end %q: expected a time like 2019-11-22T18:00:00Z", opts.End))
		}
		e.End = t
	}
	if err := errors.Join(problems...); err != nil {
		return &usageError{err}
	}
	if err := e.Normalize().Validate(); err != nil {
		return &usageError{flagNames(err)}
	}
	db, err := openDatabase(ctx, opts.Env)
	if err != nil {
		return err
	}
	defer db.Close()
	if e.TargetChannelIDs, err = targetChannelIDs(ctx, db, strings.ToLower(e.Platform), e.Targets); err != nil {
		return err
	}
	row, err := registry.Row(e, registry.OriginRegistry, now())
	if err != nil {
		return &usageError{flagNames(err)}
	}
	if err := writeEvents(ctx, opts.Env, db, row); err != nil {
		return err
	}
	fmt.Fprintf(opts.Env.Stdout, "event %s: %s %s on %s, %s\n", row.EventID, row.Kind, strings.Join(row.Targets, ", "), orDash(row.Platform), row.EventAt.Format(time.RFC3339))
	return nil
}

// flagNames turns the registry's field names into the flags that set them.
func flagNames(err error) error {
	r := strings.NewReplacer("at: ", "--at: ", "end: ", "--end: ", "platform: ", "--platform: ", "kind: ", "--kind: ",
		"target_kind: ", "--target-kind: ", "source: ", "--source: ")
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = r.Replace(l)
	}
	return errors.New(strings.Join(lines, "\n"))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// targetChannelIDs finds the channel ids of targets tidewatch knows: numeric ids, and @handles
// of accounts of the platform in the channels table.
func targetChannelIDs(ctx context.Context, db *store.DB, platform string, targets []string) ([]uint64, error) {
	var ids []uint64
	var handles []string
	for _, t := range targets {
		t = strings.TrimSpace(t)
		if n, err := strconv.ParseUint(t, 10, 64); err == nil && n > 0 {
			ids = append(ids, n)
			continue
		}
		if h, ok := strings.CutPrefix(t, "@"); ok && h != "" {
			handles = append(handles, strings.ToLower(h))
		}
	}
	if len(handles) == 0 || platform == "" {
		return ids, nil
	}
	type channel struct {
		ID uint64 `ch:"channel_id"`
	}
	found, err := store.Select[channel](ctx, db, "SELECT channel_id FROM channels FINAL WHERE platform = ? AND has(?, lower(username))", platform, handles)
	if err != nil {
		return nil, fmt.Errorf("read channels: %w", err)
	}
	for _, f := range found {
		ids = append(ids, f.ID)
	}
	return ids, nil
}

func writeEvents(ctx context.Context, env *cmdEnv, db *store.DB, rows ...schema.Event) error {
	w, err := store.NewWriter[schema.Event](db, schema.TableEvents, writerOptions(env))
	if err != nil {
		return err
	}
	err = w.Write(ctx, rows...)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	return errors.Join(err, w.Close(cctx))
}

type eventsImportOptions struct {
	Env   *cmdEnv
	Files []string
	Flags importFlags
	Args  []string
}

func newEventsImportCmd(a *app) *cobra.Command {
	var opts eventsImportOptions
	cmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Import events from CSV files (the events layout)",
		Long: `Import events from CSV files with the header
` + strings.Join(csvlayout.Headers()["events"], ",") + `
(event_at, kind and source required; targets and target_channel_ids separated
by |). The same as 'tidewatch import events FILE...': bad rows import nothing
unless --rejects is given, and importing a file again changes nothing.`,
		Example: `  tidewatch events import --dry-run takedowns.csv
  tidewatch events import takedowns.csv attacks.csv`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{fmt.Errorf("%q needs at least one FILE", cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			opts.Env, opts.Files, opts.Args = env, args, os.Args[1:]
			return eventsImportRun(cmd.Context(), opts)
		},
	}
	opts.Flags.addShort(cmd)
	return cmd
}

// addShort adds the import flags that make sense for the registries' own layouts.
func (f *importFlags) addShort(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.DryRun, "dry-run", false, "parse and validate, count what would be written, write nothing")
	fl.StringVar(&f.Rejects, "rejects", "", "import the good records and write the bad ones with their reasons to `file` (CSV)")
	f.Quiet = true
}

func eventsImportRun(ctx context.Context, opts eventsImportOptions) error {
	sum, err := runImport(ctx, opts.Env, csvlayout.Events, opts.Files, opts.Flags, opts.Args)
	if sum != nil {
		printImportSummary(opts.Env.Stdout, sum)
	}
	return err
}

type eventsListOptions struct {
	Env          *cmdEnv
	Platform     string
	Kind         string
	Origin       string
	Since, Until string
	Format       string
}

func newEventsListCmd(a *app) *cobra.Command {
	var opts eventsListOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List events, oldest first",
		Long: `List the events of the registry (deleted ones left out), oldest first, as a
table, CSV (the events layout plus event_id and origin, so it can be edited and
imported again) or JSON lines.`,
		Example: `  tidewatch events list
  tidewatch events list --platform telegram --kind takedown --since 2019-01-01 --until 2020-01-01
  tidewatch events list --origin detected --format json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			opts.Env = env
			return eventsListRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Platform, "platform", "", "only events of this platform")
	f.StringVar(&opts.Kind, "kind", "", "only events of this kind")
	f.StringVar(&opts.Origin, "origin", "", "only events of this origin: registry, import or detected")
	f.StringVar(&opts.Since, "since", "", "only events at or after `time`")
	f.StringVar(&opts.Until, "until", "", "only events before `time`")
	f.StringVar(&opts.Format, "format", "table", "output `format`: table, csv or json")
	return cmd
}

func eventsListRun(ctx context.Context, opts eventsListOptions) error {
	switch opts.Format {
	case "table", "csv", "json":
	default:
		return &usageError{fmt.Errorf("--format %q: expected table, csv or json", opts.Format)}
	}
	q := "SELECT event_id, event_at, end_at, platform, kind, target_kind, targets, target_channel_ids, title, source, origin, note, deleted, version FROM events FINAL WHERE deleted = 0"
	var args []any
	for _, c := range []struct{ col, val string }{{"platform", opts.Platform}, {"kind", opts.Kind}, {"origin", opts.Origin}} {
		if c.val != "" {
			q += " AND " + c.col + " = ?"
			args = append(args, strings.ToLower(c.val))
		}
	}
	for _, c := range []struct{ flag, op, val string }{{"--since", ">=", opts.Since}, {"--until", "<", opts.Until}} {
		if c.val == "" {
			continue
		}
		t, ok := importer.ParseTime(c.val, nil)
		if !ok {
			return &usageError{fmt.Errorf("%s %q: expected a time like 2019-01-01 or 2019-01-01T00:00:00Z", c.flag, c.val)}
		}
		q += " AND event_at " + c.op + " toDateTime(?)"
		args = append(args, t.Unix())
	}
	q += " ORDER BY event_at, event_id"
	db, err := openDatabase(ctx, opts.Env)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := store.Select[schema.Event](ctx, db, q, args...)
	if err != nil {
		return fmt.Errorf("read events: %w", err)
	}
	return printEvents(opts.Env.Stdout, opts.Format, rows)
}

func printEvents(w io.Writer, format string, rows []schema.Event) error {
	ts := func(t time.Time) string {
		if t.Unix() <= 0 {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	ids := func(v []uint64) string {
		s := make([]string, len(v))
		for i, id := range v {
			s[i] = strconv.FormatUint(id, 10)
		}
		return strings.Join(s, "|")
	}
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		for _, e := range rows {
			if err := enc.Encode(map[string]any{
				"event_id": e.EventID, "event_at": ts(e.EventAt), "end_at": ts(e.EndAt), "platform": e.Platform,
				"kind": e.Kind, "target_kind": e.TargetKind, "targets": e.Targets, "target_channel_ids": e.TargetChannelIDs,
				"title": e.Title, "source": e.Source, "origin": e.Origin, "note": e.Note,
			}); err != nil {
				return err
			}
		}
		return nil
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"event_id", "origin", "event_at", "end_at", "platform", "kind", "target_kind", "targets", "target_channel_ids", "title", "source", "note"})
		for _, e := range rows {
			_ = cw.Write([]string{e.EventID, e.Origin, ts(e.EventAt), ts(e.EndAt), e.Platform, e.Kind, e.TargetKind,
				strings.Join(e.Targets, "|"), ids(e.TargetChannelIDs), e.Title, e.Source, e.Note})
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tAT\tPLATFORM\tKIND\tTARGETS\tTITLE\tORIGIN")
	for _, e := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.EventID, ts(e.EventAt), orDash(e.Platform), e.Kind,
			importer.Shorten(strings.Join(e.Targets, " "), 40), importer.Shorten(e.Title, 40), e.Origin)
	}
	if len(rows) == 0 {
		fmt.Fprintln(tw, "(no events)")
	}
	return tw.Flush()
}

type eventsDeleteOptions struct {
	Env *cmdEnv
	IDs []string
	Now func() time.Time
}

func newEventsDeleteCmd(a *app) *cobra.Command {
	var opts eventsDeleteOptions
	return &cobra.Command{
		Use:   "delete ID...",
		Short: "Take events out of the registry",
		Long: `Mark events as deleted (the rows stay, with deleted = 1, so what was there can
be told; lists and analyses leave them out). IDs are shown by 'events list'.`,
		Example: `  tidewatch events delete f48bc09626bff5b3`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{fmt.Errorf("%q needs at least one event ID", cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			opts.Env, opts.IDs = env, args
			return eventsDeleteRun(cmd.Context(), opts)
		},
	}
}

func eventsDeleteRun(ctx context.Context, opts eventsDeleteOptions) error {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	db, err := openDatabase(ctx, opts.Env)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := store.Select[schema.Event](ctx, db, "SELECT "+store.Columns[schema.Event]()+" FROM events FINAL WHERE has(?, event_id) AND deleted = 0", opts.IDs)
	if err != nil {
		return fmt.Errorf("read events: %w", err)
	}
	found := map[string]bool{}
	var del []schema.Event
	for _, e := range rows {
		found[e.EventID] = true
		del = append(del, registry.Deleted(e, now()))
	}
	var missing []string
	for _, id := range opts.IDs {
		if !found[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("no event with id %s (see 'tidewatch events list')", strings.Join(missing, ", "))
	}
	if err := writeEvents(ctx, opts.Env, db, del...); err != nil {
		return err
	}
	fmt.Fprintf(opts.Env.Stdout, "deleted %d events\n", len(del))
	return nil
}
