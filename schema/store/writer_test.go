package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/schema/chtest"
)

func spoolFiles(t *testing.T, dir string) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, "*"+spoolSuffix))
	require.NoError(t, err)
	return matches
}

func TestWriter(t *testing.T) {
	integration(t)
	srv := chtest.Start(t)
	db := openTest(t, srv)
	ctx := context.Background()

	t.Run("WriteAll", func(t *testing.T) {
		srv.Query(t, fmt.Sprintf(allKindsDDL, "kinds_all"))
		rows := []allKinds{allKindsRow(1), allKindsRow(2), allKindsRow(3)}
		require.NoError(t, WriteAll(ctx, db, "kinds_all", WriterOptions{SpoolDir: t.TempDir()}, rows...))
		require.Equal(t, "3", srv.Query(t, "SELECT count() FROM kinds_all"))
		require.NoError(t, WriteAll[allKinds](ctx, db, "kinds_all", WriterOptions{SpoolDir: t.TempDir()}))
		require.Error(t, WriteAll(ctx, db, "no_such_table", WriterOptions{SpoolDir: t.TempDir()}, rows...))
	})

	t.Run("batches are bounded by bytes", func(t *testing.T) {
		srv.Query(t, fmt.Sprintf(allKindsDDL, "kinds_bytes"))
		// 25,000 rows of about 200 bytes: 5 MB. With 1 MiB batches each batch
		// holds the MinBatchRows floor; with the default 8 MiB, all rows fit one.
		rows := make([]allKinds, 25_000)
		for i := range rows {
			rows[i] = allKindsRow(i)
			rows[i].S = strings.Repeat("x", 100)
		}
		for _, c := range []struct {
			bytes   int
			batches uint64
		}{{1 << 20, 3}, {0, 1}} {
			w, err := NewWriter[allKinds](db, "kinds_bytes", WriterOptions{SpoolDir: t.TempDir(), BatchBytes: c.bytes, FlushInterval: time.Minute})
			require.NoError(t, err)
			require.NoError(t, w.Write(ctx, rows...))
			require.NoError(t, w.Close(ctx))
			require.Equal(t, c.batches, w.Stats().Batches, "BatchBytes %d", c.bytes)
		}
		require.Equal(t, "50000", srv.Query(t, "SELECT count() FROM kinds_bytes"))
	})

	t.Run("round trip of every kind", func(t *testing.T) {
		srv.Query(t, fmt.Sprintf(allKindsDDL, "kinds"))
		reg := prometheus.NewRegistry()
		w, err := NewWriter[allKinds](db, "kinds", WriterOptions{SpoolDir: t.TempDir(), BatchRows: 10_000, Registerer: reg})
		require.NoError(t, err)
		const n = 25_000
		rows := make([]allKinds, n)
		for i := range rows {
			rows[i] = allKindsRow(i)
		}
		// Rows written one by one and in slices end up the same.
		for i := 0; i < 100; i++ {
			require.NoError(t, w.Write(ctx, rows[i]))
		}
		require.NoError(t, w.Write(ctx, rows[100:]...))
		require.NoError(t, w.Flush(ctx))
		require.Equal(t, float64(n), metricValue(t, reg, "tidewatch_store_rows_written_total"))
		require.NoError(t, w.Close(ctx))
		mfs, err := reg.Gather()
		require.NoError(t, err)
		require.Empty(t, mfs, "Close unregisters the metrics")

		st := w.Stats()
		require.Equal(t, uint64(n), st.RowsAccepted)
		require.Equal(t, uint64(n), st.RowsWritten)
		require.Equal(t, uint64(3), st.Batches, "two full batches and the rest")
		require.Zero(t, st.Spooled)

		require.Equal(t, strconv.Itoa(n), srv.Query(t, "SELECT count() FROM kinds"))
		require.Equal(t, "dflt", srv.Query(t, "SELECT DISTINCT extra FROM kinds"))
		for _, i := range []int{0, 1, 7, 12_345, n - 1} {
			got := srv.Query(t, "SELECT id, s, lc, u8, u16, u32, i8, i16, i32, i64, f32, f64, b, ts, day, tags, nums FROM kinds WHERE id = "+strconv.Itoa(i)+" FORMAT JSONEachRow")
			r := allKindsRow(i)
			b := 0
			if r.B {
				b = 1
			}
			tags, nums := "[]", "[]"
			if r.Tags != nil {
				tags = fmt.Sprintf(`["a","b%d"]`, i)
				nums = fmt.Sprintf(`["%d","%d","3"]`, i, 2*i)
			}
			want := fmt.Sprintf(`{"id":"%d","s":%q,"lc":"%s","u8":%d,"u16":%d,"u32":%d,"i8":%d,"i16":%d,"i32":%d,"i64":"%d","f32":%v,"f64":%v,"b":%d,"ts":"%s","day":"%s","tags":%s,"nums":%s}`,
				r.ID, r.S, r.LC, r.U8, r.U16, r.U32, r.I8, r.I16, r.I32, r.I64, r.F32, r.F64, b,
				r.TS.Format(time.DateTime), r.Day.Format(time.DateOnly), tags, nums)
			require.JSONEq(t, want, got, "row %d", i)
		}
	})

	t.Run("a batch larger than a block goes out as one insert", func(t *testing.T) {
		srv.Query(t, fmt.Sprintf(allKindsDDL, "blocks"))
		w, err := NewWriter[allKinds](db, "blocks", WriterOptions{SpoolDir: t.TempDir(), BatchBytes: 64 << 20})
		require.NoError(t, err)
		n := 2*sendBlockRows + 1234
		var sumU32, sumTags, sumNums uint64
		rows := make([]allKinds, n)
		for i := range rows {
			rows[i] = allKindsRow(i)
			sumU32 += uint64(rows[i].U32)
			sumTags += uint64(len(rows[i].Tags))
			for _, x := range rows[i].Nums {
				sumNums += x
			}
		}
		require.NoError(t, w.Write(ctx, rows...))
		require.NoError(t, w.Close(ctx))
		require.Equal(t, uint64(1), w.Stats().Batches)
		require.Equal(t, fmt.Sprintf("%d\t%d\t%d\t%d\t%d", n, n, sumU32, sumTags, sumNums),
			srv.Query(t, "SELECT count(), uniqExact(s), sum(u32), sum(length(tags)), sum(arraySum(nums)) FROM blocks"))
		require.Equal(t, "1", srv.Query(t, "SELECT count() FROM system.parts WHERE active AND table = 'blocks' AND database = 'default'"),
			"one part: the blocks formed one insert")
	})

	t.Run("flush interval sends a small batch", func(t *testing.T) {
		srv.Query(t, fmt.Sprintf(postsDDL, "interval"))
		w, err := NewWriter[postRow](db, "interval", WriterOptions{SpoolDir: t.TempDir(), FlushInterval: 200 * time.Millisecond})
		require.NoError(t, err)
		defer func() { require.NoError(t, w.Close(ctx)) }()
		require.NoError(t, w.Write(ctx, makePost(1), makePost(2), makePost(3)))
		require.Eventually(t, func() bool { return srv.Query(t, "SELECT count() FROM interval") == "3" },
			5*time.Second, 20*time.Millisecond)
		require.Equal(t, uint64(1), w.Stats().Batches)
	})

	t.Run("zero and out-of-range times are clamped", func(t *testing.T) {
		srv.Query(t, fmt.Sprintf(allKindsDDL, "clamp"))
		w, err := NewWriter[allKinds](db, "default.clamp", WriterOptions{SpoolDir: t.TempDir()})
		require.NoError(t, err)
		require.NoError(t, w.Write(ctx,
			allKinds{ID: 1},
			allKinds{ID: 2, TS: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), Day: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)},
			allKinds{ID: 3, TS: time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), Day: time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)},
		))
		require.NoError(t, w.Close(ctx))
		require.Equal(t, "1\t0\t0\n2\t0\t0\n3\t4294967295\t65535",
			srv.Query(t, "SELECT id, toUInt32(ts), toUInt16(day) FROM clamp ORDER BY id"))
	})

	t.Run("closed writer refuses rows", func(t *testing.T) {
		srv.Query(t, fmt.Sprintf(postsDDL, "closed"))
		w, err := NewWriter[postRow](db, "closed", WriterOptions{SpoolDir: t.TempDir()})
		require.NoError(t, err)
		require.NoError(t, w.Close(ctx))
		require.ErrorIs(t, w.Write(ctx, makePost(1)), ErrClosed)
		require.ErrorIs(t, w.Flush(ctx), ErrClosed)
		require.ErrorIs(t, w.Close(ctx), ErrClosed)
	})

	t.Run("one writer per spool folder", func(t *testing.T) {
		srv.Query(t, fmt.Sprintf(postsDDL, "locked"))
		dir := t.TempDir()
		w, err := NewWriter[postRow](db, "locked", WriterOptions{SpoolDir: dir})
		require.NoError(t, err)
		_, err = NewWriter[postRow](db, "locked", WriterOptions{SpoolDir: dir})
		require.ErrorContains(t, err, "in use by another writer")
		require.NoError(t, w.Close(ctx))
		w, err = NewWriter[postRow](db, "locked", WriterOptions{SpoolDir: dir})
		require.NoError(t, err, "the lock is released by Close")
		require.NoError(t, w.Close(ctx))
	})

	t.Run("rejected batch is kept in failed/ and reported", func(t *testing.T) {
		srv.Query(t, fmt.Sprintf(postsDDL, "rejected"))
		dir := t.TempDir()
		w, err := NewWriter[postRow](db, "rejected", WriterOptions{SpoolDir: dir})
		require.NoError(t, err)
		// The table changes under the writer: no retry can fix that.
		srv.Query(t, "ALTER TABLE rejected DROP COLUMN media_type")
		require.NoError(t, w.Write(ctx, makePost(1), makePost(2)))
		err = w.Flush(ctx)
		require.ErrorIs(t, err, ErrRejected)
		require.ErrorContains(t, err, "rejected")
		require.NoError(t, w.Close(ctx), "a rejection is reported once")
		require.Equal(t, uint64(1), w.Stats().Rejected)
		failed, err := filepath.Glob(filepath.Join(dir, "default.rejected", failedDir, "*"+spoolSuffix))
		require.NoError(t, err)
		require.Len(t, failed, 1)
		data, err := os.ReadFile(failed[0])
		require.NoError(t, err)
		_, b, err := decodeBatch(data)
		require.NoError(t, err)
		require.Equal(t, 2, b.rows)
	})
}

func metricValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

func TestNewWriterChecksColumns(t *testing.T) {
	integration(t)
	srv := chtest.Start(t)
	db := openTest(t, srv)
	srv.Query(t, "CREATE TABLE narrow (id UInt64, s UInt32, ts Date, m UInt64 MATERIALIZED id * 2) ENGINE = ReplacingMergeTree() ORDER BY id")

	type missing struct {
		ID   uint64 `ch:"id"`
		Nope string `ch:"nope"`
	}
	type wrongType struct {
		ID uint64 `ch:"id"`
		S  string `ch:"s"`
	}
	type dateAsDateTime struct {
		ID uint64    `ch:"id"`
		TS time.Time `ch:"ts"`
	}
	type materialized struct {
		ID uint64 `ch:"id"`
		M  uint64 `ch:"m"`
	}
	opts := WriterOptions{SpoolDir: t.TempDir()}
	err := checkNew[missing](t, db, "narrow", opts)
	require.ErrorContains(t, err, "table default.narrow, column nope (field missing.Nope, string): the table has no such column")
	err = checkNew[wrongType](t, db, "narrow", opts)
	require.ErrorContains(t, err, "table default.narrow, column s (field wrongType.S, string): does not fit column type UInt32")
	err = checkNew[dateAsDateTime](t, db, "narrow", opts)
	require.ErrorContains(t, err, `does not fit column type Date (tag the field ch:"ts,date")`)
	err = checkNew[materialized](t, db, "narrow", opts)
	require.ErrorContains(t, err, "column m (field materialized.M, uint64): a MATERIALIZED column cannot be inserted")
	err = checkNew[wrongType](t, db, "absent", opts)
	require.ErrorContains(t, err, "table default.absent does not exist")

	// Without Check the first insert checks: the batch is rejected, kept, and reported.
	ctx := context.Background()
	w, err := NewWriter[wrongType](db, "narrow", opts)
	require.NoError(t, err)
	require.NoError(t, w.Write(ctx, wrongType{ID: 1, S: "x"}))
	err = w.Flush(ctx)
	require.ErrorIs(t, err, ErrRejected)
	require.ErrorContains(t, err, "table default.narrow, column s (field wrongType.S, string): does not fit column type UInt32")
	require.NoError(t, w.Close(ctx))
	require.Equal(t, "0", srv.Query(t, "SELECT count() FROM narrow"))

	_, err = NewWriter[wrongType](db, "bad name", opts)
	require.ErrorContains(t, err, `table "bad name" is not a plain`)
}

// checkNew opens a writer of T rows into table, checks its columns and closes it.
func checkNew[T any](t *testing.T, db *DB, table string, opts WriterOptions) error {
	t.Helper()
	w, err := NewWriter[T](db, table, opts)
	require.NoError(t, err, "the constructor asks nothing of the server")
	checkErr := w.Check(context.Background())
	require.NoError(t, w.Close(context.Background()))
	return checkErr
}
