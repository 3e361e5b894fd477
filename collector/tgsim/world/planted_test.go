package world

import (
	"encoding/json"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// plantedCase is a world whose truth the planted-parameter tests check.
type plantedCase struct {
	name  string
	world func(t testing.TB) (*World, *Truth)
}

var (
	smallTruthOnce sync.Once
	smallTruth     *Truth
	smallTruthErr  error
)

// smallWithTruth is the small world with a truth of snapshots every 12
// hours and counters at 1 h and 24 h.
func smallWithTruth(t testing.TB) (*World, *Truth) {
	t.Helper()
	w := small(t)
	smallTruthOnce.Do(func() {
		var snaps []time.Time
		for at := w.Start(); !at.After(w.End()); at = at.Add(12 * time.Hour) {
			snaps = append(snaps, at)
		}
		smallTruth, smallTruthErr = w.Truth(TruthOptions{SnapshotTimes: snaps, CounterAges: []time.Duration{time.Hour, 24 * time.Hour}})
	})
	require.NoError(t, smallTruthErr)
	return w, smallTruth
}

func plantedCases() []plantedCase {
	return []plantedCase{
		{"small", smallWithTruth},
		{"migration", migration},
	}
}

func TestTruthExportsSpec(t *testing.T) {
	migSpec, err := LoadSpec("testdata/migration.yaml")
	require.NoError(t, err)
	smallSpec, err := LoadSpec("testdata/small.yaml")
	require.NoError(t, err)
	noEvents, err := ParseSpec([]byte("channels: 10\ncommunities: 2\n"), "inline")
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		spec Spec
	}{
		{"small", smallSpec},
		{"migration", migSpec},
		{"default", DefaultSpec(20)},
		{"no events", noEvents},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := Generate(tc.spec, 3)
			require.NoError(t, err)
			tr, err := w.Truth(TruthOptions{NoPosts: true, Until: w.Start().Add(time.Hour)})
			require.NoError(t, err)
			want := tc.spec
			if want.Events == nil {
				want.Events = []EventSpec{}
			}
			require.Equal(t, want, tr.Spec, "the whole spec, events after Until included")

			// The JSON form reads back into the same spec.
			b, err := json.Marshal(tr.Spec)
			require.NoError(t, err)
			var back Spec
			require.NoError(t, json.Unmarshal(b, &back))
			require.Equal(t, want, back)
			require.Contains(t, string(b), `"per_day":`, "JSON names fields as the YAML does")

			// The truth's copy shares nothing with the world.
			for i := range tr.Spec.Events {
				if tr.Spec.Events[i].Community != nil {
					*tr.Spec.Events[i].Community = 99
				}
				tr.Spec.Events[i].Name = "changed"
			}
			if tr.Spec.Links.Platforms != nil {
				tr.Spec.Links.Platforms["twitter"] = -1
			}
			require.Equal(t, tc.spec.Events, w.Spec().Events)
			require.Equal(t, tc.spec.Links.Platforms, w.Spec().Links.Platforms)
		})
	}
}

func TestTruthReachAndMultipliers(t *testing.T) {
	for _, tc := range plantedCases() {
		t.Run(tc.name, func(t *testing.T) {
			w, tr := tc.world(t)
			reach := map[int64]float64{}
			for _, c := range tr.Channels {
				require.Equal(t, w.byID[c.ID].reach, c.Reach)
				require.InDelta(t, 100*c.Reach*math.Exp(0.125), c.ERR, 1e-9, "ERR = 100 reach E[lognormal(1, 0.5)]")
				reach[c.ID] = c.Reach
			}
			var mults, ratios []float64
			for i, p := range tr.Posts {
				if p.Service {
					require.Zero(t, p.Multiplier)
					require.Zero(t, p.FinalViews)
					continue
				}
				require.Positive(t, p.Multiplier)
				require.GreaterOrEqual(t, p.Burst, 1.0)
				require.Positive(t, p.TauSeconds)
				require.InEpsilon(t, p.ExpectedViews*p.Multiplier, p.FinalViews, 1e-6, "final views = expected x multiplier")
				// Expected views are the channel's subscribers at posting times reach times burst.
				ch := w.byID[p.Channel]
				subs := math.Max(float64(w.subscribers(ch, p.Date.Unix())), 1)
				require.InEpsilon(t, subs*reach[p.Channel]*p.Burst, p.ExpectedViews, 1e-9)
				for _, c := range p.Counters {
					want := p.FinalViews * (1 - math.Exp(-c.Age.D().Seconds()/p.TauSeconds))
					require.InDelta(t, want, float64(c.Views), 1.001, "views at age %s", c.Age)
				}
				if p.GroupedID != 0 && i > 0 && tr.Posts[i-1].GroupedID == p.GroupedID {
					require.Equal(t, tr.Posts[i-1].Multiplier, p.Multiplier, "an album's messages share their views")
				} else {
					mults = append(mults, p.Multiplier)
					if p.Burst == 1 {
						ratios = append(ratios, p.FinalViews/p.ExpectedViews)
					}
				}
			}
			require.Greater(t, len(mults), 1000)
			sort.Float64s(mults)
			median := mults[len(mults)/2]
			mean := 0.0
			for _, r := range ratios {
				mean += r / float64(len(ratios))
			}
			t.Logf("%d posts: median multiplier %.3f, mean final/expected outside bursts %.3f", len(mults), median, mean)
			require.InDelta(t, 1, median, 0.05, "multipliers have median 1")
			require.InEpsilon(t, math.Exp(0.125), mean, 0.05, "and mean e^(sigma^2/2), which ERR uses")
		})
	}
}

func TestTruthModelSubscribers(t *testing.T) {
	quiet := func(t testing.TB) (*World, *Truth) {
		spec, err := LoadSpec("testdata/small.yaml")
		require.NoError(t, err)
		spec.Growth.Noise = 0
		w, err := Generate(spec, 7)
		require.NoError(t, err)
		var snaps []time.Time
		for at := w.Start(); !at.After(w.End()); at = at.Add(24 * time.Hour) {
			snaps = append(snaps, at)
		}
		tr, err := w.Truth(TruthOptions{SnapshotTimes: snaps, NoPosts: true})
		require.NoError(t, err)
		return w, tr
	}
	for _, tc := range append(plantedCases(), plantedCase{"noise-free", quiet}) {
		t.Run(tc.name, func(t *testing.T) {
			w, tr := tc.world(t)
			if len(tr.Snapshots) == 0 {
				// The migration truth takes no snapshots: take some.
				var err error
				tr, err = w.Truth(TruthOptions{SnapshotTimes: []time.Time{w.Start(), w.Start().Add(50 * 24 * time.Hour), w.End()}, NoPosts: true})
				require.NoError(t, err)
			}
			noise := w.Spec().Growth.Noise
			active, off := 0, 0
			for _, s := range tr.Snapshots {
				if s.Status != StatusActive {
					require.Zero(t, s.ModelSubscribers)
					continue
				}
				require.Positive(t, s.ModelSubscribers)
				if noise == 0 {
					require.Equal(t, max(1, int(math.Round(s.ModelSubscribers))), s.Subscribers)
				} else {
					// The noise is a smooth deviate within ±3 sigma.
					require.InDelta(t, s.ModelSubscribers, float64(s.Subscribers), 3*noise*s.ModelSubscribers+1)
					if float64(s.Subscribers) != math.Round(s.ModelSubscribers) {
						off++
					}
				}
				active++
			}
			require.Positive(t, active)
			if noise > 0 {
				require.Positive(t, off, "observed counts carry noise")
			}
		})
	}
}

func TestTruthAttackChannels(t *testing.T) {
	for _, tc := range plantedCases() {
		t.Run(tc.name, func(t *testing.T) {
			w, tr := tc.world(t)
			attacks := 0
			for _, e := range tr.WorldEvents {
				if e.Kind != EventAttack {
					require.Nil(t, e.Channels)
					continue
				}
				attacks++
				require.NotEmpty(t, e.Channels)
				require.True(t, slices.IsSorted(e.Channels))
				listed := map[int64]bool{}
				for _, id := range e.Channels {
					listed[id] = true
					ch := w.byID[id]
					require.NotNil(t, ch)
					if e.Community != nil {
						require.Equal(t, *e.Community, ch.community, "an attack affects its community only")
					}
					require.Contains(t, ch.attacks, e.Index)
				}
				jumped := 0
				for _, c := range tr.Channels {
					hasJump := false
					for _, cp := range c.Growth.Changepoints {
						if cp.Cause == "attack: "+e.Name {
							hasJump = true
						}
					}
					if hasJump {
						jumped++
						require.True(t, listed[c.ID], "channel %d jumps after %s but is not listed", c.ID, e.Name)
					}
					if !listed[c.ID] {
						require.NotContains(t, w.byID[c.ID].attacks, e.Index)
					}
				}
				require.Positive(t, jumped)
			}
			require.Equal(t, 1, attacks)
		})
	}
}

func TestTruthReincarnations(t *testing.T) {
	for _, tc := range plantedCases() {
		t.Run(tc.name, func(t *testing.T) {
			w, tr := tc.world(t)
			channels := map[int64]TruthChannel{}
			for _, c := range tr.Channels {
				channels[c.ID] = c
			}
			banned := map[int64]time.Time{}
			events := 0
			for _, e := range tr.Events {
				switch e.Kind {
				case TruthBanned:
					banned[e.Channel] = e.At
				case TruthReincarnated:
					events++
				}
			}
			require.Len(t, tr.Reincarnations, events, "one entry per reincarnated event")
			require.NotEmpty(t, tr.Reincarnations)
			for _, r := range tr.Reincarnations {
				c := channels[r.Channel]
				require.Equal(t, r.Predecessor, c.Predecessor)
				require.Equal(t, r.Channel, channels[r.Predecessor].Successor)
				require.Equal(t, banned[r.Predecessor], r.BannedAt)
				require.Equal(t, c.Created, r.Created)
				require.Equal(t, r.Created.Sub(r.BannedAt), r.Lag.D())
				require.Greater(t, r.Carryover, 0.0)
				require.LessOrEqual(t, r.Carryover, 1.0)
				require.Equal(t, r.Carryover, c.Carryover)
				require.InDelta(t, math.Max(r.Carryover*r.PredecessorAudience, 5), r.InitialAudience, 1e-9)
				require.Equal(t, c.Growth.N0, r.InitialAudience)
				// The predecessor's audience is what it had just before its ban.
				p := w.byID[r.Predecessor]
				v, err := w.Channel(p.id, p.hash, r.BannedAt.Add(-time.Second))
				require.NoError(t, err)
				require.InDelta(t, math.Max(float64(v.Subscribers), 10), r.PredecessorAudience, 1)
				// And the new channel starts at the carried-over share.
				nv, err := w.Channel(r.Channel, c.AccessHash, r.Created)
				require.NoError(t, err)
				require.InDelta(t, r.InitialAudience, float64(nv.Subscribers), 3*w.Spec().Growth.Noise*r.InitialAudience+1)
			}
			for _, c := range tr.Channels {
				if c.Predecessor == 0 {
					require.Zero(t, c.Carryover)
				}
			}
		})
	}
}

func TestJensenShannon(t *testing.T) {
	for _, tc := range []struct {
		name string
		p, q []float64
		want float64
	}{
		{"identical", []float64{0.2, 0.3, 0.5}, []float64{0.2, 0.3, 0.5}, 0},
		{"disjoint", []float64{1, 0}, []float64{0, 1}, math.Ln2},
		{"half and certain", []float64{0.5, 0.5}, []float64{1, 0}, 0.5*(0.5*math.Log(0.5/0.75)+0.5*math.Log(2)) + 0.5*math.Log(1/0.75)},
		{"zeros on both sides", []float64{0, 0.5, 0.5}, []float64{0, 0.5, 0.5}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.InDelta(t, tc.want, jensenShannon(tc.p, tc.q), 1e-12)
			require.InDelta(t, tc.want, jensenShannon(tc.q, tc.p), 1e-12, "symmetric")
		})
	}
}

// takedownSpec is a world with a twitter takedown: in community 0 only
// when named, else in every community.
func takedownSpec(t testing.TB, named bool) Spec {
	t.Helper()
	community := ""
	if named {
		community = ", community: 0"
	}
	spec, err := ParseSpec([]byte(`
channels: 150
communities: 3
start: 2026-01-01
duration: 50d
history: 20d
created_during: 0.1
posting: {per_day: 4, forwards: 0.2}
links: {per_post: 1.5, platforms: {twitter: 30}}
lifecycle: {bans: 0, private: 0, deletions: 0}
events:
  - {kind: takedown, platform: twitter, at: 2026-01-21T00:00:00Z, share: 0.9`+community+`}
`), "inline")
	require.NoError(t, err)
	return spec
}

func TestTakedownShiftsOnlyTheNamedCommunity(t *testing.T) {
	for _, tc := range []struct {
		name    string
		named   bool
		treated []bool
	}{
		{"named community", true, []bool{true, false, false}},
		{"every community", false, []bool{true, true, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := Generate(takedownSpec(t, tc.named), 5)
			require.NoError(t, err)
			tr, err := w.Truth(TruthOptions{})
			require.NoError(t, err)
			require.Len(t, tr.LinkMix, 3)
			at := tr.LinkMix[0].At.Unix()

			// Observed organic links per community and period.
			community := map[int64]int{}
			for _, c := range tr.Channels {
				community[c.ID] = c.Community
			}
			dates := map[[2]int64]int64{}
			for _, p := range tr.Posts {
				dates[[2]int64{p.Channel, int64(p.ID)}] = p.Date.Unix()
			}
			type key struct{ com, period int }
			counts := map[key]map[string]float64{}
			totals := map[key]float64{}
			for _, l := range tr.Links {
				d := dates[[2]int64{l.Channel, int64(l.Post)}]
				period := -1
				switch {
				case d >= at-20*day && d < at:
					period = 0
				case d >= at+9*day && d < at+29*day:
					period = 1 // from three ramps after the takedown
				}
				if period < 0 || l.Forwarded {
					continue
				}
				k := key{community[l.Channel], period}
				if counts[k] == nil {
					counts[k] = map[string]float64{}
				}
				counts[k][l.Platform]++
				totals[k]++
			}
			share := func(c, period int, platform string) float64 {
				k := key{c, period}
				return counts[k][platform] / totals[k]
			}

			for ci, lm := range tr.LinkMix {
				require.Equal(t, ci, lm.Community)
				require.Equal(t, tc.treated[ci], lm.Treated, "community %d", ci)
				sum := 0.0
				for i, s := range lm.Before {
					require.Equal(t, Platforms()[i], s.Platform)
					sum += s.Share
				}
				require.InDelta(t, 1, sum, 1e-9)
				require.InDelta(t, jensenShannon(shares(lm.Before), shares(lm.After)), lm.JSShift, 1e-12)
				twBefore, twAfter := lm.Before[0].Share, lm.After[0].Share
				obsBefore, obsAfter := share(ci, 0, "twitter"), share(ci, 1, "twitter")
				t.Logf("community %d: expected twitter %.3f -> %.3f (JS %.4f), observed %.3f -> %.3f (%0.f, %0.f links)",
					ci, twBefore, twAfter, lm.JSShift, obsBefore, obsAfter, totals[key{ci, 0}], totals[key{ci, 1}])
				require.Greater(t, totals[key{ci, 0}], 500.0)
				require.InDelta(t, twBefore, obsBefore, 0.05, "observed links follow the expected mix before")
				if lm.Treated {
					require.InDelta(t, 0.1*twBefore, twAfter, 1e-9, "90% of the twitter share goes")
					require.Greater(t, lm.JSShift, 0.01)
					require.Less(t, obsAfter, obsBefore/3)
					require.InDelta(t, twAfter, obsAfter, 0.05, "and after")
				} else {
					require.Equal(t, lm.Before, lm.After, "an untreated community's mix does not shift")
					require.Zero(t, lm.JSShift)
					require.InDelta(t, obsBefore, obsAfter, 0.05, "nor do its links")
				}
			}
		})
	}
}

func shares(s []TruthShare) []float64 {
	out := make([]float64, len(s))
	for i := range s {
		out[i] = s[i].Share
	}
	return out
}

func TestTruthForwardWeights(t *testing.T) {
	for _, tc := range plantedCases() {
		t.Run(tc.name, func(t *testing.T) {
			_, tr := tc.world(t)
			edges := map[[2]int64]int{}
			for _, e := range tr.Forwards {
				edges[[2]int64{e.Channel, e.Source}] = e.Count
			}
			var ws, obs []float64
			for _, c := range tr.Channels {
				require.Len(t, c.SourceWeights, len(c.Sources))
				sum, n := 0.0, 0
				for i, sw := range c.SourceWeights {
					require.Equal(t, c.Sources[i], sw.Source)
					require.Positive(t, sw.Weight)
					sum += sw.Weight
					n += edges[[2]int64{c.ID, sw.Source}]
				}
				if len(c.SourceWeights) > 0 {
					require.InDelta(t, 1, sum, 1e-9)
				}
				// Every forward from a world channel comes from a planted source.
				for k, cnt := range edges {
					if k[0] == c.ID {
						require.Contains(t, c.Sources, k[1], "%d forwards %d times from %d", c.ID, cnt, k[1])
					}
				}
				if n >= 40 {
					for _, sw := range c.SourceWeights {
						ws = append(ws, sw.Weight)
						obs = append(obs, float64(edges[[2]int64{c.ID, sw.Source}])/float64(n))
					}
				}
			}
			r := correlation(ws, obs)
			t.Logf("%d (channel, source) pairs: correlation of planted weight and observed share %.3f", len(ws), r)
			require.Greater(t, len(ws), 50)
			require.Greater(t, r, 0.7, "channels forward from their sources in proportion to the weights")
		})
	}
}

func correlation(x, y []float64) float64 {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i] / n
		my += y[i] / n
	}
	var sxy, sxx, syy float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
	}
	return sxy / math.Sqrt(sxx*syy)
}

func TestTruthClipsToUntil(t *testing.T) {
	w := small(t)
	full, err := w.Truth(TruthOptions{NoPosts: true})
	require.NoError(t, err)
	for _, tc := range []struct {
		name  string
		until time.Time
	}{
		{"before the twitter takedown", w.Start().Add(3 * 24 * time.Hour)},
		{"between takedown and attack", w.Start().Add(6 * 24 * time.Hour)},
		{"after the attack", w.Start().Add(10 * 24 * time.Hour)},
		{"the end", w.End()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := w.Truth(TruthOptions{NoPosts: true, Until: tc.until})
			require.NoError(t, err)
			later := func(at time.Time) bool { return at.After(tc.until) }
			countLater := 0
			for _, c := range full.Channels {
				for _, cp := range c.Growth.Changepoints {
					if later(cp.At) {
						countLater++
					}
				}
			}
			if tc.until.Before(w.End()) {
				require.Positive(t, countLater, "the full truth has changepoints after Until")
			}
			created := map[int64]bool{}
			kept := 0
			for _, c := range tr.Channels {
				created[c.ID] = true
				for _, cp := range c.Growth.Changepoints {
					require.False(t, later(cp.At), "changepoint %s of %d after Until", cp.At, c.ID)
					kept++
				}
			}
			want := 0
			for _, c := range full.Channels {
				for _, cp := range c.Growth.Changepoints {
					if !later(cp.At) && !later(c.Created) {
						want++
					}
				}
			}
			require.Equal(t, want, kept, "every changepoint by Until is kept")
			for _, e := range tr.WorldEvents {
				require.False(t, later(e.At))
				for _, id := range e.Channels {
					require.True(t, created[id])
				}
			}
			for _, lm := range tr.LinkMix {
				require.False(t, later(lm.At))
			}
			for _, r := range tr.Reincarnations {
				require.False(t, later(r.Created))
			}
			require.Len(t, tr.Spec.Events, len(w.Spec().Events), "the spec keeps every event")
			n := 0
			for _, e := range w.Spec().Events {
				if !later(e.At) {
					n++
				}
			}
			require.Len(t, tr.WorldEvents, n)
			require.Len(t, tr.LinkMix, 3*countKind(w.Spec().Events, EventTakedown, tc.until))
		})
	}
}

func countKind(events []EventSpec, kind string, until time.Time) int {
	n := 0
	for _, e := range events {
		if e.Kind == kind && !e.At.After(until) {
			n++
		}
	}
	return n
}

// The planted fields are in the JSON under snake_case names.
func TestTruthJSONNames(t *testing.T) {
	_, tr := smallWithTruth(t)
	b, err := json.Marshal(tr)
	require.NoError(t, err)
	for _, name := range []string{`"spec":`, `"reincarnations":`, `"link_mix":`, `"js_shift":`, `"source_weights":`,
		`"reach":`, `"err":`, `"carryover":`, `"model_subscribers":`, `"multiplier":`, `"expected_views":`,
		`"final_views":`, `"tau_seconds":`, `"treated":`} {
		require.True(t, strings.Contains(string(b), name), name)
	}
}
