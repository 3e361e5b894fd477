package stats

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// ErrTooFewPoints is returned (wrapped with the actual count) when a fit is
// attempted with fewer than three points. Three is the minimum because the
// log-linear model spends two degrees of freedom on intercept and slope and
// the Student t interval needs at least one residual degree of freedom.
var ErrTooFewPoints = errors.New("stats: too few points")

// ErrNonPositive is returned when a size value is zero or negative. The
// exponential model is fitted on ln S, which is undefined there; silently
// dropping such points would bias the rate, so the caller must decide.
var ErrNonPositive = errors.New("stats: non-positive value")

// ErrLengthMismatch is returned when the time and size slices differ in
// length, which always indicates a caller bug rather than bad data.
var ErrLengthMismatch = errors.New("stats: mismatched slice lengths")

// ErrDegenerateTimes is returned when all time values are identical, so the
// slope (growth rate) is not identifiable.
var ErrDegenerateTimes = errors.New("stats: all time values are equal")

// minFitPoints is the smallest sample for which FitExponential can produce a
// confidence interval (n-2 >= 1 residual degrees of freedom).
const minFitPoints = 3

// ExpFit is the result of fitting S(t) = exp(Intercept + Rate*t) by ordinary
// least squares on ln S.
type ExpFit struct {
	// Rate is the continuous growth rate r per day (slope of ln S on t).
	Rate float64
	// RateLo is the lower bound of the two-sided 95% confidence interval for
	// Rate, Rate - t_{0.975,n-2} * StdErr.
	RateLo float64
	// RateHi is the upper bound of the two-sided 95% confidence interval for
	// Rate, Rate + t_{0.975,n-2} * StdErr.
	RateHi float64
	// Intercept is ln S at t = 0.
	Intercept float64
	// StdErr is the standard error of Rate, sqrt(s^2 / Sxx) with
	// s^2 = SSE/(n-2) computed on the ln scale.
	StdErr float64
	// N is the number of points used in the fit.
	N int
	// R2 is the coefficient of determination on the ln scale. It is defined
	// as 1 when ln S is constant (Syy = 0), because the fit is then exact.
	R2 float64
	// DoublingDays is ln 2 / Rate. It is negative for a shrinking series, in
	// which case its magnitude is the halving time, and +Inf when Rate is
	// exactly zero.
	DoublingDays float64
	// DoublingLo is the lower end of the 95% interval for the doubling time,
	// obtained by mapping the rate interval through ln2/r (a monotone map on
	// each side of zero, so the endpoints transform directly). When the rate
	// interval contains zero it is ln2/RateHi (or -Inf if RateHi <= 0).
	DoublingLo float64
	// DoublingHi is the upper end of the 95% interval for the doubling time.
	// It is +Inf when the rate interval contains zero: the data are then
	// consistent with no growth at all, so the doubling time is unbounded.
	DoublingHi float64
	// AIC is Akaike's information criterion computed from a Gaussian
	// likelihood of the residuals on the original S scale,
	// S_i - exp(Intercept + Rate*t_i), with the variance at its ML value
	// RSS/n and k = 3 parameters (intercept, rate, variance):
	//
	//	AIC = n*ln(2*pi*RSS/n) + n + 2k
	//
	// The S scale is used (not ln S) so that the value is directly
	// comparable with the AIC of a logistic curve fitted by nonlinear least
	// squares on S: both models then describe the same response with the
	// same error model, and a likelihood on ln S would differ by a Jacobian
	// term. Note the exponential parameters are the ln-scale OLS estimates,
	// not the S-scale maximum-likelihood ones, so this AIC is slightly
	// conservative for the exponential model. It is -Inf for an exact fit.
	AIC float64
}

// FitExponential fits ln S = Intercept + Rate*t by ordinary least squares,
// with t in days. Fitting on the log scale keeps the estimator closed-form
// and gives the usual t-based interval for the rate, at the price of
// assuming multiplicative (log-normal) noise.
//
// It returns ErrTooFewPoints (wrapped, with the count) for fewer than three
// points, ErrNonPositive for any S <= 0, ErrLengthMismatch when len(t) !=
// len(s), and ErrDegenerateTimes when all t are equal.
func FitExponential(t, s []float64) (ExpFit, error) {
	if len(t) != len(s) {
		return ExpFit{}, fmt.Errorf("%w: len(t)=%d, len(s)=%d", ErrLengthMismatch, len(t), len(s))
	}
	n := len(t)
	if n < minFitPoints {
		return ExpFit{}, fmt.Errorf("%w: got %d, need at least %d", ErrTooFewPoints, n, minFitPoints)
	}
	y := make([]float64, n)
	for i, v := range s {
		// !(v > 0) also rejects NaN, which would otherwise poison every sum.
		if !(v > 0) {
			return ExpFit{}, fmt.Errorf("%w: s[%d]=%g", ErrNonPositive, i, v)
		}
		y[i] = math.Log(v)
	}

	// Centred sums (rather than raw sums of squares) avoid catastrophic
	// cancellation when t is a large epoch-day number.
	var tbar, ybar float64
	for i := range t {
		tbar += t[i]
		ybar += y[i]
	}
	fn := float64(n)
	tbar /= fn
	ybar /= fn
	var sxx, sxy, syy float64
	for i := range t {
		dt, dy := t[i]-tbar, y[i]-ybar
		sxx += dt * dt
		sxy += dt * dy
		syy += dy * dy
	}
	if sxx == 0 {
		return ExpFit{}, ErrDegenerateTimes
	}
	rate := sxy / sxx
	intercept := ybar - rate*tbar

	var sse, rssS float64
	for i := range t {
		fit := intercept + rate*t[i]
		e := y[i] - fit
		sse += e * e
		eS := s[i] - math.Exp(fit)
		rssS += eS * eS
	}
	df := fn - 2
	stdErr := math.Sqrt(sse / df / sxx)
	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(0.975)
	lo, hi := rate-q*stdErr, rate+q*stdErr

	r2 := 1.0
	if syy > 0 {
		r2 = 1 - sse/syy
	}

	f := ExpFit{
		Rate:         rate,
		RateLo:       lo,
		RateHi:       hi,
		Intercept:    intercept,
		StdErr:       stdErr,
		N:            n,
		R2:           r2,
		DoublingDays: doubling(rate),
		AIC:          GaussianAIC(rssS, n, 3),
	}
	f.DoublingLo, f.DoublingHi = doublingInterval(lo, hi)
	return f, nil
}

// doubling maps a rate to ln2/r, returning +Inf for r == 0 so that "no
// growth" reads as "never doubles" rather than a division artefact.
func doubling(r float64) float64 {
	if r == 0 {
		return math.Inf(1)
	}
	return math.Ln2 / r
}

// doublingInterval maps a rate interval [lo, hi] to a doubling-time interval.
// ln2/r is decreasing on each side of zero, so for an interval that does not
// contain zero the endpoints swap: [ln2/hi, ln2/lo]. If the interval contains
// zero the image is unbounded; we report [ln2/hi, +Inf) because the
// practically relevant question is "how fast could it be doubling".
func doublingInterval(lo, hi float64) (float64, float64) {
	if lo > 0 || hi < 0 {
		return math.Ln2 / hi, math.Ln2 / lo
	}
	if hi > 0 {
		return math.Ln2 / hi, math.Inf(1)
	}
	return math.Inf(-1), math.Inf(1)
}

// GaussianAIC returns the AIC of a model with k parameters (count the error
// variance as one of them) whose residual sum of squares is rss over n
// points, under i.i.d. Gaussian errors with the variance at its ML estimate
// rss/n: n*ln(2*pi*rss/n) + n + 2k. It is exported so that other curve fits
// (e.g. a logistic fit on the S scale) compute their AIC with exactly the
// same constants as FitExponential and the values can be compared directly.
// It returns -Inf when rss <= 0 (an exact fit has unbounded likelihood).
func GaussianAIC(rss float64, n, k int) float64 {
	fn := float64(n)
	if rss <= 0 {
		return math.Inf(-1)
	}
	return fn*math.Log(2*math.Pi*rss/fn) + fn + 2*float64(k)
}
