package main

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/cmd/tidewatch/internal/config"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/store"
)

func TestAnalyzeUsage(t *testing.T) {
	isolate(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"analyze"}, "needs one JOB"},
		{[]string{"analyze", "sentiment", "--from", "2026-01-01", "--to", "2026-02-01"}, `unknown job "sentiment"`},
		{[]string{"analyze", "growth", "--to", "2026-02-01"}, "--from: required"},
		{[]string{"analyze", "growth", "--from", "2026-02-01", "--to", "2026-02-01"}, "--to"},
		{[]string{"analyze", "growth", "--from", "2026-13-01", "--to", "2026-02-01"}, "--from"},
		{[]string{"analyze", "growth", "--from", "2026-01-01", "--to", "2026-02-01", "--scope", "galaxy:x"}, "--scope"},
		{[]string{"analyze", "growth", "--from", "2026-01-01", "--to", "2026-02-01", "--min-points", "2"}, "--min-points"},
		{[]string{"analyze", "all", "--from", "2026-01-01", "--to", "2026-02-01", "--weeks", "1"}, "--weeks"},
		{[]string{"analyze", "engagement", "--from", "2026-01-01", "--to", "2026-02-01", "--threshold", "0.5"}, "--threshold"},
		{[]string{"analyze", "takedowns", "--from", "2026-01-01", "--to", "2026-02-01", "--event-origins", "curated"}, "--event-origins"},
		{[]string{"analyze", "all", "--from", "2026-01-01", "--to", "2026-02-01", "--event-kinds", ","}, "--event-kinds"},
		{[]string{"analyze", "takedowns", "--from", "2026-01-01", "--to", "2026-02-01", "--respawn-score", "1.5"}, "--respawn-score"},
		{[]string{"analyze", "all", "--from", "2026-01-01", "--to", "2026-02-01", "--gexf", "no/such/folder/g.gexf"}, "--gexf"},
		{[]string{"analyze", "bursts", "--from", "2026-01-01", "--to", "2026-02-01", "--window", "90m"}, "--window"},
	} {
		code, _, stderr := runCollector(t, tc.args...)
		require.Equal(t, 2, code, "%v: %s", tc.args, stderr)
		require.Contains(t, stderr, tc.want, "%v", tc.args)
	}
}

func TestAnalyzeGrowthCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clickhouse-server")
	}
	isolate(t)
	ch := chtest.Migrated(t)
	t.Setenv(config.EnvName("clickhouse.addr"), ch.Addr())
	t.Setenv(config.EnvName("clickhouse.database"), ch.Database)

	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{Addr: []string{ch.Addr()}, Database: ch.Database})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	w, err := store.NewWriter[schema.ChannelSnapshot](db, schema.TableChannelSnapshots, store.WriterOptions{SpoolDir: t.TempDir()})
	require.NoError(t, err)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for d := 0; d < 40; d++ {
		subs := uint64(math.Round(500 * math.Exp(0.03*float64(d))))
		require.NoError(t, w.Write(ctx, schema.ChannelSnapshot{Platform: "telegram", ChannelID: 7, SnapshotAt: t0.AddDate(0, 0, d).Add(12 * time.Hour), Subscribers: subs, Status: "active"}))
	}
	require.NoError(t, w.Close(ctx))

	code, stdout, stderr := runCollector(t, "analyze", "growth", "--from", "2026-01-01", "--to", "2026-02-10")
	require.Equal(t, 0, code, stderr)
	require.Regexp(t, `growth run \S+: ok`, stdout)
	require.Contains(t, stdout, "channels 1, fitted 1")
	require.Equal(t, "ok\t0.03", ch.Query(t, "SELECT status, round(exp_rate, 3) FROM growth_channels"))
	require.Equal(t, "analyze:growth\tok", ch.Query(t, "SELECT job, status FROM runs FINAL WHERE job LIKE 'analyze:%'"))

	// No data in the range: the run is recorded as skipped, and the command says why.
	code, stdout, stderr = runCollector(t, "analyze", "all", "--from", "2027-01-01", "--to", "2027-02-01")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "skipped")
	require.Contains(t, stdout, "no snapshots of channels in scope in the range")
	require.Contains(t, stdout, "engagement run")
	require.Contains(t, stdout, "bursts run")
	require.Contains(t, stdout, "takedowns run")
	require.Equal(t, "analyze:actors\tskipped\nanalyze:bursts\tskipped\nanalyze:engagement\tskipped\nanalyze:growth\tskipped\nanalyze:migration\tskipped\nanalyze:network\tskipped\nanalyze:takedowns\tskipped",
		ch.Query(t, "SELECT job, status FROM runs FINAL WHERE job LIKE 'analyze:%' AND status != 'ok' ORDER BY job"))
}
