package stats

import "math"

// ExponentialAIC is the AIC (k = 3) of the exponential curve S(t) = A e^(r t) fitted by
// least squares on the S scale, the same likelihood LogisticFit.AIC uses. f is the ln-scale
// fit of the same points, the starting value. ExpFit.AIC evaluates the S-scale likelihood at
// the ln-scale estimates, which are not its optimum; since an exponential is the limit of a
// logistic with an unbounded capacity, comparing that value with a logistic fit optimised on
// the S scale would favour the logistic. Use this value to choose between the two.
//
// The refit is Gauss-Newton with step halving on (ln A, r), the data scaled to s/max(s) and
// t to [0, 1]. It returns f.AIC when the refit cannot improve on the start (and NaN for
// inputs FitExponential rejects).
func ExponentialAIC(t, s []float64, f ExpFit) float64 {
	n := len(t)
	if n != len(s) || n < minFitPoints || math.IsNaN(f.Rate) {
		return math.NaN()
	}
	tMin, tMax, sMax := t[0], t[0], 0.0
	for i := range t {
		tMin, tMax, sMax = math.Min(tMin, t[i]), math.Max(tMax, t[i]), math.Max(sMax, s[i])
	}
	span := tMax - tMin
	if !(span > 0) || !(sMax > 0) {
		return math.NaN()
	}
	// Scaled parameters: y = exp(a + b tau) with tau = (t - tMin)/span, y = s/sMax.
	a := f.Intercept + f.Rate*tMin - math.Log(sMax)
	b := f.Rate * span
	sse := func(a, b float64) float64 {
		var r float64
		for i := range t {
			e := s[i]/sMax - math.Exp(a+b*(t[i]-tMin)/span)
			r += e * e
		}
		return r
	}
	cur := sse(a, b)
	for it := 0; it < 200; it++ {
		// Normal equations of the linearised problem.
		var jaa, jab, jbb, ga, gb float64
		for i := range t {
			tau := (t[i] - tMin) / span
			m := math.Exp(a + b*tau)
			e := s[i]/sMax - m
			jaa += m * m
			jab += m * m * tau
			jbb += m * m * tau * tau
			ga += m * e
			gb += m * tau * e
		}
		det := jaa*jbb - jab*jab
		if !(det > 0) {
			break
		}
		da := (jbb*ga - jab*gb) / det
		db := (jaa*gb - jab*ga) / det
		step, improved := 1.0, false
		for h := 0; h < 30; h++ {
			if next := sse(a+step*da, b+step*db); next < cur {
				a, b, cur, improved = a+step*da, b+step*db, next, true
				break
			}
			step /= 2
		}
		if !improved || math.Abs(step*da)+math.Abs(step*db) < 1e-12 {
			break
		}
	}
	aic := GaussianAIC(cur*sMax*sMax, n, 3)
	if !(aic < f.AIC) {
		return f.AIC
	}
	return aic
}
