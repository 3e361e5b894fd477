// Package growth is the growth job: daily subscriber series from irregular snapshots,
// growth over 1, 7 and 30 days, the exponential rate with its interval and doubling time,
// and audience jumps found by PELT and CUSUM.
package growth

import (
	"math"
	"slices"
	"time"

	"github.com/tidewatch/tidewatch/analysis/stats"
)

// Point is one observation: the last snapshot of a day.
type Point struct {
	At   time.Time
	Subs float64
}

// Day is one day of a channel's daily series. Subs is the audience at the day's end
// (00:00 UTC of the next day): the day's last snapshot when one was taken that day
// (Observed), else the linear interpolation between the snapshots around that instant.
// A day with no snapshot before or after it, or whose surrounding snapshots are further
// apart than the gap limit, is a Gap and has Subs = NaN: never an invented value.
type Day struct {
	Day      time.Time
	Subs     float64
	Observed bool
	Gap      bool
}

// Daily builds the series for the days of [from, to) from points sorted by time.
func Daily(points []Point, from, to time.Time, maxGap time.Duration) []Day {
	start := from.UTC().Truncate(24 * time.Hour)
	var out []Day
	j := 0 // first point at or after the current day's start
	for d := start; d.Before(to); d = d.Add(24 * time.Hour) {
		end := d.Add(24 * time.Hour)
		for j < len(points) && points[j].At.Before(d) {
			j++
		}
		day := Day{Day: d, Subs: math.NaN()}
		// The day's own last point.
		k := j
		for k < len(points) && points[k].At.Before(end) {
			k++
		}
		switch {
		case k > j:
			day.Subs, day.Observed = points[k-1].Subs, true
		case j > 0 && j < len(points) && points[j].At.Sub(points[j-1].At) <= maxGap:
			a, b := points[j-1], points[j]
			f := end.Sub(a.At).Seconds() / b.At.Sub(a.At).Seconds()
			day.Subs = a.Subs + f*(b.Subs-a.Subs)
		default:
			day.Gap = true
		}
		out = append(out, day)
	}
	return out
}

// Change is the growth over a window: S(t) - S(t-w) and its percentage of S(t-w), at the
// series' last day. OK is false when either end is a gap (or S(t-w) is 0 for the
// percentage, which is then NaN).
type Change struct {
	Abs, Pct float64
	OK       bool
}

// Over is the growth over the last w days of the series.
func Over(series []Day, w int) Change {
	n := len(series)
	if w < 1 || n <= w {
		return Change{Abs: math.NaN(), Pct: math.NaN()}
	}
	a, b := series[n-1-w], series[n-1]
	if a.Gap || b.Gap {
		return Change{Abs: math.NaN(), Pct: math.NaN()}
	}
	c := Change{Abs: b.Subs - a.Subs, Pct: math.NaN(), OK: true}
	if a.Subs > 0 {
		c.Pct = 100 * c.Abs / a.Subs
	}
	return c
}

// Jump is an audience jump found in a series: the day it starts and the factor the
// audience was multiplied by over the days it lasted (beyond the trend).
type Jump struct {
	Day    time.Time
	Factor float64
	Method string // "pelt" or "cusum"
}

// trendWindow is the half width, in days, of the running median that stands for the
// trend of the daily log growth; a jump lasting a few days moves a median of 2w+1 days
// little, so it stands out of the residuals.
const trendWindow = 7

// minJumpAudience is the smallest audience change, in subscribers, that counts as a jump:
// a few subscribers more or less on a small channel is no event, however many standard
// errors it is.
const minJumpAudience = 10

// Jumps finds audience jumps in a daily series: on the daily log growth
// d_i = ln S_i - ln S_{i-1} (over consecutive days without gaps), minus its running median
// (the trend), PELT with the L2 cost and stats.BICPenalty (2 sigma^2 ln n, sigma from the
// MAD of differences) splits the residuals into segments of constant mean; a segment whose
// mean is more than 3 standard errors from zero is a jump, starting on its first day, with
// factor exp(sum of its residuals). CUSUM (k = sigma/2, h = 5 sigma, sigma from the MAD of
// the residuals) gives the online alarms. Runs of consecutive jump segments count once.
// Audiences are whole numbers: sigma is at least the rounding noise of a log difference at
// the series' median audience, sqrt(1/6)/S, and a jump moves the audience by at least
// minJumpAudience subscribers, within at most trendWindow days: a longer excess is a change
// of the trend, which the running median follows, not a jump.
func Jumps(series []Day) (pelt, cusum []Jump) {
	var days []time.Time
	var d, level []float64
	for i := 1; i < len(series); i++ {
		a, b := series[i-1], series[i]
		if a.Gap || b.Gap || a.Subs <= 0 || b.Subs <= 0 {
			continue
		}
		days = append(days, b.Day)
		d = append(d, math.Log(b.Subs)-math.Log(a.Subs))
		level = append(level, a.Subs)
	}
	if len(d) < 2*trendWindow+1 {
		return nil, nil
	}
	resid := make([]float64, len(d))
	win := make([]float64, 0, 2*trendWindow+1)
	for i := range d {
		lo, hi := max(0, i-trendWindow), min(len(d), i+trendWindow+1)
		win = append(win[:0], d[lo:hi]...)
		slices.Sort(win)
		resid[i] = d[i] - win[len(win)/2]
	}
	sigma := madSigma(resid)
	med := slices.Clone(level)
	slices.Sort(med)
	if m := med[len(med)/2]; m > 0 {
		sigma = max(sigma, math.Sqrt(1.0/6)/m)
	}
	if sigma == 0 {
		return nil, nil
	}
	cps := stats.ChangepointsPELT(resid, stats.BICPenalty(resid), 1)
	bounds := append(append([]int{0}, cps...), len(resid))
	inJump := false
	for s := 0; s+1 < len(bounds); s++ {
		a, b := bounds[s], bounds[s+1]
		var sum float64
		for _, v := range resid[a:b] {
			sum += v
		}
		mean := sum / float64(b-a)
		moved := level[a] * math.Abs(math.Exp(sum)-1)
		if math.Abs(mean) > 3*sigma/math.Sqrt(float64(b-a)) && moved >= minJumpAudience && b-a <= trendWindow {
			if inJump {
				last := &pelt[len(pelt)-1]
				last.Factor *= math.Exp(sum)
			} else {
				pelt = append(pelt, Jump{Day: days[a], Factor: math.Exp(sum), Method: "pelt"})
			}
			inJump = true
		} else {
			inJump = false
		}
	}
	for _, i := range stats.CUSUM(resid, 0, sigma/2, 5*sigma) {
		cusum = append(cusum, Jump{Day: days[i], Factor: math.Exp(resid[i]), Method: "cusum"})
	}
	return pelt, cusum
}

// madSigma is the MAD of x scaled to a normal standard deviation.
func madSigma(x []float64) float64 {
	v := slices.Clone(x)
	slices.Sort(v)
	m := v[len(v)/2]
	for i := range v {
		v[i] = math.Abs(v[i] - m)
	}
	slices.Sort(v)
	return 1.4826 * v[len(v)/2]
}
