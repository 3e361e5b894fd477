package takedowns

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/schema"
)

func TestNameSimilarity(t *testing.T) {
	// Worked by hand: " abc " has the trigrams " ab", "abc", "bc "; " abd " has " ab",
	// "abd", "bd ": one in common, Dice = 2 x 1 / (3 + 3).
	require.InDelta(t, 1.0/3, NameSimilarity("abc", "abd"), 1e-12)
	require.Equal(t, 1.0, NameSimilarity("Free Voice", "🔄 free voice!"))
	require.Equal(t, 0.0, NameSimilarity("abc", "xyz"))
	require.True(t, math.IsNaN(NameSimilarity("", "abc")))
	require.True(t, math.IsNaN(NameSimilarity("🔄", "abc")))
	require.Greater(t, NameSimilarity("free_voice", "free_voice_backup"), 0.6)
	require.Less(t, NameSimilarity("free_voice", "crypto_daily"), 0.2)
}

func TestRespawns(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	p := func(id uint64, created, end time.Time, ended bool, title, user string, subs uint64, src ...uint64) profile {
		lt := schema.TakedownLifetime{Platform: "telegram", ChannelID: id, OriginAt: created, Origin: OriginCreated, EndAt: end}
		if ended {
			lt.Ended = 1
		}
		pr := profile{lt: lt, title: title, username: user, subs: subs, sources: map[uint64]bool{}}
		for _, s := range src {
			pr.sources[s] = true
		}
		return pr
	}
	ps := []profile{
		p(1, at.Add(-90*24*time.Hour), at, true, "Free Voice", "free_voice", 1000, 7, 8),
		p(2, at.Add(36*time.Hour), at.Add(60*24*time.Hour), false, "Free Voice (backup)", "free_voice_backup", 300, 7, 8),
		// The same names as channel 2, but forwarding from other sources: loses to it.
		p(3, at.Add(5*24*time.Hour), at.Add(60*24*time.Hour), false, "Free Voice (backup)", "free_voice_backup", 50, 9),
		// Created too late, and an unrelated new channel.
		p(4, at.Add(20*24*time.Hour), at.Add(60*24*time.Hour), false, "Free Voice", "free_voice_new", 10),
		p(5, at.Add(24*time.Hour), at.Add(60*24*time.Hour), false, "Crypto Daily", "crypto_daily", 10, 7),
	}
	got := respawns(ps, DefaultRespawnWindow, DefaultRespawnScore)
	require.Len(t, got, 1)
	r := got[0]
	require.Equal(t, uint64(2), r.ChannelID)
	require.Equal(t, uint64(1), r.PredecessorID)
	require.Equal(t, 36.0, r.LagHours)
	require.Equal(t, 1.0, r.SourceOverlap)
	require.InDelta(t, 0.3, r.Recovery, 1e-12)
	require.InDelta(t, 1-(1-math.Max(r.TitleSimilarity, r.HandleSimilarity))*(1-sourceWeight), r.Score, 1e-12)
}
