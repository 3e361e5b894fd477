package truthdb

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/tgsim/world"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/store"
)

// testTruth is the truth of a 40-channel default world after 30 days, with
// snapshots every two days and counters at 1 h and 24 h.
func testTruth(t testing.TB, until time.Duration) *world.Truth {
	t.Helper()
	w, err := world.Generate(world.DefaultSpec(40), 7)
	require.NoError(t, err)
	var snaps []time.Time
	for at := w.Start(); !at.After(w.Start().Add(until)); at = at.Add(48 * time.Hour) {
		snaps = append(snaps, at)
	}
	tr, err := w.Truth(world.TruthOptions{
		SnapshotTimes: snaps,
		CounterAges:   []time.Duration{time.Hour, 24 * time.Hour},
		Until:         w.Start().Add(until),
	})
	require.NoError(t, err)
	return tr
}

func TestBuild(t *testing.T) {
	tr := testTruth(t, 45*24*time.Hour)
	rows, err := Build(tr, "run-1", time.Date(2026, 5, 1, 12, 0, 0, 5, time.UTC))
	require.NoError(t, err)

	changepoints, attacks, counters := 0, 0, 0
	for _, c := range tr.Channels {
		changepoints += len(c.Growth.Changepoints)
	}
	for _, e := range tr.WorldEvents {
		attacks += len(e.Channels)
	}
	weights := 0
	for _, c := range tr.Channels {
		weights += len(c.SourceWeights)
	}
	for _, p := range tr.Posts {
		counters += len(p.Counters)
	}
	require.Positive(t, attacks)
	for _, tc := range []struct {
		table string
		want  int
	}{
		{schema.TableTruthWorlds, 1},
		{schema.TableTruthCommunities, len(tr.Communities)},
		{schema.TableTruthChannels, len(tr.Channels)},
		{schema.TableTruthSubscribers, len(tr.Snapshots)},
		{schema.TableTruthChangepoints, changepoints},
		{schema.TableTruthWorldEvents, len(tr.WorldEvents)},
		{schema.TableTruthChannelEvents, len(tr.Events)},
		{schema.TableTruthAttacks, attacks},
		{schema.TableTruthReincarnations, len(tr.Reincarnations)},
		{schema.TableTruthLinkMix, len(tr.LinkMix) * len(tr.Platforms)},
		{schema.TableTruthForwardWeights, weights},
		{schema.TableTruthPosts, len(tr.Posts)},
		{schema.TableTruthPostCounters, counters},
	} {
		t.Run(tc.table, func(t *testing.T) {
			require.Equal(t, tc.want, rows.Counts()[tc.table])
			require.Positive(t, tc.want, "the test world fills every table")
		})
	}
	require.Len(t, rows.Counts(), len(schema.TruthTables))

	w := rows.Worlds[0]
	require.Equal(t, "run-1", w.RunID)
	require.Equal(t, time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), w.LoadedAt)
	require.Contains(t, w.Spec, `"channels":40`)
	digest, err := Digest(tr)
	require.NoError(t, err)
	require.Equal(t, digest, w.TruthSHA256)
	require.Len(t, digest, 64)

	// Attacks say which channels jumped, by the factor of their changepoint.
	jumped := 0
	for _, a := range rows.Attacks {
		if a.Jumped == 1 {
			jumped++
			require.Greater(t, a.JumpFactor, 0.0)
		} else {
			require.Zero(t, a.JumpFactor)
		}
		require.Equal(t, int32(1), a.Community)
	}
	require.Positive(t, jumped)

	// Channel events are numbered within each channel.
	next := map[uint64]uint32{}
	for _, e := range rows.ChannelEvents {
		require.Equal(t, next[e.ChannelID], e.Seq)
		next[e.ChannelID]++
	}

	// Every (event, community) mix sums to 1 on both sides.
	sums := map[[2]uint32][2]float64{}
	for _, m := range rows.LinkMix {
		k := [2]uint32{m.EventIndex, m.Community}
		s := sums[k]
		sums[k] = [2]float64{s[0] + m.ShareBefore, s[1] + m.ShareAfter}
	}
	for k, s := range sums {
		require.InDelta(t, 1, s[0], 1e-9, "%v", k)
		require.InDelta(t, 1, s[1], 1e-9, "%v", k)
	}

	for _, bad := range []string{"", "  "} {
		_, err := Build(tr, bad, time.Now())
		require.ErrorContains(t, err, "empty run id")
	}
}

func integration(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts clickhouse-server; skipped under -short")
	}
}

// openMigrated starts a throwaway ClickHouse with every migration applied and opens it.
func openMigrated(t testing.TB) *store.DB {
	t.Helper()
	srv := chtest.Migrated(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := store.Open(ctx, store.Options{Addr: []string{srv.Addr()}, Database: srv.Database})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// finalCounts counts each truth table's rows of a run, read with FINAL.
func finalCounts(t testing.TB, db *store.DB, runID string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range schema.TruthTables {
		var n uint64
		q := "SELECT count() FROM " + db.Table(table) + " FINAL WHERE run_id = ?"
		require.NoError(t, db.QueryRow(context.Background(), q, runID).Scan(&n), q)
		out[table] = int(n)
	}
	return out
}

func TestLoad(t *testing.T) {
	integration(t)
	db := openMigrated(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tr := testTruth(t, 45*24*time.Hour)
	want, err := Build(tr, "sim-1", time.Now())
	require.NoError(t, err)

	// Load with the writers' default options (their spool folder is
	// relative: keep it in a temporary working folder).
	t.Chdir(t.TempDir())
	require.NoError(t, Load(ctx, db, tr, "sim-1"))
	require.Equal(t, want.Counts(), finalCounts(t, db, "sim-1"))

	t.Run("joins", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			query string
			check func(t *testing.T, v float64)
		}{
			{"every snapshot joins its channel",
				`SELECT count() FROM (SELECT run_id, platform, channel_id FROM ` + db.Table(schema.TableTruthSubscribers) + ` FINAL WHERE run_id = 'sim-1')
				 ALL INNER JOIN (SELECT run_id, platform, channel_id FROM ` + db.Table(schema.TableTruthChannels) + ` FINAL) USING (run_id, platform, channel_id)`,
				func(t *testing.T, v float64) { require.Equal(t, float64(len(tr.Snapshots)), v) }},
			{"observed subscribers stay within the noise of the model",
				`SELECT max(abs(s.observed - s.model) / (3 * c.noise * s.model + 1)) FROM
				 (SELECT run_id, platform, channel_id, toFloat64(observed) AS observed, model FROM ` + db.Table(schema.TableTruthSubscribers) + ` FINAL WHERE run_id = 'sim-1' AND status = 'active') s
				 ANY INNER JOIN (SELECT run_id, platform, channel_id, noise FROM ` + db.Table(schema.TableTruthChannels) + ` FINAL) c USING (run_id, platform, channel_id)`,
				func(t *testing.T, v float64) { require.LessOrEqual(t, v, 1.0) }},
			{"reincarnations carry over what their channel row says",
				`SELECT count() FROM (SELECT run_id, platform, channel_id, carryover AS r_carry, predecessor_id AS r_pred FROM ` + db.Table(schema.TableTruthReincarnations) + ` FINAL WHERE run_id = 'sim-1')
				 ANY INNER JOIN (SELECT run_id, platform, channel_id, carryover, predecessor_id FROM ` + db.Table(schema.TableTruthChannels) + ` FINAL) USING (run_id, platform, channel_id)
				 WHERE r_carry = carryover AND r_pred = predecessor_id AND carryover > 0`,
				func(t *testing.T, v float64) { require.Equal(t, float64(len(tr.Reincarnations)), v) }},
			{"posts' mean final over expected views is the ERR factor",
				`SELECT avg(final_views / expected_views) FROM ` + db.Table(schema.TableTruthPosts) + ` FINAL WHERE run_id = 'sim-1' AND service = 0 AND burst = 1`,
				func(t *testing.T, v float64) { require.InEpsilon(t, math.Exp(0.125), v, 0.1) }},
			{"attacked channels are in the attack's community",
				`SELECT countIf(a.community != toInt32(c.community)) FROM (SELECT run_id, platform, channel_id, community FROM ` + db.Table(schema.TableTruthAttacks) + ` FINAL WHERE run_id = 'sim-1') a
				 ANY INNER JOIN (SELECT run_id, platform, channel_id, community FROM ` + db.Table(schema.TableTruthChannels) + ` FINAL) c USING (run_id, platform, channel_id)`,
				func(t *testing.T, v float64) { require.Zero(t, v) }},
			{"forward weights sum to 1 per channel",
				`SELECT max(abs(s - 1)) FROM (SELECT channel_id, sum(weight) AS s FROM ` + db.Table(schema.TableTruthForwardWeights) + ` FINAL WHERE run_id = 'sim-1' GROUP BY channel_id)`,
				func(t *testing.T, v float64) { require.Less(t, v, 1e-9) }},
			{"the takedown shifts every community's links",
				`SELECT min(js_shift) FROM ` + db.Table(schema.TableTruthLinkMix) + ` FINAL WHERE run_id = 'sim-1' AND taken_down = 'twitter'`,
				func(t *testing.T, v float64) { require.Greater(t, v, 0.0) }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var v float64
				require.NoError(t, db.QueryRow(ctx, "SELECT toFloat64(("+tc.query+"))").Scan(&v))
				tc.check(t, v)
			})
		}
	})

	t.Run("the same truth again changes nothing", func(t *testing.T) {
		counts, err := LoadWith(ctx, db, tr, "sim-1", store.WriterOptions{SpoolDir: t.TempDir()})
		require.NoError(t, err)
		require.Equal(t, want.Counts(), counts)
		require.Equal(t, want.Counts(), finalCounts(t, db, "sim-1"))
	})

	t.Run("another truth needs another run id", func(t *testing.T) {
		other := testTruth(t, 20*24*time.Hour)
		_, err := LoadWith(ctx, db, other, "sim-1", store.WriterOptions{SpoolDir: t.TempDir()})
		require.ErrorIs(t, err, ErrRunIDTaken)
		require.Equal(t, want.Counts(), finalCounts(t, db, "sim-1"), "nothing of it was written")

		counts, err := LoadWith(ctx, db, other, "sim-2", store.WriterOptions{SpoolDir: t.TempDir()})
		require.NoError(t, err)
		require.Equal(t, counts, finalCounts(t, db, "sim-2"))
		require.Less(t, counts[schema.TableTruthPosts], want.Counts()[schema.TableTruthPosts])
		require.Equal(t, want.Counts(), finalCounts(t, db, "sim-1"), "runs stay apart")
	})
}
