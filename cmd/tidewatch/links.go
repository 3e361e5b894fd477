package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tidewatch/tidewatch/analysis/crosslink"
	"github.com/tidewatch/tidewatch/cmd/tidewatch/internal/config"
	"github.com/tidewatch/tidewatch/collector/importer/csvlayout"
	"github.com/tidewatch/tidewatch/links/accountlink"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

func newLinksCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "links",
		Short: "Cross-platform accounts: propose, curate and group them into actors",
		Long: `Links join an account to its accounts on other platforms (a Telegram channel and
the X account of the same outlet), each with its evidence and a confidence:

  handle_in_about  the about text or bio names the other account
  link_in_pinned   the pinned post links to the other account's profile
  link_in_posts    posts link to the other account's profile
  same_handle      both accounts have the same handle
  manual           a researcher recorded it ('links import')

The confidence of a pair combines its evidence as independent signals:
1 - (1 - w1)(1 - w2)..., with w = 0.9/0.6/0.3 for a handle in the about text
(profile URL / labelled handle / bare @name near a platform word), 0.8 for a
pinned post, 0.5 x (1 - 0.8^n) for n posts, 0.35 for a same handle (0.6 when
the names match too, 0.15 under 6 characters), 1 for manual links.

'links suggest' proposes links from what is stored; 'links accept' and 'links
reject' decide them (a decision is never undone by a later suggestion or
import); an actor groups the accounts of one entity so analyses can follow its
audience from one platform to another.`,
		Example: `  tidewatch links suggest
  tidewatch links list --status proposed --min-confidence 0.6
  tidewatch links accept 3f9a1c2b7d4e
  tidewatch links actor create "Open Watch" --account telegram:openwatch --account twitter:openwatch_en`,
		Args: groupArgs,
		RunE: groupRun,
	}
	config.AddFlag(cmd.PersistentFlags(), "clickhouse.addr", "clickhouse.database")
	cmd.AddCommand(newLinksSuggestCmd(a), newLinksListCmd(a), newLinksDecideCmd(a, accountlink.Accepted),
		newLinksDecideCmd(a, accountlink.Rejected), newLinksImportCmd(a), newActorCmd(a))
	return cmd
}

type linksSuggestOptions struct {
	Env    *cmdEnv
	DryRun bool
}

func newLinksSuggestCmd(a *app) *cobra.Command {
	var opts linksSuggestOptions
	cmd := &cobra.Command{
		Use:   "suggest",
		Short: "Propose cross-platform links from about texts, pinned posts, posts and handles",
		Long: `Read the channels (their about texts and handles), the links of their posts and
of their pinned posts from ClickHouse, and propose links between accounts of
different platforms with their evidence and confidence. Links already decided
keep their decision; evidence found again only renews them. Run it after
collecting or importing; running it twice changes nothing.`,
		Example: `  tidewatch links suggest
  tidewatch links suggest --dry-run`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			opts.Env = env
			return linksSuggestRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print how many links would be proposed, write nothing")
	return cmd
}

func linksSuggestRun(ctx context.Context, opts linksSuggestOptions) error {
	db, err := openDatabase(ctx, opts.Env)
	if err != nil {
		return err
	}
	defer db.Close()
	in, err := crosslink.Load(ctx, db)
	if err != nil {
		return err
	}
	existing := map[string]bool{}
	for _, r := range in.Existing {
		existing[accountlink.ID(r.FromPlatform, r.FromChannelID, r.ToPlatform, r.ToHandle)] = true
	}
	links := crosslink.Suggest(in)
	var rows []schema.AccountLink
	fresh, kept := 0, 0
	for _, l := range links {
		rows = append(rows, l.Rows()...)
		if !existing[l.ID()] {
			fresh++
		}
		if l.Status != "" && l.Status != accountlink.Proposed {
			kept++
		}
	}
	verb := "proposed"
	if opts.DryRun {
		verb = "would propose"
	} else if err := writeAccountLinks(ctx, opts.Env, db, rows); err != nil {
		return err
	}
	fmt.Fprintf(opts.Env.Stdout, "%s %d links (%d new, %d decided before and kept) from %d accounts and %d linked URLs\n",
		verb, len(links), fresh, kept, len(in.Accounts), len(in.Links))
	return nil
}

func writeAccountLinks(ctx context.Context, env *cmdEnv, db *store.DB, rows []schema.AccountLink) error {
	w, err := store.NewWriter[schema.AccountLink](db, schema.TableAccountLinks, writerOptions(env))
	if err != nil {
		return err
	}
	if len(rows) > 0 {
		err = w.Write(ctx, rows...)
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	return errors.Join(err, w.Close(cctx))
}

type linksListOptions struct {
	Env           *cmdEnv
	Status        string
	Platform      string
	MinConfidence float64
	Format        string
}

func newLinksListCmd(a *app) *cobra.Command {
	var opts linksListOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List cross-platform links, most confident first",
		Long: `List the stored links, one line per pair of accounts: its id (for accept and
reject), both accounts, the kinds of evidence, the confidence and the status.
--format csv gives one row per evidence (the links layout plus id and
confidence); --format json one object per pair.`,
		Example: `  tidewatch links list
  tidewatch links list --status accepted --format csv > accepted.csv
  tidewatch links list --platform telegram --min-confidence 0.8`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			opts.Env = env
			return linksListRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Status, "status", "", "only links with this status: proposed, accepted or rejected")
	f.StringVar(&opts.Platform, "platform", "", "only links from or to accounts of this platform")
	f.Float64Var(&opts.MinConfidence, "min-confidence", 0, "only links at least this confident (0 to 1)")
	f.StringVar(&opts.Format, "format", "table", "output `format`: table, csv or json")
	return cmd
}

func linksListRun(ctx context.Context, opts linksListOptions) error {
	switch opts.Format {
	case "table", "csv", "json":
	default:
		return &usageError{fmt.Errorf("--format %q: expected table, csv or json", opts.Format)}
	}
	switch opts.Status {
	case "", accountlink.Proposed, accountlink.Accepted, accountlink.Rejected:
	default:
		return &usageError{fmt.Errorf("--status %q: expected proposed, accepted or rejected", opts.Status)}
	}
	if !(opts.MinConfidence >= 0 && opts.MinConfidence <= 1) {
		return &usageError{fmt.Errorf("--min-confidence %v: expected a confidence from 0 to 1", opts.MinConfidence)}
	}
	db, err := openDatabase(ctx, opts.Env)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := crosslink.Existing(ctx, db)
	if err != nil {
		return err
	}
	names, err := accountNames(ctx, db)
	if err != nil {
		return err
	}
	var pairs []crosslink.Pair
	for _, p := range crosslink.Pairs(rows) {
		r := p.Rows[0]
		if opts.Status != "" && p.Status != opts.Status {
			continue
		}
		if opts.Platform != "" && r.FromPlatform != opts.Platform && r.ToPlatform != opts.Platform {
			continue
		}
		if float64(p.Confidence) < opts.MinConfidence {
			continue
		}
		pairs = append(pairs, p)
	}
	return printLinks(opts.Env.Stdout, opts.Format, pairs, names)
}

// accountNames maps "platform NUL channel id" to "@username" (or the title) for listings.
func accountNames(ctx context.Context, db *store.DB) (map[string]string, error) {
	type account struct {
		Platform  string `ch:"platform"`
		ChannelID uint64 `ch:"channel_id"`
		Username  string `ch:"username"`
		Title     string `ch:"title"`
	}
	rows, err := store.Select[account](ctx, db, "SELECT "+store.Columns[account]()+" FROM channels FINAL")
	if err != nil {
		return nil, fmt.Errorf("read channels: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		name := r.Title
		if r.Username != "" {
			name = "@" + r.Username
		}
		out[r.Platform+"\x00"+strconv.FormatUint(r.ChannelID, 10)] = name
	}
	return out, nil
}

func accountLabel(names map[string]string, platform string, id uint64) string {
	if n := names[platform+"\x00"+strconv.FormatUint(id, 10)]; n != "" {
		return platform + ":" + n
	}
	return platform + ":id:" + strconv.FormatUint(id, 10)
}

func printLinks(w io.Writer, format string, pairs []crosslink.Pair, names map[string]string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		for _, p := range pairs {
			r := p.Rows[0]
			var ev []map[string]any
			for _, e := range p.Rows {
				ev = append(ev, map[string]any{"evidence": e.Evidence, "text": e.EvidenceText,
					"first_seen_at": e.FirstSeenAt.UTC().Format(time.RFC3339), "last_verified_at": e.LastVerifiedAt.UTC().Format(time.RFC3339)})
			}
			if err := enc.Encode(map[string]any{
				"id": p.ID, "from_platform": r.FromPlatform, "from_channel_id": r.FromChannelID,
				"from": accountLabel(names, r.FromPlatform, r.FromChannelID), "to_platform": r.ToPlatform,
				"to_handle": r.ToHandle, "to_channel_id": r.ToChannelID, "to_url": r.ToURL,
				"confidence": p.Confidence, "status": p.Status, "decided_by": r.DecidedBy, "evidence": ev,
			}); err != nil {
				return err
			}
		}
		return nil
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"id", "from_platform", "from_account_id", "to_platform", "to_handle", "to_account_id", "to_url", "evidence", "evidence_text", "confidence", "status", "decided_by", "observed_at"})
		for _, p := range pairs {
			for _, r := range p.Rows {
				toID := ""
				if r.ToChannelID != 0 {
					toID = strconv.FormatUint(r.ToChannelID, 10)
				}
				_ = cw.Write([]string{p.ID, r.FromPlatform, strconv.FormatUint(r.FromChannelID, 10), r.ToPlatform, r.ToHandle, toID, r.ToURL,
					r.Evidence, r.EvidenceText, strconv.FormatFloat(float64(r.Confidence), 'f', 3, 32), r.Status, r.DecidedBy,
					r.LastVerifiedAt.UTC().Format(time.RFC3339)})
			}
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tFROM\tTO\tEVIDENCE\tCONFIDENCE\tSTATUS")
	for _, p := range pairs {
		r := p.Rows[0]
		kinds := make([]string, len(p.Rows))
		for i, e := range p.Rows {
			kinds[i] = e.Evidence
		}
		fmt.Fprintf(tw, "%s\t%s\t%s:%s\t%s\t%.2f\t%s\n", p.ID, accountLabel(names, r.FromPlatform, r.FromChannelID),
			r.ToPlatform, r.ToHandle, strings.Join(kinds, ","), p.Confidence, p.Status)
	}
	if len(pairs) == 0 {
		fmt.Fprintln(tw, "(no links)")
	}
	return tw.Flush()
}

type linksDecideOptions struct {
	Env    *cmdEnv
	IDs    []string
	Status string
	By     string
	Now    func() time.Time
}

func newLinksDecideCmd(a *app, status string) *cobra.Command {
	opts := linksDecideOptions{Status: status}
	verb := "reject"
	if status == accountlink.Accepted {
		verb = "accept"
	}
	cmd := &cobra.Command{
		Use:   verb + " ID...",
		Short: strings.ToUpper(verb[:1]) + verb[1:] + " proposed links",
		Long: `Mark links as ` + status + `. IDs are shown by 'links list'; an unambiguous prefix of
at least 6 digits is enough. Every evidence row of the pair is rewritten with
the decision, which outranks any later proposal of the same pair. --by records
who decided (default: the user name).`,
		Example: "  tidewatch links " + verb + " 3f9a1c2b7d4e\n  tidewatch links " + verb + " 3f9a1c 81d0e2 --by ana",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{fmt.Errorf("%q needs at least one link ID", cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			opts.Env, opts.IDs = env, args
			return linksDecideRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.By, "by", "", "who decides (default: the user name)")
	return cmd
}

func linksDecideRun(ctx context.Context, opts linksDecideOptions) error {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	by := opts.By
	if by == "" {
		if u, err := user.Current(); err == nil {
			by = u.Username
		}
	}
	db, err := openDatabase(ctx, opts.Env)
	if err != nil {
		return err
	}
	defer db.Close()
	w, err := store.NewWriter[schema.AccountLink](db, schema.TableAccountLinks, writerOptions(opts.Env))
	if err != nil {
		return err
	}
	done, err := crosslink.Decide(ctx, db, w, opts.IDs, opts.Status, by, now())
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err = errors.Join(err, w.Close(cctx)); err != nil {
		return err
	}
	for _, id := range done {
		fmt.Fprintf(opts.Env.Stdout, "%s %s\n", opts.Status, id)
	}
	return nil
}

type linksImportOptions struct {
	Env   *cmdEnv
	Files []string
	Flags importFlags
	Args  []string
}

func newLinksImportCmd(a *app) *cobra.Command {
	var opts linksImportOptions
	cmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Import curated links from CSV files (the links layout)",
		Long: `Import links from CSV files with the header
` + strings.Join(csvlayout.Headers()["links"], ",") + `
(the first four required). evidence defaults to manual, status to accepted,
confidence to 1. The same as 'tidewatch import links FILE...'; the CSV of
'links list --format csv' can be edited and imported again.`,
		Example: `  tidewatch links import --dry-run curated.csv
  tidewatch links import curated.csv`,
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
			return linksImportRun(cmd.Context(), opts)
		},
	}
	opts.Flags.addShort(cmd)
	return cmd
}

func linksImportRun(ctx context.Context, opts linksImportOptions) error {
	sum, err := runImport(ctx, opts.Env, csvlayout.Links, opts.Files, opts.Flags, opts.Args)
	if sum != nil {
		printImportSummary(opts.Env.Stdout, sum)
	}
	return err
}

func newActorCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "actor",
		Short: "Group the accounts of one entity across platforms",
		Long: `An actor is one entity (an outlet, a movement, a person of public interest)
with its accounts on several platforms, so analyses can follow its audience
from one platform to another. Accounts are named platform:handle
(telegram:openwatch, twitter:@OpenWatch_EN) or platform:id:NUMBER; accounts
tidewatch knows are stored with their channel id. An actor's id is its name
lowercased with dashes ("Open Watch" is open-watch).`,
		Example: `  tidewatch links actor create "Open Watch" --account telegram:openwatch --account twitter:openwatch_en
  tidewatch links actor create "Open Watch" --from-link 3f9a1c2b7d4e
  tidewatch links actor remove "Open Watch" twitter:openwatch_en
  tidewatch links actor list`,
		Args: groupArgs,
		RunE: groupRun,
	}
	cmd.AddCommand(newActorSetCmd(a, "create"), newActorSetCmd(a, "add"), newActorSetCmd(a, "remove"), newActorListCmd(a))
	return cmd
}

type actorSetOptions struct {
	Env      *cmdEnv
	Verb     string
	Name     string
	Accounts []string
	Links    []string
	Note     string
	Now      func() time.Time
}

func newActorSetCmd(a *app, verb string) *cobra.Command {
	opts := actorSetOptions{Verb: verb}
	var use, short, long, example string
	switch verb {
	case "create":
		use, short = "create NAME", "Create an actor with its accounts"
		long = `Create the actor NAME with the accounts given by --account and the two ends of
the links given by --from-link (ids from 'links list'). Creating an actor that
exists adds the accounts to it.`
		example = `  tidewatch links actor create "Open Watch" --account telegram:openwatch --account twitter:openwatch_en
  tidewatch links actor create "Open Watch" --from-link 3f9a1c2b7d4e --note "outlet, Kyiv"`
	case "add":
		use, short = "add NAME ACCOUNT...", "Add accounts to an actor"
		long = `Add accounts (platform:handle or platform:id:NUMBER) to the actor NAME.`
		example = `  tidewatch links actor add "Open Watch" vk:openwatch youtube:openwatch`
	default:
		use, short = "remove NAME ACCOUNT...", "Take accounts out of an actor"
		long = `Take accounts out of the actor NAME (the rows stay, marked removed, so what
the actor held before can be told).`
		example = `  tidewatch links actor remove "Open Watch" vk:openwatch`
	}
	cmd := &cobra.Command{
		Use: use, Short: short, Long: long, Example: example,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 || (verb != "create" && len(args) < 2) {
				return &usageError{fmt.Errorf("%q needs %s", cmd.CommandPath(), strings.TrimPrefix(use, verb+" "))}
			}
			if verb == "create" && len(args) > 1 {
				return &usageError{fmt.Errorf("%q takes one NAME (quote a name with spaces), got %q", cmd.CommandPath(), args)}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			opts.Env, opts.Name = env, args[0]
			if verb != "create" {
				opts.Accounts = args[1:]
			}
			return actorSetRun(cmd.Context(), opts)
		},
	}
	if verb == "create" {
		cmd.Flags().StringArrayVar(&opts.Accounts, "account", nil, "an account: platform:handle or platform:id:NUMBER (repeatable)")
		cmd.Flags().StringArrayVar(&opts.Links, "from-link", nil, "add both accounts of this link `id` (repeatable)")
	}
	if verb != "remove" {
		cmd.Flags().StringVar(&opts.Note, "note", "", "a note kept with the accounts")
	}
	return cmd
}

func actorSetRun(ctx context.Context, opts actorSetOptions) error {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	if _, err := crosslink.ActorID(opts.Name); err != nil {
		return &usageError{err}
	}
	var refs []accountlink.AccountRef
	var problems []error
	for _, s := range opts.Accounts {
		r, err := accountlink.ParseAccountRef(s)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		refs = append(refs, r)
	}
	if err := errors.Join(problems...); err != nil {
		return &usageError{err}
	}
	if len(refs) == 0 && len(opts.Links) == 0 {
		return &usageError{errors.New("no accounts: give --account platform:handle or --from-link ID")}
	}
	db, err := openDatabase(ctx, opts.Env)
	if err != nil {
		return err
	}
	defer db.Close()
	if len(opts.Links) > 0 {
		ends, err := crosslink.LinkEnds(ctx, db, opts.Links)
		if err != nil {
			return err
		}
		refs = append(refs, ends...)
	}
	if refs, err = crosslink.Resolve(ctx, db, refs); err != nil {
		return err
	}
	rows, err := crosslink.ActorRows(opts.Name, refs, opts.Verb == "remove", opts.Note, now())
	if err != nil {
		return &usageError{err}
	}
	w, err := store.NewWriter[schema.ActorAccount](db, schema.TableActorAccounts, writerOptions(opts.Env))
	if err != nil {
		return err
	}
	err = w.Write(ctx, rows...)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err = errors.Join(err, w.Close(cctx)); err != nil {
		return err
	}
	verb := map[string]string{"create": "added to", "add": "added to", "remove": "removed from"}[opts.Verb]
	for _, r := range rows {
		known := ""
		if r.ChannelID == 0 {
			known = " (not in channels yet)"
		}
		fmt.Fprintf(opts.Env.Stdout, "%s %s:%s%s\n", verb+" "+r.ActorID+":", r.Platform, orID(r.Handle, r.ChannelID), known)
	}
	return nil
}

func orID(handle string, id uint64) string {
	if handle != "" {
		return handle
	}
	return "id:" + strconv.FormatUint(id, 10)
}

type actorListOptions struct {
	Env    *cmdEnv
	Format string
}

func newActorListCmd(a *app) *cobra.Command {
	var opts actorListOptions
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List actors and their accounts",
		Long:    `List every actor with its current accounts (removed ones left out).`,
		Example: "  tidewatch links actor list\n  tidewatch links actor list --format json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			opts.Env = env
			return actorListRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output `format`: table or json")
	return cmd
}

func actorListRun(ctx context.Context, opts actorListOptions) error {
	if opts.Format != "table" && opts.Format != "json" {
		return &usageError{fmt.Errorf("--format %q: expected table or json", opts.Format)}
	}
	db, err := openDatabase(ctx, opts.Env)
	if err != nil {
		return err
	}
	defer db.Close()
	actors, err := crosslink.Actors(ctx, db)
	if err != nil {
		return err
	}
	w := opts.Env.Stdout
	if opts.Format == "json" {
		enc := json.NewEncoder(w)
		for _, a := range actors {
			var accts []map[string]any
			for _, r := range a.Accounts {
				accts = append(accts, map[string]any{"platform": r.Platform, "channel_id": r.ChannelID, "handle": r.Handle, "added_at": r.AddedAt.UTC().Format(time.RFC3339), "note": r.Note})
			}
			if err := enc.Encode(map[string]any{"id": a.ID, "name": a.Name, "accounts": accts}); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACTOR\tNAME\tACCOUNT\tCHANNEL ID\tADDED")
	for _, a := range actors {
		for _, r := range a.Accounts {
			id := "-"
			if r.ChannelID != 0 {
				id = strconv.FormatUint(r.ChannelID, 10)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s:%s\t%s\t%s\n", a.ID, a.Name, r.Platform, orID(r.Handle, r.ChannelID), id, r.AddedAt.UTC().Format(time.DateOnly))
		}
	}
	if len(actors) == 0 {
		fmt.Fprintln(tw, "(no actors)")
	}
	return tw.Flush()
}
