package engagement

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/stats"
	"github.com/tidewatch/tidewatch/schema"
)

// Post is one post of a channel as the job reads it: an album once, its latest counters
// and, when Has24, its views read at 24 h of age.
type Post struct {
	ID        uint64
	At        time.Time
	Type      string // posts.post_type (text, photo, video, link, retweet, ...)
	Forwarded bool
	Deleted   bool
	Views     uint64
	Forwards  uint64
	Replies   uint64
	Reactions uint64
	Views24   uint64
	Has24     bool
	// ReadAt is when the counters were read; Audience the channel's subscribers when the
	// post was posted (0: unknown).
	ReadAt   time.Time
	Audience float64
}

// ReachMinAge is the youngest age at which a post's views count toward the reach: by then
// views have nearly stopped growing (the collector's re-read at 72 h).
const ReachMinAge = 72 * time.Hour

// TypeOf is the type a post is compared within for overperformance: "forward" for a
// forwarded post (a retweet, a forward from a channel or a person), otherwise its own
// type, "text" when it has none.
func TypeOf(p Post) string {
	switch {
	case p.Forwarded:
		return "forward"
	case p.Type != "":
		return p.Type
	}
	return "text"
}

// expectedOf recovers the benchmark behind a score of stats.OverperformanceScore: actual /
// score above the benchmark, -score * actual below it, -score / 2 for a post with nothing.
func expectedOf(actual, score float64) float64 {
	switch {
	case math.IsNaN(score):
		return math.NaN()
	case score > 0:
		return actual / score
	case actual > 0:
		return -score * actual
	}
	return -score / 2
}

// Channel computes one channel's figures from its posts (sorted by time; posts before
// o.Params.From are benchmark history only) and its latest subscriber count. Every Float64
// that cannot be computed is NaN, with the reason in the row.
func Channel(k job.Key, posts []Post, s Subs, o Options) (schema.EngagementChannel, []schema.EngagementPost) {
	nan := math.NaN()
	from, to := o.Params.From, o.Params.To
	ec := schema.EngagementChannel{
		Platform: k.Platform, ChannelID: k.ChannelID, Status: StatusOK,
		Days:        to.Sub(from).Hours() / 24,
		PostsPerDay: nan, ViewsPerPost: nan, Subscribers: nan, ERR: nan, ER: nan, ERR24: nan, Reach: nan, TopScore: nan,
		OpThreshold: o.Threshold,
	}
	winStart := to.Add(-stats.EngagementWindow)
	ec.WindowStart = winStart
	if winStart.Before(from) {
		ec.WindowStart = from
	}

	var (
		inRange   []stats.Post
		in24      []stats.Post
		reach     []float64
		viewsSum  float64
		undeleted int
	)
	for _, p := range posts {
		if p.At.Before(from) || !p.At.Before(to) {
			continue
		}
		ec.Posts++
		if p.Forwarded {
			ec.Forwarded++
		} else {
			ec.Organic++
		}
		if p.Deleted {
			ec.Deleted++
			continue
		}
		undeleted++
		viewsSum += float64(p.Views)
		sp := stats.Post{At: p.At, Views: int64(p.Views), Forwards: int64(p.Forwards), Replies: int64(p.Replies), Reactions: int64(p.Reactions)}
		inRange = append(inRange, sp)
		if p.At.After(winStart) {
			ec.WindowPosts++
			if p.Audience > 0 && p.ReadAt.Sub(p.At) >= ReachMinAge {
				reach = append(reach, 100*float64(p.Views)/p.Audience)
			}
			if p.Has24 {
				sp.Views = int64(p.Views24)
				in24 = append(in24, sp)
				ec.ERR24Posts++
			}
		}
	}
	if ec.Posts > 0 {
		ec.PostsPerDay = float64(ec.Posts) / ec.Days
	}
	if undeleted > 0 {
		ec.ViewsPerPost = viewsSum / float64(undeleted)
	}

	subsReason := ""
	switch {
	case s.At.IsZero() || !(s.Count > 0):
		subsReason = "no subscriber count at or before the range end"
	case s.At.Before(to.Add(-o.MaxSnapshotAge)):
		ec.SubscribersAt = s.At
		subsReason = fmt.Sprintf("latest subscriber count is from %s, more than %s before the range end",
			s.At.Format(time.DateOnly), days(o.MaxSnapshotAge))
	default:
		ec.Subscribers, ec.SubscribersAt = s.Count, s.At
	}

	windowReason := fmt.Sprintf("no undeleted posts in the last %s of the range", days(stats.EngagementWindow))
	switch {
	case ec.Posts == 0:
		ec.Status, ec.Reason = StatusSkipped, "no posts in the range"
	case ec.WindowPosts == 0:
		ec.Status, ec.Reason = StatusSkipped, windowReason
	case subsReason != "":
		ec.Status, ec.Reason = StatusSkipped, subsReason
	default:
		v, err := stats.ERR(inRange, ec.Subscribers, to)
		if err != nil {
			ec.Status, ec.Reason = StatusSkipped, "ERR: "+err.Error()
		} else {
			ec.ERR = v
		}
	}

	ec.ReachPosts = uint64(len(reach))
	switch {
	case ec.WindowPosts == 0:
		ec.ReachReason = windowReason
	case len(reach) == 0:
		ec.ReachReason = fmt.Sprintf("no post in the window was read at %s of age or later with a subscriber count from when it was posted", days(ReachMinAge))
	default:
		slices.Sort(reach)
		n := len(reach)
		ec.Reach = (reach[(n-1)/2] + reach[n/2]) / 2
	}

	if ec.WindowPosts == 0 {
		ec.ERReason = windowReason
	} else if v, err := stats.ER(inRange, to); err != nil {
		ec.ERReason = err.Error()
	} else {
		ec.ER = v
	}

	switch {
	case ec.WindowPosts == 0:
		ec.ERR24Reason = windowReason
	case len(in24) == 0:
		ec.ERR24Reason = "no post in the window has a read at 24 h of age (post_counters target_age_s = 86400)"
	case subsReason != "":
		ec.ERR24Reason = subsReason
	default:
		if v, err := stats.ERR(in24, ec.Subscribers, to); err != nil {
			ec.ERR24Reason = err.Error()
		} else {
			ec.ERR24 = v
		}
	}

	scored := Score(posts, from, to)
	if len(scored) > 0 {
		ec.OpBasis = scored[0].Basis
	}
	for _, sp := range scored {
		ec.ScoredPosts++
		if sp.Score >= o.Threshold {
			ec.Overperforming++
		}
		if sp.Score <= -o.Threshold {
			ec.Underperforming++
		}
		if ec.TopPostID == 0 || sp.Score > ec.TopScore {
			ec.TopPostID, ec.TopScore = sp.PostID, sp.Score
		}
	}
	for i := range scored {
		scored[i].Platform, scored[i].ChannelID = k.Platform, k.ChannelID
	}
	return ec, scored
}

// Score is CrowdTangle's overperformance of the undeleted posts in [from, to) (posts sorted
// by time, earlier ones serving as history): each against the up to 100 previous
// undeleted posts of its TypeOf, by views at the same age. When any post has a read at 24 h
// of age only such posts are compared, by their 24 h views (basis "24h"); otherwise every
// post by its latest views (basis "latest"), whatever its age at that read. Posts without
// enough history (stats.OverperformanceMinHistory) are left out. Platform and ChannelID of
// the rows are not set.
func Score(posts []Post, from, to time.Time) []schema.EngagementPost {
	basis := BasisLatest
	for _, p := range posts {
		if !p.Deleted && p.Has24 {
			basis = Basis24h
			break
		}
	}
	var (
		use []Post
		obs []stats.PostObs
	)
	for _, p := range posts {
		if p.Deleted || (basis == Basis24h && !p.Has24) || !p.At.Before(to) {
			continue
		}
		v := p.Views
		if basis == Basis24h {
			v = p.Views24
		}
		use = append(use, p)
		obs = append(obs, stats.PostObs{At: p.At, Kind: TypeOf(p), Value: float64(v)})
	}
	scores, err := stats.Overperformance(obs)
	if err != nil {
		return nil // only for unsorted input, which the query never gives
	}
	var out []schema.EngagementPost
	seen := map[string]int{}
	for i, p := range use {
		kind := obs[i].Kind
		h := min(seen[kind], stats.OverperformanceHistory)
		seen[kind]++
		if p.At.Before(from) || math.IsNaN(scores[i]) {
			continue
		}
		ep := schema.EngagementPost{
			PostID: p.ID, PostedAt: p.At, PostType: kind, Basis: basis,
			Views: p.Views, Forwards: p.Forwards, Replies: p.Replies, Reactions: p.Reactions,
			Actual: obs[i].Value, History: uint32(h), Expected: expectedOf(obs[i].Value, scores[i]), Score: scores[i],
		}
		if p.Forwarded {
			ep.Forwarded = 1
		}
		out = append(out, ep)
	}
	return out
}

// days writes a whole number of days as "N days".
func days(d time.Duration) string {
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
