package store

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/schema/chtest"
)

// fastRetry makes outages visible within a test's time.
func fastRetry(dir string) WriterOptions {
	return WriterOptions{
		SpoolDir:      dir,
		BatchRows:     MinBatchRows,
		FlushInterval: 100 * time.Millisecond,
		MaxAttempts:   3,
		RetryBackoff:  50 * time.Millisecond,
		MaxBackoff:    500 * time.Millisecond,
		InsertTimeout: 20 * time.Second,
		Logger:        testLogger(),
	}
}

func TestSpoolWhileDown(t *testing.T) {
	integration(t)
	srv := chtest.Start(t)
	db := openTest(t, srv)
	ctx := context.Background()
	dir := t.TempDir()
	// A fresh table per case: TRUNCATE on 18.16 removes part files lazily,
	// and a SIGKILL right after it brings the old rows back.

	t.Run("flush spools, flush after restart replays", func(t *testing.T) {
		srv.Query(t, fmt.Sprintf(postsDDL, "down"))
		w, err := NewWriter[postRow](db, "down", fastRetry(dir))
		require.NoError(t, err)
		require.NoError(t, w.Write(ctx, makePost(0), makePost(1)))
		require.NoError(t, w.Flush(ctx))
		require.NoError(t, srv.Kill())

		for i := 2; i < 25_000; i++ {
			require.NoError(t, w.Write(ctx, makePost(i)))
		}
		require.NoError(t, w.Flush(ctx), "rows are safe in the spool")
		st := w.Stats()
		require.GreaterOrEqual(t, st.Spooled, uint64(3))
		require.Equal(t, uint64(25_000-2), st.SpooledRows)
		require.Equal(t, int(st.Spooled), st.SpoolPending)
		require.Len(t, spoolFiles(t, dir+"/default.down"), st.SpoolPending)

		srv.Restart(t)
		require.NoError(t, w.Flush(ctx))
		st = w.Stats()
		require.Zero(t, st.SpoolPending)
		require.Equal(t, st.Spooled, st.Replayed)
		require.Empty(t, spoolFiles(t, dir+"/default.down"))
		require.NoError(t, w.Close(ctx))
		require.Equal(t, "25000", srv.Query(t, "SELECT count() FROM down FINAL"))
	})

	t.Run("close leaves the spool to the next writer", func(t *testing.T) {
		srv.Query(t, fmt.Sprintf(postsDDL, "down2"))
		w, err := NewWriter[postRow](db, "down2", fastRetry(dir))
		require.NoError(t, err)
		require.NoError(t, srv.Kill())
		for i := 0; i < 12_345; i++ {
			require.NoError(t, w.Write(ctx, makePost(i)))
		}
		err = w.Close(ctx)
		require.ErrorIs(t, err, ErrSpoolPending)
		require.NotEmpty(t, spoolFiles(t, dir+"/default.down2"))

		srv.Restart(t)
		w, err = NewWriter[postRow](db, "down2", fastRetry(dir))
		require.NoError(t, err)
		// The background loop replays without any new row or flush.
		require.Eventually(t, func() bool { return w.Stats().SpoolPending == 0 }, 20*time.Second, 20*time.Millisecond)
		require.NoError(t, w.Close(ctx))
		require.Equal(t, "12345", srv.Query(t, "SELECT count() FROM down2 FINAL"))
		require.Empty(t, spoolFiles(t, dir+"/default.down2"))
	})

	t.Run("writer starts while clickhouse is down", func(t *testing.T) {
		srv.Query(t, fmt.Sprintf(postsDDL, "down4"))
		require.NoError(t, srv.Kill())
		w, err := NewWriter[postRow](db, "down4", fastRetry(dir))
		require.NoError(t, err)
		for i := 0; i < 11_000; i++ {
			require.NoError(t, w.Write(ctx, makePost(i)))
		}
		require.NoError(t, w.Flush(ctx))
		require.Positive(t, w.Stats().SpoolPending)
		srv.Restart(t)
		require.NoError(t, w.Close(ctx))
		require.Equal(t, "11000", srv.Query(t, "SELECT count() FROM down4 FINAL"))
	})

	t.Run("a batch replayed twice counts once", func(t *testing.T) {
		srv.Query(t, fmt.Sprintf(postsDDL, "twice"))
		sdir := filepath.Join(dir, "default.twice")
		w, err := NewWriter[postRow](db, "twice", fastRetry(dir))
		require.NoError(t, err)
		require.NoError(t, srv.Kill())
		for i := 0; i < 10_500; i++ {
			require.NoError(t, w.Write(ctx, makePost(i)))
		}
		require.ErrorIs(t, w.Close(ctx), ErrSpoolPending)
		files := spoolFiles(t, sdir)
		require.NotEmpty(t, files)
		// Keep copies, as if deleting them after their insert had failed.
		for i, f := range files {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(sdir, fmt.Sprintf("%020d%s", 1000+i, spoolSuffix)), data, 0o644))
		}
		srv.Restart(t)
		w, err = NewWriter[postRow](db, "twice", fastRetry(dir))
		require.NoError(t, err)
		require.NoError(t, w.Close(ctx))
		require.Equal(t, uint64(2*len(files)), w.Stats().Replayed, "every row arrived twice")
		require.Equal(t, "10500", srv.Query(t, "SELECT count() FROM twice FINAL"), "and counts once")
	})

	t.Run("cancelled close keeps every row", func(t *testing.T) {
		srv.Query(t, fmt.Sprintf(postsDDL, "down3"))
		w, err := NewWriter[postRow](db, "down3", fastRetry(dir))
		require.NoError(t, err)
		require.NoError(t, srv.Kill())
		for i := 0; i < 15_000; i++ {
			require.NoError(t, w.Write(ctx, makePost(i)))
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		require.Error(t, w.Close(cctx))
		srv.Restart(t)
		w, err = NewWriter[postRow](db, "down3", fastRetry(dir))
		require.NoError(t, err)
		require.NoError(t, w.Close(ctx))
		require.Equal(t, "15000", srv.Query(t, "SELECT count() FROM down3 FINAL"))
	})
}

// TestWriterSurvivesKills is the fault test of the writer: 1M rows stream
// through it while ClickHouse is killed with SIGKILL and restarted three
// times. Afterwards the table holds exactly the 1M distinct rows: none lost
// (spooled and replayed), none counted twice (retried batches collapse in the
// ReplacingMergeTree).
func TestWriterSurvivesKills(t *testing.T) {
	integration(t)
	const total = 1_000_000
	const chunk = 1000
	srv := chtest.Start(t)
	db := openTest(t, srv)
	srv.Query(t, fmt.Sprintf(postsDDL, "fault"))
	dir := t.TempDir()
	w, err := NewWriter[postRow](db, "fault", fastRetry(dir))
	require.NoError(t, err)

	// The producer paces 1M rows over about 12 s, so the kills land while
	// batches are being inserted, spooled and replayed.
	const pace = 12 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	var writeErr error
	var slowest time.Duration
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		rows := make([]postRow, chunk)
		for off := 0; off < total; off += chunk {
			if due := start.Add(pace * time.Duration(off) / total); time.Until(due) > 0 {
				time.Sleep(time.Until(due))
			}
			for i := range rows {
				rows[i] = makePost(off + i)
			}
			t0 := time.Now()
			if err := w.Write(ctx, rows...); err != nil {
				writeErr = err
				return
			}
			slowest = max(slowest, time.Since(t0))
		}
	}()

	for k := 0; k < 3; k++ {
		time.Sleep(2 * time.Second)
		before := w.Stats().RowsWritten
		require.NoError(t, srv.Kill())
		time.Sleep(time.Second)
		srv.Restart(t)
		t.Logf("kill %d: %d rows acknowledged before it", k+1, before)
	}
	wg.Wait()
	require.NoError(t, writeErr)
	require.NoError(t, w.Close(ctx))

	st := w.Stats()
	t.Logf("stats: %+v; slowest Write %v", st, slowest)
	require.Equal(t, uint64(total), st.RowsAccepted)
	require.Positive(t, st.Spooled, "the outages made the writer spool")
	require.Equal(t, st.Spooled, st.Replayed, "every spooled batch was replayed")
	require.Zero(t, st.SpoolPending)
	require.Zero(t, st.Rejected)
	require.Empty(t, spoolFiles(t, dir+"/default.fault"))
	require.Less(t, slowest, 10*time.Second, "Write kept accepting rows during the outages")

	raw, err := strconv.Atoi(srv.Query(t, "SELECT count() FROM fault"))
	require.NoError(t, err)
	t.Logf("rows before dedupe: %d (%d inserted twice)", raw, raw-total)
	require.Equal(t, strconv.Itoa(total), srv.Query(t, "SELECT count() FROM fault FINAL"))
	require.Equal(t, strconv.Itoa(total), srv.Query(t, "SELECT uniqExact(channel_id, post_id) FROM fault"))
}

// testLogger shows the writer's log when TIDEWATCH_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("TIDEWATCH_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
