package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// Expected values: statsmodels 0.13, testdata/regress_statsmodels.py, on the same
// deterministic data.
func TestInterruptedTimeSeriesStatsmodels(t *testing.T) {
	var ts, y []float64
	for i := range 60 {
		v := float64(i)
		d := 0.0
		if i >= 30 {
			d = 1
		}
		noise := 0.05*math.Sin(1.7*v) + 0.03*math.Cos(0.37*math.Pow(v, 1.3))
		ts = append(ts, v)
		y = append(y, 0.3+0.002*v-0.15*d+0.001*(v-30)*d+noise)
	}
	got, err := InterruptedTimeSeries(ts, y, 30)
	require.NoError(t, err)
	require.Equal(t, 3, got.Lag)
	require.Equal(t, 30, got.Pre)
	require.Equal(t, 30, got.Post)
	coef := []float64{0.3114070579509566, 0.001216936629416925, -0.12843906517485082, 0.0011787348634808251}
	se := []float64{0.012283018886532517, 0.0006873566028988006, 0.01656948891617401, 0.0007145935713471282}
	for i, e := range []Estimate{got.Intercept, got.Slope, got.Level, got.SlopeChange} {
		require.InDelta(t, coef[i], e.Value, 1e-12, "coefficient %d", i)
		require.InDelta(t, se[i], e.SE, 1e-12, "standard error %d", i)
		require.Less(t, e.Lo, e.Value)
		require.Greater(t, e.Hi, e.Value)
	}
	// The planted level change (-0.15) lies in the interval; zero does not.
	require.Less(t, got.Level.Lo, -0.15)
	require.Greater(t, got.Level.Hi, -0.15)
	require.Less(t, got.Level.Hi, 0.0)
	require.Less(t, got.Level.P, 0.001)
}

func TestDifferenceInDifferencesStatsmodels(t *testing.T) {
	var units []DiDUnit
	for i := range 12 {
		v := float64(i)
		pre := 1.0 + 0.1*v + 0.07*math.Sin(2.3*v)
		post := pre + 0.05 + 0.04*math.Cos(1.1*v)
		if i < 5 {
			post += 0.2
		}
		units = append(units, DiDUnit{Pre: pre, Post: post, Treated: i < 5})
	}
	got, err := DifferenceInDifferences(units)
	require.NoError(t, err)
	require.Equal(t, 5, got.Treated)
	require.Equal(t, 7, got.Control)
	require.InDelta(t, 0.1907929796508459, got.Effect.Value, 1e-12)
	require.InDelta(t, 0.01876464106560963, got.Effect.SE, 1e-12)
	require.Less(t, got.Effect.Lo, 0.2)
	require.Greater(t, got.Effect.Hi, 0.2)

	_, err = DifferenceInDifferences(units[:6])
	require.EqualError(t, err, "did: 5 treated and 1 control units, need 2 each")
}

func TestMeanDifferenceHC1(t *testing.T) {
	var x []float64
	var in []bool
	for i := range 15 {
		v := 0.1 * math.Sin(0.9*float64(i))
		if i%3 == 0 {
			v += 0.05
		}
		x = append(x, v)
		in = append(in, i%3 == 0)
	}
	got, err := MeanDifference(x, in)
	require.NoError(t, err)
	require.InDelta(t, 0.039133101482651034, got.Value, 1e-12)
	require.InDelta(t, 0.041491210497263176, got.SE, 1e-12)
	require.Greater(t, got.P, 0.05) // no difference to speak of
}

func TestNeweyWestLagRule(t *testing.T) {
	for n, want := range map[int]int{10: 2, 27: 2, 28: 3, 60: 3, 99: 3, 100: 4, 272: 4, 273: 5, 365: 5} {
		require.Equal(t, want, NeweyWestLag(n), "n=%d", n)
	}
}

func TestOLSRejectsBadDesigns(t *testing.T) {
	// Two equal columns.
	x := mat.NewDense(4, 2, []float64{1, 1, 1, 1, 1, 1, 1, 1})
	_, err := OLS(x, []float64{1, 2, 3, 4})
	require.ErrorIs(t, err, ErrSingular)
	// Fewer rows than columns.
	_, err = OLS(mat.NewDense(2, 3, []float64{1, 2, 3, 4, 5, 7}), []float64{1, 2})
	require.ErrorIs(t, err, ErrSingular)
	_, err = OLS(mat.NewDense(3, 1, []float64{1, 2, 3}), []float64{1, math.NaN(), 3})
	require.EqualError(t, err, "regression: values not finite")
	// Too few observations after the break.
	_, err = InterruptedTimeSeries([]float64{0, 1, 2, 3, 4}, []float64{1, 2, 3, 4, 5}, 3)
	require.EqualError(t, err, "its: 3 observations before the break and 2 after, need 3 each")
}
