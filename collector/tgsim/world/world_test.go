package world

import (
	"bytes"
	"encoding/json"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func truthJSON(t *testing.T, spec Spec, seed int64) []byte {
	t.Helper()
	w, err := Generate(spec, seed)
	require.NoError(t, err)
	tr, err := w.Truth(TruthOptions{
		SnapshotTimes: []time.Time{w.Start(), w.Start().Add(7 * 24 * time.Hour), w.End()},
		CounterAges:   []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour},
	})
	require.NoError(t, err)
	b, err := json.Marshal(tr)
	require.NoError(t, err)
	return b
}

func TestDeterminism(t *testing.T) {
	spec, err := LoadSpec("testdata/small.yaml")
	require.NoError(t, err)
	a := truthJSON(t, spec, 7)
	b := truthJSON(t, spec, 7)
	require.True(t, bytes.Equal(a, b), "same spec and seed give byte-identical truth")
	c := truthJSON(t, spec, 8)
	require.False(t, bytes.Equal(a, c), "another seed gives another world")
	require.Greater(t, len(a), 100_000)

	// Determinism does not depend on which histories were built before, or
	// on a cache that is too small to keep them.
	w, err := GenerateWith(spec, 7, Options{CacheMessages: 10, CacheTimelines: 1})
	require.NoError(t, err)
	for _, id := range w.ChannelIDs()[:5] {
		_, _, _ = w.History(id, w.End(), HistoryQuery{})
	}
	tr, err := w.Truth(TruthOptions{
		SnapshotTimes: []time.Time{w.Start(), w.Start().Add(7 * 24 * time.Hour), w.End()},
		CounterAges:   []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour},
	})
	require.NoError(t, err)
	d, err := json.Marshal(tr)
	require.NoError(t, err)
	require.True(t, bytes.Equal(a, d), "cache size does not change the world")
}

func TestGenerateLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 100k channels")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start, cpu := time.Now(), cpuTime()
	w, err := Generate(DefaultSpec(100000), 3)
	require.NoError(t, err)
	took, cpuTook := time.Since(start), cpuTime()-cpu
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("100k channels: %d with reincarnations, generated in %s (%s CPU), heap %d MB", len(w.chans), took, cpuTook, heap>>20)
	require.GreaterOrEqual(t, len(w.chans), 100000)
	// CPU time, not wall time: the machine may be shared.
	require.Less(t, cpuTook, 20*time.Second)
	require.Less(t, heap, int64(1<<30))
	// A channel deep in the list is served.
	ch := w.chans[77777]
	at := unixTime(ch.stop - 1)
	_, n, err := w.History(ch.id, at, HistoryQuery{})
	require.NoError(t, err)
	require.Positive(t, n)
}

func TestChannelIDsAndIdentities(t *testing.T) {
	w := small(t)
	ids := w.ChannelIDs()
	require.GreaterOrEqual(t, len(ids), 40)
	seen := map[string]int64{}
	before, during := 0, 0
	noUsername := 0
	for i, id := range ids {
		ch := w.byID[id]
		if i > 0 {
			require.Greater(t, id, ids[i-1], "ascending")
			require.GreaterOrEqual(t, ch.created, w.byID[ids[i-1]].created, "later channels, larger ids")
		}
		if ch.created < w.start {
			before++
		} else {
			during++
		}
		for _, u := range ch.usernames {
			if u.value == "" {
				noUsername++
				continue
			}
			require.True(t, validUsername(u.value), u.value)
			low := strings.ToLower(u.value)
			require.NotContains(t, seen, low, "a username belongs to one channel, once")
			seen[low] = id
		}
		require.NotEmpty(t, ch.titles[0].value)
	}
	require.Positive(t, before)
	require.Positive(t, during)
}

func TestResolveAndRenames(t *testing.T) {
	w := small(t)
	renamed := 0
	for _, ch := range w.chans {
		if len(ch.usernames) < 2 {
			continue
		}
		for i := 1; i < len(ch.usernames); i++ {
			old, cur := ch.usernames[i-1].value, ch.usernames[i].value
			at := ch.usernames[i].from
			if ch.statusAt(at) != StatusActive {
				continue
			}
			renamed++
			if old != "" {
				v, err := w.ResolveUsername(old, unixTime(at-1))
				require.NoError(t, err)
				require.Equal(t, ch.id, v.ID)
				require.Equal(t, old, v.Username)
				_, err = w.ResolveUsername(old, unixTime(at))
				require.ErrorIs(t, err, ErrUsernameNotOccupied, "the old username is free after a rename")
			}
			v, err := w.ResolveUsername(strings.ToUpper(cur), unixTime(at))
			require.NoError(t, err, "resolution ignores case")
			require.Equal(t, cur, v.Username)
			_, err = w.ResolveUsername("@"+cur, unixTime(at-1))
			require.ErrorIs(t, err, ErrUsernameNotOccupied, "not yet taken")
			// The channel itself, by id, keeps working across the rename.
			v, err = w.Channel(ch.id, ch.hash, unixTime(at))
			require.NoError(t, err)
			require.Equal(t, cur, v.Username)
		}
	}
	require.Positive(t, renamed)

	for _, bad := range []string{"", "ab", "1abc", "a-b-c-d", "name_", strings.Repeat("x", 33), "émile"} {
		_, err := w.ResolveUsername(bad, w.End())
		require.ErrorIs(t, err, ErrUsernameInvalid, bad)
	}
	_, err := w.ResolveUsername("nobody_here_at_all", w.End())
	require.ErrorIs(t, err, ErrUsernameNotOccupied)
}

func TestStatuses(t *testing.T) {
	w := small(t)
	counts := map[Status]int{}
	for _, ch := range w.chans {
		counts[ch.terminal]++
		hash, ok := w.AccessHash(ch.id)
		require.True(t, ok)
		require.Equal(t, ch.hash, hash)
		_, err := w.Channel(ch.id, ch.hash+1, w.End())
		require.ErrorIs(t, err, ErrChannelInvalid, "wrong access hash")
		_, err = w.Channel(ch.id, ch.hash, unixTime(ch.created-1))
		require.ErrorIs(t, err, ErrChannelInvalid, "not created yet")
		v, err := w.Channel(ch.id, ch.hash, unixTime(ch.created))
		require.NoError(t, err)
		require.Equal(t, StatusActive, v.Status)
		require.Positive(t, v.Subscribers)
		if ch.terminal == StatusActive {
			continue
		}
		at := ch.terminalAt
		user := ch.usernames[spanAt(ch.usernames, at)].value
		v, err = w.Channel(ch.id, ch.hash, unixTime(at-1))
		require.NoError(t, err)
		require.Equal(t, StatusActive, v.Status)
		if user != "" {
			_, err = w.ResolveUsername(user, unixTime(at-1))
			require.NoError(t, err)
			_, err = w.ResolveUsername(user, unixTime(at))
			require.ErrorIs(t, err, ErrUsernameNotOccupied)
		}
		v, err = w.Channel(ch.id, ch.hash, unixTime(at))
		require.ErrorIs(t, err, ErrChannelPrivate)
		require.Equal(t, ch.terminal, v.Status)
		require.Equal(t, ch.id, v.ID)
		require.NotEmpty(t, v.Title, "a forbidden channel still shows its title")
		require.Zero(t, v.Subscribers)
		_, err = w.Recommendations(ch.id, unixTime(at))
		require.ErrorIs(t, err, ErrChannelPrivate)
	}
	_, ok := w.AccessHash(12345)
	require.False(t, ok)
	require.Positive(t, counts[StatusBanned])
	require.Positive(t, counts[StatusActive])
	require.Equal(t, "banned", StatusBanned.String())
	require.Equal(t, "unknown", Status(0).String())
}

func TestReincarnations(t *testing.T) {
	w := small(t)
	n := 0
	for _, ch := range w.chans {
		if ch.pred < 0 {
			continue
		}
		n++
		p := w.chans[ch.pred]
		require.Equal(t, StatusBanned, p.terminal)
		require.Greater(t, ch.created, p.terminalAt, "reappears after the ban")
		require.Less(t, ch.created-p.terminalAt, int64(60*day))
		require.Equal(t, p.community, ch.community)
		var want []int32
		for _, s := range p.sources {
			if int(s) != ch.idx {
				want = append(want, s)
			}
		}
		require.Equal(t, want, ch.sources, "same forward sources")
		require.Equal(t, ch.idx, p.succ)
		oldUser := p.usernames[len(p.usernames)-1].value
		newUser := ch.usernames[0].value
		require.NotEmpty(t, newUser)
		if oldUser != "" {
			base := strings.ToLower(strings.TrimRight(oldUser, "0123456789_"))
			require.True(t, strings.HasPrefix(strings.ToLower(newUser), base[:min(len(base), 4)]), "%s after %s", newUser, oldUser)
		}
		require.Contains(t, ch.titles[0].value, strings.TrimPrefix(p.titles[len(p.titles)-1].value, "🔄 "))
		old := w.subscribers(p, p.terminalAt-1)
		start := w.subscribers(ch, ch.created)
		require.Less(t, start, old+old/5+10, "starts with part of the old audience")
		require.Greater(t, float64(start), 0.005*float64(old))
	}
	require.Positive(t, n)
}

func TestSubscriberTrajectories(t *testing.T) {
	w := small(t)
	for _, ch := range w.chans {
		g := ch.growth
		require.Contains(t, []growthModel{modelLogistic, modelExponential, modelDecline}, g.model)
		prev := 0
		for s := ch.created; s < ch.stop; s += 6 * 3600 {
			n := w.subscribers(ch, s)
			require.Positive(t, n)
			base := g.base(ch, s)
			require.InDelta(t, base, float64(n), 0.05*base+1, "noise is small around the planted curve")
			prev = n
		}
		_ = prev
		if g.model == modelLogistic && len(g.jumps) == 0 {
			end := w.subscribers(ch, ch.stop-1)
			require.LessOrEqual(t, float64(end), g.k*1.05)
		}
	}
	// A jump is visible in the series.
	found := false
	for _, ch := range w.chans {
		for _, j := range ch.growth.jumps {
			if j.factor < 1.2 || j.at+j.ramp+day >= ch.stop || j.at-day < ch.created {
				continue
			}
			before := float64(w.subscribers(ch, j.at-1))
			after := float64(w.subscribers(ch, j.at+j.ramp))
			if g := ch.growth.base(ch, j.at+j.ramp) / ch.growth.base(ch, j.at-1); g > 1.15 {
				require.Greater(t, after/before, 1.1)
				found = true
			}
		}
	}
	require.True(t, found)
}

func TestRecommendations(t *testing.T) {
	w := small(t)
	at := w.End().Add(-time.Hour)
	for _, ch := range w.chans {
		if ch.statusAt(at.Unix()) != StatusActive {
			continue
		}
		recs, err := w.Recommendations(ch.id, at)
		require.NoError(t, err)
		require.LessOrEqual(t, len(recs), MaxRecommendations)
		prev := math.MaxInt
		for _, id := range recs {
			r := w.byID[id]
			require.NotEqual(t, ch.id, id)
			require.Equal(t, ch.community, r.community, "similar channels share the community")
			require.Equal(t, StatusActive, r.statusAt(at.Unix()))
			n := w.subscribers(r, at.Unix())
			require.LessOrEqual(t, n, prev, "largest first")
			prev = n
		}
		require.NotEmpty(t, recs)
	}
}

func TestFlags(t *testing.T) {
	spec := DefaultSpec(2000)
	spec.Flags = FlagSpec{Verified: 0.1, Scam: 0.05, Fake: 0.05, Restricted: 0.05}
	w, err := Generate(spec, 1)
	require.NoError(t, err)
	var verified, scam, fake, restricted int
	for _, ch := range w.chans {
		v, err := w.Channel(ch.id, ch.hash, unixTime(ch.created))
		require.NoError(t, err)
		if v.Verified {
			verified++
		}
		if v.Scam {
			scam++
		}
		if v.Fake {
			fake++
		}
		if v.Restricted {
			restricted++
			require.NotEmpty(t, v.RestrictionReasons)
			for _, r := range v.RestrictionReasons {
				require.Contains(t, []string{"all", "ios", "android"}, r.Platform)
				require.NotEmpty(t, r.Reason)
				require.NotEmpty(t, r.Text)
			}
		}
		require.False(t, v.Scam && v.Fake)
	}
	require.InDelta(t, 200, verified, 60)
	require.InDelta(t, 100, scam, 40)
	require.InDelta(t, 100, restricted, 40)
	require.Positive(t, fake)
}
