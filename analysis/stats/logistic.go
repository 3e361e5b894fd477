package stats

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
	"gonum.org/v1/gonum/stat/distuv"
)

// ErrNoConvergence is returned when a nonlinear fit does not reach a
// stationary point of its objective, or reaches one at which the parameters
// are not identifiable (a singular information matrix, or a carrying
// capacity that runs away to infinity because the data show no saturation).
// No estimates accompany it: a caller must not store numbers from a failed
// fit.
var ErrNoConvergence = errors.New("stats: fit did not converge")

// ErrInvalidInput is returned (wrapped, naming the offending value) for
// arguments that no data set could make valid: NaN or infinite inputs,
// negative counts, windows of non-positive length and the like.
var ErrInvalidInput = errors.New("stats: invalid input")

// ErrUnordered is returned (wrapped, naming the first offending index) when
// observations that must be in time order are not.
var ErrUnordered = errors.New("stats: observations out of time order")

// minLogisticPoints is the smallest sample FitLogistic accepts. Three mean
// parameters leave n-3 residual degrees of freedom; with fewer than two of
// them the Student t interval is uselessly wide and a sigmoid through four
// points is almost always an interpolation rather than a fit.
const minLogisticPoints = 5

// maxCapacityRatio bounds the identifiable carrying capacity: a fitted K
// more than this multiple of the largest observation means the data lie on
// the early, exponential-looking part of the curve, where K is determined
// only by noise. FitLogistic reports ErrNoConvergence instead.
const maxCapacityRatio = 1e3

// Model names returned by ChooseGrowthModel.
const (
	ModelExponential = "exponential"
	ModelLogistic    = "logistic"
)

// LogisticFit is the result of fitting the logistic (Verhulst-Pearl) growth
// curve
//
//	S(t) = K / (1 + ((K - N0)/N0) * exp(-R*t))
//
// by nonlinear least squares on the S scale.
//
// The 95% intervals are Wald intervals, estimate -/+ t_{0.975,n-3} * SE,
// with the standard errors from the Gauss-Newton covariance
//
//	Cov = s^2 (J^T J)^-1,   s^2 = RSS/(n-3)
//
// where J is the n x 3 Jacobian of the fitted curve with respect to
// (K, R, N0) at the optimum (Seber & Wild, Nonlinear Regression, 1989,
// sec. 2.1). This is the covariance scipy.optimize.curve_fit reports with
// absolute_sigma=False, and equals 2 s^2 H^-1 when the Hessian H of the SSE
// is replaced by its Gauss-Newton part 2 J^T J. The intervals are symmetric
// and can extend below zero for poorly determined parameters.
type LogisticFit struct {
	// K is the carrying capacity (the upper asymptote), in the units of S.
	K, KLo, KHi float64
	// R is the intrinsic growth rate per unit of t (per day when t is in
	// days); it is the initial exponential rate while S is far below K.
	R, RLo, RHi float64
	// N0 is the fitted S at t = 0. It refers to the origin of the caller's
	// t, which need not lie inside the data; measure t from the first
	// snapshot to make it the fitted starting size.
	N0, N0Lo, N0Hi float64
	// RSS is the residual sum of squares on the S scale.
	RSS float64
	// N is the number of points used in the fit.
	N int
	// AIC is GaussianAIC(RSS, N, 4): the same Gaussian likelihood on the S
	// scale as ExpFit.AIC, with k = 4 (K, R, N0 and the error variance), so
	// the two values can be compared directly.
	AIC float64
	// Converged is true for every fit returned with a nil error; the zero
	// LogisticFit that accompanies an error has it false.
	Converged bool
}

// FitLogistic fits the logistic curve S(t) = K / (1 + ((K-N0)/N0) e^(-r t))
// to the points (t_i, s_i) by minimising the residual sum of squares on the
// S scale, so that its AIC is comparable with FitExponential's.
//
// Internally the curve is fitted to s/max(s) against (t - min t)/(max t -
// min t) in the parameters (ln K, ln r, ln N0), which keeps all three of
// order one and K, r, N0 positive. Starting values come from the
// linearisation ln(K/S - 1) = ln((K-N0)/N0) - r t, solved by ordinary least
// squares for a ladder of trial capacities above max(s); the best start is
// refined with Levenberg-Marquardt steps, and when that does not reach an
// acceptable stationary point, with L-BFGS (gonum/optimize) followed by
// Levenberg-Marquardt. The fit counts as converged when a further
// Gauss-Newton step would change no parameter by more than one part in 10^6.
//
// The points need not be sorted. It returns ErrLengthMismatch when len(t) !=
// len(s), ErrTooFewPoints (wrapped, with the count) for fewer than five
// points, ErrInvalidInput for a non-finite t, ErrNonPositive for any s <= 0
// or NaN, ErrDegenerateTimes when all t are equal, and ErrNoConvergence when
// the optimum is not found or not identifiable (for example constant data,
// or purely exponential data with no sign of saturation, where K grows
// without bound). See LogisticFit for the intervals.
func FitLogistic(t, s []float64) (LogisticFit, error) {
	if len(t) != len(s) {
		return LogisticFit{}, fmt.Errorf("%w: len(t)=%d, len(s)=%d", ErrLengthMismatch, len(t), len(s))
	}
	n := len(t)
	if n < minLogisticPoints {
		return LogisticFit{}, fmt.Errorf("%w: got %d, need at least %d", ErrTooFewPoints, n, minLogisticPoints)
	}
	tMin, tMax, sMax := math.Inf(1), math.Inf(-1), 0.0
	for i := range t {
		if math.IsNaN(t[i]) || math.IsInf(t[i], 0) {
			return LogisticFit{}, fmt.Errorf("%w: t[%d]=%g", ErrInvalidInput, i, t[i])
		}
		if !(s[i] > 0) || math.IsInf(s[i], 1) {
			return LogisticFit{}, fmt.Errorf("%w: s[%d]=%g", ErrNonPositive, i, s[i])
		}
		tMin, tMax = math.Min(tMin, t[i]), math.Max(tMax, t[i])
		sMax = math.Max(sMax, s[i])
	}
	if tMax == tMin {
		return LogisticFit{}, ErrDegenerateTimes
	}

	p := logisticProblem{tau: make([]float64, n), y: make([]float64, n)}
	span := tMax - tMin
	for i := range t {
		p.tau[i] = (t[i] - tMin) / span
		p.y[i] = s[i] / sMax
	}

	theta, ok := p.fit()
	if !ok {
		return LogisticFit{}, fmt.Errorf("%w: logistic optimum not found", ErrNoConvergence)
	}
	if theta[0] > math.Log(maxCapacityRatio) {
		return LogisticFit{}, fmt.Errorf("%w: carrying capacity not identified (K > %g * max(s))", ErrNoConvergence, maxCapacityRatio)
	}

	// Information matrix in the internal parameters, on the caller's S
	// scale (each Jacobian entry carries a factor sMax).
	jtj, _, rssScaled := p.normal(theta)
	if rssScaled < 0 || math.IsNaN(rssScaled) {
		return LogisticFit{}, fmt.Errorf("%w: non-finite residuals", ErrNoConvergence)
	}
	rss := rssScaled * sMax * sMax
	var chol mat.Cholesky
	if !chol.Factorize(jtj) {
		return LogisticFit{}, fmt.Errorf("%w: singular information matrix", ErrNoConvergence)
	}
	var inv mat.SymDense
	if err := chol.InverseTo(&inv); err != nil {
		return LogisticFit{}, fmt.Errorf("%w: singular information matrix", ErrNoConvergence)
	}
	df := float64(n - 3)
	s2 := rss / df
	// (J_S^T J_S)^-1 = (sMax^2 J^T J)^-1.
	covTheta := mat.NewSymDense(3, nil)
	covTheta.ScaleSym(s2/(sMax*sMax), &inv)

	// Back to the caller's parameters. K = sMax e^u, r = e^v/span, and the
	// caller's N0 is the curve at t = 0, i.e. at tau0 = -tMin/span:
	// N0 = K/(1 + c g) with c = e^(u-w) - 1 and g = e^(r*tMin).
	u, v, w := theta[0], theta[1], theta[2]
	K := sMax * math.Exp(u)
	r := math.Exp(v) / span
	c := math.Expm1(u - w)
	g := math.Exp(r * tMin)
	m := 1 + c*g
	N0 := K / m
	if !(m > 0) || math.IsNaN(N0) || math.IsInf(N0, 0) || math.IsInf(g, 0) {
		return LogisticFit{}, fmt.Errorf("%w: fitted curve undefined at t=0", ErrNoConvergence)
	}
	// G = d(K, r, N0)/d(u, v, w); the delta method Cov_P = G Cov_theta G^T
	// reproduces s^2 (J_P^T J_P)^-1 exactly because J_theta = J_P G.
	G := mat.NewDense(3, 3, []float64{
		K, 0, 0,
		0, r, 0,
		K * (1 - g) / (m * m), -K * c * g * tMin * r / (m * m), K * (c + 1) * g / (m * m),
	})
	var tmp, covP mat.Dense
	tmp.Mul(G, covTheta)
	covP.Mul(&tmp, G.T())

	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(0.975)
	se := func(i int) float64 { return math.Sqrt(math.Max(covP.At(i, i), 0)) }
	f := LogisticFit{
		K: K, KLo: K - q*se(0), KHi: K + q*se(0),
		R: r, RLo: r - q*se(1), RHi: r + q*se(1),
		N0: N0, N0Lo: N0 - q*se(2), N0Hi: N0 + q*se(2),
		RSS:       rss,
		N:         n,
		AIC:       GaussianAIC(rss, n, 4),
		Converged: true,
	}
	for _, x := range []float64{f.KLo, f.KHi, f.RLo, f.RHi, f.N0Lo, f.N0Hi} {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return LogisticFit{}, fmt.Errorf("%w: non-finite standard errors", ErrNoConvergence)
		}
	}
	return f, nil
}

// ChooseGrowthModel returns ModelLogistic when the logistic fit succeeded
// (logiErr == nil and logi.Converged) and its AIC is strictly lower than the
// exponential fit's, and ModelExponential otherwise. Ties go to the
// exponential model because it has one parameter fewer: equal AIC means the
// extra parameter bought exactly its penalty and no more. Both AICs are
// Gaussian likelihoods on the S scale (see ExpFit.AIC and LogisticFit.AIC),
// so they are directly comparable. A NaN exponential AIC (a zero ExpFit
// from a failed fit) makes any converged logistic fit win.
func ChooseGrowthModel(exp ExpFit, logi LogisticFit, logiErr error) string {
	if logiErr != nil || !logi.Converged || math.IsNaN(logi.AIC) {
		return ModelExponential
	}
	if logi.AIC < exp.AIC || math.IsNaN(exp.AIC) {
		return ModelLogistic
	}
	return ModelExponential
}

// logisticProblem holds the scaled data: tau in [0, 1], y = s/max(s).
type logisticProblem struct {
	tau, y []float64
}

// logisticPoint holds the quantities of eval that depend on theta but not
// on the data point, so that each point costs a single math.Exp.
type logisticPoint struct {
	K, r float64
	// c = (K-N0)/N0 = e^(u-w) - 1 and kn = K/N0 = e^(u-w), with u = ln K
	// and w = ln N0. hoist reports whether both are finite; otherwise eval
	// forms q and q + E in log space from lnc = ln c (when u > w) and
	// lnKN0 = u - w.
	c, kn      float64
	hoist      bool
	logC       bool
	lnc, lnKN0 float64
}

// at prepares the per-theta constants for eval.
func (p logisticProblem) at(theta []float64) logisticPoint {
	u, v, w := theta[0], theta[1], theta[2]
	lp := logisticPoint{K: math.Exp(u), r: math.Exp(v), lnKN0: u - w}
	lp.c = math.Expm1(u - w)
	lp.kn = math.Exp(u - w)
	lp.hoist = !math.IsInf(lp.kn, 0) && !math.IsNaN(lp.kn) && !math.IsInf(lp.c, 0) && !math.IsNaN(lp.c)
	if !lp.hoist && u > w {
		lp.logC = true
		lp.lnc = u - w + math.Log(-math.Expm1(w-u))
	}
	return lp
}

// eval returns the curve at tau for the parameters prepared by at, together
// with its partial derivatives in theta = (ln K, ln r, ln N0). With
// E = e^(-r tau), q = ((K-N0)/N0) E and D = 1 + q, f = K/D and
//
//	df/dlnK  = f (1 - E)/D
//	df/dlnr  = f r tau q/D
//	df/dlnN0 = f (q + E)/D,   q + E = (K/N0) E.
//
// When K/N0 overflows, q and q + E are formed in log space (q from
// ln c = (u-w) + ln(1 - e^(w-u))) so that a tiny N0 does not overflow.
func (lp *logisticPoint) eval(tau float64) (f, du, dv, dw float64) {
	e := math.Exp(-lp.r * tau)
	var q, qe float64
	if lp.hoist {
		q = lp.c * e
		qe = lp.kn * e
	} else {
		if lp.logC {
			q = math.Exp(lp.lnc - lp.r*tau)
		} else {
			q = lp.c * e
		}
		qe = math.Exp(lp.lnKN0 - lp.r*tau)
	}
	d := 1 + q
	f = lp.K / d
	return f, f * (1 - e) / d, f * lp.r * tau * q / d, f * qe / d
}

// sse returns the residual sum of squares and its gradient in theta.
func (p logisticProblem) sse(theta, grad []float64) float64 {
	lp := p.at(theta)
	var s, g0, g1, g2 float64
	if grad == nil {
		for i, tau := range p.tau {
			f, _, _, _ := lp.eval(tau)
			e := f - p.y[i]
			s += e * e
		}
		return s
	}
	for i, tau := range p.tau {
		f, du, dv, dw := lp.eval(tau)
		e := f - p.y[i]
		s += e * e
		g0 += e * du
		g1 += e * dv
		g2 += e * dw
	}
	grad[0], grad[1], grad[2] = 2*g0, 2*g1, 2*g2
	return s
}

// normal returns J^T J, J^T e (e = f - y) and the SSE at theta.
func (p logisticProblem) normal(theta []float64) (*mat.SymDense, [3]float64, float64) {
	lp := p.at(theta)
	var a00, a01, a02, a11, a12, a22 float64
	var jte [3]float64
	var sse float64
	for i, tau := range p.tau {
		f, du, dv, dw := lp.eval(tau)
		e := f - p.y[i]
		sse += e * e
		jte[0] += du * e
		jte[1] += dv * e
		jte[2] += dw * e
		a00 += du * du
		a01 += du * dv
		a02 += du * dw
		a11 += dv * dv
		a12 += dv * dw
		a22 += dw * dw
	}
	jtj := mat.NewSymDense(3, []float64{
		a00, a01, a02,
		a01, a11, a12,
		a02, a12, a22,
	})
	return jtj, jte, sse
}

// start returns starting values from the linearisation ln(K/y - 1) = ln c -
// r tau for a ladder of trial capacities, keeping the one with the smallest
// SSE on the y scale.
func (p logisticProblem) start() []float64 {
	best, bestSSE := []float64(nil), math.Inf(1)
	n := float64(len(p.tau))
	for _, kf := range []float64{1.01, 1.05, 1.2, 1.5, 2, 3, 5, 10, 30, 100} {
		// max(y) == 1, so kf is K on the scaled axis.
		var tb, zb float64
		z := make([]float64, len(p.y))
		for i, y := range p.y {
			z[i] = math.Log(kf/y - 1)
			tb += p.tau[i]
			zb += z[i]
		}
		tb /= n
		zb /= n
		var sxx, sxz float64
		for i := range z {
			sxx += (p.tau[i] - tb) * (p.tau[i] - tb)
			sxz += (p.tau[i] - tb) * (z[i] - zb)
		}
		r := -sxz / sxx
		if !(r > 0) {
			// Not increasing: any modest rate will do as a start.
			r = 1
		}
		lnc := zb + r*tb
		n0 := kf / (1 + math.Exp(lnc))
		theta := []float64{math.Log(kf), math.Log(r), math.Log(n0)}
		if v := p.sse(theta, nil); v < bestSSE && !math.IsNaN(v) {
			best, bestSSE = theta, v
		}
	}
	if best == nil {
		best = []float64{math.Log(2), 0, math.Log(p.y[0])}
	}
	return best
}

// fit minimises the SSE from the linearised start. Levenberg-Marquardt is
// tried first; when it does not end at a stationary point, the SSE is
// minimised with L-BFGS from the same start and the result polished with
// Levenberg-Marquardt. It reports whether the final point is stationary:
// the Gauss-Newton step there moves no log-parameter by more than 1e-6.
func (p logisticProblem) fit() ([]float64, bool) {
	x0 := p.start()
	// A Levenberg-Marquardt result beyond the identifiable capacity is not
	// taken: L-BFGS may still find a better-placed optimum.
	if theta := p.levenbergMarquardt(append([]float64(nil), x0...), 100); theta[0] <= math.Log(maxCapacityRatio) && p.stationary(theta) {
		return theta, true
	}
	prob := optimize.Problem{
		Func: func(x []float64) float64 {
			v := p.sse(x, nil)
			if math.IsNaN(v) {
				return math.Inf(1)
			}
			return v
		},
		Grad: func(grad, x []float64) {
			p.sse(x, grad)
			for i, g := range grad {
				if math.IsNaN(g) || math.IsInf(g, 0) {
					grad[i] = 0
				}
			}
		},
	}
	settings := &optimize.Settings{
		GradientThreshold: 1e-10,
		MajorIterations:   500,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-14, Relative: 1e-9, Iterations: 10},
	}
	theta := append([]float64(nil), x0...)
	// A line-search failure near the optimum is common and harmless: the
	// best location found so far is still returned, and the
	// Levenberg-Marquardt polish and the stationarity test decide.
	if res, _ := optimize.Minimize(prob, x0, settings, &optimize.LBFGS{}); res != nil && finite(res.X) {
		theta = append(theta[:0], res.X...)
	}
	theta = p.levenbergMarquardt(theta, 100)
	if !p.stationary(theta) {
		return nil, false
	}
	return theta, true
}

// stationary reports whether theta is finite and the Gauss-Newton step
// there moves no log-parameter by more than 1e-6.
func (p logisticProblem) stationary(theta []float64) bool {
	if !finite(theta) {
		return false
	}
	step, ok := p.gaussNewtonStep(theta, 0)
	if !ok {
		return false
	}
	for _, d := range step {
		if math.Abs(d) > 1e-6 {
			return false
		}
	}
	return true
}

// gaussNewtonStep solves (J^T J + lambda diag(J^T J)) d = -J^T e.
func (p logisticProblem) gaussNewtonStep(theta []float64, lambda float64) ([]float64, bool) {
	jtj, jte, sse := p.normal(theta)
	if math.IsNaN(sse) || math.IsInf(sse, 0) {
		return nil, false
	}
	for a := 0; a < 3; a++ {
		jtj.SetSym(a, a, jtj.At(a, a)*(1+lambda))
	}
	var chol mat.Cholesky
	if !chol.Factorize(jtj) {
		return nil, false
	}
	rhs := mat.NewVecDense(3, []float64{-jte[0], -jte[1], -jte[2]})
	var d mat.VecDense
	if err := chol.SolveVecTo(&d, rhs); err != nil {
		return nil, false
	}
	out := []float64{d.AtVec(0), d.AtVec(1), d.AtVec(2)}
	return out, finite(out)
}

// levenbergMarquardt runs at most iters damped Gauss-Newton steps (Marquardt
// 1963), accepting a step only when it lowers the SSE.
func (p logisticProblem) levenbergMarquardt(theta []float64, iters int) []float64 {
	cur := p.sse(theta, nil)
	lambda := 1e-3
	next := make([]float64, 3)
	for k := 0; k < iters && lambda < 1e12; k++ {
		d, ok := p.gaussNewtonStep(theta, lambda)
		if !ok {
			lambda *= 10
			continue
		}
		for i := range next {
			next[i] = theta[i] + d[i]
		}
		v := p.sse(next, nil)
		if v <= cur && !math.IsNaN(v) {
			copy(theta, next)
			small := true
			for _, x := range d {
				small = small && math.Abs(x) < 1e-12
			}
			if small || v == cur {
				break
			}
			cur = v
			lambda = math.Max(lambda/10, 1e-12)
		} else {
			lambda *= 10
		}
	}
	return theta
}

func finite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
