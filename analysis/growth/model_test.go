package growth

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/analysis/stats"
)

// choose is the model choice of the growth job on daily values.
func choose(t, s []float64) string {
	f, err := stats.FitExponential(t, s)
	if err != nil {
		return ""
	}
	l, lerr := stats.FitLogistic(t, s)
	return stats.ChooseGrowthModel(stats.ExpFit{AIC: stats.ExponentialAIC(t, s, f)}, l, lerr)
}

// AIC picks the logistic for a true exponential only by chance (the extra parameter buys
// more than its penalty of 2 about 16% of the time for nested models, less here), and for
// a true logistic that has bent almost always.
func TestModelChoiceRates(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 6))
	const n = 200
	falseLogistic, trueLogistic := 0, 0
	for k := 0; k < n; k++ {
		var tt, ex, lg []float64
		for d := 0; d < 90; d++ {
			x := float64(d)
			tt = append(tt, x)
			ex = append(ex, math.Round(3000*math.Exp(0.01*x)*(1+0.003*r.NormFloat64())))
			lg = append(lg, math.Round(20000/(1+(20000.0-500)/500*math.Exp(-0.1*x))*(1+0.01*r.NormFloat64())))
		}
		if choose(tt, ex) == stats.ModelLogistic {
			falseLogistic++
		}
		if choose(tt, lg) == stats.ModelLogistic {
			trueLogistic++
		}
	}
	require.Less(t, falseLogistic, n*16/100, "logistic chosen for an exponential")
	require.Greater(t, trueLogistic, n*95/100, "logistic chosen for a logistic")
}
