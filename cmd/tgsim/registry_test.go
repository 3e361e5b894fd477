package main

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/importer"
	"github.com/tidewatch/tidewatch/collector/importer/csvlayout"
	"github.com/tidewatch/tidewatch/collector/importer/importertest"
	"github.com/tidewatch/tidewatch/collector/tgsim/world"
	"github.com/tidewatch/tidewatch/schema"
)

func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.NotEmpty(t, recs)
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, col := range recs[0] {
			m[col] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func TestRegistry(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "registry")
	code, stdout, stderr := run(t, context.Background(), "registry", "--channels", "60", "--seed", "3", "--until", "80d", "--out-dir", dir)
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "events.csv")
	events, communities := filepath.Join(dir, "events.csv"), filepath.Join(dir, "communities.csv")

	// The files are the layouts: their headers, and they import cleanly.
	for name, f := range map[string]importer.Format{events: csvlayout.Events, communities: csvlayout.Communities} {
		head, err := csv.NewReader(strings.NewReader(string(importertest.ReadFile(t, name)))).Read()
		require.NoError(t, err)
		require.Equal(t, csvlayout.Headers()[f.Name], head, name)
		_, sum, err := importertest.Import(t, f, []string{name}, &importer.Options{DryRun: true})
		require.NoError(t, err, name)
		require.Zero(t, sum.Rejected, name)
	}

	w, err := world.Generate(world.DefaultSpec(60), 3)
	require.NoError(t, err)
	tr, err := w.Truth(world.TruthOptions{NoPosts: true, Until: w.Start().Add(80 * 24 * time.Hour)})
	require.NoError(t, err)

	rows := readCSV(t, events)
	sus := tr.Suspensions()
	require.NotEmpty(t, sus, "the twitter takedown suspends accounts")
	require.Len(t, rows, len(tr.WorldEvents)+len(sus))
	for i, su := range sus {
		r := rows[len(tr.WorldEvents)+i]
		require.Equal(t, world.EventSuspension, r["kind"])
		require.Equal(t, su.Platform, r["platform"])
		require.Equal(t, su.At.UTC().Format(time.RFC3339), r["event_at"])
		require.Equal(t, "account", r["target_kind"])
		require.Equal(t, strings.Join(su.Handles, "|"), r["targets"])
	}
	var attacks, takedowns int
	for i, e := range tr.WorldEvents {
		r := rows[i]
		require.Equal(t, e.Kind, r["kind"])
		require.Equal(t, e.Name, r["title"])
		require.Equal(t, "simulated world seed 3", r["source"])
		switch e.Kind {
		case world.EventAttack:
			attacks++
			require.Equal(t, "telegram", r["platform"])
			var ids []string
			for _, id := range e.Channels {
				ids = append(ids, formatID(id))
			}
			require.NotEmpty(t, ids)
			require.Equal(t, strings.Join(ids, "|"), r["target_channel_ids"], "the attack lists the attacked channels")
		case world.EventTakedown:
			takedowns++
			require.Equal(t, e.Platform, r["platform"])
		}
		if e.Community != nil {
			require.Equal(t, "community", r["target_kind"])
			require.Equal(t, tr.Communities[*e.Community].Name, r["targets"])
		}
	}
	require.Positive(t, attacks)
	require.Positive(t, takedowns)

	// Every channel by --until, under the id the collector stores and its community's name.
	members := readCSV(t, communities)
	require.Len(t, members, len(tr.Channels))
	byID := map[string]string{}
	for _, m := range members {
		require.Equal(t, "telegram", m["platform"])
		byID[m["account_id"]] = m["community"]
	}
	for _, c := range tr.Channels {
		require.Equal(t, tr.Communities[c.Community].Name, byID[formatID(c.ID)])
		require.Equal(t, uint64(c.ID), schema.AccountID(formatID(c.ID)), "the imported channel_id is the collector's")
	}

	code, _, stderr = run(t, context.Background(), "registry", "--channels", "60")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "--out-dir is required")
}

func formatID(id int64) string { return strconv.FormatInt(id, 10) }
