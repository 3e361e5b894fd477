package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/store"
)

// importerRoot is the root command with the import, events, links and communities commands, whether or
// not the root already lists them.
func importerRoot(a *app) *cobra.Command {
	root := newRootCmd(a)
	have := map[string]bool{}
	for _, c := range root.Commands() {
		have[c.Name()] = true
	}
	for _, c := range []*cobra.Command{newImportCmd(a), newEventsCmd(a), newLinksCmd(a), newCommunitiesCmd(a)} {
		if !have[c.Name()] {
			root.AddCommand(c)
		}
	}
	return root
}

// runImporter executes args like execute does and returns the exit code and output.
func runImporter(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := importerRoot(&app{stdout: &out, stderr: &errOut})
	root.SetArgs(args)
	ctx := context.Background()
	err := root.ExecuteContext(ctx)
	if err != nil {
		errOut.WriteString("tidewatch: " + err.Error() + "\n")
	}
	return exitCode(ctx, err), out.String(), errOut.String()
}

// testdataOf is a file of an importer package's testdata.
func testdataOf(pkg, name string) string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..", "collector", "importer", pkg, "testdata", name)
}

func TestImporterCommandsHaveExamples(t *testing.T) {
	isolate(t)
	walk(importerRoot(&app{}), func(c *cobra.Command) {
		require.NotEmpty(t, strings.TrimSpace(c.Example), "%s has no Example", c.CommandPath())
		require.NotEmpty(t, c.Short, "%s has no Short", c.CommandPath())
	})
}

func TestImportUsage(t *testing.T) {
	isolate(t)
	code, _, stderr := runImporter(t, "import", "myspace", "x.csv")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, `unknown format "myspace": expected one of crowdtangle, twitter-v2, twitter-io, telegram-desktop, accounts, posts, events, links, communities`)
	code, _, stderr = runImporter(t, "import", "crowdtangle")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, "needs FORMAT and at least one FILE")
	code, _, stderr = runImporter(t, "import", "crowdtangle", "--tz", "Mars/Olympus", "--dry-run", testdataOf("crowdtangle", "instagram.csv"))
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, `--tz "Mars/Olympus": expected a zone like Europe/Berlin, UTC or +03:00`)
}

// TestImportDryRun needs no database: it parses, validates and counts.
func TestImportDryRun(t *testing.T) {
	isolate(t)
	code, stdout, stderr := runImporter(t, "import", "crowdtangle", "--dry-run", "--quiet", testdataOf("crowdtangle", "facebook_2021_41col.csv"))
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "dry run, nothing written: 1 files, 3 records")
	require.Contains(t, stdout, "  posts              3\n")

	bad := testdataOf("crowdtangle", "facebook_bad_rows.csv")
	code, _, stderr = runImporter(t, "import", "crowdtangle", "--dry-run", "--quiet", bad)
	require.Equal(t, exitFailure, code)
	require.Contains(t, stderr, bad+`:5: Likes: expected a whole number like 1234, 1,234 or 1.234, got "1,5"`)
	require.Contains(t, stderr, "4 errors in 4 records: nothing was imported")
}

// TestImporterCommandsAgainstClickHouse drives import, events and links through the CLI into
// a real ClickHouse.
func TestImporterCommandsAgainstClickHouse(t *testing.T) {
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

	// Imports: a bad file writes nothing; --rejects imports the good rows; twice changes nothing.
	bad := testdataOf("crowdtangle", "facebook_bad_rows.csv")
	code, _, _ := runImporter(t, "import", "crowdtangle", "--quiet", bad)
	require.Equal(t, exitFailure, code)
	require.Zero(t, count("SELECT count() FROM posts"))
	rejects := filepath.Join(dir, "rejects.csv")
	ok("import", "crowdtangle", "--quiet", "--rejects", rejects, bad)
	recs, err := csv.NewReader(mustOpen(t, rejects)).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 5)
	require.EqualValues(t, 1, count("SELECT count() FROM posts FINAL"))

	samples := []string{testdataOf("twitterv2", "twarc-csv_flat_truncated.jsonl"), testdataOf("twitterv2", "twarc-csv_edited.jsonl")}
	out := ok(append([]string{"import", "twitter-v2", "--quiet"}, samples...)...)
	require.Contains(t, out, "imported 2 files, 29 records")
	posts := count("SELECT count() FROM posts FINAL")
	ok(append([]string{"import", "twitter-v2", "--quiet"}, samples...)...)
	require.Equal(t, posts, count("SELECT count() FROM posts FINAL"))
	require.EqualValues(t, 3, count("SELECT count() FROM runs FINAL WHERE job LIKE 'import:%' AND status = 'ok'"))
	ok("import", "telegram-desktop", "--quiet", testdataOf("tgexport", "current_layout.json"))

	// Events: adding the same event twice keeps one; import; list; delete.
	add := []string{"events", "add", "--at", "2019-11-21T09:00:00Z", "--platform", "telegram", "--kind", "takedown",
		"--target", "@nashir_news", "--target", "1807654321", "--title", "Europol Action Day", "--source", "https://www.europol.europa.eu/newsroom"}
	first := ok(add...)
	require.Regexp(t, `^event [0-9a-f]{16}: takedown 1807654321, @nashir_news on telegram, 2019-11-21T09:00:00Z\n$`, first)
	require.Equal(t, first, ok(add...))
	require.EqualValues(t, 1, count("SELECT count() FROM events FINAL"))
	code, _, stderr := runImporter(t, "events", "add", "--at", "2019-11-21", "--kind", "Take Down")
	require.Equal(t, exitUsage, code)
	require.Contains(t, stderr, `--kind: expected a lowercase kind like`)
	require.Contains(t, stderr, `--source: expected a citation or URL`)
	ok("events", "import", testdataOf("csvlayout", "events.csv"))
	ok("events", "import", testdataOf("csvlayout", "events.csv"))
	require.EqualValues(t, 4, count("SELECT count() FROM events FINAL"))
	list := ok("events", "list", "--platform", "telegram", "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(list)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 3, list) // header, the added event, the imported takedown
	id := rows[1][0]
	table := ok("events", "list", "--since", "2018-01-01", "--until", "2020-01-01")
	require.Contains(t, table, "Europol Action Day")
	require.NotContains(t, table, "Manchester")
	ok("events", "delete", id)
	require.NotContains(t, ok("events", "list", "--format", "json"), id)
	code, _, stderr = runImporter(t, "events", "delete", "0000000000000000")
	require.Equal(t, exitFailure, code)
	require.Contains(t, stderr, "no event with id 0000000000000000")

	// Links: suggest from the imported bios, accept one, make an actor of it.
	out = ok("links", "suggest")
	require.Contains(t, out, "proposed ")
	before := count("SELECT count() FROM account_links FINAL")
	ok("links", "suggest")
	require.Equal(t, before, count("SELECT count() FROM account_links FINAL"), "suggesting twice changes nothing")
	csvOut := ok("links", "list", "--format", "csv")
	lrows, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	require.NoError(t, err)
	var linkID string
	for _, r := range lrows[1:] {
		if r[1] == "twitter" && r[3] == "instagram" && r[4] == "wongmjane" {
			linkID = r[0]
		}
	}
	require.NotEmpty(t, linkID, csvOut)
	require.Contains(t, ok("links", "accept", linkID[:8], "--by", "ana"), "accepted "+linkID)
	require.Contains(t, ok("links", "list", "--status", "accepted"), linkID)
	ok("links", "suggest")
	require.Contains(t, ok("links", "list", "--status", "accepted"), linkID, "a decision survives a new suggestion")
	out = ok("links", "actor", "create", "Jane Manchun Wong", "--from-link", linkID)
	require.Contains(t, out, "added to jane-manchun-wong: twitter:wongmjane")
	require.Contains(t, out, "added to jane-manchun-wong: instagram:wongmjane (not in channels yet)")
	ok("links", "actor", "remove", "Jane Manchun Wong", "instagram:wongmjane")
	actors := ok("links", "actor", "list")
	require.Contains(t, actors, "twitter:wongmjane")
	require.NotContains(t, actors, "instagram:wongmjane")
	ok("links", "import", testdataOf("csvlayout", "links.csv"))
	require.Contains(t, ok("links", "list", "--platform", "vk"), "vk:openwatch")
}

func mustOpen(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(name)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	return f
}
