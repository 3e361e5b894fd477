package stats

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// usPop is the US resident population at the censuses 1790-1950 in millions
// (US Census Bureau), the series of Pearl & Reed's logistic law of
// population growth (PNAS 6:275-288, 1920); t = years since 1790.
var (
	usPop = []float64{3.929, 5.308, 7.240, 9.638, 12.866, 17.069, 23.192, 31.443, 38.558,
		50.189, 62.980, 76.212, 92.228, 106.022, 123.203, 132.165, 151.326}
	usYears = func() []float64 {
		t := make([]float64, len(usPop))
		for i := range t {
			t[i] = 10 * float64(i)
		}
		return t
	}()
	// channelSubs is 30 daily counts from K=12000, r=0.25, N0=800 plus
	// N(0, 150^2) noise, frozen in testdata/logistic_scipy.py.
	channelSubs = []float64{800, 1053, 1223, 1443, 1883, 2246, 2919, 3697, 4072, 4754, 5657,
		6386, 7087, 7638, 8430, 9132, 9349, 9934, 10100, 10510, 10689, 11143,
		11160, 11529, 11621, 11656, 11375, 11726, 11841, 11899}
)

func seqDays(n int) []float64 {
	t := make([]float64, n)
	for i := range t {
		t[i] = float64(i)
	}
	return t
}

func logisticAt(t, K, r, n0 float64) float64 {
	return K / (1 + (K-n0)/n0*math.Exp(-r*t))
}

// requireRel checks |got-want| <= tol*|want|.
func requireRel(t *testing.T, want, got, tol float64, name string) {
	t.Helper()
	require.InDelta(t, want, got, tol*math.Abs(want), name)
}

func TestFitLogisticReference(t *testing.T) {
	// Expected values from scipy.optimize.curve_fit (Levenberg-Marquardt,
	// pcov = s^2 (J^T J)^-1), confirmed by scipy.optimize.least_squares
	// from another start; see testdata/logistic_scipy.py.
	tests := []struct {
		name string
		t, s []float64
		want LogisticFit
	}{
		{
			name: "US population 1790-1950",
			t:    usYears, s: usPop,
			want: LogisticFit{
				K: 201.1548378961829, KLo: 188.47962063786673, KHi: 213.83005515449906,
				R: 0.030790677343664904, RLo: 0.029108277002097886, RHi: 0.03247307768523192,
				N0: 4.072185434283459, N0Lo: 3.5017649818173355, N0Hi: 4.642605886749583,
				RSS: 27.474928657211564, N: 17, AIC: 64.40493964192592, Converged: true,
			},
		},
		{
			name: "noisy channel series",
			t:    seqDays(len(channelSubs)), s: channelSubs,
			want: LogisticFit{
				K: 11890.83564692089, KLo: 11779.378938335374, KHi: 12002.292355506406,
				R: 0.24950463929584082, RLo: 0.2414748533993015, RHi: 0.2575344251923802,
				N0: 801.9756901079265, N0Lo: 742.4532258390099, N0Hi: 861.4981543768432,
				RSS: 415811.1897058815, N: 30, AIC: 379.2399875018208, Converged: true,
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FitLogistic(tc.t, tc.s)
			require.NoError(t, err)
			require.True(t, got.Converged)
			require.Equal(t, tc.want.N, got.N)
			// The SSE surface is flat near the optimum: parameters agree
			// to ~1e-8 relative, the RSS to ~1e-12.
			const tol = 1e-6
			requireRel(t, tc.want.K, got.K, tol, "K")
			requireRel(t, tc.want.KLo, got.KLo, tol, "KLo")
			requireRel(t, tc.want.KHi, got.KHi, tol, "KHi")
			requireRel(t, tc.want.R, got.R, tol, "R")
			requireRel(t, tc.want.RLo, got.RLo, tol, "RLo")
			requireRel(t, tc.want.RHi, got.RHi, tol, "RHi")
			requireRel(t, tc.want.N0, got.N0, tol, "N0")
			requireRel(t, tc.want.N0Lo, got.N0Lo, tol, "N0Lo")
			requireRel(t, tc.want.N0Hi, got.N0Hi, tol, "N0Hi")
			requireRel(t, tc.want.RSS, got.RSS, 1e-9, "RSS")
			require.InDelta(t, tc.want.AIC, got.AIC, 1e-8, "AIC")
		})
	}
}

func TestFitLogisticRecovery(t *testing.T) {
	// Noise-free curves: the fit must return the generating parameters and
	// intervals of zero width.
	tests := []struct {
		name     string
		t        []float64
		K, r, n0 float64
	}{
		{name: "growth to saturation", t: seqDays(41), K: 5000, r: 0.2, n0: 100},
		{name: "only up to the inflection", t: seqDays(20), K: 1e6, r: 0.3, n0: 2500},
		{name: "irregular times", t: []float64{0, 0.5, 3, 7.25, 8, 15, 16.5, 30}, K: 800, r: 0.35, n0: 40},
		{name: "decline towards K", t: seqDays(15), K: 300, r: 0.4, n0: 900},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := make([]float64, len(tc.t))
			for i, x := range tc.t {
				s[i] = logisticAt(x, tc.K, tc.r, tc.n0)
			}
			got, err := FitLogistic(tc.t, s)
			require.NoError(t, err)
			requireRel(t, tc.K, got.K, 1e-7, "K")
			requireRel(t, tc.r, got.R, 1e-7, "R")
			requireRel(t, tc.n0, got.N0, 1e-7, "N0")
			requireRel(t, tc.K, got.KLo, 1e-6, "KLo")
			requireRel(t, tc.K, got.KHi, 1e-6, "KHi")
			require.Less(t, got.RSS, 1e-12*tc.K*tc.K)
		})
	}
}

func TestFitLogisticShiftedOrigin(t *testing.T) {
	// Moving the time origin changes only N0 (now the curve at the new
	// t = 0): K, R and their intervals are invariant, and N0 is the
	// original curve evaluated at the new origin.
	base, err := FitLogistic(seqDays(len(channelSubs)), channelSubs)
	require.NoError(t, err)
	shifted := seqDays(len(channelSubs))
	for i := range shifted {
		shifted[i] += 10
	}
	got, err := FitLogistic(shifted, channelSubs)
	require.NoError(t, err)
	requireRel(t, base.K, got.K, 1e-7, "K")
	requireRel(t, base.KLo, got.KLo, 1e-6, "KLo")
	requireRel(t, base.R, got.R, 1e-7, "R")
	requireRel(t, base.RHi, got.RHi, 1e-6, "RHi")
	requireRel(t, base.RSS, got.RSS, 1e-9, "RSS")
	requireRel(t, logisticAt(-10, base.K, base.R, base.N0), got.N0, 1e-6, "N0")
	require.Less(t, got.N0Lo, got.N0)
	require.Greater(t, got.N0Hi, got.N0)
}

func TestFitLogisticErrors(t *testing.T) {
	expo := make([]float64, 20)
	for i := range expo {
		expo[i] = 100 * math.Exp(0.05*float64(i))
	}
	tests := []struct {
		name string
		t, s []float64
		want error
		msg  string
	}{
		{name: "too few", t: seqDays(4), s: []float64{1, 2, 3, 4}, want: ErrTooFewPoints, msg: "got 4"},
		{name: "mismatch", t: seqDays(5), s: []float64{1, 2, 3}, want: ErrLengthMismatch, msg: "len(t)=5"},
		{name: "zero", t: seqDays(5), s: []float64{1, 2, 0, 4, 5}, want: ErrNonPositive, msg: "s[2]"},
		{name: "NaN value", t: seqDays(5), s: []float64{1, 2, 3, math.NaN(), 5}, want: ErrNonPositive, msg: "s[3]"},
		{name: "NaN time", t: []float64{0, 1, math.NaN(), 3, 4}, s: []float64{1, 2, 3, 4, 5}, want: ErrInvalidInput, msg: "t[2]"},
		{name: "same times", t: []float64{1, 1, 1, 1, 1}, s: []float64{1, 2, 3, 4, 5}, want: ErrDegenerateTimes},
		// r is not identified when S is flat.
		{name: "constant", t: seqDays(8), s: []float64{50, 50, 50, 50, 50, 50, 50, 50}, want: ErrNoConvergence},
		// Pure exponential growth: K runs off to infinity.
		{name: "no saturation", t: seqDays(20), s: expo, want: ErrNoConvergence},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FitLogistic(tc.t, tc.s)
			require.ErrorIs(t, err, tc.want)
			require.Contains(t, err.Error(), tc.msg)
			require.Equal(t, LogisticFit{}, got)
		})
	}
}

func TestChooseGrowthModel(t *testing.T) {
	logi, err := FitLogistic(usYears, usPop)
	require.NoError(t, err)
	expo, err := FitExponential(usYears, usPop)
	require.NoError(t, err)
	// The US series bends visibly after 1900: the logistic wins by a wide
	// margin despite its extra parameter.
	require.Less(t, logi.AIC, expo.AIC-20)

	tests := []struct {
		name    string
		exp     ExpFit
		logi    LogisticFit
		logiErr error
		want    string
	}{
		{name: "US population", exp: expo, logi: logi, want: ModelLogistic},
		{name: "lower exponential AIC", exp: ExpFit{AIC: 10}, logi: LogisticFit{AIC: 12, Converged: true}, want: ModelExponential},
		{name: "tie goes to exponential", exp: ExpFit{AIC: 10}, logi: LogisticFit{AIC: 10, Converged: true}, want: ModelExponential},
		{name: "logistic failed", exp: ExpFit{AIC: 10}, logi: LogisticFit{}, logiErr: errors.New("x"), want: ModelExponential},
		{name: "logistic not converged", exp: ExpFit{AIC: 10}, logi: LogisticFit{AIC: 1}, want: ModelExponential},
		{name: "exact exponential fit", exp: ExpFit{AIC: math.Inf(-1)}, logi: LogisticFit{AIC: -50, Converged: true}, want: ModelExponential},
		{name: "missing exponential AIC", exp: ExpFit{AIC: math.NaN()}, logi: LogisticFit{AIC: 5, Converged: true}, want: ModelLogistic},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, ChooseGrowthModel(tc.exp, tc.logi, tc.logiErr))
		})
	}
}

// benchSeries returns a fixed set of 50 daily series of 365 points: mostly
// logistic curves at various stages of saturation, and every fifth one an
// exponential curve, each with 0.3% multiplicative Gaussian noise from a
// fixed seed.
func benchSeries() (t []float64, series [][]float64) {
	const n, count = 365, 50
	rng := rand.New(rand.NewPCG(20240601, 7))
	t = seqDays(n)
	for k := 0; k < count; k++ {
		s := make([]float64, n)
		if k%5 == 4 {
			a := 50 + 5000*rng.Float64()
			r := 0.002 + 0.01*rng.Float64()
			for i, x := range t {
				s[i] = a * math.Exp(r*x)
			}
		} else {
			K := math.Pow(10, 3+3*rng.Float64())
			r := 0.01 + 0.09*rng.Float64()
			n0 := K * (0.002 + 0.2*rng.Float64())
			for i, x := range t {
				s[i] = logisticAt(x, K, r, n0)
			}
		}
		for i := range s {
			s[i] *= 1 + 0.003*rng.NormFloat64()
		}
		series = append(series, s)
	}
	return t, series
}

func BenchmarkFitLogistic(b *testing.B) {
	t, series := benchSeries()
	for b.Loop() {
		for _, s := range series {
			// Some exponential series are rejected with ErrNoConvergence;
			// that path is part of the cost being measured.
			_, _ = FitLogistic(t, s)
		}
	}
}

func BenchmarkFitLogisticChannel(b *testing.B) {
	tt := seqDays(len(channelSubs))
	for b.Loop() {
		if _, err := FitLogistic(tt, channelSubs); err != nil {
			b.Fatal(err)
		}
	}
}
