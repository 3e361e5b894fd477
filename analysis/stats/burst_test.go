package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// burstSeries returns an hourly series of length 4*168+10 that is zero
// except for the given runs (start index -> counts).
func burstSeries(runs map[int][]float64) []float64 {
	h := make([]float64, 4*HoursPerWeek+10)
	for start, c := range runs {
		copy(h[start:], c)
	}
	return h
}

func TestBurstZ(t *testing.T) {
	const at = 4 * HoursPerWeek // 672; baselines start at 504, 336, 168, 0
	tests := []struct {
		name              string
		hourly            []float64
		at, window, weeks int
		want              float64
		ok                bool
	}{
		{
			// Baselines 1+2+1=4, 6, 2, 4: mean 4, sample sd sqrt(8/3) =
			// 1.633 < sqrt(4) = 2, so the Poisson floor applies; x = 24,
			// z = (24-4)/2 = 10. Counts outside the windows (index 5, 400)
			// must be ignored.
			name: "Poisson floor",
			hourly: burstSeries(map[int][]float64{
				0: {4}, 168: {2}, 336: {3, 3}, 504: {1, 2, 1}, 672: {10, 8, 6},
				5: {50}, 400: {50},
			}),
			at: at, window: 3, weeks: 4, want: 10, ok: true,
		},
		{
			// Baselines 1, 9, 3, 7 (weeks 1..4): mean 5, deviations -4, 4,
			// -2, 2, sample sd sqrt(40/3) = 3.6515 > sqrt 5; x = 20,
			// z = 15/sqrt(40/3) = 4.107919181288746.
			name: "sample sd",
			hourly: burstSeries(map[int][]float64{
				504: {1}, 336: {4, 5}, 168: {3}, 0: {7}, 672: {10, 10},
			}),
			at: at, window: 2, weeks: 4, want: 15 / math.Sqrt(40.0/3), ok: true,
		},
		{
			// Constant baseline 3, 3, 3, 3: sd 0, floor sqrt 3; x = 9,
			// z = 6/sqrt 3.
			name:   "constant baseline",
			hourly: burstSeries(map[int][]float64{504: {3}, 336: {3}, 168: {3}, 0: {3}, 672: {9}}),
			at:     at, window: 1, weeks: 4, want: 6 / math.Sqrt(3), ok: true,
		},
		{
			// Two weeks back only (baselines at 504 and 336): 2 and 6,
			// mean 4, sd sqrt(8) = 2.828 > 2; x = 0, z = -4/sqrt 8.
			name:   "fewer weeks, a quiet hour",
			hourly: burstSeries(map[int][]float64{504: {2}, 336: {6}}),
			at:     at, window: 1, weeks: 2, want: -4 / math.Sqrt(8), ok: true,
		},
		{
			// A whole week is the longest window. Event week [504, 672) holds
			// 3; baselines [336, 504) hold 1 and [168, 336) 0: mean 0.5, sample
			// sd sqrt(0.5) = sqrt(m); z = 2.5/sqrt(0.5).
			name:   "week-long window",
			hourly: burstSeries(map[int][]float64{336: {1}, 504: {3}}),
			at:     at - HoursPerWeek, window: HoursPerWeek, weeks: 2, want: 2.5 / math.Sqrt(0.5), ok: true,
		},
		{name: "all-zero baseline", hourly: burstSeries(map[int][]float64{672: {5}}), at: at, window: 1, weeks: 4},
		{name: "one week", hourly: burstSeries(nil), at: at, window: 1, weeks: 1},
		{name: "empty window", hourly: burstSeries(nil), at: at, window: 0, weeks: 4},
		{name: "window over a week", hourly: burstSeries(nil), at: at, window: HoursPerWeek + 1, weeks: 2},
		{name: "baseline before start", hourly: burstSeries(nil), at: at - 1, window: 1, weeks: 4},
		{name: "window past end", hourly: burstSeries(nil), at: at, window: 11, weeks: 4},
		{name: "negative index", hourly: burstSeries(nil), at: -1, window: 1, weeks: 2},
		{name: "NaN in window", hourly: burstSeries(map[int][]float64{0: {3}, 168: {3}, 336: {3}, 504: {3}, 673: {math.NaN()}}), at: at, window: 2, weeks: 4},
		{name: "negative in baseline", hourly: burstSeries(map[int][]float64{0: {3}, 168: {-3}, 336: {3}, 504: {3}}), at: at, window: 1, weeks: 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			z, ok := BurstZ(tc.hourly, tc.at, tc.window, tc.weeks)
			require.Equal(t, tc.ok, ok)
			require.InDelta(t, tc.want, z, 1e-12)
			require.False(t, math.IsNaN(z) || math.IsInf(z, 0))
		})
	}
}
