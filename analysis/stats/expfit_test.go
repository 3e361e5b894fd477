package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFitExponential(t *testing.T) {
	// Noisy case, checked by hand with the simple linear regression formulas
	// of Montgomery & Runger, Applied Statistics and Probability for
	// Engineers, ch. 11:
	//   b1 = Sxy/Sxx, b0 = ybar - b1*tbar, s^2 = SSE/(n-2),
	//   se(b1) = sqrt(s^2/Sxx), CI = b1 -/+ t_{0.025,n-2} se(b1).
	// With t = 0..4 and y = ln S = {1.0, 1.3, 1.4, 1.9, 2.0}:
	//   tbar = 2, ybar = 1.52, Sxx = 10,
	//   Sxy = (-2)(-0.52)+(-1)(-0.22)+0+(1)(0.38)+(2)(0.48) = 2.60,
	//   b1 = 0.26, b0 = 1.52 - 0.52 = 1.00,
	//   residuals = {0, 0.04, -0.12, 0.12, -0.04}, SSE = 0.032,
	//   Syy = 0.708 (check: Syy - b1*Sxy = 0.708 - 0.676 = 0.032),
	//   s^2 = 0.032/3, se = sqrt(0.0010667) = 0.0326598632,
	//   t_{0.025,3} = 3.1824463053, half-width = 0.1039382611,
	//   CI = [0.1560617389, 0.3639382611], R2 = 1 - 0.032/0.708 = 0.9548022599,
	//   doubling = ln2/0.26 = 2.6659506945, interval [ln2/hi, ln2/lo] =
	//   [1.9045735353, 4.4414933821].
	// AIC on the S scale: RSS = sum (e^y - e^(1+0.26t))^2 = 0.9505429195,
	//   AIC = 5 ln(2 pi RSS/5) + 5 + 6 = 11.8885859530.
	noisyY := []float64{1.0, 1.3, 1.4, 1.9, 2.0}
	noisyS := make([]float64, len(noisyY))
	for i, y := range noisyY {
		noisyS[i] = math.Exp(y)
	}

	tests := []struct {
		name string
		t, s []float64
		want ExpFit
		tol  float64
		// exact: residuals are zero, so SE, CI width and AIC are degenerate.
		exact bool
	}{
		{
			// S grows by exactly 10% per day, so ln S is exactly linear with
			// slope ln 1.1 and there is nothing for the CI to cover.
			name:  "exact 10% growth",
			t:     []float64{0, 1, 2, 3, 4, 5},
			s:     []float64{100, 110, 121, 133.1, 146.41, 161.051},
			want:  ExpFit{Rate: math.Log(1.1), Intercept: math.Log(100), N: 6, R2: 1, DoublingDays: math.Ln2 / math.Log(1.1)},
			tol:   1e-12,
			exact: true,
		},
		{
			name: "noisy hand-computed",
			t:    []float64{0, 1, 2, 3, 4},
			s:    noisyS,
			want: ExpFit{
				Rate: 0.26, RateLo: 0.156061738909973, RateHi: 0.363938261090027,
				Intercept: 1.0, StdErr: 0.032659863237109045, N: 5, R2: 0.9548022598870056,
				DoublingDays: 2.665950694461328, DoublingLo: 1.9045735353131288, DoublingHi: 4.441493382050546,
				AIC: 11.888585952997584,
			},
			tol: 1e-9,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FitExponential(tc.t, tc.s)
			require.NoError(t, err)
			require.Equal(t, tc.want.N, got.N)
			require.InDelta(t, tc.want.Rate, got.Rate, tc.tol)
			require.InDelta(t, tc.want.Intercept, got.Intercept, tc.tol)
			require.InDelta(t, tc.want.R2, got.R2, tc.tol)
			require.InDelta(t, tc.want.DoublingDays, got.DoublingDays, tc.tol)
			if tc.exact {
				require.InDelta(t, 0, got.StdErr, 1e-7)
				require.InDelta(t, got.Rate, got.RateLo, 1e-6)
				require.InDelta(t, got.Rate, got.RateHi, 1e-6)
				// RSS is zero or float dust, so the likelihood is enormous.
				require.Less(t, got.AIC, -100.0)
				return
			}
			require.InDelta(t, tc.want.StdErr, got.StdErr, tc.tol)
			require.InDelta(t, tc.want.RateLo, got.RateLo, tc.tol)
			require.InDelta(t, tc.want.RateHi, got.RateHi, tc.tol)
			require.InDelta(t, tc.want.DoublingLo, got.DoublingLo, tc.tol)
			require.InDelta(t, tc.want.DoublingHi, got.DoublingHi, tc.tol)
			require.InDelta(t, tc.want.AIC, got.AIC, tc.tol)
		})
	}
}

func TestFitExponentialErrors(t *testing.T) {
	tests := []struct {
		name string
		t, s []float64
		want error
		msg  string
	}{
		{name: "too few", t: []float64{0, 1}, s: []float64{1, 2}, want: ErrTooFewPoints, msg: "got 2"},
		{name: "empty", t: nil, s: nil, want: ErrTooFewPoints, msg: "got 0"},
		{name: "zero", t: []float64{0, 1, 2}, s: []float64{1, 0, 2}, want: ErrNonPositive, msg: "s[1]"},
		{name: "negative", t: []float64{0, 1, 2}, s: []float64{1, 2, -3}, want: ErrNonPositive, msg: "s[2]"},
		{name: "NaN", t: []float64{0, 1, 2}, s: []float64{math.NaN(), 2, 3}, want: ErrNonPositive, msg: "s[0]"},
		{name: "mismatch", t: []float64{0, 1, 2}, s: []float64{1, 2}, want: ErrLengthMismatch, msg: "len(t)=3"},
		{name: "same times", t: []float64{2, 2, 2}, s: []float64{1, 2, 3}, want: ErrDegenerateTimes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FitExponential(tc.t, tc.s)
			require.ErrorIs(t, err, tc.want)
			require.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestDoublingIntervalCrossingZero(t *testing.T) {
	// Flat-ish data: the rate CI straddles 0, so the doubling time has no
	// finite upper bound.
	got, err := FitExponential([]float64{0, 1, 2, 3}, []float64{10, 11, 9.5, 10.5})
	require.NoError(t, err)
	require.Less(t, got.RateLo, 0.0)
	require.Greater(t, got.RateHi, 0.0)
	require.True(t, math.IsInf(got.DoublingHi, 1))
	require.InDelta(t, math.Ln2/got.RateHi, got.DoublingLo, 1e-12)

	// Shrinking series: doubling time is negative (a halving time) and the
	// interval stays ordered.
	got, err = FitExponential([]float64{0, 1, 2, 3}, []float64{100, 50.5, 24.8, 12.6})
	require.NoError(t, err)
	require.Less(t, got.RateHi, 0.0)
	require.Less(t, got.DoublingLo, got.DoublingDays)
	require.Less(t, got.DoublingDays, got.DoublingHi)
	require.Less(t, got.DoublingHi, 0.0)
}
