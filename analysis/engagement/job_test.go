package engagement

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

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func TestRunInClickHouse(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clickhouse-server; skipped under -short")
	}
	srv, db, wopts := jobtest.Store(t)
	ctx := context.Background()
	to := t0.AddDate(0, 0, 60)

	pw, err := store.NewWriter[schema.Post](db, schema.TablePosts, wopts)
	require.NoError(t, err)
	cw, err := store.NewWriter[schema.PostCounters](db, schema.TablePostCounters, wopts)
	require.NoError(t, err)
	sw, err := store.NewWriter[schema.ChannelSnapshot](db, schema.TableChannelSnapshots, wopts)
	require.NoError(t, err)

	// Telegram channel 1: 10000 subscribers, two posts a day over 60 days (and 20 days
	// before the range, history only), every fifth a forward. Each post is stored twice, the
	// later version with the final counters: 2000 views (reach 20%), 20 forwards, 30
	// reactions, 10 replies (ER 3%), and 1500 views at 24 h (ERR24 15%). Post 81, on day 20,
	// has five times the views of the others.
	post := func(platform string, ch, id uint64, at time.Time, views uint64, fwd bool) {
		for v, mult := range []uint64{1, 20} {
			p := schema.Post{Platform: platform, ChannelID: ch, PostID: id, PostedAt: at, Kind: schema.KindPost, PostType: "text",
				Views: views * mult / 20, Forwards: 20 * mult / 20, Reactions: 30 * mult / 20, Replies: 10 * mult / 20,
				CountersAt: at.Add(time.Duration(v+1) * 24 * time.Hour), Version: uint64(v + 1)}
			if fwd {
				p.FwdChannelID, p.PostType = 99, "photo"
			}
			require.NoError(t, pw.Write(ctx, p))
		}
	}
	n := uint64(0)
	for d := -20; d < 60; d++ {
		for _, h := range []int{6, 18} {
			n++
			at := t0.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour)
			views, views24 := uint64(2000+10*(n%5)-20), uint64(1500+10*(n%3)-10)
			if n == 81 {
				views, views24 = 5*views, 5*views24
			}
			post("telegram", 1, n, at, views, n%5 == 0)
			require.NoError(t, cw.Write(ctx,
				schema.PostCounters{Platform: "telegram", ChannelID: 1, PostID: n, PostedAt: at, ReadAt: at.Add(time.Hour), AgeS: 3600, TargetAgeS: 3600, Views: 300},
				schema.PostCounters{Platform: "telegram", ChannelID: 1, PostID: n, PostedAt: at, ReadAt: at.Add(24*time.Hour + 30*time.Second), AgeS: 86430, TargetAgeS: Age24h, Views: views24},
				// A late read of the same scheduled age: the closer one counts.
				schema.PostCounters{Platform: "telegram", ChannelID: 1, PostID: n, PostedAt: at, ReadAt: at.Add(26 * time.Hour), AgeS: 93600, TargetAgeS: Age24h, Views: 3 * views24}))
		}
	}
	require.Equal(t, uint64(160), n)
	// A deleted post with a million views and a service message are left out of ERR; an
	// album of two messages is one post.
	at := t0.AddDate(0, 0, 45)
	require.NoError(t, pw.Write(ctx,
		schema.Post{Platform: "telegram", ChannelID: 1, PostID: 500, PostedAt: at, Kind: schema.KindPost, PostType: "text", Views: 1_000_000, Deleted: 1, Version: 1},
		schema.Post{Platform: "telegram", ChannelID: 1, PostID: 501, PostedAt: at, Kind: schema.KindService, PostType: "service", Views: 1_000_000, Version: 1},
		schema.Post{Platform: "telegram", ChannelID: 1, PostID: 502, AlbumID: 502, PostedAt: at, Kind: schema.KindPost, PostType: "photo", Views: 2000, Version: 1},
		schema.Post{Platform: "telegram", ChannelID: 1, PostID: 503, AlbumID: 502, PostedAt: at, Kind: schema.KindPost, PostType: "photo", Views: 2000, Version: 1},
	))
	for d := 0; d < 60; d += 10 {
		require.NoError(t, sw.Write(ctx, schema.ChannelSnapshot{Platform: "telegram", ChannelID: 1, SnapshotAt: t0.AddDate(0, 0, d), Subscribers: uint64(9000 + 200*d/10), Status: "active"}))
	}
	// The count at the range end, and one after it that must not be used.
	require.NoError(t, sw.Write(ctx,
		schema.ChannelSnapshot{Platform: "telegram", ChannelID: 1, SnapshotAt: to.Add(-time.Hour), Subscribers: 10000, Status: "active"},
		schema.ChannelSnapshot{Platform: "telegram", ChannelID: 1, SnapshotAt: to.Add(time.Hour), Subscribers: 1, Status: "active"}))

	// Twitter account 2 has a snapshot but no posts.
	require.NoError(t, sw.Write(ctx, schema.ChannelSnapshot{Platform: "twitter", ChannelID: 2, SnapshotAt: t0.AddDate(0, 0, 30), Subscribers: 5000, Status: "active"}))
	// CrowdTangle page 3 (platform facebook): 30 posts in the range, no snapshot, no 24 h
	// reads; post 320 has five times the views.
	for i := uint64(301); i <= 330; i++ {
		views := uint64(500)
		if i == 320 {
			views = 2500
		}
		post("facebook", 3, i, t0.AddDate(0, 0, int(i-300)+20), views, false)
	}
	require.NoError(t, firstErr(pw.Close(ctx), cw.Close(ctx), sw.Close(ctx)))

	p := job.Params{From: t0, To: to, Scope: job.Scope{Kind: job.ScopePlatform}}
	var progress int
	sum, err := Run(ctx, db, Options{Params: p, Meta: job.Meta{CodeVersion: "test", Writer: wopts}, Progress: func(n int) { progress = n }})
	require.NoError(t, err)
	require.Equal(t, "ok", sum.Status)
	require.Equal(t, 3, sum.Channels)
	require.Equal(t, 3, progress)
	// Read one channel at a time, on one worker: the same result.
	one, err := Run(ctx, db, Options{Params: p, BatchRows: 1, Workers: 1, Meta: job.Meta{CodeVersion: "test", Writer: wopts}})
	require.NoError(t, err)
	one.RunID = sum.RunID
	require.Equal(t, sum, one)
	require.Equal(t, 1, sum.OK)
	require.Equal(t, 2, sum.Skipped)
	require.Equal(t, 120+2+30, sum.Posts)
	require.NotEmpty(t, sum.Top)
	require.Len(t, sum.Top, TopN)
	require.Equal(t, TopPost{Platform: "facebook", ChannelID: 3, PostID: 320, PostedAt: t0.AddDate(0, 0, 40), Score: 5}, sum.Top[0])
	require.Equal(t, uint64(81), sum.Top[1].PostID)
	require.InDelta(t, 5, sum.Top[1].Score, 0.1)

	rows, err := store.Select[schema.EngagementChannel](ctx, db, "SELECT "+store.Columns[schema.EngagementChannel]()+
		" FROM "+db.Table(schema.TableEngagementChannels)+" WHERE run_id = ? ORDER BY platform, channel_id", sum.RunID)
	require.NoError(t, err)
	require.Len(t, rows, 3)
	fb, tg, tw := rows[0], rows[1], rows[2]

	require.Equal(t, "ok", tg.Status, tg.Reason)
	require.Equal(t, uint64(122), tg.Posts, "service message left out, album once, history not counted")
	require.Equal(t, uint64(24), tg.Forwarded)
	require.Equal(t, uint64(98), tg.Organic)
	require.Equal(t, uint64(1), tg.Deleted)
	require.InDelta(t, 122.0/60, tg.PostsPerDay, 1e-9)
	require.Equal(t, 10000.0, tg.Subscribers)
	require.Equal(t, to.Add(-time.Hour), tg.SubscribersAt.UTC())
	require.Equal(t, uint64(61), tg.WindowPosts, "60 posts and the album; the deleted one left out")
	require.InEpsilon(t, 20, tg.ERR, 0.01)
	require.InEpsilon(t, 60.0*60/(61*2000)*100, tg.ER, 0.01, "the album has no interactions")
	require.InEpsilon(t, 15, tg.ERR24, 0.01)
	require.Equal(t, uint64(60), tg.ERR24Posts)
	require.Empty(t, tg.ERR24Reason)
	require.Equal(t, Basis24h, tg.OpBasis)
	require.Equal(t, uint64(81), tg.TopPostID)
	require.InDelta(t, 5, tg.TopScore, 0.1)
	require.Equal(t, uint64(1), tg.Overperforming)
	require.Equal(t, uint64(118), tg.ScoredPosts, "the album has no 24 h read; the first two forwards have 8 and 9 earlier forwards")

	require.Equal(t, "skipped", tw.Status)
	require.Equal(t, "no posts in the range", tw.Reason)
	require.Equal(t, uint64(0), tw.Posts)
	require.True(t, math.IsNaN(tw.ERR) && math.IsNaN(tw.ER) && math.IsNaN(tw.ERR24) && math.IsNaN(tw.PostsPerDay) && math.IsNaN(tw.ViewsPerPost), "no made-up numbers")

	require.Equal(t, "skipped", fb.Status)
	require.Equal(t, "no subscriber count at or before the range end", fb.Reason)
	require.True(t, math.IsNaN(fb.ERR))
	require.InEpsilon(t, 20*60.0/(19*500+2500)*100, fb.ER, 1e-9, "ER over the window (days 31-50), needs no subscribers")
	require.InDelta(t, (29*500+2500)/30.0, fb.ViewsPerPost, 1e-9)
	require.Equal(t, BasisLatest, fb.OpBasis)
	require.Equal(t, uint64(320), fb.TopPostID)
	require.InDelta(t, 5, fb.TopScore, 1e-9)
	require.Contains(t, fb.ERR24Reason, "24 h")

	require.Equal(t, "81\ttext\t24h\t7450\t1500\t5", srv.Query(t,
		"SELECT post_id, post_type, basis, actual, round(expected), round(score, 1) FROM engagement_posts WHERE run_id = '"+sum.RunID+"' AND channel_id = 1 ORDER BY score DESC LIMIT 1"))
	require.Equal(t, "forward\t22", srv.Query(t,
		"SELECT post_type, count() FROM engagement_posts WHERE run_id = '"+sum.RunID+"' AND channel_id = 1 AND forwarded = 1 GROUP BY post_type"))
	require.Equal(t, "ok\t['channels','ok','overperforming','posts','scored','skipped']\t[3,1,2,152,138,2]", srv.Query(t, "SELECT status, count_names, count_values FROM runs FINAL WHERE run_id = '"+sum.RunID+"'"))
	require.Equal(t, 2, sum.Overperforming)

	// A range with no data is a skipped run, with its reason and no results.
	empty := job.Params{From: t0.AddDate(1, 0, 0), To: t0.AddDate(1, 1, 0), Scope: job.Scope{Kind: job.ScopePlatform}}
	sum, err = Run(ctx, db, Options{Params: empty, Meta: job.Meta{Writer: wopts}})
	require.NoError(t, err)
	require.Equal(t, "skipped", sum.Status)
	require.Equal(t, "skipped\t['no posts or snapshots of channels in scope in the range']", srv.Query(t, "SELECT status, errors FROM runs FINAL WHERE run_id = '"+sum.RunID+"'"))
	require.Equal(t, "0", srv.Query(t, "SELECT count() FROM engagement_channels WHERE run_id = '"+sum.RunID+"'"))

	// A scope naming one platform keeps to it.
	sum, err = Run(ctx, db, Options{Params: job.Params{From: t0, To: to, Scope: job.Scope{Kind: job.ScopePlatform, Values: []string{"twitter"}}}, Meta: job.Meta{Writer: wopts}})
	require.NoError(t, err)
	require.Equal(t, 1, sum.Channels)
	require.Equal(t, "twitter\t2\tskipped", srv.Query(t, "SELECT platform, channel_id, status FROM engagement_channels WHERE run_id = '"+sum.RunID+"'"))

	// Bad parameters write nothing.
	before := srv.Query(t, "SELECT count() FROM runs")
	_, err = Run(ctx, db, Options{Params: job.Params{From: t0, To: t0}, Meta: job.Meta{Writer: wopts}})
	require.True(t, job.IsParamError(err))
	_, err = Run(ctx, db, Options{Params: p, Threshold: 0.5, Meta: job.Meta{Writer: wopts}})
	require.ErrorContains(t, err, "--threshold")
	require.True(t, job.IsParamError(err))
	require.Equal(t, before, srv.Query(t, "SELECT count() FROM runs"))
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
