package bursts

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

// poisson draws a Poisson count with mean lambda (Knuth; lambda is small here).
func poisson(r *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func TestRunInClickHouse(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clickhouse-server; skipped under -short")
	}
	srv, db, wopts := jobtest.Store(t)
	ctx := context.Background()

	eventAt := t0.Add(35*24*time.Hour + 10*time.Hour + 20*time.Minute)
	ws := eventAt.Truncate(time.Hour)
	dataEnd := ws.Add(3 * 24 * time.Hour)

	r := rand.New(rand.NewPCG(7, 8))
	w, err := store.NewWriter[schema.Post](db, schema.TablePosts, wopts)
	require.NoError(t, err)
	ids := map[job.Key]uint64{}
	post := func(k job.Key, at time.Time, mod func(*schema.Post)) {
		ids[k]++
		p := schema.Post{Platform: k.Platform, ChannelID: k.ChannelID, PostID: ids[k], PostedAt: at, Kind: "post", PostType: "text",
			Source: "collector", Version: uint64(at.UnixNano())}
		if k.Platform != "telegram" {
			p.Source = "import:" + k.Platform
		}
		if mod != nil {
			mod(&p)
		}
		require.NoError(t, w.Write(ctx, p))
	}
	// inWindow[k] and inBase[k][j] count what was planted in the window and in baseline week j+1.
	inWindow := map[job.Key]int{}
	steady := func(k job.Key, from, to time.Time, rate, surge float64) {
		for h := from; h.Before(to); h = h.Add(time.Hour) {
			lambda := rate
			inW := !h.Before(ws) && h.Before(ws.Add(24*time.Hour))
			if inW {
				lambda *= surge
			}
			n := poisson(r, lambda)
			for range n {
				post(k, h.Add(time.Duration(r.IntN(3600))*time.Second), nil)
			}
			if inW {
				inWindow[k] += n
			}
		}
	}
	tg := func(id uint64) job.Key { return job.Key{Platform: "telegram", ChannelID: id} }
	x3 := job.Key{Platform: "twitter", ChannelID: 3}
	fb8 := job.Key{Platform: "facebook", ChannelID: 8}
	// Community a (telegram 1, 2 and an imported twitter account 3) posts 5x as much in the
	// 24 hours after the attack; community b (telegram 4, 5) posts as always.
	for _, k := range []job.Key{tg(1), tg(2), x3} {
		steady(k, t0, dataEnd, 2, 5)
	}
	for _, k := range []job.Key{tg(4), tg(5)} {
		steady(k, t0, dataEnd, 2, 1)
	}
	// Channel 6 starts three days before the attack: too little history.
	steady(tg(6), eventAt.Add(-3*24*time.Hour), dataEnd, 2, 1)
	// Facebook (a member of b) was collected up to 6 hours into the window only.
	steady(fb8, t0, ws.Add(6*time.Hour), 1, 1)
	// Channel 7 posted once long ago, then only in the window: three posts (one stored
	// twice), a deleted one, an album of three messages (one post) and a service message.
	post(tg(7), t0.Add(time.Hour), nil)
	post(tg(7), ws.Add(time.Hour), nil)
	post(tg(7), ws.Add(2*time.Hour), nil)
	post(tg(7), ws.Add(3*time.Hour), nil)
	ids[tg(7)]-- // the same post again, read later
	post(tg(7), ws.Add(3*time.Hour), func(p *schema.Post) { p.Views, p.Version = 10, p.Version+1 })
	post(tg(7), ws.Add(4*time.Hour), func(p *schema.Post) { p.Deleted, p.DeletedAt = 1, ws.Add(5*time.Hour) })
	for range 3 {
		post(tg(7), ws.Add(5*time.Hour), func(p *schema.Post) { p.AlbumID = 9000; p.PostType = "photo" })
	}
	post(tg(7), ws.Add(6*time.Hour), func(p *schema.Post) { p.Kind, p.ServiceAction = "service", "pin" })
	require.NoError(t, w.Close(ctx))

	cw, err := store.NewWriter[schema.Community](db, schema.TableCommunities, wopts)
	require.NoError(t, err)
	m := func(c string, k job.Key, removed uint8, v uint64) schema.Community {
		return schema.Community{Community: c, Platform: k.Platform, ChannelID: k.ChannelID, Source: "manual", AddedAt: t0, Removed: removed, Version: v}
	}
	require.NoError(t, cw.Write(ctx, m("a", tg(1), 0, 1), m("a", tg(2), 0, 1), m("a", x3, 0, 1),
		m("b", tg(4), 0, 1), m("b", tg(5), 0, 1), m("b", fb8, 0, 1),
		// Channel 5 was in a once: the later version removes it.
		m("a", tg(5), 0, 1), m("a", tg(5), 1, 2)))
	require.NoError(t, cw.Close(ctx))

	ew, err := store.NewWriter[schema.Event](db, schema.TableEvents, wopts)
	require.NoError(t, err)
	require.NoError(t, ew.Write(ctx,
		schema.Event{EventID: "attack-1", EventAt: eventAt, Platform: "telegram", Kind: "attack", TargetKind: "community", Targets: []string{"a"},
			Title: "attack", Origin: "registry", Version: 1},
		// Outside the range, deleted, and one with no posts around it.
		schema.Event{EventID: "takedown-0", EventAt: t0.Add(20 * 24 * time.Hour), Kind: "takedown", TargetKind: "platform", Origin: "registry", Version: 1},
		schema.Event{EventID: "attack-x", EventAt: eventAt.Add(time.Hour), Kind: "attack", Origin: "registry", Deleted: 1, Version: 1},
		schema.Event{EventID: "ban-late", EventAt: t0.Add(200 * 24 * time.Hour), Kind: "ban", TargetKind: "platform", Origin: "registry", Version: 1},
	))
	require.NoError(t, ew.Close(ctx))

	p := job.Params{From: t0.Add(30 * 24 * time.Hour), To: t0.Add(40 * 24 * time.Hour), Scope: job.Scope{Kind: job.ScopePlatform}}
	progress := 0
	sum, err := Run(ctx, db, Options{Params: p, Meta: job.Meta{CodeVersion: "test", Writer: wopts}, Progress: func(n int) { progress = n }})
	require.NoError(t, err)
	require.Equal(t, "ok", sum.Status)
	require.Equal(t, 8, progress)
	require.Equal(t, []int{1, 8, 5, 3, 2, 2, 0}, []int{sum.Events, sum.Channels, sum.ChannelsScored, sum.ChannelsSkipped,
		sum.Communities, sum.CommunitiesScored, sum.CommunitiesSkipped})
	require.Equal(t, "ok\t['channels','channels_scored','channels_skipped','communities','communities_scored','communities_skipped','events']\t[8,5,3,2,2,0,1]",
		srv.Query(t, "SELECT status, count_names, count_values FROM runs FINAL WHERE run_id = '"+sum.RunID+"'"))

	// The surging community bursts far beyond 3; the steady one does not.
	require.Len(t, sum.TopCommunities, 2)
	ta, tb := sum.TopCommunities[0], sum.TopCommunities[1]
	require.Equal(t, "a", ta.Community)
	require.Equal(t, "attack-1", ta.EventID)
	t.Logf("z a %.2f, b %.2f", ta.Z, tb.Z)
	require.Greater(t, ta.Z, 3.0)
	require.Equal(t, "b", tb.Community)
	require.Less(t, tb.Z, 3.0)
	require.Len(t, sum.TopChannels, 5)
	for i, b := range sum.TopChannels {
		k := job.Key{Platform: b.Platform, ChannelID: b.ChannelID}
		if i < 3 {
			require.Contains(t, []job.Key{tg(1), tg(2), x3}, k, "the surging channels lead")
			require.Greater(t, b.Z, 3.0)
		} else {
			require.Contains(t, []job.Key{tg(4), tg(5)}, k)
			require.Less(t, b.Z, 3.0)
		}
	}

	rows, err := store.Select[schema.BurstChannel](ctx, db, "SELECT "+store.Columns[schema.BurstChannel]()+
		" FROM "+db.Table(schema.TableBurstsChannels)+" WHERE run_id = ? ORDER BY platform, channel_id", sum.RunID)
	require.NoError(t, err)
	require.Len(t, rows, 8)
	byKey := map[job.Key]schema.BurstChannel{}
	for _, row := range rows {
		byKey[job.Key{Platform: row.Platform, ChannelID: row.ChannelID}] = row
	}
	// The counts pushed down to ClickHouse are the planted ones.
	for _, k := range []job.Key{tg(1), tg(2), x3, tg(4), tg(5)} {
		row := byKey[k]
		require.Equal(t, "ok", row.Status, k)
		require.Equal(t, uint64(inWindow[k]), row.WindowPosts, k)
		require.Len(t, row.BaselinePosts, 4)
		require.Equal(t, ws, row.WindowStart.UTC())
		require.Equal(t, uint16(24), row.WindowHours)
		var mean float64
		for _, b := range row.BaselinePosts {
			mean += float64(b) / 4
		}
		require.InDelta(t, mean, row.BaselineMean, 1e-9)
		require.InDelta(t, (float64(row.WindowPosts)-row.BaselineMean)/row.ZSD, row.Z, 1e-9)
		require.GreaterOrEqual(t, row.ZSD, math.Sqrt(row.BaselineMean))
	}
	require.Equal(t, uint8(1), byKey[tg(1)].Targeted)
	require.Equal(t, uint8(1), byKey[x3].Targeted)
	require.Equal(t, uint8(0), byKey[tg(4)].Targeted, "the attack names community a")

	c6 := byKey[tg(6)]
	require.Equal(t, "skipped", c6.Status)
	require.Contains(t, c6.Reason, "4 weeks of history needed")
	require.True(t, math.IsNaN(c6.Z), "no made-up z")
	c7 := byKey[tg(7)]
	require.Equal(t, "skipped", c7.Status)
	require.Equal(t, uint64(5), c7.WindowPosts, "deleted posts count, albums and duplicates once, service messages not")
	require.Equal(t, []uint64{0, 0, 0, 0}, c7.BaselinePosts)
	require.Equal(t, "no posts in the same hours of the 4 preceding weeks: z is undefined", c7.Reason)
	require.True(t, math.IsNaN(c7.Z))
	c8 := byKey[fb8]
	require.Equal(t, "skipped", c8.Status)
	require.Contains(t, c8.Reason, "window not collected yet: the latest stored facebook post")
	require.True(t, math.IsNaN(c8.Z))

	comms, err := store.Select[schema.BurstCommunity](ctx, db, "SELECT "+store.Columns[schema.BurstCommunity]()+
		" FROM "+db.Table(schema.TableBurstsCommunities)+" WHERE run_id = ? ORDER BY community", sum.RunID)
	require.NoError(t, err)
	require.Len(t, comms, 2)
	ca, cb := comms[0], comms[1]
	require.Equal(t, []any{"a", uint32(3), uint32(0), uint8(1)}, []any{ca.Community, ca.Channels, ca.ChannelsExcluded, ca.Targeted}, "channel 5 left a")
	require.Equal(t, uint64(inWindow[tg(1)]+inWindow[tg(2)]+inWindow[x3]), ca.WindowPosts)
	require.Equal(t, ta.Z, ca.Z)
	require.Equal(t, []any{"b", uint32(2), uint32(1), uint8(0)}, []any{cb.Community, cb.Channels, cb.ChannelsExcluded, cb.Targeted}, "facebook's window is not collected")
	require.Equal(t, uint64(inWindow[tg(4)]+inWindow[tg(5)]), cb.WindowPosts)
	require.Equal(t, byKey[tg(4)].BaselinePosts[0]+byKey[tg(5)].BaselinePosts[0], cb.BaselinePosts[0])

	// A community scope covers its channels only.
	sum2, err := Run(ctx, db, Options{Params: job.Params{From: p.From, To: p.To, Scope: job.Scope{Kind: job.ScopeCommunity, Values: []string{"b"}}}, Meta: job.Meta{Writer: wopts}})
	require.NoError(t, err)
	require.Equal(t, []int{3, 2, 1}, []int{sum2.Channels, sum2.ChannelsScored, sum2.Communities})
	require.Equal(t, tb.Z, sum2.TopCommunities[0].Z)

	// A range without events, and one whose event has no posts around it, are skipped runs.
	for _, c := range []struct {
		from   time.Time
		reason string
	}{
		{t0.Add(100 * 24 * time.Hour), "no registry events in the range (of the kinds and origins asked for)"},
		{t0.Add(190 * 24 * time.Hour), "no posts of channels in scope in the windows after the events or their baseline weeks"},
	} {
		s, err := Run(ctx, db, Options{Params: job.Params{From: c.from, To: c.from.Add(20 * 24 * time.Hour), Scope: job.Scope{Kind: job.ScopePlatform}}, Meta: job.Meta{Writer: wopts}})
		require.NoError(t, err)
		require.Equal(t, "skipped", s.Status)
		require.Equal(t, []string{c.reason}, s.Reasons)
		require.Equal(t, "skipped\t['"+c.reason+"']", srv.Query(t, "SELECT status, errors FROM runs FINAL WHERE run_id = '"+s.RunID+"'"))
		require.Equal(t, "0", srv.Query(t, "SELECT count() FROM bursts_channels WHERE run_id = '"+s.RunID+"'"))
	}
	// Only takedowns: the attack is not scored.
	s, err := Run(ctx, db, Options{Params: p, Events: job.EventFilter{Kinds: []string{"takedown"}}, Meta: job.Meta{Writer: wopts}})
	require.NoError(t, err)
	require.Equal(t, "0", srv.Query(t, "SELECT count() FROM bursts_channels WHERE run_id = '"+s.RunID+"' AND event_kind = 'attack'"))

	// Bad parameters write nothing.
	before := srv.Query(t, "SELECT count() FROM runs")
	_, err = Run(ctx, db, Options{Params: job.Params{From: p.To, To: p.From}, Meta: job.Meta{Writer: wopts}})
	require.True(t, job.IsParamError(err))
	_, err = Run(ctx, db, Options{Params: p, Window: 90 * time.Minute, Meta: job.Meta{Writer: wopts}})
	require.ErrorContains(t, err, "--window")
	require.True(t, job.IsParamError(err))
	_, err = Run(ctx, db, Options{Params: p, Weeks: 1, Meta: job.Meta{Writer: wopts}})
	require.ErrorContains(t, err, "--weeks")
	require.Equal(t, before, srv.Query(t, "SELECT count() FROM runs"))
}
