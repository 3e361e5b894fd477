package stats

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// bruteForceOP is the exact optimal-partitioning recursion (Jackson et al.
// 2005): F(t) = min over admissible s of F(s) + C(s,t) + penalty, with every
// s examined at every t. It is O(n^2) and serves as the reference PELT must
// reproduce. The cost is recomputed from scratch (not from prefix sums) so a
// bug in l2Cost would also show up.
func bruteForceOP(x []float64, penalty float64, minSize int) []int {
	n := len(x)
	if minSize < 1 {
		minSize = 1
	}
	if n < 2*minSize {
		return nil
	}
	segCost := func(a, b int) float64 {
		var m float64
		for _, v := range x[a:b] {
			m += v
		}
		m /= float64(b - a)
		var c float64
		for _, v := range x[a:b] {
			c += (v - m) * (v - m)
		}
		return c
	}
	f := make([]float64, n+1)
	last := make([]int, n+1)
	for i := range f {
		f[i] = math.Inf(1)
	}
	f[0] = -penalty
	for t := minSize; t <= n; t++ {
		for s := 0; s <= t-minSize; s++ {
			if math.IsInf(f[s], 1) {
				continue
			}
			if v := f[s] + segCost(s, t) + penalty; v < f[t] {
				f[t], last[t] = v, s
			}
		}
	}
	var cps []int
	for t := last[n]; t > 0; t = last[t] {
		cps = append([]int{t}, cps...)
	}
	return cps
}

func repeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func concat(parts ...[]float64) []float64 {
	var out []float64
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestChangepointsPELTKnown(t *testing.T) {
	step := concat(repeat(0, 10), repeat(5, 8), repeat(-2, 12), repeat(3, 5))
	rng := rand.New(rand.NewPCG(1, 2))
	noisy := make([]float64, len(step))
	for i, v := range step {
		noisy[i] = v + 0.3*rng.NormFloat64()
	}
	tests := []struct {
		name    string
		x       []float64
		penalty float64
		minSize int
		want    []int
	}{
		{name: "noise-free steps", x: step, penalty: 1, minSize: 1, want: []int{10, 18, 30}},
		{name: "noise-free steps minSize 3", x: step, penalty: 1, minSize: 3, want: []int{10, 18, 30}},
		{name: "noise-free steps BIC penalty", x: step, penalty: BICPenalty(step), minSize: 2, want: []int{10, 18, 30}},
		{name: "noisy steps BIC penalty", x: noisy, penalty: BICPenalty(noisy), minSize: 2, want: []int{10, 18, 30}},
		{name: "constant", x: repeat(4, 20), penalty: 1, minSize: 1, want: nil},
		{name: "too short for minSize", x: []float64{0, 9, 9}, penalty: 0.1, minSize: 2, want: nil},
		{name: "empty", x: nil, penalty: 1, minSize: 1, want: nil},
		{name: "huge penalty", x: step, penalty: 1e9, minSize: 1, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, ChangepointsPELT(tc.x, tc.penalty, tc.minSize))
		})
	}
}

func TestChangepointsPELTMatchesOptimalPartitioning(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 7))
	for trial := range 300 {
		n := 5 + rng.IntN(80)
		x := make([]float64, n)
		mean := 0.0
		for i := range x {
			if rng.Float64() < 0.08 {
				mean = rng.NormFloat64() * 3
			}
			x[i] = mean + rng.NormFloat64()
		}
		minSize := 1 + rng.IntN(5)
		var penalty float64
		switch trial % 3 {
		case 0:
			penalty = BICPenalty(x)
		case 1:
			penalty = rng.Float64() * 2 // small: many changes, little pruning slack
		default:
			penalty = 1 + rng.Float64()*20
		}
		want := bruteForceOP(x, penalty, minSize)
		got := ChangepointsPELT(x, penalty, minSize)
		require.Equal(t, want, got, "trial %d n=%d minSize=%d penalty=%g", trial, n, minSize, penalty)
		for i, cp := range got {
			prev := 0
			if i > 0 {
				prev = got[i-1]
			}
			require.GreaterOrEqual(t, cp-prev, minSize)
		}
		if len(got) > 0 {
			require.GreaterOrEqual(t, n-got[len(got)-1], minSize)
		}
	}
}

func TestBICPenalty(t *testing.T) {
	// The 6 differences of {0,1,0,1,0,1,0} are three +1 and three -1, so
	// their median is 0, every |deviation| is 1 and MAD = 1. Then
	// sigma = 1/(0.6745*sqrt2) and penalty = 2*sigma^2*ln 7 = ln7/0.6745^2.
	x := []float64{0, 1, 0, 1, 0, 1, 0}
	require.InDelta(t, math.Log(7)/(0.6745*0.6745), BICPenalty(x), 1e-12)

	// The robust estimate ignores a single large mean shift: inserting a
	// jump barely changes it, unlike a plain variance.
	rng := rand.New(rand.NewPCG(3, 4))
	base := make([]float64, 400)
	for i := range base {
		base[i] = rng.NormFloat64()
	}
	shifted := append([]float64(nil), base...)
	for i := 200; i < 400; i++ {
		shifted[i] += 50
	}
	require.InEpsilon(t, BICPenalty(base), BICPenalty(shifted), 0.05)
	// Unit noise: sigma ~ 1, penalty ~ 2 ln 400.
	require.InEpsilon(t, 2*math.Log(400), BICPenalty(base), 0.2)

	require.Zero(t, BICPenalty([]float64{1, 2}))
	require.Zero(t, BICPenalty(repeat(3, 10)))
}
