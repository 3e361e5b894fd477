package chtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tidewatch/tidewatch/schema/chserver"
	"github.com/tidewatch/tidewatch/schema/migrate"
)

// Cluster is a throwaway local cluster: ZooKeeper and 2 shards x 2 replicas
// of clickhouse-server on free loopback ports.
type Cluster struct {
	// Options are the chserver cluster options it runs with.
	Options chserver.ClusterOptions
	// Name is the cluster's name, the one migrate.Options.Cluster takes.
	Name string
	// Database is the database of Addrs' connections: "default" for
	// StartCluster, the migrated one for MigratedCluster.
	Database string
	// Nodes are the servers shard by shard (shard 1 replica 1, shard 1
	// replica 2, shard 2 replica 1, ...), each usable like a single test
	// server: Query, Client, Kill, Restart.
	Nodes []*Server
}

// ClusterName is the name of every test cluster.
const ClusterName = "tidewatch"

// StartCluster runs a fresh 2 x 2 cluster for t and stops it when t ends,
// checking that no process is left behind. Missing ZooKeeper (Debian's
// zookeeper package) or clickhouse-server fails the test.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	if _, err := chserver.FindBinary(""); err != nil {
		t.Fatalf("chtest: %v", err)
	}
	if _, _, err := chserver.FindZooKeeper(""); err != nil {
		t.Fatalf("chtest: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "cluster")
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		opts, err := chserver.FreeClusterPorts(chserver.ClusterOptions{Dir: dir, Name: ClusterName, Database: migrate.DefaultDatabase})
		if err != nil {
			t.Fatalf("chtest: %v", err)
		}
		st, err := chserver.StartCluster(context.Background(), opts)
		if errors.Is(err, chserver.ErrPortInUse) {
			lastErr = err
			continue
		}
		if err != nil {
			t.Fatalf("chtest: start cluster: %v", err)
		}
		c := &Cluster{Options: opts, Name: ClusterName, Database: "default"}
		nodes, err := opts.Nodes()
		if err != nil {
			t.Fatalf("chtest: %v", err)
		}
		for i, n := range nodes {
			c.Nodes = append(c.Nodes, &Server{Options: n.Options, Database: "default", pid: st.Nodes[i].PID})
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if err := chserver.StopCluster(ctx, opts); err != nil {
				t.Errorf("chtest: stop cluster: %v", err)
			}
			st, err := chserver.InspectCluster(ctx, opts)
			if err != nil {
				t.Errorf("chtest: inspect cluster: %v", err)
				return
			}
			if st.ZooKeeperPID != 0 {
				t.Errorf("chtest: zookeeper %d still recorded after stop", st.ZooKeeperPID)
			}
			for _, n := range st.Nodes {
				if n.PID != 0 {
					t.Errorf("chtest: clickhouse-server %d still recorded after stop", n.PID)
				}
			}
		})
		return c
	}
	t.Fatalf("chtest: no free ports: %v", lastErr)
	return nil
}

// MigratedCluster runs a fresh cluster with every embedded migration
// applied ON CLUSTER to migrate.DefaultDatabase.
func MigratedCluster(t testing.TB) *Cluster {
	t.Helper()
	c := StartCluster(t)
	conn := c.Nodes[0].Conn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := migrate.Migrate(ctx, conn, migrate.Options{Database: migrate.DefaultDatabase, Cluster: c.Name}); err != nil {
		t.Fatalf("chtest: migrate cluster: %v\n%s", err, c.errorLogs())
	}
	c.Database = migrate.DefaultDatabase
	for _, n := range c.Nodes {
		n.Database = c.Database
	}
	return c
}

// Addrs lists every node's native address, for a client of the cluster.
func (c *Cluster) Addrs() []string {
	var out []string
	for _, n := range c.Nodes {
		out = append(out, n.Addr())
	}
	return out
}

// errorLogs returns the last lines of every node's error log, for failures.
func (c *Cluster) errorLogs() string {
	var b strings.Builder
	for _, n := range c.Nodes {
		data, err := os.ReadFile(filepath.Join(n.Options.Dir, "log", "clickhouse-server.err.log"))
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > 8 {
			lines = lines[len(lines)-8:]
		}
		fmt.Fprintf(&b, "== %s\n%s\n", n.Options.Dir, strings.Join(lines, "\n"))
	}
	return b.String()
}
