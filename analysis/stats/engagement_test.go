package stats

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func nan() float64 { return math.NaN() }

func TestERRAndER(t *testing.T) {
	end := utc(2024, 5, 31, 0)
	posts := []Post{
		{At: end.Add(-time.Hour), Views: 1000, Forwards: 10, Replies: 5, Reactions: 35},
		{At: end.Add(-10 * 24 * time.Hour), Views: 3000, Forwards: 30, Reactions: 120},
		{At: end.Add(-EngagementWindow + time.Hour), Views: 2000, Replies: 20, Reactions: 30},
		{At: end, Views: 0}, // at end: inside
		{At: end.Add(-2 * 24 * time.Hour), Views: 100000, Deleted: true}, // deleted
		{At: end.Add(-EngagementWindow), Views: 50000, Forwards: 999},    // window is open at its start
		{At: end.Add(time.Hour), Views: 70000, Reactions: 999},           // after end
	}
	// Counted: the first four. Views 6000 over 4 posts, mean 1500; with
	// 5000 subscribers ERR = 1500/5000*100 = 30.
	// Interactions 50 + 150 + 50 + 0 = 250; ER = 250/6000*100 = 4.1666...
	got, err := ERR(posts, 5000, end)
	require.NoError(t, err)
	require.InDelta(t, 30, got, 1e-12)
	got, err = ER(posts, end)
	require.NoError(t, err)
	require.InDelta(t, 25.0/6, got, 1e-12)
}

func TestEngagementErrors(t *testing.T) {
	end := utc(2024, 5, 31, 0)
	ok := []Post{{At: end.Add(-time.Hour), Views: 10}}
	old := []Post{{At: end.Add(-40 * 24 * time.Hour), Views: 10}}
	deleted := []Post{{At: end.Add(-time.Hour), Views: 10, Deleted: true}}
	negative := []Post{{At: end.Add(-time.Hour), Views: 10}, {At: end.Add(-50 * 24 * time.Hour), Reactions: -1}}
	noViews := []Post{{At: end.Add(-time.Hour), Views: 0, Reactions: 3}}

	_, err := ERR(ok, 0, end)
	require.ErrorIs(t, err, ErrNonPositive)
	_, err = ERR(ok, nan(), end)
	require.ErrorIs(t, err, ErrNonPositive)
	_, err = ERR(old, 100, end)
	require.ErrorIs(t, err, ErrTooFewPoints)
	_, err = ERR(deleted, 100, end)
	require.ErrorIs(t, err, ErrTooFewPoints)
	_, err = ERR(nil, 100, end)
	require.ErrorIs(t, err, ErrTooFewPoints)
	// A negative counter is a caller bug even outside the window.
	_, err = ERR(negative, 100, end)
	require.ErrorIs(t, err, ErrInvalidInput)
	_, err = ER(negative, end)
	require.ErrorIs(t, err, ErrInvalidInput)
	_, err = ER(old, end)
	require.ErrorIs(t, err, ErrTooFewPoints)
	_, err = ER(noViews, end)
	require.ErrorIs(t, err, ErrNonPositive)
	// Zero views are a valid ERR of 0.
	got, err := ERR(noViews, 100, end)
	require.NoError(t, err)
	require.Zero(t, got)
}

func TestInterquartileMean(t *testing.T) {
	iiMod37 := make([]float64, 100)
	for i := range iiMod37 {
		iiMod37[i] = float64((i * i) % 37)
	}
	mod101 := make([]float64, 57)
	for i := range mod101 {
		mod101[i] = float64(1000 + (i*7919)%101)
	}
	// Expected values: scipy.stats.trim_mean(x, 0.25), see
	// testdata/trim_mean_scipy.py; the small cases also by hand.
	tests := []struct {
		name string
		x    []float64
		want float64
		ok   bool
	}{
		// Sorted 1 1 2 3 3 4 5 5 6 9; drop 2 each end: (2+3+3+4+5+5)/6.
		{name: "digits of pi", x: []float64{3, 1, 4, 1, 5, 9, 2, 6, 5, 3}, want: 22.0 / 6, ok: true},
		// Sorted 10 30 40 60 70 200 5000; drop 1 each end: 400/5.
		{name: "n=7 with outlier", x: []float64{10, 200, 30, 40, 5000, 60, 70}, want: 80, ok: true},
		{name: "n=3 cuts nothing", x: []float64{1, 2, 9}, want: 4, ok: true},
		{name: "single", x: []float64{7}, want: 7, ok: true},
		{name: "i*i mod 37, n=100", x: iiMod37, want: 18.4, ok: true},
		{name: "n=57", x: mod101, want: 1049.4827586206898, ok: true},
		{name: "empty", x: nil},
		{name: "NaN", x: []float64{1, nan(), 3, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			orig := append([]float64(nil), tc.x...)
			got, ok := InterquartileMean(tc.x)
			require.Equal(t, tc.ok, ok)
			require.InDelta(t, tc.want, got, 1e-9)
			if tc.ok {
				require.Equal(t, orig, tc.x, "input must not be reordered")
			}
		})
	}
}

func TestOverperformanceScore(t *testing.T) {
	// The examples of CrowdTangle's help article "How do you calculate
	// overperforming scores?".
	tests := []struct {
		name             string
		actual, expected float64
		want             float64
		ok               bool
	}{
		{name: "100 vs benchmark 50", actual: 100, expected: 50, want: 2, ok: true},
		{name: "100 vs benchmark 200", actual: 100, expected: 200, want: -2, ok: true},
		{name: "1 vs benchmark 200", actual: 1, expected: 200, want: -200, ok: true},
		{name: "0 vs benchmark 200", actual: 0, expected: 200, want: -400, ok: true},
		{name: "exactly as expected", actual: 50, expected: 50, want: 1, ok: true},
		{name: "zero benchmark", actual: 5, expected: 0},
		{name: "negative actual", actual: -1, expected: 10},
		{name: "NaN actual", actual: nan(), expected: 10},
		{name: "NaN benchmark", actual: 1, expected: nan()},
		{name: "infinite actual", actual: math.Inf(1), expected: 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := OverperformanceScore(tc.actual, tc.expected)
			require.Equal(t, tc.ok, ok)
			require.InDelta(t, tc.want, got, 1e-12)
		})
	}
}

func TestOverperformance(t *testing.T) {
	t0 := utc(2024, 1, 1, 0)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Hour) }

	var posts []PostObs
	// Ten text posts: the first ten have no (or too little) history.
	for i, v := range []float64{3, 1, 4, 1, 5, 9, 2, 6, 5, 3} {
		posts = append(posts, PostObs{At: at(i), Kind: "text", Value: v})
	}
	// Photos interleave but never enter the text benchmark.
	posts = append(posts,
		PostObs{At: at(10), Kind: "photo", Value: 1000},
		// Text history IQM 22/6 (see TestInterquartileMean): 11/(22/6) = 3.
		PostObs{At: at(11), Kind: "text", Value: 11},
		// History 3 1 4 1 5 9 2 6 5 3 11, sorted 1 1 2 3 3 4 5 5 6 9 11,
		// drop 2 each end: 28/7 = 4; 2 < 4 -> -4/2 = -2.
		PostObs{At: at(12), Kind: "text", Value: 2},
		// History adds 2: sorted 1 1 2 2 3 3 4 5 5 6 9 11, drop 3 each
		// end: 22/6; a post with nothing scores -2*22/6.
		PostObs{At: at(12), Kind: "text", Value: 0}, // same time: slice order decides
	)
	want := []float64{nan(), nan(), nan(), nan(), nan(), nan(), nan(), nan(), nan(), nan(), nan(), 3, -2, -44.0 / 6}
	got, err := Overperformance(posts)
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for i := range want {
		if math.IsNaN(want[i]) {
			require.True(t, math.IsNaN(got[i]), "post %d: got %v", i, got[i])
			continue
		}
		require.InDelta(t, want[i], got[i], 1e-12, "post %d", i)
	}
}

func TestOverperformanceHistoryWindow(t *testing.T) {
	// 50 posts of 1, then 100 of 7, then one of 14. Only the last 100 count,
	// so the benchmark is 7 and the score 2. (Using all 150 would give the
	// trimmed mean (13*1 + 63*7)/76 = 5.97 and a score of 2.34.)
	var posts []PostObs
	t0 := utc(2024, 1, 1, 0)
	for i := 0; i < 151; i++ {
		v := 1.0
		switch {
		case i == 150:
			v = 14
		case i >= 50:
			v = 7
		}
		posts = append(posts, PostObs{At: t0.Add(time.Duration(i) * time.Minute), Kind: "video", Value: v})
	}
	got, err := Overperformance(posts)
	require.NoError(t, err)
	require.InDelta(t, 2, got[150], 1e-12)
	// Post 60 sees 50 ones and 10 sevens: sorted, drop 15 each end, leaving
	// 30 values, all 1 -> benchmark 1, score 7.
	require.InDelta(t, 7, got[60], 1e-12)
}

func TestOverperformanceEdgeCases(t *testing.T) {
	t0 := utc(2024, 1, 1, 0)
	zeros := make([]PostObs, 11)
	for i := range zeros {
		zeros[i] = PostObs{At: t0.Add(time.Duration(i) * time.Hour), Kind: "text"}
	}
	zeros[10].Value = 5
	got, err := Overperformance(zeros)
	require.NoError(t, err)
	require.True(t, math.IsNaN(got[10]), "a zero benchmark cannot be scored")

	got, err = Overperformance(nil)
	require.NoError(t, err)
	require.Empty(t, got)

	_, err = Overperformance([]PostObs{{At: t0.Add(time.Hour)}, {At: t0}})
	require.ErrorIs(t, err, ErrUnordered)
	_, err = Overperformance([]PostObs{{At: t0, Value: -1}})
	require.ErrorIs(t, err, ErrInvalidInput)
	_, err = Overperformance([]PostObs{{At: t0, Value: nan()}})
	require.ErrorIs(t, err, ErrInvalidInput)
}

// overperformanceNaive is the direct definition of Overperformance: for each
// post, InterquartileMean over an explicit copy of the up to
// OverperformanceHistory previous values of the same kind.
func overperformanceNaive(posts []PostObs) []float64 {
	out := make([]float64, len(posts))
	for i, p := range posts {
		var window []float64
		for j := i - 1; j >= 0 && len(window) < OverperformanceHistory; j-- {
			if posts[j].Kind == p.Kind {
				window = append(window, posts[j].Value)
			}
		}
		// Put the window back in time order; InterquartileMean sorts it
		// anyway, but this keeps it the same slice the definition names.
		for a, b := 0, len(window)-1; a < b; a, b = a+1, b-1 {
			window[a], window[b] = window[b], window[a]
		}
		out[i] = math.NaN()
		if len(window) < OverperformanceMinHistory {
			continue
		}
		bench, ok := InterquartileMean(window)
		if !ok {
			continue
		}
		if s, ok := OverperformanceScore(p.Value, bench); ok {
			out[i] = s
		}
	}
	return out
}

// randomPostObs returns n time-ordered posts of the given kinds, interleaved
// at random. Values are drawn from a mix of small integers (many duplicates
// and zeros, including negative zero), heavy-tailed reals and a few large
// outliers.
func randomPostObs(r *rand.Rand, n int, kinds []string) []PostObs {
	t0 := utc(2024, 1, 1, 0)
	at := t0
	posts := make([]PostObs, n)
	for i := range posts {
		// Some posts share a time with the previous one.
		if r.IntN(4) > 0 {
			at = at.Add(time.Duration(1+r.IntN(3600)) * time.Second)
		}
		var v float64
		switch r.IntN(6) {
		case 0:
			v = 0
		case 1:
			v = math.Copysign(0, -1)
		case 2:
			v = float64(r.IntN(5))
		case 3:
			v = math.Exp(r.NormFloat64()*2 + 5)
		case 4:
			v = r.Float64() * 1e-3
		default:
			v = float64(r.IntN(1000)) * 1e6
		}
		posts[i] = PostObs{At: at, Kind: kinds[r.IntN(len(kinds))], Value: v}
	}
	return posts
}

func TestOverperformanceMatchesNaive(t *testing.T) {
	kindSets := [][]string{
		{"text"},
		{"text", "photo"},
		{"text", "photo", "video"},
		{"text", "photo", "video", "forward", "poll"},
	}
	for seed := uint64(1); seed <= 24; seed++ {
		r := rand.New(rand.NewPCG(seed, 0x5eed))
		kinds := kindSets[int(seed)%len(kindSets)]
		n := r.IntN(1001)
		if seed%6 == 0 {
			n = 1000
		}
		posts := randomPostObs(r, n, kinds)
		got, err := Overperformance(posts)
		require.NoError(t, err)
		want := overperformanceNaive(posts)
		require.Len(t, got, len(want))
		for i := range want {
			if math.IsNaN(want[i]) {
				require.True(t, math.IsNaN(got[i]), "seed %d, post %d: got %v, want NaN", seed, i, got[i])
				continue
			}
			require.Equal(t, math.Float64bits(want[i]), math.Float64bits(got[i]),
				"seed %d, post %d: got %v, want %v", seed, i, got[i], want[i])
		}
	}
}

func BenchmarkOverperformance(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 7))
	posts := randomPostObs(r, 20000, []string{"text", "photo", "video"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Overperformance(posts); err != nil {
			b.Fatal(err)
		}
	}
}

func utc(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }
