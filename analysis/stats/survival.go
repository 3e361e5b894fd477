package stats

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// Lifetime is one subject's observation for survival analysis, in any time unit measured
// from the subject's origin (a channel's creation): observed from Entry (0, or later for a
// subject first seen after its origin: delayed entry, left truncation) to Exit, where it
// either had the event (Event) or was censored (still alive when last observed).
type Lifetime struct {
	Entry, Exit float64
	Event       bool
}

// SurvivalStep is the Kaplan-Meier curve at one event time.
type SurvivalStep struct {
	Time     float64
	AtRisk   int     // subjects with Entry < Time <= Exit
	Events   int     // events at Time
	Censored int     // subjects censored in [Time, next event time)
	S        float64 // survival just after Time
	SE       float64 // Greenwood standard error of S
	Lo, Hi   float64 // pointwise 95% interval, on the log scale (R survival's default)
}

// Survival is a Kaplan-Meier estimate.
type Survival struct {
	N, Events int
	Steps     []SurvivalStep
	// Median is the smallest time at which S falls to 0.5 or below (when S equals 0.5
	// exactly over an interval, the midpoint of that interval), NaN when it never does.
	// MedianLo and MedianHi are its 95% interval: where the lower and the upper interval
	// curves fall to 0.5 or below (Brookmeyer and Crowley's construction, as R's survfit
	// reports it), NaN when they never do.
	Median, MedianLo, MedianHi float64
}

// KaplanMeier estimates survival from lifetimes with right censoring and delayed entry
// (the product-limit estimator over the risk sets Entry < t <= Exit), the Greenwood
// variance Var(S) = S^2 * sum d / (n (n - d)), and pointwise 95% intervals
// exp(log S -+ z * sqrt(sum d / (n (n - d)))), capped at 1 (R's survfit with conf.type
// "log"). A step whose risk set is used up (n = d) has S = 0 and no interval beyond it.
// Checked against the Freireich et al. (1963) 6-MP data as R's survival package reports it.
func KaplanMeier(obs []Lifetime) (Survival, error) {
	var out Survival
	if len(obs) == 0 {
		return out, fmt.Errorf("%w: no lifetimes", ErrTooFewPoints)
	}
	var times []float64
	for i, o := range obs {
		if math.IsNaN(o.Entry) || math.IsNaN(o.Exit) || math.IsInf(o.Entry, 0) || math.IsInf(o.Exit, 0) {
			return out, fmt.Errorf("%w: lifetime %d: entry %g, exit %g", ErrInvalidInput, i, o.Entry, o.Exit)
		}
		if o.Entry < 0 || o.Exit < o.Entry || (o.Event && o.Exit == o.Entry) {
			return out, fmt.Errorf("%w: lifetime %d: entry %g, exit %g: want 0 <= entry < exit (entry <= exit when censored)", ErrInvalidInput, i, o.Entry, o.Exit)
		}
		out.N++
		if o.Event {
			out.Events++
			times = append(times, o.Exit)
		}
	}
	slices.Sort(times)
	times = slices.Compact(times)
	z := distuv.UnitNormal.Quantile(0.975)
	s, v := 1.0, 0.0
	for k, t := range times {
		st := SurvivalStep{Time: t}
		next := math.Inf(1)
		if k+1 < len(times) {
			next = times[k+1]
		}
		for _, o := range obs {
			if o.Entry < t && t <= o.Exit {
				st.AtRisk++
				if o.Event && o.Exit == t {
					st.Events++
				}
			}
			if !o.Event && o.Exit >= t && o.Exit < next {
				st.Censored++
			}
		}
		n, d := float64(st.AtRisk), float64(st.Events)
		s *= (n - d) / n
		st.S = s
		if n > d {
			v += d / (n * (n - d))
			st.SE = s * math.Sqrt(v)
			st.Lo = s * math.Exp(-z*math.Sqrt(v))
			st.Hi = math.Min(1, s*math.Exp(z*math.Sqrt(v)))
		} else {
			v = math.Inf(1)
			st.SE, st.Lo, st.Hi = math.NaN(), math.NaN(), math.NaN()
		}
		out.Steps = append(out.Steps, st)
		if s == 0 {
			break
		}
	}
	out.Median = crossing(out.Steps, func(st SurvivalStep) float64 { return st.S })
	out.MedianLo = crossing(out.Steps, func(st SurvivalStep) float64 { return st.Lo })
	out.MedianHi = crossing(out.Steps, func(st SurvivalStep) float64 { return st.Hi })
	return out, nil
}

// crossing is the first step time at which curve falls to 0.5 or below; when it equals 0.5
// exactly (within rounding) there, the midpoint with the next step time, as R does. NaN
// when the curve never falls that far.
func crossing(steps []SurvivalStep, curve func(SurvivalStep) float64) float64 {
	for i, st := range steps {
		c := curve(st)
		if math.IsNaN(c) {
			// The curve ends at a step where the risk set ran out (S = 0).
			if st.S == 0 {
				return st.Time
			}
			return math.NaN()
		}
		if c <= 0.5+1e-12 {
			if math.Abs(c-0.5) <= 1e-12 && i+1 < len(steps) {
				return (st.Time + steps[i+1].Time) / 2
			}
			return st.Time
		}
	}
	return math.NaN()
}

// SurvivalAt is the Kaplan-Meier survival at time t: 1 before the first event time.
func (s Survival) SurvivalAt(t float64) float64 {
	v := 1.0
	for _, st := range s.Steps {
		if st.Time > t {
			break
		}
		v = st.S
	}
	return v
}
