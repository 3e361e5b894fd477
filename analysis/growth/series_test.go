package growth

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestDaily(t *testing.T) {
	pts := []Point{
		{t0.Add(6 * time.Hour), 100},
		{t0.Add(20 * time.Hour), 110},              // day 0's last
		{t0.Add(48*time.Hour + 12*time.Hour), 140}, // day 2; day 1 is interpolated
		{t0.Add(10*24*time.Hour + time.Hour), 200}, // day 10, 8 days later: days 3..9 are gaps
	}
	s := Daily(pts, t0, t0.Add(12*24*time.Hour), 3*24*time.Hour)
	require.Len(t, s, 12)
	require.Equal(t, Day{Day: t0, Subs: 110, Observed: true}, s[0])
	// Day 1 ends at 48 h: 28 h into the 40 h between 20 h (110) and 60 h (140).
	require.False(t, s[1].Observed)
	require.False(t, s[1].Gap)
	require.InDelta(t, 110+28.0/40*30, s[1].Subs, 1e-9)
	require.True(t, s[2].Observed)
	for i := 3; i < 10; i++ {
		require.True(t, s[i].Gap, "day %d", i)
		require.True(t, math.IsNaN(s[i].Subs))
	}
	require.True(t, s[10].Observed)
	require.True(t, s[11].Gap, "nothing after the last snapshot")

	c := Over(s[:11], 1)
	require.False(t, c.OK, "day 9 is a gap")
	c = Over(s[:3], 2)
	require.True(t, c.OK)
	require.Equal(t, 30.0, c.Abs)
	require.InDelta(t, 100*30.0/110, c.Pct, 1e-9)
	require.False(t, Over(s[:3], 3).OK, "a window longer than the series")
}

// logisticSeries is a noisy logistic trajectory with multiplicative jumps.
func logisticSeries(days int, noise float64, jumps map[int]float64, r *rand.Rand) []Day {
	out := make([]Day, days)
	f := 1.0
	for i := range out {
		if j, ok := jumps[i]; ok {
			f *= j
		}
		v := 50000 / (1 + (50000.0-500)/500*math.Exp(-0.05*float64(i)))
		out[i] = Day{Day: t0.AddDate(0, 0, i), Subs: v * f * (1 + noise*r.NormFloat64()), Observed: true}
	}
	return out
}

func TestJumps(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	planted := map[int]float64{60: 1.5, 140: 0.7, 250: 2}
	s := logisticSeries(365, 0.005, planted, r)
	pelt, cusum := Jumps(s)
	require.Len(t, pelt, len(planted), "%v", pelt)
	for _, j := range pelt {
		day := int(j.Day.Sub(t0).Hours() / 24)
		f, ok := planted[day]
		require.True(t, ok, "jump on day %d was not planted", day)
		require.InDelta(t, f, j.Factor, 0.05*f)
	}
	require.NotEmpty(t, cusum)

	// A smooth noisy series has no jumps.
	pelt, _ = Jumps(logisticSeries(365, 0.005, nil, rand.New(rand.NewPCG(3, 4))))
	require.Empty(t, pelt)
	// Too short a series is not searched.
	pelt, cusum = Jumps(logisticSeries(10, 0.005, nil, r))
	require.Nil(t, pelt)
	require.Nil(t, cusum)
}
