package stats

import (
	"math"
	"sort"
)

// ChangepointsPELT segments x into pieces of constant mean by minimising
//
//	sum over segments of C(segment) + penalty * (number of changepoints)
//
// where C is the L2 cost, the sum of squared deviations from the segment
// mean. It uses the Pruned Exact Linear Time algorithm of Killick, Fearnhead
// & Eckley (2012, JASA 107:1590-1598), which returns the same optimum as the
// O(n^2) optimal-partitioning recursion but discards candidate last
// changepoints that can never become optimal again, giving close to linear
// time when changes are spread through the series.
//
// Each segment has at least minSize points (values below 1 are treated as 1).
// The result is the ascending list of indices at which a new segment starts;
// index 0 is never included, and an empty (nil) result means no change. A
// series shorter than 2*minSize cannot be split and yields nil.
func ChangepointsPELT(x []float64, penalty float64, minSize int) []int {
	n := len(x)
	if minSize < 1 {
		minSize = 1
	}
	if n < 2*minSize {
		return nil
	}
	cost := newL2Cost(x)

	// f[t] is the optimal penalised cost of x[0:t]; last[t] the start of the
	// final segment in that optimum. f[0] = -penalty so that the first
	// segment is not charged for a changepoint it does not introduce.
	f := make([]float64, n+1)
	last := make([]int, n+1)
	for i := range f {
		f[i] = math.Inf(1)
	}
	f[0] = -penalty

	// Candidates carry the step at which they will be dropped. With
	// minSize > 1 a candidate s that fails the pruning test at step t can
	// still be optimal for T < t+minSize, because t itself is not an
	// admissible last changepoint for those T (the segment [t,T) would be
	// too short). Deferring removal by minSize steps keeps the result exact;
	// for minSize == 1 it is the textbook rule.
	type cand struct {
		s      int
		dropAt int
	}
	const never = math.MaxInt
	var r []cand

	for t := minSize; t <= n; t++ {
		// s = t-minSize is the newest start that leaves a long enough final
		// segment; starts in (0, minSize) are infeasible (f is +Inf).
		if s := t - minSize; s == 0 || s >= minSize {
			r = append(r, cand{s: s, dropAt: never})
		}
		kept := r[:0]
		for _, c := range r {
			if c.dropAt > t {
				kept = append(kept, c)
			}
		}
		r = kept

		best, bestS := math.Inf(1), -1
		// r is ascending in s, so strict < breaks ties towards the earliest
		// start, matching a plain left-to-right optimal-partitioning scan.
		for _, c := range r {
			v := f[c.s] + cost.seg(c.s, t) + penalty
			if v < best {
				best, bestS = v, c.s
			}
		}
		f[t], last[t] = best, bestS

		// Pruning (K = 0 holds for L2 cost because splitting a segment never
		// increases its cost): if f[s] + C(s,t) > f[t], s can never beat t.
		for i := range r {
			c := &r[i]
			if c.dropAt == never && f[c.s]+cost.seg(c.s, t) > f[t] {
				c.dropAt = t + minSize
			}
		}
	}

	var cps []int
	for t := last[n]; t > 0; t = last[t] {
		cps = append(cps, t)
	}
	sort.Ints(cps)
	return cps
}

// l2Cost evaluates the squared-deviation cost of any segment in O(1) from
// prefix sums of x and x^2, which is what makes PELT's inner loop cheap.
type l2Cost struct {
	sum, sumSq []float64
}

func newL2Cost(x []float64) l2Cost {
	c := l2Cost{sum: make([]float64, len(x)+1), sumSq: make([]float64, len(x)+1)}
	for i, v := range x {
		c.sum[i+1] = c.sum[i] + v
		c.sumSq[i+1] = c.sumSq[i] + v*v
	}
	return c
}

// seg returns sum_{i in [a,b)} (x_i - mean)^2 = S2 - S1^2/len. Rounding can
// make this slightly negative for constant segments; clamp to 0 so that a
// flat segment never looks better than perfect.
func (c l2Cost) seg(a, b int) float64 {
	s1 := c.sum[b] - c.sum[a]
	s2 := c.sumSq[b] - c.sumSq[a]
	v := s2 - s1*s1/float64(b-a)
	if v < 0 {
		return 0
	}
	return v
}

// madToSigma converts the median absolute deviation of a Gaussian sample to
// its standard deviation (1/Phi^-1(0.75) with the conventional 0.6745).
const madToSigma = 1 / 0.6745

// BICPenalty returns the BIC-style penalty 2 * sigma^2 * ln(n) for use with
// ChangepointsPELT on the L2 cost (the L2 cost is sigma^2 times minus twice
// the Gaussian log-likelihood up to constants, and BIC charges ln n per
// parameter; each change adds a mean and a location).
//
// sigma is estimated robustly from first differences: for a piecewise
// constant mean, x[i+1]-x[i] is pure noise with variance 2*sigma^2 except at
// the few changepoints, and the MAD ignores those outliers. Hence
// sigma = MAD(diff) / (0.6745 * sqrt 2). Using the plain sample variance of x
// instead would count the mean shifts themselves as noise and inflate the
// penalty exactly when there are changes to find.
//
// If the MAD is zero (e.g. noise-free or heavily quantised data with mostly
// repeated values) it falls back to the ordinary standard deviation of the
// differences divided by sqrt 2, so the penalty stays positive whenever the
// series is not constant. It returns 0 for fewer than 3 points or a constant
// series.
func BICPenalty(x []float64) float64 {
	n := len(x)
	if n < 3 {
		return 0
	}
	d := make([]float64, n-1)
	for i := range d {
		d[i] = x[i+1] - x[i]
	}
	sigma := mad(d) * madToSigma / math.Sqrt2
	if sigma == 0 {
		var mean, ss float64
		for _, v := range d {
			mean += v
		}
		mean /= float64(len(d))
		for _, v := range d {
			ss += (v - mean) * (v - mean)
		}
		sigma = math.Sqrt(ss/float64(len(d)-1)) / math.Sqrt2
	}
	return 2 * sigma * sigma * math.Log(float64(n))
}

// mad returns the median absolute deviation from the median (unscaled).
func mad(v []float64) float64 {
	m := median(v)
	dev := make([]float64, len(v))
	for i, x := range v {
		dev[i] = math.Abs(x - m)
	}
	return median(dev)
}

// median returns the median of v without modifying it.
func median(v []float64) float64 {
	c := append([]float64(nil), v...)
	sort.Float64s(c)
	k := len(c)
	if k%2 == 1 {
		return c[k/2]
	}
	return (c[k/2-1] + c[k/2]) / 2
}
