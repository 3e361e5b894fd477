package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/tgsim/world"
	"github.com/tidewatch/tidewatch/schema"
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
