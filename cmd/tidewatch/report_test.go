package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/analysis/bench"
	"github.com/tidewatch/tidewatch/cmd/tidewatch/internal/config"
	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/store"
)

func TestReportUsage(t *testing.T) {
	isolate(t)
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "--from", "2026-01-01", "--to", "2026-02-01"}, "--out: required"},
		{[]string{"report", "--to", "2026-02-01", "--out", t.TempDir()}, "--from: required"},
		{[]string{"report", "--from", "2026-01-01", "--to", "2026-02-01", "--compare", "last-year", "--out", t.TempDir()}, "--compare"},
		{[]string{"report", "--from", "2026-01-01", "--to", "2026-02-01", "--compare", "2025-02-01..2025-01-01", "--out", t.TempDir()}, "--compare"},
		{[]string{"report", "--from", "2026-01-01", "--to", "2026-02-01", "--out", file}, "not a directory"},
		{[]string{"report", "--from-manifest", file, "--from", "2026-01-01", "--out", t.TempDir()}, "--from: not with --from-manifest"},
		{[]string{"report", "--from-manifest", file, "--out", t.TempDir()}, "--from-manifest"},
	} {
		code, _, stderr := runCollector(t, tc.args...)
		require.Equal(t, 2, code, "%v: %s", tc.args, stderr)
		require.Contains(t, stderr, tc.want, "%v", tc.args)
	}
}

func TestReportCommand(t *testing.T) {
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
	_, err = bench.Generate(ctx, db, bench.Config{Channels: 12, Posts: 12 * 300, Seed: 5}, store.WriterOptions{SpoolDir: t.TempDir()})
	require.NoError(t, err)

	out := filepath.Join(t.TempDir(), "q3")
	code, stdout, stderr := runCollector(t, "report", "--from", "2026-07-01", "--to", "2026-10-01", "--out", out)
	require.Equal(t, 0, code, stderr)
	require.Equal(t, filepath.Join(out, "report.html")+"\n", stdout)
	require.Contains(t, stderr, "report: [1/14] growth (current period) done")
	for _, f := range []string{"report.html", "report.md", "manifest.json", "headline.csv", "growth-trajectories.csv"} {
		require.FileExists(t, filepath.Join(out, f))
	}
	again := filepath.Join(t.TempDir(), "again")
	code, _, stderr = runCollector(t, "report", "--from-manifest", filepath.Join(out, "manifest.json"), "--out", again)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "the input tables are as the runs read them")
	a, err := os.ReadFile(filepath.Join(out, "headline.csv"))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(again, "headline.csv"))
	require.NoError(t, err)
	require.Equal(t, string(a), string(b))
}
