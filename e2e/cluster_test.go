package e2e

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/tgsim/world"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/chtest"
)

// clusterWorld is the small world the cluster tests collect: 24 channels over 30 days, with
// the default takedown and attack, channels going private, banned and deleted.
func clusterWorld(t *testing.T) *world.World {
	t.Helper()
	spec := world.DefaultSpec(24)
	spec.Duration = world.Duration(30 * 24 * time.Hour)
	spec.Events[0].At = spec.Start.Add(10 * 24 * time.Hour)
	spec.Events[1].At = spec.Start.Add(20*24*time.Hour + 18*time.Hour)
	spec.Lifecycle.Private, spec.Lifecycle.Bans, spec.Lifecycle.Deletions = 0.1, 0.15, 0.1
	w, err := world.Generate(spec, 7)
	require.NoError(t, err)
	return w
}

// TestShardedCollectorsSplitTheFrame runs three collectors at once over one world, each with
// its own account and shard i of 3 (tidewatch collect --shard i/3), and requires every seed
// channel to be collected by exactly one of them.
func TestShardedCollectorsSplitTheFrame(t *testing.T) {
	if testing.Short() {
		t.Skip("collects a simulated world into ClickHouse")
	}
	w := clusterWorld(t)
	start := w.Start()
	end := start.Add(3 * 24 * time.Hour)
	c := collectWorldWith(t, w, start, end, 6*time.Hour, collectSpec{shards: 3, seedsOnly: true})

	var seeds []int64
	for _, id := range w.ChannelIDs() {
		hash, _ := w.AccessHash(id)
		if v, err := w.Channel(id, hash, start); err == nil && v.Username != "" {
			seeds = append(seeds, id)
		}
	}
	slices.Sort(seeds)
	require.Equal(t, seeds, c.channels, "every seed channel collected")

	// Each channel's snapshots and posts come from one collector only, and every collector
	// had a share.
	for _, table := range []string{schema.TableChannelSnapshots, schema.TablePosts} {
		out := c.ch.Query(t, "SELECT channel_id, uniqExact(run_id) AS runs, any(run_id) FROM "+c.db.Table(table)+
			" GROUP BY channel_id ORDER BY channel_id FORMAT TSV")
		perShard := map[string]int{}
		for _, line := range strings.Split(out, "\n") {
			f := strings.Split(line, "\t")
			require.Len(t, f, 3, "line %q", line)
			require.Equal(t, "1", f[1], "%s: channel %s collected by %s collectors", table, f[0], f[1])
			perShard[f[2]]++
		}
		require.Len(t, perShard, 3, "%s: channels per collector %v", table, perShard)
		t.Logf("%s: channels per collector %v", table, perShard)
	}
}

// TestClusterMatchesSingleNode collects clusterWorld over the same window once into a single
// server and once into a 2 x 2 cluster (through its Distributed tables, the store given
// every node's address), runs `tidewatch analyze all` on both, and requires the same
// rows in both, table by table: the frame, snapshots, posts, their links (by target
// username: which t.me link resolves first to a channel id varies between runs), counter
// readings, channel events, completeness, the analysis results and the analysis runs'
// statuses and counts. Run ids, configuration hashes and code versions are left out;
// floats agree to a relative 1e-6 (a sum over rows read shard by shard is added in another
// order). On the cluster, both replicas of every shard must also hold the same rows.
func TestClusterMatchesSingleNode(t *testing.T) {
	if testing.Short() {
		t.Skip("collects a simulated world into ClickHouse twice")
	}
	w := clusterWorld(t)
	start := w.Start()
	end := start.Add(clusterDays * 24 * time.Hour)
	single := collectWorldWith(t, w, start, end, 6*time.Hour, collectSpec{})
	cl := chtest.MigratedCluster(t)
	multi := collectWorldWith(t, clusterWorld(t), start, end, 6*time.Hour, collectSpec{cluster: cl})
	require.Equal(t, single.channels, multi.channels, "channels collected")

	tr, err := w.Truth(world.TruthOptions{Until: end, Channels: single.channels})
	require.NoError(t, err)
	began := time.Now()
	for _, c := range []*collected{single, multi} {
		c.registry(t, tr)
		c.analyzeAll(t)
	}
	waitReplicated(t, cl)
	t.Logf("analysed both: %s", time.Since(began).Round(time.Second))

	// The columns are the single server's; the cluster's Distributed tables must have them.
	began = time.Now()
	columns := tableColumns(t, single.ch)
	total := 0
	for _, tc := range comparedTables {
		a, b := tableRows(t, single.ch, tc, columns[tc.table]), tableRows(t, multi.ch, tc, columns[tc.table])
		if diff := diffRows(a, b); diff != "" {
			t.Errorf("%s: %d rows on the single server, %d on the cluster; differing rows (- single, + cluster):\n%s", tc.table, len(a), len(b), diff)
			continue
		}
		if tc.nonEmpty {
			require.NotEmpty(t, a, "%s: no rows", tc.table)
		}
		t.Logf("%s: %d rows agree", tc.table, len(a))
		total += len(a)
	}
	t.Logf("%d rows agree in %d tables (compared in %s)", total, len(comparedTables), time.Since(began).Round(time.Second))

	// Each shard's replicas hold the same rows of the collector's tables.
	var parts []string
	for _, table := range []string{schema.TableChannelSnapshots, schema.TablePosts, schema.TablePostCounters, schema.TablePostLinks, schema.TableChannelEvents} {
		parts = append(parts, "SELECT '"+table+"', count(), sum(cityHash64(*)) FROM (SELECT * FROM "+table+"_local FINAL)")
	}
	q := "SELECT * FROM (" + strings.Join(parts, " UNION ALL ") + ") ORDER BY 1 FORMAT TSV"
	for s := 0; s+1 < len(cl.Nodes); s += 2 {
		require.Equal(t, cl.Nodes[s].Query(t, q), cl.Nodes[s+1].Query(t, q), "replicas of shard %d", s/2+1)
	}
}

// clusterDays is how much of clusterWorld TestClusterMatchesSingleNode collects.
const clusterDays = 30

// comparedTable is a table whose rows a cluster and a single server must share: every
// column but skip (and the ALIAS and MATERIALIZED ones), the latest version of each row,
// where filters them.
type comparedTable struct {
	table    string
	skip     []string
	where    string
	nonEmpty bool // the world gives it rows
}

// comparedTables are the tables TestClusterMatchesSingleNode compares.
var comparedTables = func() []comparedTable {
	collected := []comparedTable{
		{table: schema.TableChannels, nonEmpty: true},
		{table: schema.TableSamplingFrames, nonEmpty: true},
		// The collector writes discovery and completeness rows at its checkpoints, which
		// follow the real clock (every second), not the world's: the world time they carry
		// (version, checked_at) is when the checkpoint happened, and a username referenced
		// but never resolved has a row (under a placeholder id) only if a checkpoint caught
		// it pending. The rows of resolved channels are compared.
		{table: schema.TableDiscovery, skip: []string{"version"}, where: "channel_id GLOBAL IN (SELECT channel_id FROM " + schema.TableChannels + ")", nonEmpty: true},
		{table: schema.TableChannelSnapshots, skip: []string{"run_id"}, nonEmpty: true},
		{table: schema.TablePosts, skip: []string{"run_id"}, nonEmpty: true},
		{table: schema.TablePostCounters, skip: []string{"run_id"}, nonEmpty: true},
		{table: schema.TablePostLinks, skip: []string{"run_id", "target_channel_id"}, nonEmpty: true},
		{table: schema.TableChannelEvents, skip: []string{"run_id"}, nonEmpty: true},
		{table: schema.TableCompleteness, skip: []string{"run_id", "checked_at", "version"}, nonEmpty: true},
		{table: schema.TableRuns, skip: []string{"run_id", "started_at", "finished_at", "config_hash", "code_version", "version"}, where: "job LIKE 'analyze:%'", nonEmpty: true},
	}
	results := []string{
		schema.TableGrowthChannels, schema.TableGrowthSeries, schema.TableGrowthJumps, schema.TableGrowthModels, schema.TableGrowthGroups,
		schema.TableEngagementChannels, schema.TableEngagementPosts,
		schema.TableBurstsChannels, schema.TableBurstsCommunities,
		schema.TableTakedownsLifetimes, schema.TableTakedownsCohorts, schema.TableTakedownsSurvival, schema.TableTakedownsRespawns,
		schema.TableMigrationShares, schema.TableMigrationWindows, schema.TableMigrationWindowShares, schema.TableMigrationITS,
		schema.TableMigrationDiD, schema.TableMigrationDiDUnits,
		schema.TableNetworkNodes, schema.TableNetworkEdges, schema.TableNetworkMentions, schema.TableNetworkCommunities,
	}
	for _, r := range results {
		collected = append(collected, comparedTable{table: r, skip: []string{"run_id", "version"}, nonEmpty: true})
	}
	// The world names no actors: the actors job writes nothing, on both.
	for _, r := range []string{schema.TableActorsAccounts, schema.TableActorsAudience, schema.TableActorsMoves} {
		collected = append(collected, comparedTable{table: r, skip: []string{"run_id", "version"}})
	}
	return collected
}()

// rowFields is one row as clickhouse-client's TSV gives it, and which of its fields are
// floats.
type rowFields struct {
	fields []string
	floats []bool
}

// key orders rows: floats at 4 significant digits, so that rows whose floats differ in the
// last bits sort alike.
func (r rowFields) key() string {
	f := slices.Clone(r.fields)
	for i, fl := range r.floats {
		if fl {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				f[i] = strconv.FormatFloat(v, 'g', 4, 64)
			}
		}
	}
	return strings.Join(f, "\t")
}

func (r rowFields) String() string { return strings.Join(r.fields, "\t") }

// same tells whether two rows agree: equal fields, floats to a relative 1e-6.
func (r rowFields) same(o rowFields) bool {
	if len(r.fields) != len(o.fields) {
		return false
	}
	for i := range r.fields {
		if r.fields[i] == o.fields[i] {
			continue
		}
		if !r.floats[i] {
			return false
		}
		a, errA := strconv.ParseFloat(r.fields[i], 64)
		b, errB := strconv.ParseFloat(o.fields[i], 64)
		if errA != nil || errB != nil || math.Abs(a-b) > 1e-6*max(1, math.Abs(a), math.Abs(b)) {
			return false
		}
	}
	return true
}

// column is a column of a table and whether it holds floats.
type column struct {
	name  string
	float bool
}

// tableColumns lists every table's columns on srv but the ALIAS and MATERIALIZED ones.
func tableColumns(t *testing.T, srv *chtest.Server) map[string][]column {
	t.Helper()
	out := srv.Query(t, "SELECT table, name, type FROM system.columns WHERE database = currentDatabase() "+
		"AND default_kind NOT IN ('ALIAS', 'MATERIALIZED') FORMAT TSV")
	cols := map[string][]column{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "\t")
		require.Len(t, f, 3, "column line %q", line)
		cols[f[0]] = append(cols[f[0]], column{name: f[1], float: strings.Contains(f[2], "Float")})
	}
	return cols
}

// tableRows reads tc's rows, of the given columns, from srv, sorted.
func tableRows(t *testing.T, srv *chtest.Server, tc comparedTable, columns []column) []rowFields {
	t.Helper()
	var cols []string
	var floats []bool
	for _, c := range columns {
		if slices.Contains(tc.skip, c.name) {
			continue
		}
		cols = append(cols, "`"+c.name+"`")
		floats = append(floats, c.float)
	}
	require.NotEmpty(t, cols, "%s: columns", tc.table)
	// clickhouse-client's output is trimmed: the first and last fields of a row may be
	// empty, so each row is wrapped in two markers.
	q := "SELECT '<', " + strings.Join(cols, ", ") + ", '>' FROM " + tc.table + " FINAL"
	if tc.where != "" {
		q += " WHERE " + tc.where
	}
	out := srv.Query(t, q+" FORMAT TSV")
	var rows []rowFields
	if out != "" {
		for _, line := range strings.Split(out, "\n") {
			f := strings.Split(line, "\t")
			require.Len(t, f, len(cols)+2, "%s: row %q", tc.table, line)
			rows = append(rows, rowFields{fields: f[1 : len(f)-1], floats: floats})
		}
	}
	slices.SortFunc(rows, func(a, b rowFields) int {
		if c := strings.Compare(a.key(), b.key()); c != 0 {
			return c
		}
		return strings.Compare(a.String(), b.String())
	})
	return rows
}

// diffRows lists the rows of a and b that the other lacks (at most 20 of each), or "" when
// they agree row for row.
func diffRows(a, b []rowFields) string {
	var minus, plus []string
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i].same(b[j]):
			i, j = i+1, j+1
		case j >= len(b) || (i < len(a) && a[i].key() < b[j].key()):
			minus = append(minus, a[i].String())
			i++
		case i >= len(a) || b[j].key() < a[i].key():
			plus = append(plus, b[j].String())
			j++
		default: // same key, different rows
			minus, plus = append(minus, a[i].String()), append(plus, b[j].String())
			i, j = i+1, j+1
		}
	}
	if len(minus) == 0 && len(plus) == 0 {
		return ""
	}
	var s strings.Builder
	for k, m := range minus {
		if k == 20 {
			fmt.Fprintf(&s, "- ... %d more\n", len(minus)-20)
			break
		}
		fmt.Fprintf(&s, "- %s\n", m)
	}
	for k, p := range plus {
		if k == 20 {
			fmt.Fprintf(&s, "+ ... %d more\n", len(plus)-20)
			break
		}
		fmt.Fprintf(&s, "+ %s\n", p)
	}
	return s.String()
}

// waitReplicated waits until no replica of cl has replication work queued, so that
// every replica holds every part written.
func waitReplicated(t *testing.T, cl *chtest.Cluster) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for _, n := range cl.Nodes {
		for {
			q := n.Query(t, "SELECT sum(queue_size) + sum(inserts_in_queue) FROM system.replicas WHERE database = currentDatabase()")
			if q == "0" {
				break
			}
			require.True(t, time.Now().Before(deadline), "%s: replication queue %s after a minute", n.Addr(), q)
			time.Sleep(100 * time.Millisecond)
		}
	}
}
