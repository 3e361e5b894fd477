package growth

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/store"
)

func TestRunInClickHouse(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clickhouse-server; skipped under -short")
	}
	srv := chtest.Migrated(t)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{Addr: []string{srv.Addr()}, Database: srv.Database})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	wopts := store.WriterOptions{SpoolDir: t.TempDir()}

	// Channel 1 grows at 2% a day, snapshots every 6 hours, with a 1.5x jump on day 50;
	// channel 2 has two snapshots only.
	r := rand.New(rand.NewPCG(5, 6))
	w, err := store.NewWriter[schema.ChannelSnapshot](db, schema.TableChannelSnapshots, wopts)
	require.NoError(t, err)
	for h := 0; h < 90*24; h += 6 {
		at := t0.Add(time.Duration(h) * time.Hour)
		d := float64(h) / 24
		v := 1000 * math.Exp(0.02*d) * (1 + 0.002*r.NormFloat64())
		if d >= 50 {
			v *= 1.5
		}
		require.NoError(t, w.Write(ctx, schema.ChannelSnapshot{Platform: "telegram", ChannelID: 1, SnapshotAt: at, Subscribers: uint64(math.Round(v)), Status: "active"}))
	}
	require.NoError(t, w.Write(ctx,
		schema.ChannelSnapshot{Platform: "telegram", ChannelID: 2, SnapshotAt: t0.Add(time.Hour), Subscribers: 10, Status: "active"},
		schema.ChannelSnapshot{Platform: "telegram", ChannelID: 2, SnapshotAt: t0.Add(49 * time.Hour), Subscribers: 12, Status: "active"},
	))
	require.NoError(t, w.Close(ctx))

	p := job.Params{From: t0, To: t0.AddDate(0, 0, 90), Scope: job.Scope{Kind: job.ScopePlatform}}
	sum, err := Run(ctx, db, Options{Params: p, Meta: job.Meta{CodeVersion: "test", Writer: wopts}})
	require.NoError(t, err)
	require.Equal(t, Summary{RunID: sum.RunID, Status: "ok", Channels: 2, Fitted: 1, Skipped: 1, Jumps: 1}, sum)

	rows, err := store.Select[schema.GrowthChannel](ctx, db, "SELECT "+store.Columns[schema.GrowthChannel]()+
		" FROM "+db.Table(schema.TableGrowthChannels)+" WHERE run_id = ? ORDER BY channel_id", sum.RunID)
	require.NoError(t, err)
	require.Len(t, rows, 2)
	c1 := rows[0]
	require.Equal(t, "ok", c1.Status)
	require.Equal(t, uint32(90), c1.ObservedDays)
	require.Equal(t, uint32(1), c1.Jumps)
	// The jump pulls the fitted rate up; the 30-day growth after it is the planted 2% a day.
	require.InDelta(t, 100*(math.Exp(0.02*30)-1), c1.Growth30dPct, 1)
	require.Greater(t, c1.ExpRateHi, c1.ExpRateLo)
	c2 := rows[1]
	require.Equal(t, "skipped", c2.Status)
	require.Equal(t, "2 observed days, a fit needs 5", c2.Reason)
	require.True(t, math.IsNaN(c2.ExpRate), "no made-up rate")

	require.Equal(t, "pelt\t2026-02-20", srv.Query(t, "SELECT method, day FROM growth_jumps WHERE run_id = '"+sum.RunID+"' AND method = 'pelt'"))
	require.Equal(t, "180\t92", srv.Query(t, "SELECT count(), sum(observed) FROM growth_series WHERE run_id = '"+sum.RunID+"'"))
	require.Equal(t, "ok\t['channels','fitted','jumps','skipped']\t[2,1,1,1]", srv.Query(t, "SELECT status, count_names, count_values FROM runs FINAL WHERE run_id = '"+sum.RunID+"'"))

	// A range with no snapshots is a skipped run, with its reason and no results.
	empty := job.Params{From: t0.AddDate(1, 0, 0), To: t0.AddDate(1, 1, 0), Scope: job.Scope{Kind: job.ScopePlatform}}
	sum, err = Run(ctx, db, Options{Params: empty, Meta: job.Meta{Writer: wopts}})
	require.NoError(t, err)
	require.Equal(t, "skipped", sum.Status)
	require.Equal(t, "skipped\t['no snapshots of channels in scope in the range']", srv.Query(t, "SELECT status, errors FROM runs FINAL WHERE run_id = '"+sum.RunID+"'"))

	// Bad parameters write nothing.
	before := srv.Query(t, "SELECT count() FROM runs")
	_, err = Run(ctx, db, Options{Params: job.Params{From: t0, To: t0}, Meta: job.Meta{Writer: wopts}})
	require.True(t, job.IsParamError(err))
	_, err = Run(ctx, db, Options{Params: p, MinPoints: 2, Meta: job.Meta{Writer: wopts}})
	require.ErrorContains(t, err, "--min-points")
	require.Equal(t, before, srv.Query(t, "SELECT count() FROM runs"))
}
