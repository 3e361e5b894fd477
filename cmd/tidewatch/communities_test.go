package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/store"
)

// TestCommunitiesDryRun needs no database.
func TestCommunitiesDryRun(t *testing.T) {
	isolate(t)
	code, stdout, stderr := runImporter(t, "import", "communities", "--dry-run", "--quiet", testdataOf("csvlayout", "communities.csv"))
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "dry run, nothing written: 1 files, 4 records")
	require.Contains(t, stdout, "  communities        4\n")

	bad := testdataOf("csvlayout", "bad_communities.csv")
	code, _, stderr = runImporter(t, "communities", "import", "--dry-run", bad)
	require.Equal(t, exitFailure, code)
	require.Contains(t, stderr, bad+`:3: community: expected the community's name, got ""`)
	require.Contains(t, stderr, bad+`:6: removed: expected true or false, got "perhaps"`)
}

// TestCommunitiesAgainstClickHouse imports community labels through the CLI into a real
// ClickHouse and lists them.
func TestCommunitiesAgainstClickHouse(t *testing.T) {
	if testing.Short() {
		t.Skip("ClickHouse integration test (skipped under -short)")
	}
	dir := isolate(t)
	srv := chtest.Migrated(t)
	t.Setenv("TIDEWATCH_CLICKHOUSE_ADDR", srv.Addr())
	t.Setenv("TIDEWATCH_CLICKHOUSE_DATABASE", srv.Database)
	t.Setenv("TIDEWATCH_PRIVACY_HASH_KEY", "cli-test-key-0123456789")
	db, err := store.Open(context.Background(), store.Options{Addr: []string{srv.Addr()}, Database: srv.Database})
	require.NoError(t, err)
	defer db.Close()
	count := func(sql string) uint64 {
		t.Helper()
		var n uint64
		require.NoError(t, db.QueryRow(context.Background(), sql).Scan(&n), sql)
		return n
	}
	ok := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := runImporter(t, args...)
		require.Equal(t, 0, code, "%v: %s", args, stderr)
		return stdout
	}

	// A file with a bad row writes nothing, and says where the row is.
	bad := testdataOf("csvlayout", "bad_communities.csv")
	code, _, stderr := runImporter(t, "import", "communities", "--quiet", bad)
	require.Equal(t, exitFailure, code)
	require.Contains(t, stderr, bad+`:4: platform: expected a lowercase platform name like telegram, twitter, facebook, got "Telegram Channel"`)
	require.Contains(t, stderr, bad+`:5: account_id: expected the account's id on its platform`)
	require.Contains(t, stderr, "nothing was imported")
	require.Zero(t, count("SELECT count() FROM communities"))
	require.Zero(t, count("SELECT count() FROM runs WHERE job = 'import:communities' AND status = 'ok'"))

	// The accounts file names the channels, so the list shows their handles.
	ok("import", "accounts", "--quiet", testdataOf("csvlayout", "accounts.csv"))
	good := testdataOf("csvlayout", "communities.csv")
	out := ok("import", "communities", "--quiet", good)
	require.Contains(t, out, "imported 1 files, 4 records")
	require.Contains(t, out, "  communities        4\n")
	ok("communities", "import", good) // again: nothing changes
	require.EqualValues(t, 4, count("SELECT count() FROM communities FINAL"))
	require.EqualValues(t, 3, count("SELECT count() FROM communities FINAL WHERE removed = 0"))
	require.EqualValues(t, 1, count("SELECT count() FROM communities FINAL WHERE source = 'manual'"))
	require.EqualValues(t, 2, count("SELECT count() FROM runs FINAL WHERE job = 'import:communities' AND status = 'ok'"))

	list := ok("communities", "list", "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(list)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 4, list) // header and the three current memberships
	require.Equal(t, []string{"community", "platform", "account_id", "handle", "source", "added_at"}, rows[0])
	require.Equal(t, []string{"far-right-de", "telegram", "1700000002", "", "import", "2024-05-01T12:00:00Z"}, rows[1])
	require.Equal(t, []string{"far-right-de", "telegram", "1807654321", "openwatch", "manual", "2024-05-01T00:00:00Z"}, rows[2])
	require.Equal(t, []string{"far-right-de", "youtube", "UCx8yqW3jY1_abcdEFGHijkl", "openwatch", "import", ""}, rows[3])

	// The CSV list is the layout: it imports again without changing anything.
	relist := filepath.Join(dir, "relist.csv")
	require.NoError(t, os.WriteFile(relist, []byte(list), 0o644))
	ok("communities", "import", relist)
	require.EqualValues(t, 4, count("SELECT count() FROM communities FINAL"))

	table := ok("communities", "list", "--platform", "telegram")
	require.Contains(t, table, "far-right-de")
	require.NotContains(t, table, "anti-vax", "a removed membership is not listed")
	var n int
	for _, line := range strings.Split(strings.TrimSpace(ok("communities", "list", "--community", "far-right-de", "--format", "json")), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m))
		require.Equal(t, "far-right-de", m["community"])
		n++
	}
	require.Equal(t, 3, n)
	code, _, stderr = runImporter(t, "communities", "list", "--format", "xml")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, `--format "xml": expected table, csv or json`)
}
