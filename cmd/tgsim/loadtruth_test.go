package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/store"
)

func integration(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts clickhouse-server; skipped under -short")
	}
}

func TestLoadTruth(t *testing.T) {
	integration(t)
	srv := chtest.Migrated(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	spool := filepath.Join(t.TempDir(), "spool")
	args := []string{"load-truth", "--channels", "30", "--seed", "3", "--until", "30d", "--every", "2d", "--ages", "1h,1d",
		"--run-id", "sim-30-3", "--clickhouse-addr", srv.Addr(), "--clickhouse-database", srv.Database, "--spool-dir", spool}
	code, stdout, stderr := run(t, ctx, args...)
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "loaded the truth of seed 3 until 2026-03-31T00:00:00Z as run sim-30-3 into "+srv.Database)
	for _, table := range schema.TruthTables {
		require.Contains(t, stdout, table)
	}

	db, err := store.Open(ctx, store.Options{Addr: []string{srv.Addr()}, Database: srv.Database})
	require.NoError(t, err)
	defer db.Close()
	count := func(table string) uint64 {
		var n uint64
		require.NoError(t, db.QueryRow(ctx, "SELECT count() FROM "+db.Table(table)+" FINAL WHERE run_id = 'sim-30-3'").Scan(&n))
		return n
	}
	var channels uint64
	require.NoError(t, db.QueryRow(ctx, "SELECT channels FROM "+db.Table(schema.TableTruthWorlds)+" FINAL WHERE run_id = 'sim-30-3'").Scan(&channels))
	require.Equal(t, channels, count(schema.TableTruthChannels))
	require.Positive(t, count(schema.TableTruthPosts))
	require.Positive(t, count(schema.TableTruthSubscribers))

	// Again: the same truth changes nothing; another one under the same id is refused.
	code, _, stderr = run(t, ctx, args...)
	require.Equal(t, exitOK, code, stderr)
	require.Equal(t, channels, count(schema.TableTruthChannels))
	other := append(append([]string{}, args...), "--no-posts")
	code, _, stderr = run(t, ctx, other...)
	require.Equal(t, exitFailure, code)
	require.Contains(t, stderr, "run id already holds another truth")

	// A database that was never migrated says what to do.
	code, _, stderr = run(t, ctx, "load-truth", "--channels", "10", "--run-id", "x", "--no-posts",
		"--clickhouse-addr", srv.Addr(), "--clickhouse-database", "nowhere", "--spool-dir", spool)
	require.Equal(t, exitFailure, code)
	require.Contains(t, stderr, "database nowhere does not exist yet: run 'tidewatch db migrate'")
}
