package stats

import "math"

// CUSUM runs a two-sided tabular CUSUM (Page 1954; Montgomery, Introduction
// to Statistical Quality Control, ch. 9) over x and returns the 0-based
// indices at which an alarm is raised.
//
// The upper and lower statistics are
//
//	C+_i = max(0, x_i - (target + k) + C+_{i-1})
//	C-_i = max(0, (target - k) - x_i + C-_{i-1})
//
// with C+_0 = C-_0 = 0, and an alarm is signalled when either exceeds h.
// k (the reference value or allowance, typically half the shift to detect)
// and h (the decision interval) are in the units of x; with Montgomery's
// standardised design they are k = 0.5*sigma and h = 4 or 5 sigma.
//
// After an alarm both statistics are reset to zero, as after a process
// intervention, so that one sustained shift produces a sequence of separate
// alarms rather than an alarm at every subsequent point. Non-positive h is
// invalid for a CUSUM and yields nil; NaN observations are skipped (they
// neither accumulate nor reset) so a missing sample cannot trigger an alarm.
func CUSUM(x []float64, target, k, h float64) []int {
	if !(h > 0) {
		return nil
	}
	var alarms []int
	var hi, lo float64
	for i, v := range x {
		if math.IsNaN(v) {
			continue
		}
		hi = math.Max(0, v-(target+k)+hi)
		lo = math.Max(0, (target-k)-v+lo)
		if hi > h || lo > h {
			alarms = append(alarms, i)
			hi, lo = 0, 0
		}
	}
	return alarms
}
