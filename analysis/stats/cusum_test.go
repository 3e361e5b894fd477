package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// montgomery91 is Table 9.1 of Montgomery, Introduction to Statistical
// Quality Control (6th ed.), Example 9.1: observations 1-20 drawn from
// N(10, 1), 21-30 from N(11, 1). With mu0 = 10, sigma = 1, k = 0.5, h = 5
// the upper CUSUM of Table 9.2 runs
//
//	obs 23..29: C+ = 1.79, 2.79, 2.89, 3.47, 3.35, 4.47, 5.28
//
// and first exceeds h at observation 29 (1-based), i.e. index 28; the lower
// CUSUM never exceeds h (its maximum is 1.77 at observation 3).
var montgomery91 = []float64{
	9.45, 7.99, 9.29, 11.66, 12.16, 10.18, 8.04, 11.46, 9.20, 10.34,
	9.03, 11.47, 10.51, 9.40, 10.08, 9.37, 10.62, 10.31, 8.52, 10.84,
	10.90, 9.33, 12.29, 11.50, 10.60, 11.08, 10.38, 11.62, 11.31, 10.52,
}

func TestCUSUM(t *testing.T) {
	tests := []struct {
		name         string
		x            []float64
		target, k, h float64
		want         []int
	}{
		{name: "Montgomery Example 9.1", x: montgomery91, target: 10, k: 0.5, h: 5, want: []int{28}},
		// With h = 4 the upper CUSUM (values above) first exceeds 4 at obs 28
		// (4.47); after the reset obs 29 gives 0.81, obs 30 gives 0.83.
		{name: "Montgomery data h=4", x: montgomery91, target: 10, k: 0.5, h: 4, want: []int{27}},
		// Constructed upward shift, target 0, k 1, h 3: C+ = 1, 2, 3, 4 ->
		// alarm at index 3; reset, then 1, 2, 3, 4 -> alarm at index 7.
		{name: "repeated alarms after reset", x: []float64{2, 2, 2, 2, 2, 2, 2, 2}, target: 0, k: 1, h: 3, want: []int{3, 7}},
		// Downward: C- = max(0, (0-1) - x + C-): 0, 2, 4 -> alarm at index 2;
		// reset; 2, 4 -> alarm at index 4.
		{name: "downward shift", x: []float64{0, -3, -3, -3, -3}, target: 0, k: 1, h: 3, want: []int{2, 4}},
		// Values inside target +/- k never accumulate.
		{name: "in control", x: []float64{0.5, -0.5, 0.9, -0.9, 0}, target: 0, k: 1, h: 0.1, want: nil},
		// A NaN neither accumulates nor resets: C+ = 1, (skip), 2, 3.5 -> alarm.
		{name: "NaN skipped", x: []float64{2, math.NaN(), 2, 2.5}, target: 0, k: 1, h: 3, want: []int{3}},
		{name: "invalid h", x: []float64{100}, target: 0, k: 1, h: 0, want: nil},
		{name: "empty", x: nil, target: 0, k: 1, h: 3, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, CUSUM(tc.x, tc.target, tc.k, tc.h))
		})
	}
}
