package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// The 6-MP arm of Freireich et al. (1963), remission times in weeks (+ = censored), as in
// Gehan (1965) and Kleinbaum and Klein, "Survival Analysis", table 2.1. Expected values:
// R's survival package, summary(survfit(Surv(time, status) ~ 1)) with its default
// conf.type = "log":
//
//	time n.risk n.event survival std.err lower 95% CI upper 95% CI
//	   6     21       3    0.857  0.0764        0.720        1.000
//	   7     17       1    0.807  0.0869        0.653        0.996
//	  10     15       1    0.753  0.0963        0.586        0.968
//	  13     12       1    0.690  0.1068        0.510        0.935
//	  16     11       1    0.627  0.1141        0.439        0.896
//	  22      7       1    0.538  0.1282        0.337        0.858
//	  23      6       1    0.448  0.1346        0.249        0.807
//
// and print(survfit(...)): n = 21, events = 9, median 23, 0.95LCL 16, 0.95UCL NA.
func TestKaplanMeierSixMP(t *testing.T) {
	times := []float64{6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35}
	event := []bool{true, true, true, false, true, false, true, false, false, true, true, false, false, false, true, true, false, false, false, false, false}
	var obs []Lifetime
	for i := range times {
		obs = append(obs, Lifetime{Exit: times[i], Event: event[i]})
	}
	got, err := KaplanMeier(obs)
	require.NoError(t, err)
	want := []struct {
		t           float64
		n, d        int
		s, se, l, h float64
	}{
		{6, 21, 3, 0.857, 0.0764, 0.720, 1.000},
		{7, 17, 1, 0.807, 0.0869, 0.653, 0.996},
		{10, 15, 1, 0.753, 0.0963, 0.586, 0.968},
		{13, 12, 1, 0.690, 0.1068, 0.510, 0.935},
		{16, 11, 1, 0.627, 0.1141, 0.439, 0.896},
		{22, 7, 1, 0.538, 0.1282, 0.337, 0.858},
		{23, 6, 1, 0.448, 0.1346, 0.249, 0.807},
	}
	require.Equal(t, 21, got.N)
	require.Equal(t, 9, got.Events)
	require.Len(t, got.Steps, len(want))
	for i, w := range want {
		st := got.Steps[i]
		require.Equal(t, w.t, st.Time)
		require.Equal(t, w.n, st.AtRisk, "n.risk at %g", w.t)
		require.Equal(t, w.d, st.Events, "n.event at %g", w.t)
		require.InDelta(t, w.s, st.S, 5e-4, "survival at %g", w.t)
		require.InDelta(t, w.se, st.SE, 5e-5, "std.err at %g", w.t)
		require.InDelta(t, w.l, st.Lo, 5e-4, "lower at %g", w.t)
		require.InDelta(t, w.h, st.Hi, 5e-4, "upper at %g", w.t)
	}
	// Censored in [t, next event): 6+ at 6, 9+ at 7, 10+ 11+ at 10, none at 13,
	// 17+ 19+ 20+ at 16, none at 22, and the five after 23.
	var cens []int
	for _, st := range got.Steps {
		cens = append(cens, st.Censored)
	}
	require.Equal(t, []int{1, 1, 2, 0, 3, 0, 5}, cens)
	require.Equal(t, 23.0, got.Median)
	require.Equal(t, 16.0, got.MedianLo)
	require.True(t, math.IsNaN(got.MedianHi))
	require.Equal(t, 1.0, got.SurvivalAt(5))
	require.InDelta(t, 0.690, got.SurvivalAt(15), 5e-4)
}

// Delayed entry, worked by hand: a subject entering at e is at risk only at event times
// after e. Lifetimes (entry, exit, event): (0,2,1) (0,5,0) (3,4,1) (1,6,1) (4,8,0).
// t=2: at risk (0,2] (0,5] (1,6] = 3 (the one entering at 3 and at 4 are not yet), d=1, S=2/3.
// t=4: at risk (0,5] (3,4] (1,6] = 3 ((4,8] enters at 4, at risk only after), d=1, S=4/9.
// t=6: at risk (1,6] (4,8] = 2, d=1, S=2/9. Median: first S <= 0.5 at t=4.
func TestKaplanMeierDelayedEntry(t *testing.T) {
	got, err := KaplanMeier([]Lifetime{{0, 2, true}, {0, 5, false}, {3, 4, true}, {1, 6, true}, {4, 8, false}})
	require.NoError(t, err)
	require.Len(t, got.Steps, 3)
	for i, w := range []struct {
		t float64
		n int
		s float64
	}{{2, 3, 2.0 / 3}, {4, 3, 4.0 / 9}, {6, 2, 2.0 / 9}} {
		require.Equal(t, w.t, got.Steps[i].Time)
		require.Equal(t, w.n, got.Steps[i].AtRisk)
		require.InDelta(t, w.s, got.Steps[i].S, 1e-12)
	}
	// Greenwood at t=4: S^2 (1/(3*2) + 1/(3*2)).
	require.InDelta(t, 4.0/9*math.Sqrt(1.0/3), got.Steps[1].SE, 1e-12)
	require.Equal(t, 4.0, got.Median)
}

func TestKaplanMeierEdges(t *testing.T) {
	// Everyone dies: S reaches 0 at the last time, the median where it first falls to 0.5;
	// exactly 0.5 over an interval gives the midpoint, as R does.
	got, err := KaplanMeier([]Lifetime{{0, 1, true}, {0, 2, true}, {0, 3, true}, {0, 4, true}})
	require.NoError(t, err)
	require.Equal(t, 0.0, got.Steps[len(got.Steps)-1].S)
	require.Equal(t, 2.5, got.Median)
	// Nobody dies: no steps, no median.
	got, err = KaplanMeier([]Lifetime{{0, 1, false}, {0, 2, false}})
	require.NoError(t, err)
	require.Empty(t, got.Steps)
	require.True(t, math.IsNaN(got.Median))
	for _, bad := range [][]Lifetime{nil, {{2, 1, true}}, {{-1, 1, false}}, {{1, 1, true}}, {{0, math.NaN(), true}}} {
		_, err := KaplanMeier(bad)
		require.Error(t, err, "%v", bad)
	}
}
