// Package bursts is the bursts job: how much the channels and communities in scope posted
// right after each registry event (an attack, a takedown, a policy change), against the
// same hours of the preceding weeks, as a z-score.
//
// For an event at time e the window is [h, h+Window), h the start of the UTC hour that
// holds e; the baseline is the same hours k weeks earlier, k = 1..Weeks. Counts are posts
// (service messages left out, deleted posts kept, since a burst is about posting, an album
// counted once), aggregated per channel and hour in ClickHouse. The z-score is
// stats.BurstZ: z = (x - m) / max(sd, sqrt(m)), x the window's posts, m and sd the mean
// and sample standard deviation of the baseline counts. The Poisson floor sqrt(m) stands
// in when the sample sd is smaller, in particular when it is 0 (a flat baseline); when the
// baseline is all zero (m = 0) the z-score is undefined and the row is skipped with NaN,
// not given a made-up spread. A channel whose first post comes after the baseline starts,
// or whose window the store has not collected yet, is skipped with its reason too.
package bursts

import (
	"fmt"
	"math"
	"time"

	"github.com/tidewatch/tidewatch/analysis/stats"
)

// week is the baseline's period.
const week = stats.HoursPerWeek * time.Hour

// Score is the posts of a window against the same hours of the preceding weeks.
type Score struct {
	Count    float64   // posts in the window
	Baseline []float64 // posts in the same hours k weeks earlier, Baseline[k-1]
	Mean     float64   // mean of Baseline
	SD       float64   // sample standard deviation (n-1) of Baseline
	ZSD      float64   // the z-score's divisor, max(SD, sqrt(Mean)); NaN when Z is
	Z        float64   // (Count - Mean) / ZSD from stats.BurstZ; NaN when undefined
	OK       bool      // Z is defined
}

// Layout places an event's window and baseline on an hourly series: the series starts at
// Start (Weeks weeks before the window) and has Hours hours; the window is
// [WindowStart, WindowStart+Window), hours At..At+Window-1 of the series.
type Layout struct {
	WindowStart time.Time
	Start       time.Time
	End         time.Time // end of the window, exclusive
	Hours       int
	At          int
	Window      int // hours
	Weeks       int
}

// NewLayout lays out the window of an event at eventAt. window must be whole hours.
func NewLayout(eventAt time.Time, window time.Duration, weeks int) Layout {
	ws := eventAt.UTC().Truncate(time.Hour)
	wh := int(window / time.Hour)
	start := ws.Add(-time.Duration(weeks) * week)
	return Layout{
		WindowStart: ws, Start: start, End: ws.Add(window),
		Hours: weeks*stats.HoursPerWeek + wh, At: weeks * stats.HoursPerWeek, Window: wh, Weeks: weeks,
	}
}

// Index is the series index of the hour starting at unix hour h (seconds / 3600), and
// whether it falls inside the series.
func (l Layout) Index(h int64) (int, bool) {
	i := h - l.Start.Unix()/3600
	if i < 0 || i >= int64(l.Hours) {
		return 0, false
	}
	return int(i), true
}

// ScoreSeries scores an hourly series laid out by l: hourly[l.At:l.At+l.Window] is the
// window, hourly[l.At-168k:...] the baseline weeks. The z-score is stats.BurstZ's; Mean,
// SD and ZSD are the figures it divides by, reported beside it.
func ScoreSeries(hourly []float64, l Layout) Score {
	s := Score{Baseline: make([]float64, l.Weeks), Z: math.NaN(), ZSD: math.NaN(), Mean: math.NaN(), SD: math.NaN()}
	if len(hourly) != l.Hours || l.Weeks < 1 {
		return s
	}
	sum := func(from int) float64 {
		var v float64
		for _, x := range hourly[from : from+l.Window] {
			v += x
		}
		return v
	}
	s.Count = sum(l.At)
	var m float64
	for k := 1; k <= l.Weeks; k++ {
		s.Baseline[k-1] = sum(l.At - stats.HoursPerWeek*k)
		m += s.Baseline[k-1]
	}
	s.Mean = m / float64(l.Weeks)
	if l.Weeks > 1 {
		var ss float64
		for _, b := range s.Baseline {
			ss += (b - s.Mean) * (b - s.Mean)
		}
		s.SD = math.Sqrt(ss / float64(l.Weeks-1))
	}
	if z, ok := stats.BurstZ(hourly, l.At, l.Window, l.Weeks); ok {
		s.Z, s.ZSD, s.OK = z, math.Max(s.SD, math.Sqrt(s.Mean)), true
	}
	return s
}

// UndefinedReason says why a score has no z-score.
func UndefinedReason(s Score, weeks int) string {
	if s.Mean == 0 {
		return fmt.Sprintf("no posts in the same hours of the %d preceding weeks: z is undefined", weeks)
	}
	return "z is undefined"
}

// HasHistory reports whether a channel whose first post is at first was posting when the
// baseline of l starts: its first post falls in the baseline's first hour or before.
func HasHistory(first time.Time, l Layout) bool {
	return !first.IsZero() && first.Unix()/3600 <= l.Start.Unix()/3600
}

// Collected reports whether the window of l is stored, given the platform's latest stored
// post: the store must reach into the window's last hour.
func Collected(latest time.Time, l Layout) bool {
	return !latest.Before(l.End.Add(-time.Hour))
}
