package chserver

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNodeConfigGolden(t *testing.T) {
	c, err := ClusterOptions{Dir: "/srv/tw", TCPPort: 100, HTTPPort: 200, InterserverPort: 300, ZooKeeperPort: 400}.resolve()
	require.NoError(t, err)
	r, err := resolve(c.nodes[1].Options)
	require.NoError(t, err)
	dir := t.TempDir()
	r.dir = dir
	require.NoError(t, r.writeConfig())
	got, err := os.ReadFile(filepath.Join(dir, configName))
	require.NoError(t, err)
	got = []byte(strings.ReplaceAll(string(got), dir, "/srv/tw/s1r2"))
	golden := filepath.Join("testdata", "node.xml.golden")
	if *update {
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

func TestClusterResolveErrors(t *testing.T) {
	tests := []struct {
		name string
		opts ClusterOptions
		want string
	}{
		{"overlapping ranges", ClusterOptions{TCPPort: 5000, HTTPPort: 5002}, "node 0 http port 5002 is also the node 2 tcp port"},
		{"zookeeper inside a range", ClusterOptions{TCPPort: 5000, HTTPPort: 6000, InterserverPort: 7000, ZooKeeperPort: 5001}, "node 1 tcp port 5001 is also the zookeeper port"},
		{"bad name", ClusterOptions{Name: "a-b"}, "cluster name"},
		{"too many nodes", ClusterOptions{Shards: 5, Replicas: 4}, "expected 1 to 16 nodes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.opts.resolve()
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// TestClusterReplicatesAndShards starts a 2 x 2 cluster with ZooKeeper,
// creates a replicated table ON CLUSTER behind a Distributed one, and checks
// that rows are split over the shards, copied to both replicas of each, that
// a killed replica catches up after its restart, and that stopping leaves no
// process behind.
func TestClusterReplicatesAndShards(t *testing.T) {
	integration(t)
	_, _, err := FindZooKeeper("")
	require.NoError(t, err, "cluster tests need zookeeper (apt package zookeeper)")
	opts, err := FreeClusterPorts(ClusterOptions{Dir: filepath.Join(t.TempDir(), "cluster"), Name: "test"})
	require.NoError(t, err)
	ctx := context.Background()
	t.Cleanup(func() {
		require.NoError(t, StopCluster(context.Background(), opts))
		st, err := InspectCluster(context.Background(), opts)
		require.NoError(t, err)
		require.Zero(t, st.ZooKeeperPID)
		for _, n := range st.Nodes {
			require.Zero(t, n.PID, "node %d/%d", n.Shard, n.Replica)
		}
	})
	st, err := StartCluster(ctx, opts)
	require.NoError(t, err)
	require.True(t, st.Running)
	require.Len(t, st.Addrs(), 4)
	nodes, err := opts.Nodes()
	require.NoError(t, err)

	q := func(n ClusterNode, sql string) string {
		t.Helper()
		out, err := exec.Command("clickhouse-client", "--host", Host, "--port", strconv.Itoa(n.Options.TCPPort),
			"--insert_distributed_sync=1", "--query", sql).CombinedOutput()
		require.NoError(t, err, "%s: %s", sql, out)
		return strings.TrimSpace(string(out))
	}
	require.Equal(t, "4", q(nodes[0], "SELECT count() FROM system.clusters WHERE cluster = 'test'"))
	q(nodes[0], "CREATE DATABASE db ON CLUSTER test")
	q(nodes[0], "CREATE TABLE db.t_local ON CLUSTER test (id UInt64) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/db/t_local', '{replica}') ORDER BY id")
	q(nodes[0], "CREATE TABLE db.t ON CLUSTER test AS db.t_local ENGINE = Distributed(test, db, t_local, cityHash64(id))")
	q(nodes[1], "INSERT INTO db.t SELECT number FROM numbers(10000)")
	require.Equal(t, "10000", q(nodes[3], "SELECT count() FROM db.t"))
	s1 := q(nodes[0], "SELECT count() FROM db.t_local")
	s2 := q(nodes[2], "SELECT count() FROM db.t_local")
	a, _ := strconv.Atoi(s1)
	b, _ := strconv.Atoi(s2)
	require.Equal(t, 10000, a+b)
	require.Greater(t, a, 4000, "both shards get rows")
	require.Greater(t, b, 4000, "both shards get rows")
	q(nodes[1], "SYSTEM SYNC REPLICA db.t_local")
	require.Equal(t, s1, q(nodes[1], "SELECT count() FROM db.t_local"), "replica 2 of shard 1")

	// A replica that was down while rows arrived fetches them when it returns.
	require.NoError(t, Kill(nodes[3].Options))
	q(nodes[0], "INSERT INTO db.t SELECT number FROM numbers(10000, 5000)")
	_, err = Start(ctx, nodes[3].Options)
	require.NoError(t, err)
	q(nodes[3], "SYSTEM SYNC REPLICA db.t_local")
	require.Equal(t, q(nodes[2], "SELECT count() FROM db.t_local"), q(nodes[3], "SELECT count() FROM db.t_local"))
	require.Equal(t, "15000", q(nodes[3], "SELECT count() FROM db.t"))

	again, err := StartCluster(ctx, opts)
	require.NoError(t, err)
	require.Equal(t, st.ZooKeeperPID, again.ZooKeeperPID, "a running cluster is left as it is")
}
