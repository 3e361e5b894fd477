package migration

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/stat"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/job/jobtest"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// A world with two communities of six channels over 80 days. Every channel posts 10 own
// posts a day, each with one link, and forwards 2 posts with a twitter link (left out of
// the link mix). On day 40 a takedown of twitter names community "a": its own links go
// from 4 in 10 to twitter (6 to the web) to 1 in 10 (6 web, 3 bluesky), and it forwards 1
// post a day instead of 2; "b" stays as it was. Channels 1, 2 and 3 (of "a") had twitter
// accounts that a suspension event lists, and their audience grows by a factor 1.25 from
// day 41; channel 5 links a listed account too, but that link was rejected. Audiences grow
// at one of three rates (by id modulo 3), so every treated channel has untreated ones on
// its trend: the matched difference in differences recovers ln 1.25.
func TestRunInClickHouse(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clickhouse-server; skipped under -short")
	}
	_, db, wopts := jobtest.Store(t)
	ctx := context.Background()
	event := t0.Add(40 * day)

	pw, err := store.NewWriter[schema.Post](db, schema.TablePosts, wopts)
	require.NoError(t, err)
	lw, err := store.NewWriter[schema.PostLink](db, schema.TablePostLinks, wopts)
	require.NoError(t, err)
	sw, err := store.NewWriter[schema.ChannelSnapshot](db, schema.TableChannelSnapshots, wopts)
	require.NoError(t, err)
	cw, err := store.NewWriter[schema.Community](db, schema.TableCommunities, wopts)
	require.NoError(t, err)
	chw, err := store.NewWriter[schema.Channel](db, schema.TableChannels, wopts)
	require.NoError(t, err)
	for id := uint64(1); id <= 12; id++ {
		com := "a"
		if id > 6 {
			com = "b"
		}
		require.NoError(t, cw.Write(ctx, schema.Community{Community: com, Platform: "telegram", ChannelID: id, Source: "import", AddedAt: t0, Version: 1}))
		require.NoError(t, chw.Write(ctx, schema.Channel{Platform: "telegram", ChannelID: id, Status: schema.StatusActive, CreatedAt: t0.Add(-100 * day),
			FirstSeenAt: t0, LastSeenAt: t0.Add(80 * day), Version: 1}))
		post := uint64(0)
		for d := range 80 {
			after := com == "a" && d >= 40
			for i := range 12 {
				post++
				at := t0.Add(time.Duration(d)*day + time.Duration(i+1)*time.Hour)
				p := schema.Post{Platform: "telegram", ChannelID: id, PostID: post, PostedAt: at, Kind: schema.KindPost, Version: 1}
				dest := "web"
				switch {
				case i >= 10:
					if after && i == 11 {
						continue // forwards one post a day instead of two
					}
					p.FwdChannelID, dest = 999, "twitter"
				case !after && i < 4, after && i < 1:
					dest = "twitter"
				case after && i >= 7:
					dest = "bluesky"
				}
				require.NoError(t, pw.Write(ctx, p))
				require.NoError(t, lw.Write(ctx, schema.PostLink{Platform: "telegram", ChannelID: id, PostID: post, PostedAt: at,
					URL: fmt.Sprintf("https://%s.example/%d", dest, post), LinkKind: "url", SourceKind: "entity", DestPlatform: dest}))
			}
			subs := 1000 * math.Exp((0.01+0.002*float64(id%3))*float64(d))
			if id <= 3 && d >= 41 {
				subs *= 1.25
			}
			require.NoError(t, sw.Write(ctx, schema.ChannelSnapshot{Platform: "telegram", ChannelID: id, SnapshotAt: t0.Add(time.Duration(d)*day + 12*time.Hour),
				Subscribers: uint64(subs), Status: schema.StatusActive}))
		}
	}
	// A link in an about text is not a post's own.
	require.NoError(t, lw.Write(ctx, schema.PostLink{Platform: "telegram", ChannelID: 1, PostedAt: t0.Add(50 * day), URL: "https://x.example/about",
		LinkKind: "url", SourceKind: "about", DestPlatform: "twitter"}))
	for _, w := range []interface{ Close(context.Context) error }{pw, lw, sw, cw, chw} {
		require.NoError(t, w.Close(ctx))
	}
	aw, err := store.NewWriter[schema.AccountLink](db, schema.TableAccountLinks, wopts)
	require.NoError(t, err)
	for id, h := range map[uint64]string{1: "@One", 2: "two", 3: "three", 4: "four", 5: "five"} {
		require.NoError(t, aw.Write(ctx, schema.AccountLink{FromPlatform: "telegram", FromChannelID: id, ToPlatform: "twitter", ToHandle: h,
			Evidence: "handle_in_about", Status: "proposed", Version: 1}))
	}
	require.NoError(t, aw.Write(ctx, schema.AccountLink{FromPlatform: "telegram", FromChannelID: 5, ToPlatform: "twitter", ToHandle: "five",
		Evidence: "handle_in_about", Status: "rejected", Version: 2}))
	require.NoError(t, aw.Close(ctx))
	require.NoError(t, store.WriteAll(ctx, db, schema.TableEvents, wopts,
		schema.Event{EventID: "td", EventAt: event, Platform: "twitter", Kind: "takedown", TargetKind: "community", Targets: []string{"a"}, Origin: "registry", Version: 1},
		schema.Event{EventID: "sus", EventAt: event, Platform: "twitter", Kind: "suspension", TargetKind: "account", Targets: []string{"one", "@Two", "three", "five"}, Origin: "registry", Version: 1}))

	sum, err := Run(ctx, db, Options{
		Params: job.Params{From: t0, To: t0.Add(80 * day), Scope: job.Scope{Kind: job.ScopePlatform}},
		Meta:   job.Meta{CodeVersion: "test", Writer: wopts},
	})
	require.NoError(t, err)
	require.Equal(t, job.StatusOK, sum.Status, sum.Reasons)
	require.Equal(t, 12, sum.Channels)

	// Weekly shares: the week of day 7 (a Monday, 2026-01-12) of a channel of "a".
	shares, err := store.Select[schema.MigrationShare](ctx, db, "SELECT "+store.Columns[schema.MigrationShare]()+" FROM "+db.Table(schema.TableMigrationShares)+
		" WHERE run_id = ? AND level = 'channel' AND unit = 'telegram:1' AND week = toDate('2026-01-12') ORDER BY destination", sum.RunID)
	require.NoError(t, err)
	require.Len(t, shares, 2)
	require.Equal(t, "twitter", shares[0].Destination)
	require.Equal(t, uint64(28), shares[0].Links)
	require.Equal(t, uint64(70), shares[0].WeekLinks)
	require.InDelta(t, 0.4, shares[0].Share, 1e-12)

	wins := map[string]schema.MigrationWindow{}
	for _, w := range sum.Windows {
		if w.EventID == "td" {
			wins[w.Level+":"+w.Unit] = w
		}
	}
	require.Len(t, wins, 3) // community a, community b, platform telegram
	a, b := wins["community:a"], wins["community:b"]
	require.Equal(t, uint8(1), a.Concerned)
	require.Equal(t, uint8(0), b.Concerned)
	require.Equal(t, t0.Add(10*day), a.PreFrom)
	require.Equal(t, event, a.PreTo)
	require.Equal(t, t0.Add(47*day), a.PostFrom)
	require.Equal(t, t0.Add(77*day), a.PostTo)
	var dests []string
	var pre, post []float64
	for _, s := range sum.WindowShares {
		if s.EventID == "td" && s.Level == LevelCommunity && s.Unit == "a" {
			dests, pre, post = append(dests, s.Destination), append(pre, s.SharePre), append(post, s.SharePost)
		}
	}
	require.Equal(t, []string{"bluesky", "twitter", "web"}, dests)
	require.InDeltaSlice(t, []float64{0, 0.4, 0.6}, pre, 1e-12)
	require.InDeltaSlice(t, []float64{0.3, 0.1, 0.6}, post, 1e-12)
	require.InDelta(t, stat.JensenShannon([]float64{0, 0.4, 0.6}, []float64{0.3, 0.1, 0.6}), a.JSNats, 1e-12)
	require.InDelta(t, 0.4, a.EventSharePre, 1e-12)
	require.InDelta(t, 0.1, a.EventSharePost, 1e-12)
	require.InDelta(t, 0, b.JSNats, 1e-12)
	// Six channels, 30 days each side: 12 posts a day before, 11 after (one forward less).
	require.Equal(t, uint64(6*30*12), a.PostsPre)
	require.Equal(t, uint64(6*30*11), a.PostsPost)
	require.Equal(t, uint64(6*30*2), a.ForwardedPre)
	require.Equal(t, uint64(6*30*1), a.ForwardedPost)
	require.InDelta(t, -50, a.ForwardedChangePct, 1e-9)
	require.InDelta(t, 0, a.OrganicChangePct, 1e-9)
	require.InDelta(t, 0, b.PostsChangePct, 1e-9)

	its := map[string]schema.MigrationITS{}
	for _, r := range sum.ITS {
		if r.EventID == "td" {
			its[r.Level+":"+r.Unit+":"+r.Outcome] = r
		}
	}
	ia := its["community:a:link_share"]
	require.Equal(t, StatusOK, ia.Status, ia.Reason)
	require.Equal(t, uint32(60), ia.Days)
	require.InDelta(t, -0.3, ia.LevelChange, 1e-9)
	require.InDelta(t, 0, ia.SlopeChange, 1e-9)
	require.InDelta(t, 0, its["community:b:link_share"].LevelChange, 1e-9)
	require.InDelta(t, -6, its["community:a:forwarded"].LevelChange, 1e-9)

	require.Len(t, sum.DiD, 1)
	d := sum.DiD[0]
	require.Equal(t, StatusOK, d.Status, d.Reason)
	require.Equal(t, uint32(3), d.Treated)
	units, err := store.Select[schema.MigrationDiDUnit](ctx, db, "SELECT "+store.Columns[schema.MigrationDiDUnit]()+" FROM "+db.Table(schema.TableMigrationDiDUnits)+
		" WHERE run_id = ? ORDER BY channel_id", sum.RunID)
	require.NoError(t, err)
	var dt, dc []float64
	for _, u := range units {
		if u.Treated == 1 {
			require.LessOrEqual(t, u.ChannelID, uint64(3), "channel 5's link was rejected, channel 4's account is not listed")
			dt = append(dt, u.PostGap)
		} else {
			require.Positive(t, u.Matches)
			dc = append(dc, u.PostGap)
		}
	}
	require.Len(t, dt, 3)
	require.Equal(t, int(d.Controls), len(dc))
	require.InDelta(t, stat.Mean(dt, nil)-stat.Mean(dc, nil), d.Effect, 1e-9)
	require.InDelta(t, math.Log(1.25), d.Effect, 0.002) // subscriber counts are whole numbers
	require.Less(t, math.Abs(d.PreTrend), 1e-4, "parallel pre-window trends")
	require.Less(t, d.Lo, math.Log(1.25))
	require.Greater(t, d.Hi, math.Log(1.25))
}
