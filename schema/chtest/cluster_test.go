package chtest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMigratedCluster(t *testing.T) {
	c := MigratedCluster(t)
	require.Len(t, c.Nodes, 4)
	for _, n := range c.Nodes {
		// Every node has the local and the Distributed table of each table.
		require.Equal(t, "2", n.Query(t, "SELECT count() FROM system.tables WHERE database = 'tidewatch' AND name IN ('posts', 'posts_local')"))
		require.Equal(t, "Distributed", n.Query(t, "SELECT engine FROM system.tables WHERE database = 'tidewatch' AND name = 'posts'"))
		require.Equal(t, "ReplicatedReplacingMergeTree", n.Query(t, "SELECT engine FROM system.tables WHERE database = 'tidewatch' AND name = 'posts_local'"))
	}
}
