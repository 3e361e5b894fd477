package takedowns

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/job/jobtest"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

func TestRunInClickHouse(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clickhouse-server; skipped under -short")
	}
	srv, db, wopts := jobtest.Store(t)
	ctx := context.Background()

	cw, err := store.NewWriter[schema.Channel](db, schema.TableChannels, wopts)
	require.NoError(t, err)
	ew, err := store.NewWriter[schema.ChannelEvent](db, schema.TableChannelEvents, wopts)
	require.NoError(t, err)
	// Telegram: the 6-MP remission times of Freireich et al. (1963) as lifetimes in days,
	// every channel created and first seen at t0; the ones with an event went private then
	// (and one of them again later, which does not count), the others are still public and
	// were last seen then. Expected: the R survival values of stats' TestKaplanMeierSixMP.
	times := []float64{6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35}
	event := []bool{true, true, true, false, true, false, true, false, false, true, true, false, false, false, true, true, false, false, false, false, false}
	for i, d := range times {
		id := uint64(100 + i)
		end := t0.Add(time.Duration(d * float64(day)))
		c := schema.Channel{Platform: "telegram", ChannelID: id, Status: schema.StatusActive, CreatedAt: t0, FirstSeenAt: t0, LastSeenAt: end, Version: 1}
		if event[i] {
			c.Status = schema.StatusPrivate
			c.LastSeenAt = end.Add(-time.Hour)
			require.NoError(t, ew.Write(ctx,
				schema.ChannelEvent{Platform: "telegram", ChannelID: id, EventAt: end, Kind: schema.EventWentPrivate, DetectedAt: end},
				schema.ChannelEvent{Platform: "telegram", ChannelID: id, EventAt: end.Add(3 * day), Kind: schema.EventDeleted, DetectedAt: end.Add(3 * day)}))
		}
		require.NoError(t, cw.Write(ctx, c))
	}
	// Twitter, the edge cases: a suspended account stored with its status and no event (ends
	// at its last sighting); one first seen 10 days after its creation (delayed entry); one
	// without a creation date (origin: first seen); one gone before the range; one first
	// seen after it; one gone the moment it was first seen.
	tw := func(id uint64, created, first, last time.Time, status string) schema.Channel {
		return schema.Channel{Platform: "twitter", ChannelID: id, Status: status, CreatedAt: created, FirstSeenAt: first, LastSeenAt: last, Version: 1}
	}
	require.NoError(t, cw.Write(ctx,
		tw(1, t0, t0, t0.Add(8*day), schema.StatusBanned),
		tw(2, t0, t0.Add(10*day), t0.Add(40*day), schema.StatusActive),
		tw(3, time.Unix(0, 0), t0.Add(2*day), t0.Add(12*day), schema.StatusActive),
		tw(4, t0.Add(-90*day), t0.Add(-90*day), t0.Add(-60*day), schema.StatusDeleted),
		tw(5, t0, t0.Add(400*day), t0.Add(401*day), schema.StatusActive),
		tw(6, t0, t0.Add(5*day), t0.Add(5*day), schema.StatusActive),
	))
	require.NoError(t, ew.Write(ctx, schema.ChannelEvent{Platform: "twitter", ChannelID: 6, EventAt: t0.Add(5 * day), Kind: schema.EventBanned, DetectedAt: t0.Add(5 * day)}))
	require.NoError(t, cw.Close(ctx))
	require.NoError(t, ew.Close(ctx))
	rw, err := store.NewWriter[schema.Event](db, schema.TableEvents, wopts)
	require.NoError(t, err)
	require.NoError(t, rw.Write(ctx,
		schema.Event{EventID: "takedown-1", EventAt: t0.Add(-day), Kind: "takedown", TargetKind: "platform", Origin: "registry", Version: 1},
		schema.Event{EventID: "seen", EventAt: t0.Add(day), Kind: "went_private", Origin: "detected", Version: 1}))
	require.NoError(t, rw.Close(ctx))

	p := job.Params{From: t0.Add(-30 * day), To: t0.Add(365 * day), Scope: job.Scope{Kind: job.ScopePlatform, Values: []string{"telegram"}}}
	sum, err := Run(ctx, db, Options{Params: p, Meta: job.Meta{CodeVersion: "test", Writer: wopts}})
	require.NoError(t, err)
	require.Equal(t, job.StatusOK, sum.Status)
	require.Equal(t, 21, sum.Channels)
	require.Equal(t, 9, sum.Ended)
	require.Len(t, sum.Cohorts, 3, "all, before and after the registry event; the detected one is no cohort")
	all := sum.Cohorts[0]
	require.Equal(t, CohortAll, all.Name)
	require.Equal(t, 23.0, all.Median)
	require.Equal(t, 16.0, all.MedianLo)
	require.True(t, math.IsNaN(all.MedianHi))
	require.Equal(t, "before:takedown-1", sum.Cohorts[1].Name)
	require.Equal(t, StatusSkipped, sum.Cohorts[1].Status, "every channel was created after the takedown")
	require.Equal(t, "after:takedown-1", sum.Cohorts[2].Name)
	require.Equal(t, 23.0, sum.Cohorts[2].Median)

	run := "'" + sum.RunID + "'"
	require.Equal(t, "6\t21\t3\t0.857\t0.0764\t0.72\t1\n7\t17\t1\t0.807\t0.0869\t0.653\t0.996",
		srv.Query(t, "SELECT time_days, at_risk, ended, round(survival, 3), round(se, 4), round(lo, 3), round(hi, 3) FROM takedowns_survival WHERE run_id = "+run+" AND cohort = 'all' ORDER BY time_days LIMIT 2"))
	require.Equal(t, "went_private\t9\n\t12", srv.Query(t, "SELECT end_kind, count() FROM takedowns_lifetimes WHERE run_id = "+run+" GROUP BY end_kind ORDER BY end_kind DESC"))

	p.Scope.Values = []string{"twitter"}
	sum, err = Run(ctx, db, Options{Params: p, Meta: job.Meta{CodeVersion: "test", Writer: wopts}})
	require.NoError(t, err)
	require.Equal(t, 4, sum.Channels, "the one gone before the range and the one seen after it are left out")
	require.Equal(t, 3, sum.Entered)
	require.Equal(t, job.StatusOK, sum.Status)
	require.Equal(t, StatusSkipped, sum.Cohorts[0].Status, "3 channels are too few for a curve")
	require.Equal(t, "1\tcreated\t0\t8\t1\tstatus\tok\n"+
		"2\tcreated\t10\t40\t0\t\tok\n"+
		"3\tfirst_seen\t0\t10\t0\t\tok\n"+
		"6\tcreated\t5\t5\t1\tbanned\tskipped",
		srv.Query(t, "SELECT channel_id, origin, entry_days, exit_days, ended, end_kind, status FROM takedowns_lifetimes WHERE run_id = '"+sum.RunID+"' ORDER BY channel_id"))

	_, err = Run(ctx, db, Options{Params: job.Params{From: t0, To: t0}})
	require.True(t, job.IsParamError(err))
}
