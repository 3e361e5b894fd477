package main

import (
	"context"
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/tidewatch/tidewatch/cmd/tidewatch/internal/config"
	"github.com/tidewatch/tidewatch/collector/telegram"
)

func newAccountsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "accounts",
		Short:   "List the Telegram accounts logged in with 'tidewatch login'",
		Example: `  tidewatch accounts list`,
		Args:    groupArgs,
		RunE:    groupRun,
	}
	cmd.AddCommand(newAccountsListCmd(a))
	return cmd
}

type accountsListOptions struct {
	Env *cmdEnv
}

func newAccountsListCmd(a *app) *cobra.Command {
	var opts accountsListOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the stored sessions by label",
		Long: `List the sessions stored under telegram.sessions_dir: each account's label, when
its login was last confirmed, its session file (named by a keyed hash of the
phone; phones are never shown), and whether collection uses it (telegram.accounts,
or every stored session when that is empty). Nothing is sent to Telegram: a
session revoked since then still shows here until its next use fails.`,
		Example: `  tidewatch accounts list
  tidewatch accounts list --telegram-sessions-dir /srv/tidewatch/sessions`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			opts.Env = env
			return accountsListRun(cmd.Context(), opts)
		},
	}
	config.AddFlag(cmd.Flags(), "telegram.sessions_dir", "telegram.accounts")
	return cmd
}

func accountsListRun(_ context.Context, opts accountsListOptions) error {
	t := opts.Env.Config.Telegram
	sessions, err := telegram.ListSessions(t.SessionsDir)
	if err != nil {
		return err
	}
	if len(sessions) == 0 {
		fmt.Fprintf(opts.Env.Stdout, "no sessions in %s: log in with 'tidewatch login'\n", t.SessionsDir)
	} else {
		w := tabwriter.NewWriter(opts.Env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "LABEL\tLOGGED IN\tSESSION\tCOLLECTS")
		for _, s := range sessions {
			loggedIn := "never"
			if !s.LoggedIn.IsZero() {
				loggedIn = s.LoggedIn.UTC().Format(time.DateTime + " MST")
			}
			collects := "yes"
			if len(t.Accounts) > 0 && !slices.Contains(t.Accounts, s.Label) {
				collects = "no"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", s.Label, loggedIn, s.ID, collects)
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	for _, label := range t.Accounts {
		if !slices.ContainsFunc(sessions, func(s telegram.StoredSession) bool { return s.Label == label }) {
			opts.Env.Log.Warn("telegram.accounts names an account with no stored session", "account", label)
		}
	}
	return nil
}
