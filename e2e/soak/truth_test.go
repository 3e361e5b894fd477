package soak

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// outcome is what a scenario's data looks like against the world's ground truth.
type outcome struct {
	Scenario string
	Faults   string // what was done, how many times
	Runs     int    // collector processes started
	Seeds    int
	Channels int // seed channels with a snapshot
	Expected int // posts the world held in the readable channels at the collection time
	Lost     int // of those, not stored
	Extra    int // stored posts the world does not have
	Wrong    int // stored posts whose fields differ from the world's
	Dup      int // counter readings taken twice for the same post and age
	LinkLoss int // stored posts with links none of which is in post_links
	Note     string
}

func (o outcome) ok() bool {
	return o.Channels == o.Seeds && o.Expected > 0 && o.Lost == 0 && o.Extra == 0 && o.Wrong == 0 && o.Dup == 0 && o.LinkLoss == 0
}

// row is the outcome as a line of RELIABILITY.md's table.
func (o outcome) row() string {
	verdict := "pass"
	if !o.ok() {
		verdict = "FAIL"
	}
	return fmt.Sprintf("| %s | %s | %d | %d/%d | %d | %d | %d | %d | %d | %d | %s | %s |",
		o.Scenario, o.Faults, o.Runs, o.Channels, o.Seeds, o.Expected, o.Lost, o.Extra, o.Wrong, o.Dup, o.LinkLoss, verdict, o.Note)
}

const tableHeader = "| scenario | faults | collector runs | channels | posts in the world | lost | extra | wrong | duplicated readings | posts whose links are missing | outcome | note |\n" +
	"|---|---|---|---|---|---|---|---|---|---|---|---|"

// report prints the outcome's row (and appends it to $SOAK_RESULTS when set), then fails
// the scenario unless nothing was lost, added, changed or duplicated.
func report(b *testing.B, o outcome) {
	b.Helper()
	fmt.Println(tableHeader)
	fmt.Println(o.row())
	if f := os.Getenv("SOAK_RESULTS"); f != "" {
		out, err := os.OpenFile(f, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		require.NoError(b, err)
		_, err = fmt.Fprintln(out, o.row())
		require.NoError(b, errorsJoin(err, out.Close()))
	}
	if !o.ok() {
		b.Errorf("%s: the data differ from the world's truth: %+v", o.Scenario, o)
	}
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// compare loads the world's ground truth at the collection time into truth_* and compares
// the stored channels, posts, links and counter readings with it.
func (e *env) compare(o outcome) outcome {
	e.b.Helper()
	e.run("tgsim", "load-truth", "--spec", e.specFile, "--seed", strconv.Itoa(seed), "--until", "1d",
		"--run-id", truthRun, "--clickhouse-addr", e.ch.Addr(), "--clickhouse-database", e.ch.Database,
		"--spool-dir", filepath.Join(e.dir, "truth-spool"))
	count := func(q string) int {
		e.b.Helper()
		out := strings.TrimSpace(e.ch.Query(e.b, q))
		n, err := strconv.Atoi(out)
		require.NoError(e.b, err, "%s: %q", q, out)
		return n
	}
	o.Seeds = len(e.seeds)
	// Readable channels: their last snapshot found them active.
	readable := "SELECT channel_id FROM (SELECT channel_id, argMax(status, snapshot_at) AS s FROM channel_snapshots FINAL GROUP BY channel_id) WHERE s = 'active'"
	o.Channels = count("SELECT uniqExact(channel_id) FROM channel_snapshots FINAL WHERE lower(username) IN (" + quoted(e.seeds) + ")")
	until := "(SELECT any(until_at) FROM truth_worlds WHERE run_id = '" + truthRun + "')"
	expected := "FROM truth_posts FINAL WHERE run_id = '" + truthRun + "' AND channel_id IN (" + readable + ")" +
		" AND posted_at <= " + until + " AND (deleted_at = toDateTime(0) OR deleted_at > " + until + ")"
	stored := "FROM posts FINAL WHERE platform = 'telegram' AND deleted = 0 AND channel_id IN (" + readable + ")"
	o.Expected = count("SELECT count() " + expected)
	o.Lost = count("SELECT count() " + expected + " AND (channel_id, post_id) NOT IN (SELECT channel_id, post_id " + stored + ")")
	o.Extra = count("SELECT count() " + stored + " AND (channel_id, post_id) NOT IN (SELECT channel_id, post_id " + expected + ")")
	// A service message's text is the title its action gives (the world has none for it):
	// its length is left out.
	fields := "channel_id, post_id, posted_at, album_id, fwd_channel_id, fwd_post_id, if(service = 1, 0, text_length)"
	storedFields := "channel_id, post_id, posted_at, album_id, fwd_channel_id, fwd_post_id, if(kind = 'service', 0, text_length)"
	o.Wrong = count("SELECT count() "+expected+" AND ("+fields+") NOT IN (SELECT "+storedFields+" "+stored+")") - o.Lost
	if o.Wrong > 0 {
		e.logf("posts whose fields differ, in the world:\n%s\nstored:\n%s",
			e.ch.Query(e.b, "SELECT "+fields+", service "+expected+" AND ("+fields+") NOT IN (SELECT "+storedFields+" "+stored+") ORDER BY channel_id, post_id LIMIT 5"),
			e.ch.Query(e.b, "SELECT "+storedFields+", kind "+stored+" AND (channel_id, post_id) IN (SELECT channel_id, post_id "+expected+" AND ("+fields+") NOT IN (SELECT "+storedFields+" "+stored+")) ORDER BY channel_id, post_id LIMIT 5"))
	}
	if o.Channels != o.Seeds {
		e.logf("snapshots of the seeds:\n%s", e.ch.Query(e.b, "SELECT channel_id, username, status FROM channel_snapshots FINAL ORDER BY channel_id"))
	}
	o.Dup = count("SELECT count() FROM (SELECT channel_id, post_id, target_age_s, count() AS n FROM post_counters FINAL " +
		"GROUP BY channel_id, post_id, target_age_s HAVING n > 1)")
	// A post whose links were counted but none of them stored lost its link rows.
	o.LinkLoss = count("SELECT count() " + stored + " AND link_count > 0 AND (channel_id, post_id) NOT IN " +
		"(SELECT channel_id, post_id FROM post_links FINAL)")
	e.logf("outcome %+v", o)
	return o
}

func quoted(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = "'" + strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(s, "@")), "'", "''") + "'"
	}
	return strings.Join(q, ", ")
}
