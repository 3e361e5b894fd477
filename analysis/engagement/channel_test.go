package engagement

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/stats"
)

func TestTypeOf(t *testing.T) {
	require.Equal(t, "forward", TypeOf(Post{Forwarded: true, Type: "photo"}))
	require.Equal(t, "video", TypeOf(Post{Type: "video"}))
	require.Equal(t, "text", TypeOf(Post{}))
}

func TestExpectedOfInvertsScore(t *testing.T) {
	for _, c := range []struct{ actual, expected float64 }{{100, 50}, {100, 200}, {0, 200}, {7, 7}} {
		s, ok := stats.OverperformanceScore(c.actual, c.expected)
		require.True(t, ok)
		require.InDelta(t, c.expected, expectedOf(c.actual, s), 1e-9, "%v", c)
	}
	require.True(t, math.IsNaN(expectedOf(1, math.NaN())))
}

func TestAddTop(t *testing.T) {
	var top []TopPost
	for i, s := range []float64{3, math.NaN(), 1, 5, 3, 2, 8, 0.5, 4, 6, 7, 9, 10, -2} {
		top = addTop(top, TopPost{PostID: uint64(i), Score: s})
	}
	require.Len(t, top, TopN)
	var got []float64
	for _, p := range top {
		got = append(got, p.Score)
	}
	require.Equal(t, []float64{10, 9, 8, 7, 6, 5, 4, 3, 3, 2}, got)
	require.Equal(t, uint64(0), top[7].PostID, "ties keep arrival order")
	require.Equal(t, uint64(4), top[8].PostID)
}

// daily is n undeleted text posts, one a day from start, each with views and 24 h views.
func daily(start time.Time, n int, views, views24 uint64) []Post {
	var ps []Post
	for i := range n {
		ps = append(ps, Post{ID: uint64(i + 1), At: start.Add(time.Duration(i)*24*time.Hour + time.Hour), Type: "text",
			Views: views, Forwards: 5, Reactions: 3, Replies: 2, Views24: views24, Has24: true})
	}
	return ps
}

func TestChannel(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 0, 40)
	o := Options{Params: job.Params{From: from, To: to}, Threshold: 2, MaxSnapshotAge: DefaultMaxSnapshotAge}
	k := job.Key{Platform: "telegram", ChannelID: 7}
	subs := Subs{Count: 4000, At: to.Add(-time.Hour)}

	ps := daily(from, 40, 1000, 800)
	ps[35].Deleted, ps[35].Views, ps[35].Views24 = true, 1e9, 1e9 // in the window: left out
	ps[30].Views24 = 4000                                         // 5x at 24 h
	ec, scored := Channel(k, ps, subs, o)
	require.Equal(t, StatusOK, ec.Status, ec.Reason)
	require.Equal(t, uint64(40), ec.Posts)
	require.Equal(t, uint64(1), ec.Deleted)
	require.Equal(t, uint64(29), ec.WindowPosts, "days 10..39 less the deleted post")
	require.InDelta(t, 25, ec.ERR, 1e-9)
	require.InDelta(t, 10*100.0/1000, ec.ER, 1e-9)
	require.InDelta(t, (28*800+4000)/29.0/4000*100, ec.ERR24, 1e-9)
	require.InDelta(t, 1.0, ec.PostsPerDay, 1e-9)
	require.InDelta(t, 1000, ec.ViewsPerPost, 1e-9)
	require.Equal(t, from.AddDate(0, 0, 10), ec.WindowStart)
	require.Equal(t, Basis24h, ec.OpBasis)
	require.Equal(t, uint64(39-stats.OverperformanceMinHistory), ec.ScoredPosts)
	require.Equal(t, uint64(1), ec.Overperforming)
	require.Equal(t, uint64(31), ec.TopPostID)
	require.InDelta(t, 5, ec.TopScore, 1e-9)
	require.Len(t, scored, int(ec.ScoredPosts))
	for _, s := range scored {
		require.Equal(t, k.Platform, s.Platform)
		require.NotEqual(t, uint64(36), s.PostID, "deleted posts are not scored")
		if s.PostID == 31 {
			require.Equal(t, 800.0, s.Expected)
			require.Equal(t, uint32(30), s.History)
		}
	}

	// Posts before From are history only: they are not counted, but let early posts score.
	ec, scored = Channel(k, daily(from.AddDate(0, 0, -20), 60, 1000, 800), subs, o)
	require.Equal(t, uint64(40), ec.Posts)
	require.Len(t, scored, 40)

	// Without 24 h reads: no ERR24, and overperformance on the latest views.
	ps = daily(from, 40, 1000, 0)
	for i := range ps {
		ps[i].Has24 = false
	}
	ec, _ = Channel(k, ps, subs, o)
	require.True(t, math.IsNaN(ec.ERR24))
	require.Contains(t, ec.ERR24Reason, "24 h of age")
	require.Equal(t, BasisLatest, ec.OpBasis)

	for _, c := range []struct {
		name  string
		posts []Post
		subs  Subs
		want  string
	}{
		{"no posts", nil, subs, "no posts in the range"},
		{"window empty", daily(from, 5, 1000, 800), subs, "no undeleted posts in the last 30 days of the range"},
		{"no subscribers", daily(from, 40, 1000, 800), Subs{}, "no subscriber count at or before the range end"},
		{"stale subscribers", daily(from, 40, 1000, 800), Subs{Count: 10, At: from}, "latest subscriber count is from 2026-01-01, more than 30 days before the range end"},
	} {
		ec, _ := Channel(k, c.posts, c.subs, o)
		require.Equal(t, StatusSkipped, ec.Status, c.name)
		require.Equal(t, c.want, ec.Reason, c.name)
		require.True(t, math.IsNaN(ec.ERR), c.name)
		require.True(t, math.IsNaN(ec.ERR24), c.name)
		if c.posts == nil {
			require.True(t, math.IsNaN(ec.PostsPerDay) && math.IsNaN(ec.ViewsPerPost) && math.IsNaN(ec.ER) && math.IsNaN(ec.TopScore), c.name)
			require.Equal(t, "", ec.OpBasis, c.name)
		}
		if c.subs.Count == 0 {
			require.False(t, math.IsNaN(ec.ER), "ER needs no subscribers")
		}
	}
}

// The reach is the median of views over the audience when posted, of the window's posts read
// at 72 h of age or later: a growing channel's ERR (on today's audience) falls below it.
func TestReach(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 0, 40)
	o := Options{Params: job.Params{From: from, To: to}, Threshold: 2, MaxSnapshotAge: DefaultMaxSnapshotAge}
	ps := daily(from, 40, 0, 0)
	for i := range ps {
		ps[i].Audience = 1000 * math.Exp(0.02*float64(i))
		ps[i].Views = uint64(math.Round(0.3 * ps[i].Audience)) // a planted reach of 30%
		ps[i].ReadAt = ps[i].At.Add(7 * 24 * time.Hour)
		if i >= 37 {
			ps[i].ReadAt = ps[i].At.Add(time.Hour) // too young: left out
			ps[i].Views = 1
		}
	}
	ps[20].Audience = 0 // no audience known: left out
	ec, _ := Channel(job.Key{Platform: "telegram", ChannelID: 1}, ps, Subs{Count: 1000 * math.Exp(0.8), At: to.Add(-time.Hour)}, o)
	require.InDelta(t, 30, ec.Reach, 0.1)
	require.Equal(t, uint64(26), ec.ReachPosts) // posts 10..39 in the window, minus 3 too young and one without an audience
	require.Less(t, ec.ERR, 27.0, "ERR divides by today's larger audience")

	ec, _ = Channel(job.Key{Platform: "telegram", ChannelID: 1}, daily(from, 40, 100, 50), Subs{Count: 1000, At: to}, o)
	require.True(t, math.IsNaN(ec.Reach))
	require.Contains(t, ec.ReachReason, "no post in the window was read at")
}
