package importertest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/importer"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/store"
)

// DataTables are the tables imports write, apart from runs.
var DataTables = []string{
	schema.TableChannels, schema.TableChannelSnapshots, schema.TablePosts, schema.TablePostLinks,
	schema.TableAccountLinks, schema.TableEvents,
}

// ClickHouse starts a throwaway migrated ClickHouse and opens it. It skips under -short only.
func ClickHouse(t testing.TB) *store.DB {
	t.Helper()
	if testing.Short() {
		t.Skip("ClickHouse integration test (skipped under -short)")
	}
	srv := chtest.Migrated(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := store.Open(ctx, store.Options{Addr: []string{srv.Addr()}, Database: srv.Database})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// ImportInto runs an import into ClickHouse through the store writers and returns its summary.
func ImportInto(t testing.TB, db *store.DB, f importer.Format, files []string, opts *importer.Options) *importer.Summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sink, err := importer.NewStoreSink(db, store.WriterOptions{SpoolDir: t.TempDir()})
	require.NoError(t, err)
	o := importer.Options{}
	if opts != nil {
		o = *opts
	}
	o.Format, o.Files, o.Sink = f, files, sink
	if o.HashKey == nil {
		o.HashKey = Key
	}
	sum, err := importer.Run(ctx, o)
	require.NoError(t, errorsJoin(err, sink.Close(ctx)))
	return sum
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// Count returns the rows of each table, read with FINAL (final = true) or as stored.
func Count(t testing.TB, db *store.DB, final bool, tables ...string) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	for _, tb := range tables {
		q := "SELECT count() FROM " + tb
		if final {
			q += " FINAL"
		}
		var n uint64
		require.NoError(t, db.QueryRow(context.Background(), q).Scan(&n), q)
		out[tb] = n
	}
	return out
}

// CheckTwice imports files twice into a fresh ClickHouse and checks that the second import
// changes nothing: the row counts read with FINAL are the same after both, and after OPTIMIZE
// ... FINAL the stored rows are exactly those. Each import leaves its own runs row. It returns
// the counts and the database for further checks.
func CheckTwice(t *testing.T, f importer.Format, files []string, opts *importer.Options) (map[string]uint64, *store.DB) {
	t.Helper()
	db := ClickHouse(t)
	ImportInto(t, db, f, files, opts)
	first := Count(t, db, true, DataTables...)
	ImportInto(t, db, f, files, opts)
	second := Count(t, db, true, DataTables...)
	require.Equal(t, first, second, "a second import changed the tables")
	for _, tb := range DataTables {
		require.NoError(t, db.Exec(context.Background(), "OPTIMIZE TABLE "+tb+" FINAL"))
	}
	require.Equal(t, first, Count(t, db, false, DataTables...), "rows left after merging differ from FINAL")
	var runs, ok uint64
	require.NoError(t, db.QueryRow(context.Background(),
		"SELECT count(), countIf(status = 'ok') FROM runs FINAL WHERE job = ?", "import:"+f.Name).Scan(&runs, &ok))
	require.EqualValues(t, 2, runs, "one runs row per import")
	require.EqualValues(t, 2, ok)
	return first, db
}

// Exec runs a statement or fails the test.
func Exec(t testing.TB, db *store.DB, sql string) {
	t.Helper()
	require.NoError(t, db.Exec(context.Background(), sql), sql)
}
