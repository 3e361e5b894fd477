package stats

import "math"

// HoursPerWeek is the period of the weekly baseline used by BurstZ.
const HoursPerWeek = 168

// BurstZ measures a burst of posting after an event as a z-score against the
// same hours of the preceding weeks. hourly is a series of post counts per
// hour (index i is hour i); the event is at index at, and the window is the
// window hours starting there. With
//
//	x   = sum(hourly[at : at+window])
//	b_k = sum(hourly[at-168k : at-168k+window]),   k = 1..weeks
//
// (the same hours of the week, k weeks earlier), m and sd the mean and sample
// standard deviation (n-1 divisor) of b_1..b_weeks, the result is
//
//	z = (x - m) / max(sd, sqrt(m))
//
// The Poisson floor sqrt(m) is the spread a count with mean m has at least
// under a Poisson model; with only a few baseline weeks the sample sd can be
// near zero by chance (a channel that posted exactly 3 times in each of the
// last four Mondays' mornings), and the floor stops that from turning an
// ordinary hour into an enormous z.
//
// ok is false, and z is 0, when the z-score is not defined: weeks < 2 (no
// sample sd), window < 1 or longer than a week (the baseline would overlap
// the window), the window runs past the end of hourly, the baseline reaches
// before its start, any count used is negative, NaN or infinite, or the
// baseline is all zero (m = 0, so sd = 0 too). A z-score is never Inf or
// NaN.
func BurstZ(hourly []float64, at, window, weeks int) (z float64, ok bool) {
	if weeks < 2 || window < 1 || window > HoursPerWeek || at < HoursPerWeek*weeks || at+window > len(hourly) {
		return 0, false
	}
	sum := func(from int) (float64, bool) {
		var s float64
		for _, v := range hourly[from : from+window] {
			if !(v >= 0) || math.IsInf(v, 1) {
				return 0, false
			}
			s += v
		}
		return s, true
	}
	x, ok := sum(at)
	if !ok {
		return 0, false
	}
	base := make([]float64, weeks)
	var m float64
	for k := 1; k <= weeks; k++ {
		b, ok := sum(at - HoursPerWeek*k)
		if !ok {
			return 0, false
		}
		base[k-1] = b
		m += b
	}
	m /= float64(weeks)
	var ss float64
	for _, b := range base {
		ss += (b - m) * (b - m)
	}
	sd := math.Max(math.Sqrt(ss/float64(weeks-1)), math.Sqrt(m))
	if sd == 0 {
		return 0, false
	}
	return (x - m) / sd, true
}
