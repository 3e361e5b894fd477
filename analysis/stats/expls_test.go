package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestExponentialAIC(t *testing.T) {
	// Expected values from scipy.optimize.curve_fit, see testdata/expls_scipy.py.
	for _, tc := range []struct {
		name string
		t, s []float64
		want float64
	}{
		{"noisy channel series", seqDays(len(channelSubs)), channelSubs, 535.5375350330717},
		{"US population 1790-1950", usYears, usPop, 120.88788022058935},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := FitExponential(tc.t, tc.s)
			require.NoError(t, err)
			got := ExponentialAIC(tc.t, tc.s, f)
			require.InDelta(t, tc.want, got, 1e-6)
			require.Less(t, got, f.AIC, "the S-scale optimum beats the ln-scale estimates")
		})
	}
	require.True(t, math.IsNaN(ExponentialAIC([]float64{1, 2}, []float64{1, 2}, ExpFit{})))
}
