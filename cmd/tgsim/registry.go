package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tidewatch/tidewatch/collector/importer/csvlayout"
	"github.com/tidewatch/tidewatch/collector/tgsim/world"
	"github.com/tidewatch/tidewatch/schema"
)

type registryOptions struct {
	world  worldFlags
	until  string
	outDir string
}

// newRegistryCmd writes the world's events and communities as the CSV files a researcher
// would keep, in tidewatch's events and communities layouts.
func newRegistryCmd(stdout io.Writer) *cobra.Command {
	var o registryOptions
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "Write the world's events and communities as CSV files for 'tidewatch import'",
		Long: `registry writes what a researcher studying the world of --spec/--channels and
--seed would have on file, in tidewatch's own CSV layouts:

  DIR/events.csv       one row per world event by --until (the events layout):
                       an attack targets its community on telegram and lists the
                       attacked channels' ids; a takedown is on the platform taken
                       down and targets its community (or the platform, when it
                       names none); after each takedown of another platform,
                       a suspension event lists the handles of the channels'
                       accounts it suspended there (target_kind account)
  DIR/communities.csv  every channel existing by --until with its community's
                       name (the communities layout); account_id is the channel
                       id the collector stores

Load them with 'tidewatch events import DIR/events.csv' and 'tidewatch import
communities DIR/communities.csv'. The output is deterministic.`,
		Example: `  # The registry of a 300-channel world after 30 days
  tgsim registry --channels 300 --seed 7 --until 30d --out-dir registry/`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return writeRegistry(o, stdout) },
	}
	f := cmd.Flags()
	o.world.add(f)
	f.StringVar(&o.until, "until", "", "leave out what happens after `time`: RFC3339 or a duration after the world's start (default: the world's end)")
	f.StringVar(&o.outDir, "out-dir", "", "`directory` to write events.csv and communities.csv to (created if missing)")
	return cmd
}

func writeRegistry(o registryOptions, stdout io.Writer) error {
	if o.outDir == "" {
		return &usageError{errors.New("--out-dir is required")}
	}
	w, err := o.world.generate()
	if err != nil {
		return err
	}
	until := w.End()
	if o.until != "" {
		if until, err = worldTime(w, o.until); err != nil {
			return &usageError{fmt.Errorf("--until %w", err)}
		}
	}
	tr, err := w.Truth(world.TruthOptions{NoPosts: true, Until: until})
	if err != nil {
		return err
	}
	source := "simulated world seed " + strconv.FormatInt(o.world.seed, 10)
	if o.world.spec != "" {
		source += " (spec " + filepath.Base(o.world.spec) + ")"
	}
	if err := os.MkdirAll(o.outDir, 0o755); err != nil {
		return err
	}
	events, communities := registryRows(tr, source)
	headers := csvlayout.Headers()
	for _, f := range []struct {
		name string
		rows []map[string]string
	}{{"events.csv", events}, {"communities.csv", communities}} {
		path := filepath.Join(o.outDir, f.name)
		if err := writeLayout(path, headers[strings.TrimSuffix(f.name, ".csv")], f.rows); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s (%d rows)\n", path, len(f.rows))
	}
	return nil
}

// registryRows turns the truth into rows of the events and communities layouts, by column.
func registryRows(tr *world.Truth, source string) (events, communities []map[string]string) {
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	name := func(c *int) string {
		if c == nil || *c < 0 || *c >= len(tr.Communities) {
			return ""
		}
		return tr.Communities[*c].Name
	}
	for _, e := range tr.WorldEvents {
		row := map[string]string{"event_at": ts(e.At), "kind": e.Kind, "source": source, "title": e.Name}
		switch e.Kind {
		case world.EventAttack:
			row["platform"] = schema.PlatformTelegram
			ids := make([]string, len(e.Channels))
			for i, id := range e.Channels {
				ids[i] = strconv.FormatInt(id, 10)
			}
			row["target_channel_ids"] = strings.Join(ids, "|")
		default:
			row["platform"] = e.Platform
		}
		if c := name(e.Community); c != "" {
			row["target_kind"], row["targets"] = "community", c
		} else {
			// An event that names no community concerns its whole platform.
			row["target_kind"], row["targets"] = "platform", row["platform"]
		}
		events = append(events, row)
	}
	// The accounts each takedown suspended, one event per takedown listing their handles.
	for _, su := range tr.Suspensions() {
		events = append(events, map[string]string{
			"event_at": ts(su.At), "kind": world.EventSuspension, "platform": su.Platform, "source": source,
			"title": "accounts suspended in " + su.Event, "target_kind": "account", "targets": strings.Join(su.Handles, "|"),
		})
	}
	for _, c := range tr.Channels {
		handle := ""
		if n := len(c.Usernames); n > 0 {
			handle = c.Usernames[n-1].Value
		}
		cname := ""
		if c.Community >= 0 && c.Community < len(tr.Communities) {
			cname = tr.Communities[c.Community].Name
		}
		communities = append(communities, map[string]string{
			"community": cname, "platform": schema.PlatformTelegram,
			// The collector stores a Telegram channel under its MTProto id, which is the world's.
			"account_id": strconv.FormatInt(c.ID, 10), "handle": handle, "added_at": ts(c.Created),
		})
	}
	return events, communities
}

// writeLayout writes rows under a layout's full header, empty where a row has no value.
func writeLayout(path string, header []string, rows []map[string]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(f)
	_ = cw.Write(header)
	rec := make([]string, len(header))
	for _, r := range rows {
		for i, col := range header {
			rec[i] = r[col]
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	return errors.Join(cw.Error(), f.Close())
}
