// Package jobtest starts what an analysis job's integration test needs: a throwaway,
// migrated clickhouse-server and the store on it.
package jobtest

import (
	"context"
	"testing"

	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/store"
)

// Store starts a migrated server (chtest.Migrated), opens the store on it (closed when the
// test ends) and returns writer options that spool under the test's temporary folder.
func Store(t testing.TB) (*chtest.Server, *store.DB, store.WriterOptions) {
	t.Helper()
	srv := chtest.Migrated(t)
	db, err := store.Open(context.Background(), store.Options{Addr: []string{srv.Addr()}, Database: srv.Database})
	if err != nil {
		t.Fatalf("jobtest: open the store: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return srv, db, store.WriterOptions{SpoolDir: t.TempDir()}
}
