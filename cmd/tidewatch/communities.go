package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
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
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

func newCommunitiesCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "communities",
		Short: "Communities: which community each channel belongs to, as researchers label them",
		Long: `Communities are researchers' labels: a channel (or any account) belongs to
zero or more named communities. Analyses read them to scope jobs
(--scope community:NAME) and to match registry events whose target kind is
community. Load labels with 'communities import' (the communities CSV layout,
the same as 'tidewatch import communities'); a row with removed = true ends a
membership.`,
		Example: `  tidewatch communities import labels.csv
  tidewatch communities list --community far-right-de`,
		Args: groupArgs,
		RunE: groupRun,
	}
	config.AddFlag(cmd.PersistentFlags(), "clickhouse.addr", "clickhouse.database")
	cmd.AddCommand(newCommunitiesImportCmd(a), newCommunitiesListCmd(a))
	return cmd
}

type communitiesImportOptions struct {
	Env   *cmdEnv
	Files []string
	Flags importFlags
	Args  []string
}

func newCommunitiesImportCmd(a *app) *cobra.Command {
	var opts communitiesImportOptions
	cmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Import community memberships from CSV files (the communities layout)",
		Long: `Import community memberships from CSV files with the header
` + strings.Join(csvlayout.Headers()["communities"], ",") + `
(community, platform and account_id required; account_id is the account's id on
its platform, for Telegram the numeric channel id; source defaults to import;
removed = true ends a membership). The same as 'tidewatch import communities
FILE...': bad rows import nothing unless --rejects is given, and importing a
file again changes nothing.`,
		Example: `  tidewatch communities import --dry-run labels.csv
  tidewatch communities import labels.csv`,
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
			return communitiesImportRun(cmd.Context(), opts)
		},
	}
	opts.Flags.addShort(cmd)
	return cmd
}

func communitiesImportRun(ctx context.Context, opts communitiesImportOptions) error {
	sum, err := runImport(ctx, opts.Env, csvlayout.Communities, opts.Files, opts.Flags, opts.Args)
	if sum != nil {
		printImportSummary(opts.Env.Stdout, sum)
	}
	return err
}

type communitiesListOptions struct {
	Env       *cmdEnv
	Community string
	Platform  string
	Format    string
}

func newCommunitiesListCmd(a *app) *cobra.Command {
	var opts communitiesListOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List community memberships",
		Long: `List the current memberships (removed ones left out), by community, platform
and channel id, as a table, CSV (the communities layout, so it can be edited and
imported again) or JSON lines. account_id is the account's id on its platform
when the channels table knows the account, else its channel id.`,
		Example: `  tidewatch communities list
  tidewatch communities list --community far-right-de --platform telegram --format csv`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			opts.Env = env
			return communitiesListRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Community, "community", "", "only this community")
	f.StringVar(&opts.Platform, "platform", "", "only accounts of this platform")
	f.StringVar(&opts.Format, "format", "table", "output `format`: table, csv or json")
	return cmd
}

// membership is a community row with what the channels table knows of the account.
type membership struct {
	schema.Community
	AccountID string
	Handle    string
}

func communitiesListRun(ctx context.Context, opts communitiesListOptions) error {
	switch opts.Format {
	case "table", "csv", "json":
	default:
		return &usageError{fmt.Errorf("--format %q: expected table, csv or json", opts.Format)}
	}
	db, err := openDatabase(ctx, opts.Env)
	if err != nil {
		return err
	}
	defer db.Close()
	q := "SELECT " + store.Columns[schema.Community]() + " FROM " + db.Table(schema.TableCommunities) + " FINAL WHERE removed = 0"
	var args []any
	if opts.Community != "" {
		q += " AND community = ?"
		args = append(args, opts.Community)
	}
	if opts.Platform != "" {
		q += " AND platform = ?"
		args = append(args, strings.ToLower(opts.Platform))
	}
	q += " ORDER BY community, platform, channel_id"
	rows, err := store.Select[schema.Community](ctx, db, q, args...)
	if err != nil {
		return fmt.Errorf("read communities: %w", err)
	}
	out := make([]membership, len(rows))
	var ids []uint64
	for i, r := range rows {
		out[i] = membership{Community: r, AccountID: strconv.FormatUint(r.ChannelID, 10)}
		ids = append(ids, r.ChannelID)
	}
	if len(ids) > 0 {
		type channel struct {
			Platform   string `ch:"platform"`
			ChannelID  uint64 `ch:"channel_id"`
			ExternalID string `ch:"external_id"`
			Username   string `ch:"username"`
		}
		chans, err := store.Select[channel](ctx, db, "SELECT "+store.Columns[channel]()+" FROM "+db.Table(schema.TableChannels)+
			" FINAL WHERE has(?, channel_id)", ids)
		if err != nil {
			return fmt.Errorf("read channels: %w", err)
		}
		type key struct {
			platform string
			id       uint64
		}
		known := make(map[key]channel, len(chans))
		for _, c := range chans {
			known[key{c.Platform, c.ChannelID}] = c
		}
		for i := range out {
			if c, ok := known[key{out[i].Platform, out[i].ChannelID}]; ok {
				if c.ExternalID != "" {
					out[i].AccountID = c.ExternalID
				}
				out[i].Handle = c.Username
			}
		}
	}
	return printCommunities(opts.Env.Stdout, opts.Format, out)
}

func printCommunities(w io.Writer, format string, rows []membership) error {
	ts := func(t time.Time) string {
		if t.Unix() <= 0 {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		for _, m := range rows {
			if err := enc.Encode(map[string]any{
				"community": m.Community.Community, "platform": m.Platform, "channel_id": m.ChannelID,
				"account_id": m.AccountID, "handle": m.Handle, "source": m.Source, "added_at": ts(m.AddedAt),
			}); err != nil {
				return err
			}
		}
		return nil
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"community", "platform", "account_id", "handle", "source", "added_at"})
		for _, m := range rows {
			_ = cw.Write([]string{m.Community.Community, m.Platform, m.AccountID, m.Handle, m.Source, ts(m.AddedAt)})
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMMUNITY\tPLATFORM\tCHANNEL ID\tHANDLE\tSOURCE\tADDED")
	for _, m := range rows {
		handle := "-"
		if m.Handle != "" {
			handle = "@" + m.Handle
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", importer.Shorten(m.Community.Community, 40), m.Platform, m.ChannelID,
			handle, m.Source, orDash(ts(m.AddedAt)))
	}
	if len(rows) == 0 {
		fmt.Fprintln(tw, "(no communities)")
	}
	return tw.Flush()
}
