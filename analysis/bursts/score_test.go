package bursts

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/schema"
)

var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC) // a Monday

func TestNewLayout(t *testing.T) {
	l := NewLayout(t0.Add(35*24*time.Hour+10*time.Hour+20*time.Minute), 24*time.Hour, 4)
	require.Equal(t, t0.Add(35*24*time.Hour+10*time.Hour), l.WindowStart, "the window starts at the event's hour")
	require.Equal(t, t0.Add(7*24*time.Hour+10*time.Hour), l.Start)
	require.Equal(t, l.WindowStart.Add(24*time.Hour), l.End)
	require.Equal(t, 4*168+24, l.Hours)
	require.Equal(t, 4*168, l.At)
	i, ok := l.Index(l.WindowStart.Unix() / 3600)
	require.True(t, ok)
	require.Equal(t, l.At, i)
	_, ok = l.Index(l.Start.Unix()/3600 - 1)
	require.False(t, ok)
	_, ok = l.Index(l.End.Unix() / 3600)
	require.False(t, ok)
}

// series puts per-hour rate v[k] in the baseline week k (1-based) and x in the window.
func series(l Layout, x float64, weeks ...float64) []float64 {
	h := make([]float64, l.Hours)
	for i := range l.Window {
		h[l.At+i] = x
		for k, v := range weeks {
			h[l.At-168*(k+1)+i] = v
		}
	}
	return h
}

func TestScoreSeries(t *testing.T) {
	l := NewLayout(t0.Add(40*24*time.Hour), 2*time.Hour, 4)
	// Baseline weeks: 2+2, 4+4, 6+6, 8+8 posts = 4, 8, 12, 16: mean 10, sample sd sqrt(80/3).
	s := ScoreSeries(series(l, 15, 2, 4, 6, 8), l)
	require.True(t, s.OK)
	require.Equal(t, 30.0, s.Count)
	require.Equal(t, []float64{4, 8, 12, 16}, s.Baseline)
	require.Equal(t, 10.0, s.Mean)
	require.InDelta(t, math.Sqrt(80.0/3), s.SD, 1e-12)
	require.InDelta(t, math.Sqrt(80.0/3), s.ZSD, 1e-12)
	require.InDelta(t, 20/math.Sqrt(80.0/3), s.Z, 1e-12)

	// A flat baseline has sd 0: the Poisson floor sqrt(mean) is the divisor.
	s = ScoreSeries(series(l, 9, 2, 2, 2, 2), l)
	require.True(t, s.OK)
	require.Equal(t, 0.0, s.SD)
	require.Equal(t, 2.0, s.ZSD)
	require.Equal(t, 7.0, s.Z)

	// Posts outside the window and its baseline hours change nothing.
	h := series(l, 9, 2, 2, 2, 2)
	h[l.At-168+l.Window] = 100
	h[l.At-1] = 100
	require.Equal(t, 7.0, ScoreSeries(h, l).Z)

	// No posts in the baseline: z is undefined, not made up.
	s = ScoreSeries(series(l, 9, 0, 0, 0, 0), l)
	require.False(t, s.OK)
	require.True(t, math.IsNaN(s.Z))
	require.True(t, math.IsNaN(s.ZSD))
	require.Equal(t, 18.0, s.Count, "the window's posts are still reported")
	require.Equal(t, "no posts in the same hours of the 4 preceding weeks: z is undefined", UndefinedReason(s, 4))

	// A series of the wrong length scores nothing.
	require.False(t, ScoreSeries(make([]float64, 3), l).OK)
}

func TestHistoryAndCollection(t *testing.T) {
	l := NewLayout(t0.Add(40*24*time.Hour), 24*time.Hour, 4)
	require.True(t, HasHistory(l.Start.Add(-time.Hour), l))
	require.True(t, HasHistory(l.Start.Add(59*time.Minute), l), "a first post in the baseline's first hour is enough")
	require.False(t, HasHistory(l.Start.Add(time.Hour), l))
	require.False(t, HasHistory(time.Time{}, l))
	require.True(t, Collected(l.End, l))
	require.True(t, Collected(l.End.Add(-time.Hour), l))
	require.False(t, Collected(l.End.Add(-time.Hour-time.Second), l))
}

func TestChannelRow(t *testing.T) {
	l := NewLayout(t0.Add(40*24*time.Hour), 2*time.Hour, 4)
	e := schema.Event{EventID: "e1", EventAt: t0.Add(40 * 24 * time.Hour), Kind: "attack", TargetKind: "community", Targets: []string{"a"}}
	k := job.Key{Platform: "telegram", ChannelID: 1}
	old, late := l.Start.Add(-24*time.Hour), l.End.Add(time.Hour)

	row, in := channelRow(k, series(l, 9, 2, 2, 2, 2), l, e, old, late, []string{"a"})
	require.True(t, in)
	require.Equal(t, StatusOK, row.Status)
	require.Equal(t, uint8(1), row.Targeted)
	require.Equal(t, uint64(18), row.WindowPosts)
	require.Equal(t, []uint64{4, 4, 4, 4}, row.BaselinePosts)
	require.Equal(t, 7.0, row.Z)

	row, _ = channelRow(k, series(l, 9, 2, 2, 2, 2), l, e, old, late, []string{"b"})
	require.Equal(t, uint8(0), row.Targeted, "the event names another community")

	row, in = channelRow(k, series(l, 9, 2, 2, 2, 2), l, e, l.Start.Add(2*time.Hour), late, nil)
	require.False(t, in)
	require.Equal(t, StatusSkipped, row.Status)
	require.Contains(t, row.Reason, "4 weeks of history needed")
	require.True(t, math.IsNaN(row.Z))

	row, in = channelRow(k, series(l, 9, 2, 2, 2, 2), l, e, old, l.WindowStart, nil)
	require.False(t, in)
	require.Contains(t, row.Reason, "window not collected yet")
	require.True(t, math.IsNaN(row.Z))

	row, in = channelRow(k, series(l, 9), l, e, old, late, nil)
	require.True(t, in, "zero posts are data: the channel still counts in its communities")
	require.Equal(t, StatusSkipped, row.Status)
	require.Contains(t, row.Reason, "z is undefined")
}

func TestCommunityTargeted(t *testing.T) {
	k := job.Key{Platform: "telegram", ChannelID: 7}
	require.True(t, communityTargeted(schema.Event{TargetKind: "community", Targets: []string{"a"}}, "a", nil))
	require.False(t, communityTargeted(schema.Event{TargetKind: "community", Targets: []string{"a"}}, "b", []job.Key{k}))
	require.True(t, communityTargeted(schema.Event{Platform: "telegram", TargetKind: "channel", TargetChannelIDs: []uint64{7}}, "b", []job.Key{k}))
	require.False(t, communityTargeted(schema.Event{Platform: "telegram", TargetKind: "channel", TargetChannelIDs: []uint64{8}}, "b", []job.Key{k}))
	require.True(t, communityTargeted(schema.Event{TargetKind: "platform", Targets: []string{"twitter"}}, "b", []job.Key{k}))
}

func TestPushTop(t *testing.T) {
	var top []Burst
	for i := range TopN + 5 {
		top = pushTop(top, Burst{EventID: "e", ChannelID: uint64(i), Z: float64(i % 7)})
	}
	require.Len(t, top, TopN)
	require.Equal(t, 6.0, top[0].Z)
	require.Equal(t, uint64(6), top[0].ChannelID, "ties keep the lower channel first")
	require.Equal(t, uint64(13), top[1].ChannelID)
	for i := 1; i < len(top); i++ {
		require.GreaterOrEqual(t, top[i-1].Z, top[i].Z)
	}
}
