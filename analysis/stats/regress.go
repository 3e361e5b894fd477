package stats

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Regression is an ordinary least squares fit of y on the columns of X, with the pieces
// its robust covariance estimators need.
type Regression struct {
	Coef  []float64
	Resid []float64
	N, K  int

	x      *mat.Dense
	xtxInv *mat.SymDense
}

// ErrSingular is returned when the design matrix has dependent columns (or fewer rows than
// columns): the coefficients are not identified.
var ErrSingular = errors.New("regression: design matrix is rank deficient")

// OLS fits y = X b + e by least squares. X has one row per observation.
func OLS(x *mat.Dense, y []float64) (*Regression, error) {
	n, k := x.Dims()
	if n != len(y) {
		return nil, fmt.Errorf("regression: %d rows of X, %d values of y", n, len(y))
	}
	if n <= k {
		return nil, ErrSingular
	}
	if !finite(y) || !finite(x.RawMatrix().Data) {
		return nil, errors.New("regression: values not finite")
	}
	xtx := mat.NewSymDense(k, nil)
	xtx.SymOuterK(1, x.T())
	var ch mat.Cholesky
	if !ch.Factorize(xtx) {
		return nil, ErrSingular
	}
	inv := mat.NewSymDense(k, nil)
	if err := ch.InverseTo(inv); err != nil {
		return nil, ErrSingular
	}
	// A near-singular X'X factorizes but its inverse is garbage: check the condition.
	if c := ch.Cond(); c > 1e12 || math.IsNaN(c) {
		return nil, ErrSingular
	}
	yv := mat.NewVecDense(n, y)
	var xty, b mat.VecDense
	xty.MulVec(x.T(), yv)
	b.MulVec(inv, &xty)
	var fit mat.VecDense
	fit.MulVec(x, &b)
	r := &Regression{Coef: make([]float64, k), Resid: make([]float64, n), N: n, K: k, x: x, xtxInv: inv}
	for j := range k {
		r.Coef[j] = b.AtVec(j)
	}
	for i := range n {
		r.Resid[i] = y[i] - fit.AtVec(i)
	}
	return r, nil
}

// sandwich is (X'X)^-1 M (X'X)^-1 scaled by c.
func (r *Regression) sandwich(m *mat.SymDense, c float64) *mat.SymDense {
	var tmp, out mat.Dense
	tmp.Mul(r.xtxInv, m)
	out.Mul(&tmp, r.xtxInv)
	s := mat.NewSymDense(r.K, nil)
	for i := range r.K {
		for j := i; j < r.K; j++ {
			s.SetSym(i, j, c*(out.At(i, j)+out.At(j, i))/2)
		}
	}
	return s
}

// scores returns row i of X times its residual.
func (r *Regression) score(i int, dst []float64) {
	for j := range r.K {
		dst[j] = r.x.At(i, j) * r.Resid[i]
	}
}

// NeweyWestLag is the truncation lag of the Newey-West (1994) rule of thumb for n
// observations: floor(4 (n/100)^(2/9)). It gives 3 for 28 to 99 daily values, 4 for 100 to
// 272 and 5 from 273.
func NeweyWestLag(n int) int {
	return int(math.Floor(4 * math.Pow(float64(n)/100, 2.0/9)))
}

// NeweyWest is the heteroskedasticity and autocorrelation consistent covariance of the
// coefficients (Newey and West 1987): Bartlett weights 1 - l/(lag+1) on the score
// autocovariances up to lag, without a small-sample correction. The observations must be
// in time order. It equals statsmodels' OLS(...).fit(cov_type="HAC", cov_kwds={"maxlags":
// lag, "use_correction": False}) and R's sandwich::NeweyWest(fit, lag, prewhite = FALSE,
// adjust = FALSE).
func (r *Regression) NeweyWest(lag int) *mat.SymDense {
	k := r.K
	s := make([][]float64, r.N)
	for i := range s {
		s[i] = make([]float64, k)
		r.score(i, s[i])
	}
	m := mat.NewSymDense(k, nil)
	for l := 0; l <= lag && l < r.N; l++ {
		w := 1.0
		if l > 0 {
			w = 1 - float64(l)/float64(lag+1)
		}
		for a := range k {
			for b := a; b < k; b++ {
				sum := 0.0
				for i := l; i < r.N; i++ {
					sum += s[i][a]*s[i-l][b] + s[i-l][a]*s[i][b]
				}
				if l == 0 {
					sum /= 2
				}
				m.SetSym(a, b, m.At(a, b)+w*sum)
			}
		}
	}
	return r.sandwich(m, 1)
}

// ClusterRobust is the cluster-robust covariance of the coefficients with the usual CR1
// small-sample factor G/(G-1) (N-1)/(N-K), as Stata's vce(cluster) and statsmodels'
// cov_type="cluster". groups gives each observation's cluster; there must be at least two.
func (r *Regression) ClusterRobust(groups []int) (*mat.SymDense, int, error) {
	if len(groups) != r.N {
		return nil, 0, fmt.Errorf("regression: %d groups for %d observations", len(groups), r.N)
	}
	k := r.K
	sums := map[int][]float64{}
	row := make([]float64, k)
	for i, g := range groups {
		acc, ok := sums[g]
		if !ok {
			acc = make([]float64, k)
			sums[g] = acc
		}
		r.score(i, row)
		for j := range k {
			acc[j] += row[j]
		}
	}
	G := len(sums)
	if G < 2 {
		return nil, G, errors.New("regression: cluster-robust errors need at least two clusters")
	}
	m := mat.NewSymDense(k, nil)
	for _, u := range sums {
		for a := range k {
			for b := a; b < k; b++ {
				m.SetSym(a, b, m.At(a, b)+u[a]*u[b])
			}
		}
	}
	c := float64(G) / float64(G-1) * float64(r.N-1) / float64(r.N-k)
	return r.sandwich(m, c), G, nil
}

// Estimate is a coefficient with its standard error and 95% interval.
type Estimate struct {
	Value, SE, Lo, Hi, P float64
}

// estimate reads coefficient j with its standard error from cov, with a Student t interval
// on df degrees of freedom.
func estimate(value float64, cov *mat.SymDense, j int, df float64) Estimate {
	se := math.Sqrt(cov.At(j, j))
	e := Estimate{Value: value, SE: se, Lo: math.NaN(), Hi: math.NaN(), P: math.NaN()}
	if !(se > 0) || !(df > 0) {
		return e
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	q := t.Quantile(0.975)
	e.Lo, e.Hi = value-q*se, value+q*se
	e.P = 2 * t.CDF(-math.Abs(value/se))
	return e
}

// ITS is an interrupted time series fit Y = b0 + b1 t + b2 D + b3 (t - T0) D with
// D = 1{t >= T0}: b2 is the level change at T0, b3 the change of slope after it. Errors
// are Newey-West with Lag (NeweyWestLag of the series length); the intervals are Student t
// with N-4 degrees of freedom.
type ITS struct {
	Intercept, Slope, Level, SlopeChange Estimate
	N, Pre, Post, Lag                    int
}

// InterruptedTimeSeries fits an ITS to y observed at times t (in time order) around t0. It
// needs at least 3 observations on each side of t0.
func InterruptedTimeSeries(t, y []float64, t0 float64) (ITS, error) {
	n := len(t)
	if len(y) != n {
		return ITS{}, fmt.Errorf("its: %d times, %d values", n, len(y))
	}
	x := mat.NewDense(max(n, 1), 4, nil)
	pre := 0
	for i := range n {
		if i > 0 && t[i] < t[i-1] {
			return ITS{}, errors.New("its: times not in order")
		}
		d := 0.0
		if t[i] >= t0 {
			d = 1
		} else {
			pre++
		}
		x.SetRow(i, []float64{1, t[i], d, (t[i] - t0) * d})
	}
	if pre < 3 || n-pre < 3 {
		return ITS{}, fmt.Errorf("its: %d observations before the break and %d after, need 3 each", pre, n-pre)
	}
	r, err := OLS(x, y)
	if err != nil {
		return ITS{}, err
	}
	lag := NeweyWestLag(n)
	cov := r.NeweyWest(lag)
	df := float64(n - 4)
	return ITS{
		Intercept: estimate(r.Coef[0], cov, 0, df), Slope: estimate(r.Coef[1], cov, 1, df),
		Level: estimate(r.Coef[2], cov, 2, df), SlopeChange: estimate(r.Coef[3], cov, 3, df),
		N: n, Pre: pre, Post: n - pre, Lag: lag,
	}, nil
}

// DiDUnit is one unit of a two-period difference in differences: its mean outcome before
// and after, and whether it was treated.
type DiDUnit struct {
	Pre, Post float64
	Treated   bool
}

// DiD is a difference-in-differences estimate: Effect is the coefficient of
// treated x post in Y = b0 + b1 treated + b2 post + b3 treated post, fitted on each unit's
// pre and post outcome, with errors clustered by unit (CR1) and a Student t interval on
// G-1 degrees of freedom.
type DiD struct {
	Effect           Estimate
	Treated, Control int
}

// DifferenceInDifferences estimates a DiD from units' pre and post outcomes. It needs at
// least two treated and two control units.
func DifferenceInDifferences(units []DiDUnit) (DiD, error) {
	var out DiD
	for _, u := range units {
		if u.Treated {
			out.Treated++
		} else {
			out.Control++
		}
	}
	if out.Treated < 2 || out.Control < 2 {
		return out, fmt.Errorf("did: %d treated and %d control units, need 2 each", out.Treated, out.Control)
	}
	x := mat.NewDense(2*len(units), 4, nil)
	y := make([]float64, 2*len(units))
	groups := make([]int, 2*len(units))
	for i, u := range units {
		tr := 0.0
		if u.Treated {
			tr = 1
		}
		x.SetRow(2*i, []float64{1, tr, 0, 0})
		x.SetRow(2*i+1, []float64{1, tr, 1, tr})
		y[2*i], y[2*i+1] = u.Pre, u.Post
		groups[2*i], groups[2*i+1] = i, i
	}
	r, err := OLS(x, y)
	if err != nil {
		return out, err
	}
	cov, g, err := r.ClusterRobust(groups)
	if err != nil {
		return out, err
	}
	out.Effect = estimate(r.Coef[3], cov, 3, float64(g-1))
	return out, nil
}

// MeanDifference is the difference of the means of x between the units marked in and the
// others, with a heteroskedasticity-robust (HC1) standard error and a Student t interval:
// the regression of x on an intercept and the indicator. A pre-trend check compares the
// treated units' pre-period slopes with the controls' this way.
func MeanDifference(x []float64, in []bool) (Estimate, error) {
	if len(x) != len(in) {
		return Estimate{}, fmt.Errorf("mean difference: %d values, %d flags", len(x), len(in))
	}
	d := mat.NewDense(max(len(x), 1), 2, nil)
	groups := make([]int, len(x))
	for i := range x {
		v := 0.0
		if in[i] {
			v = 1
		}
		d.SetRow(i, []float64{1, v})
		groups[i] = i
	}
	r, err := OLS(d, x)
	if err != nil {
		return Estimate{}, err
	}
	// One observation per cluster: CR1 is HC1.
	cov, _, err := r.ClusterRobust(groups)
	if err != nil {
		return Estimate{}, err
	}
	return estimate(r.Coef[1], cov, 1, float64(len(x)-2)), nil
}
