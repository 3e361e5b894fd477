package stats

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// EngagementWindow is the look-back of ERR and ER: the 30 days up to and
// including the evaluation instant.
const EngagementWindow = 30 * 24 * time.Hour

// Post is one post's counters as read at some age, for ERR and ER.
type Post struct {
	// At is when the post was published.
	At time.Time
	// Views, Forwards, Replies and Reactions are the counters as read. For
	// ERR24 they must all be the reading at 24 h after At.
	Views, Forwards, Replies, Reactions int64
	// Deleted posts are left out of every rate.
	Deleted bool
}

// windowPosts returns the non-deleted posts with At in (end - window, end],
// checking that their counters are not negative.
func windowPosts(posts []Post, end time.Time) ([]Post, error) {
	startT := end.Add(-EngagementWindow)
	var in []Post
	for i, p := range posts {
		if p.Views < 0 || p.Forwards < 0 || p.Replies < 0 || p.Reactions < 0 {
			return nil, fmt.Errorf("%w: post %d has a negative counter", ErrInvalidInput, i)
		}
		if p.Deleted || !p.At.After(startT) || p.At.After(end) {
			continue
		}
		in = append(in, p)
	}
	if len(in) == 0 {
		return nil, fmt.Errorf("%w: no undeleted posts in the %v before %v", ErrTooFewPoints, EngagementWindow, end)
	}
	return in, nil
}

// ERR is the reach rate (ERR, "engagement rate by reach", as TGStat and
// Telemetr report it) in percent:
//
//	ERR = (mean views per post / subscribers) * 100
//
// over the undeleted posts published in (end - 30 days, end]. subscribers is
// the channel's subscriber count the rate is expressed against (TGStat uses
// the count at the time of calculation, i.e. at end). With every post's
// views read at 24 h of age the same function gives ERR24. Posts need not be
// sorted.
//
// It returns ErrNonPositive for subscribers <= 0 or NaN, ErrInvalidInput for
// a negative counter, and ErrTooFewPoints when no undeleted post falls in the
// window.
func ERR(posts []Post, subscribers float64, end time.Time) (float64, error) {
	if !(subscribers > 0) || math.IsInf(subscribers, 1) {
		return 0, fmt.Errorf("%w: subscribers=%g", ErrNonPositive, subscribers)
	}
	in, err := windowPosts(posts, end)
	if err != nil {
		return 0, err
	}
	var views float64
	for _, p := range in {
		views += float64(p.Views)
	}
	return views / float64(len(in)) / subscribers * 100, nil
}

// ER is the engagement rate in percent over the undeleted posts published in
// (end - 30 days, end]:
//
//	ER = sum(forwards + reactions + replies) / sum(views) * 100
//
// the views-weighted mean of the per-post rate (forwards + reactions +
// replies)/views * 100. Pooling the sums rather than averaging per-post
// ratios keeps a post with a handful of views from dominating, and needs no
// rule for posts with zero views.
//
// It returns ErrInvalidInput for a negative counter, ErrTooFewPoints when no
// undeleted post falls in the window, and ErrNonPositive when those posts
// have no views at all.
func ER(posts []Post, end time.Time) (float64, error) {
	in, err := windowPosts(posts, end)
	if err != nil {
		return 0, err
	}
	var views, inter float64
	for _, p := range in {
		views += float64(p.Views)
		inter += float64(p.Forwards + p.Reactions + p.Replies)
	}
	if views == 0 {
		return 0, fmt.Errorf("%w: no views in the window", ErrNonPositive)
	}
	return inter / views * 100, nil
}

// OverperformanceHistory is the number of previous posts of the same kind
// whose middle half forms a post's benchmark (CrowdTangle uses the last 100).
const OverperformanceHistory = 100

// OverperformanceMinHistory is the fewest previous posts of the same kind
// for which Overperformance scores a post. Below it the interquartile mean
// rests on a handful of values (with 10 posts it averages the middle 6) and
// the score would mostly reflect noise.
const OverperformanceMinHistory = 10

// PostObs is one post for Overperformance: its time, its type ("text",
// "photo", "video", "forward", ... as the caller classifies posts) and the
// metric being scored (views or interactions), which must be read at the
// same post age for every post.
type PostObs struct {
	At    time.Time
	Kind  string
	Value float64
}

// InterquartileMean returns the mean of the middle half of x: the values are
// sorted, floor(len(x)/4) are dropped from each end and the rest averaged.
// This is CrowdTangle's benchmark ("we drop the top and bottom 25% ... and
// calculate the mean of the middle 50%") and equals
// scipy.stats.trim_mean(x, 0.25), which also cuts floor(0.25*n) from each
// end. ok is false for an empty x or any NaN. x is not modified.
func InterquartileMean(x []float64) (float64, bool) {
	if len(x) == 0 {
		return 0, false
	}
	c := append([]float64(nil), x...)
	for _, v := range c {
		if math.IsNaN(v) {
			return 0, false
		}
	}
	sort.Float64s(c)
	cut := len(c) / 4
	var s float64
	for _, v := range c[cut : len(c)-cut] {
		s += v
	}
	return s / float64(len(c)-2*cut), true
}

// OverperformanceScore is CrowdTangle's score of a post with value actual
// against its benchmark expected (CrowdTangle Help Center, "How do you
// calculate overperforming scores?"):
//
//	actual >= expected:      score = actual / expected        (100 vs 50 -> 2.0)
//	0 < actual < expected:   score = -expected / actual       (100 vs 200 -> -2.0)
//	actual == 0:             score = -2 * expected            (0 vs 200 -> -400)
//
// so a score of 2 means twice the expected value and -2 half of it, and
// scores never fall in (-1, 1) for benchmarks of at least 1. CrowdTangle's
// further adjustments for benchmarks below a platform minimum are not
// applied. ok is false when expected is not positive (there is nothing to
// compare against) or either argument is negative, NaN or infinite.
func OverperformanceScore(actual, expected float64) (float64, bool) {
	if !(expected > 0) || math.IsInf(expected, 1) || !(actual >= 0) || math.IsInf(actual, 1) {
		return 0, false
	}
	switch {
	case actual >= expected:
		return actual / expected, true
	case actual > 0:
		return -expected / actual, true
	default:
		return -2 * expected, true
	}
}

// Overperformance scores every post against its account's own history, as
// CrowdTangle did: the benchmark of post i is the InterquartileMean of the
// values of the up to OverperformanceHistory most recent earlier posts of
// the same Kind, and the score is OverperformanceScore(value_i, benchmark).
// Values must all be read at the same post age, so that a benchmark built
// from old posts is not inflated by their longer exposure.
//
// posts must be sorted by At (non-decreasing; ties keep slice order, and an
// earlier index counts as earlier). The result has one entry per post and is
// NaN where the post cannot be scored: fewer than OverperformanceMinHistory
// earlier posts of its kind, or a benchmark of zero. It returns
// ErrUnordered for unsorted posts and ErrInvalidInput for a negative, NaN or
// infinite value.
func Overperformance(posts []PostObs) ([]float64, error) {
	for i, p := range posts {
		if i > 0 && p.At.Before(posts[i-1].At) {
			return nil, fmt.Errorf("%w: posts[%d] at %v before posts[%d] at %v", ErrUnordered, i, p.At, i-1, posts[i-1].At)
		}
		if !(p.Value >= 0) || math.IsInf(p.Value, 1) {
			return nil, fmt.Errorf("%w: posts[%d].Value=%g", ErrInvalidInput, i, p.Value)
		}
	}
	out := make([]float64, len(posts))
	windows := map[string]*iqmWindow{}
	for i, p := range posts {
		w := windows[p.Kind]
		if w == nil {
			w = &iqmWindow{}
			windows[p.Kind] = w
		}
		out[i] = math.NaN()
		if w.n >= OverperformanceMinHistory {
			if s, ok := OverperformanceScore(p.Value, w.mean()); ok {
				out[i] = s
			}
		}
		w.push(p.Value)
	}
	return out, nil
}

// iqmWindow holds the last OverperformanceHistory values pushed, both in
// push order (a ring buffer, to find the oldest) and sorted (for the
// interquartile mean). The values must not be NaN.
type iqmWindow struct {
	ring   [OverperformanceHistory]float64
	sorted [OverperformanceHistory]float64
	head   int // index in ring of the oldest value when the window is full
	n      int // number of values held
}

// push adds v, dropping the oldest value once the window is full.
func (w *iqmWindow) push(v float64) {
	if w.n == OverperformanceHistory {
		old := w.ring[w.head]
		w.ring[w.head] = v
		w.head = (w.head + 1) % OverperformanceHistory
		// Remove old from sorted: it is there, so the first index not
		// below it holds a value equal to it.
		j := lowerBound(w.sorted[:w.n], old)
		copy(w.sorted[j:w.n-1], w.sorted[j+1:w.n])
		w.n--
	} else {
		w.ring[w.n] = v
	}
	j := lowerBound(w.sorted[:w.n], v)
	copy(w.sorted[j+1:w.n+1], w.sorted[j:w.n])
	w.sorted[j] = v
	w.n++
}

// mean returns InterquartileMean of the values held, for n > 0. It sums the
// sorted middle in the same order as InterquartileMean, so the result is
// the same float.
func (w *iqmWindow) mean() float64 {
	cut := w.n / 4
	var s float64
	for _, v := range w.sorted[cut : w.n-cut] {
		s += v
	}
	return s / float64(w.n-2*cut)
}

// lowerBound returns the first index i of the sorted x with x[i] >= v, or
// len(x) if there is none.
func lowerBound(x []float64, v float64) int {
	lo, hi := 0, len(x)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if x[m] < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}
