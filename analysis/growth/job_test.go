package growth

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/job/jobtest"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

func TestRunInClickHouse(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clickhouse-server; skipped under -short")
	}
	srv, db, wopts := jobtest.Store(t)
	ctx := context.Background()

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
	// Channel 3 is logistic (K = 20000, r = 0.1 a day, N0 = 500), channel 4 a clean
	// exponential at 1% a day: AIC picks the logistic for 3 only (TestModelChoiceRates
	// has the rates at which it errs).
	r = rand.New(rand.NewPCG(7, 8))
	for h := 0; h < 90*24; h += 6 {
		at := t0.Add(time.Duration(h) * time.Hour)
		d := float64(h) / 24
		lg := 20000 / (1 + (20000.0-500)/500*math.Exp(-0.1*d)) * (1 + 0.003*r.NormFloat64())
		ex := 3000 * math.Exp(0.01*d) * (1 + 0.003*r.NormFloat64())
		require.NoError(t, w.Write(ctx,
			schema.ChannelSnapshot{Platform: "telegram", ChannelID: 3, SnapshotAt: at, Subscribers: uint64(math.Round(lg)), Status: "active"},
			schema.ChannelSnapshot{Platform: "telegram", ChannelID: 4, SnapshotAt: at, Subscribers: uint64(math.Round(ex)), Status: "active"}))
	}
	require.NoError(t, w.Write(ctx,
		schema.ChannelSnapshot{Platform: "telegram", ChannelID: 2, SnapshotAt: t0.Add(time.Hour), Subscribers: 10, Status: "active"},
		schema.ChannelSnapshot{Platform: "telegram", ChannelID: 2, SnapshotAt: t0.Add(49 * time.Hour), Subscribers: 12, Status: "active"},
	))
	require.NoError(t, w.Close(ctx))
	// Channel 1 is in community "east", whose attack on day 50 is the jump; channel 4 is in
	// "west", which no event concerns.
	cw, err := store.NewWriter[schema.Community](db, schema.TableCommunities, wopts)
	require.NoError(t, err)
	require.NoError(t, cw.Write(ctx,
		schema.Community{Community: "east", Platform: "telegram", ChannelID: 1, Source: "manual", AddedAt: t0, Version: 1},
		schema.Community{Community: "west", Platform: "telegram", ChannelID: 4, Source: "manual", AddedAt: t0, Version: 1}))
	require.NoError(t, cw.Close(ctx))
	ew, err := store.NewWriter[schema.Event](db, schema.TableEvents, wopts)
	require.NoError(t, err)
	require.NoError(t, ew.Write(ctx, schema.Event{EventID: "attack-1", EventAt: t0.AddDate(0, 0, 50), Platform: "telegram", Kind: "attack",
		TargetKind: "community", Targets: []string{"east"}, Origin: "registry", Version: 1}))
	require.NoError(t, ew.Close(ctx))

	p := job.Params{From: t0, To: t0.AddDate(0, 0, 90), Scope: job.Scope{Kind: job.ScopePlatform}}
	sum, err := Run(ctx, db, Options{Params: p, Meta: job.Meta{CodeVersion: "test", Writer: wopts}})
	require.NoError(t, err)
	require.Equal(t, Summary{RunID: sum.RunID, Status: "ok", Channels: 4, Fitted: 3, Logistic: 2, Skipped: 1, Jumps: 1}, sum)
	// Read one channel at a time, on one worker: the same result.
	one, err := Run(ctx, db, Options{Params: p, BatchRows: 1, Workers: 1, Meta: job.Meta{CodeVersion: "test", Writer: wopts}})
	require.NoError(t, err)
	require.Equal(t, Summary{RunID: one.RunID, Status: "ok", Channels: 4, Fitted: 3, Logistic: 2, Skipped: 1, Jumps: 1}, one)
	require.Equal(t, "4", srv.Query(t, "SELECT count() FROM growth_channels WHERE run_id = '"+one.RunID+"'"))
	require.Equal(t, "0", srv.Query(t, "SELECT count() FROM (SELECT platform, channel_id, exp_rate, growth_30d FROM growth_channels WHERE run_id = '"+sum.RunID+
		"') ALL FULL OUTER JOIN (SELECT platform, channel_id, exp_rate AS r2, growth_30d AS g2 FROM growth_channels WHERE run_id = '"+one.RunID+
		"') USING (platform, channel_id) WHERE NOT (exp_rate = r2 OR (isNaN(exp_rate) AND isNaN(r2))) OR NOT (growth_30d = g2 OR (isNaN(growth_30d) AND isNaN(g2)))"))

	rows, err := store.Select[schema.GrowthChannel](ctx, db, "SELECT "+store.Columns[schema.GrowthChannel]()+
		" FROM "+db.Table(schema.TableGrowthChannels)+" WHERE run_id = ? ORDER BY channel_id", sum.RunID)
	require.NoError(t, err)
	require.Len(t, rows, 4)
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

	models, err := store.Select[schema.GrowthModel](ctx, db, "SELECT "+store.Columns[schema.GrowthModel]()+
		" FROM "+db.Table(schema.TableGrowthModels)+" WHERE run_id = ? ORDER BY channel_id", sum.RunID)
	require.NoError(t, err)
	require.Len(t, models, 4)
	// The planted logistic's parameters lie inside the fitted intervals.
	m3 := models[2]
	require.Equal(t, "logistic", m3.Model)
	require.Equal(t, "ok", m3.LogisticStatus)
	require.True(t, m3.KLo <= 20000 && 20000 <= m3.KHi, "K in [%g, %g]", m3.KLo, m3.KHi)
	require.True(t, m3.RLo <= 0.1 && 0.1 <= m3.RHi, "r in [%g, %g]", m3.RLo, m3.RHi)
	require.Less(t, m3.LogisticAIC, m3.ExpAIC)
	require.Equal(t, "exponential", models[3].Model)
	require.Equal(t, "skipped", models[1].LogisticStatus)
	require.Empty(t, models[1].Model)
	// Channel 1's jump lies in the attack's window: S(56.75) - S(49.75) of S(89.75) - S(0.75).
	s := func(d float64) float64 {
		v := 1000 * math.Exp(0.02*d)
		if d >= 50 {
			v *= 1.5
		}
		return v
	}
	m1 := models[0]
	require.Equal(t, uint32(1), m1.EventWindows)
	require.Equal(t, uint32(7), m1.WindowDays)
	require.InDelta(t, (s(56.75)-s(49.75))/(s(89.75)-s(0.75)), m1.SpikeShare, 0.01)
	require.Equal(t, uint32(0), models[3].EventWindows)
	require.Zero(t, models[3].SpikeShare)
	require.Equal(t, "community\teast\t1\t1\t0.246\n"+
		"community\twest\t1\t1\t0\n"+
		"platform\ttelegram\t4\t3\t0.062",
		srv.Query(t, "SELECT group_kind, group_name, channels, fitted, round(spike_share, 3) FROM growth_groups WHERE run_id = '"+sum.RunID+"' ORDER BY group_kind, group_name"))

	require.Equal(t, "pelt\t2026-02-20", srv.Query(t, "SELECT method, day FROM growth_jumps WHERE run_id = '"+sum.RunID+"' AND method = 'pelt'"))
	require.Equal(t, "360\t272", srv.Query(t, "SELECT count(), sum(observed) FROM growth_series WHERE run_id = '"+sum.RunID+"'"))
	require.Equal(t, "ok\t['channels','events','fitted','jumps','logistic','skipped']\t[4,1,3,1,2,1]", srv.Query(t, "SELECT status, count_names, count_values FROM runs FINAL WHERE run_id = '"+sum.RunID+"'"))

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
