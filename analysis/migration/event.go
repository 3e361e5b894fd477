package migration

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/stats"
	"github.com/tidewatch/tidewatch/analysis/takedowns"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// unitKey is one community or platform.
type unitKey struct{ level, unit string }

// chanWindow is one channel's own links by destination in the pre and post windows.
type chanWindow struct {
	pre, post map[string]uint64
}

// unitSeries is what an event's measurement gathers for one unit.
type unitSeries struct {
	members  map[job.Key]bool
	links    map[job.Key]*chanWindow
	dayLinks map[time.Time]uint64 // all own links per day
	dayEvent map[time.Time]uint64 // links to the event's platform per day
	dayPosts map[time.Time]uint64 // posts per day (albums once)
	dayFwd   map[time.Time]uint64 // forwarded posts per day
}

func newUnitSeries() *unitSeries {
	return &unitSeries{members: map[job.Key]bool{}, links: map[job.Key]*chanWindow{}, dayLinks: map[time.Time]uint64{},
		dayEvent: map[time.Time]uint64{}, dayPosts: map[time.Time]uint64{}, dayFwd: map[time.Time]uint64{}}
}

type postsRow struct {
	Platform  string    `ch:"platform"`
	ChannelID uint64    `ch:"channel_id"`
	Day       time.Time `ch:"day"`
	Organic   uint64    `ch:"organic"`
	Forwarded uint64    `ch:"forwarded"`
}

// eventSeries is what the measurement of one event gathers, unit by unit.
type eventSeries struct {
	e      schema.Event
	w      window
	series map[unitKey]*unitSeries
}

func (es *eventSeries) get(k unitKey) *unitSeries {
	s := es.series[k]
	if s == nil {
		s = newUnitSeries()
		es.series[k] = s
	}
	return s
}

// each calls fn with the series of every unit channel k counts toward.
func (es *eventSeries) each(u units, k job.Key, fn func(*unitSeries)) {
	plat, coms := u.of(k)
	fn(es.get(unitKey{LevelPlatform, plat}))
	for _, c := range coms {
		fn(es.get(unitKey{LevelCommunity, c}))
	}
}

func (w window) inPre(t time.Time) bool  { return !t.Before(w.preFrom) && t.Before(w.preTo) }
func (w window) inPost(t time.Time) bool { return !t.Before(w.postFrom) && t.Before(w.postTo) }

// eventResult is what one event's measurement gives: a window row and a link mix per unit,
// and their time series.
type eventResult struct {
	windows []schema.MigrationWindow
	shares  []schema.MigrationWindowShare
	its     []schema.MigrationITS
}

// measureEvents measures every community and platform around every event. The daily links
// and posts of the channels are read once, a batch of channels at a time, over the span of
// all the events' windows, and each day is counted toward the events whose windows hold it.
func measureEvents(ctx context.Context, db *store.DB, batches []job.Batch, u units, events []schema.Event, wins []window,
	lifetimes []schema.TakedownLifetime, known []job.Key) ([]eventResult, error) {
	evs := make([]*eventSeries, len(events))
	var lo, hi time.Time
	for i, e := range events {
		es := &eventSeries{e: e, w: wins[i], series: map[unitKey]*unitSeries{}}
		evs[i] = es
		for _, k := range known {
			es.each(u, k, func(s *unitSeries) { s.members[k] = true })
		}
		if es.w.reason == "" {
			if lo.IsZero() || es.w.preFrom.Before(lo) {
				lo = es.w.preFrom
			}
			if es.w.postTo.After(hi) {
				hi = es.w.postTo
			}
		}
	}
	// holding lists the events whose pre or post window holds day d.
	holding := func(d time.Time, fn func(es *eventSeries, pre bool)) {
		for _, es := range evs {
			if es.w.reason != "" {
				continue
			}
			if pre := es.w.inPre(d); pre || es.w.inPost(d) {
				fn(es, pre)
			}
		}
	}
	if !lo.IsZero() {
		err := eachLinks(ctx, db, batches, "toDate", lo, hi, func(r *linkRow) error {
			d := r.Bucket.UTC()
			k := job.Key{Platform: r.Platform, ChannelID: r.ChannelID}
			holding(d, func(es *eventSeries, pre bool) {
				es.each(u, k, func(s *unitSeries) {
					s.members[k] = true
					cw := s.links[k]
					if cw == nil {
						cw = &chanWindow{pre: map[string]uint64{}, post: map[string]uint64{}}
						s.links[k] = cw
					}
					if pre {
						cw.pre[r.Destination] += r.Links
					} else {
						cw.post[r.Destination] += r.Links
					}
					s.dayLinks[d] += r.Links
					if r.Destination == es.e.Platform {
						s.dayEvent[d] += r.Links
					}
				})
			})
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, b := range batches {
			cond, args := b.Filter()
			q := `SELECT platform, channel_id, toDate(posted_at) AS day,
  uniqExactIf(album_id, if(album_id = 0, post_id, 0), fwd_channel_id = 0) AS organic,
  uniqExactIf(album_id, if(album_id = 0, post_id, 0), fwd_channel_id != 0) AS forwarded
FROM ` + db.Table(schema.TablePosts) + `
WHERE kind = 'post' AND posted_at >= toDateTime(?) AND posted_at < toDateTime(?) AND (` + cond + `)
GROUP BY platform, channel_id, day`
			err := store.Each(ctx, db, q, func(r *postsRow) error {
				d := r.Day.UTC()
				k := job.Key{Platform: r.Platform, ChannelID: r.ChannelID}
				holding(d, func(es *eventSeries, _ bool) {
					es.each(u, k, func(s *unitSeries) {
						s.members[k] = true
						s.dayPosts[d] += r.Organic + r.Forwarded
						s.dayFwd[d] += r.Forwarded
					})
				})
				return nil
			}, append([]any{lo.Unix(), hi.Unix()}, args...)...)
			if err != nil {
				return nil, err
			}
		}
	}
	out := make([]eventResult, len(evs))
	for i, es := range evs {
		keys := make([]unitKey, 0, len(es.series))
		for k := range es.series {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(a, b int) bool {
			if keys[a].level != keys[b].level {
				return keys[a].level < keys[b].level
			}
			return keys[a].unit < keys[b].unit
		})
		for _, k := range keys {
			wr, sr, ir := measureUnit(es.e, es.w, k, es.series[k], u, lifetimes)
			out[i].windows = append(out[i].windows, wr)
			out[i].shares = append(out[i].shares, sr...)
			out[i].its = append(out[i].its, ir...)
		}
	}
	return out, nil
}

// sortedMembers lists a unit's channels in order.
func sortedMembers(s *unitSeries) []job.Key {
	out := make([]job.Key, 0, len(s.members))
	for k := range s.members {
		out = append(out, k)
	}
	slices.SortFunc(out, job.Key.Compare)
	return out
}

// measureUnit computes one unit's window row and time series.
func measureUnit(e schema.Event, w window, k unitKey, s *unitSeries, u units, lifetimes []schema.TakedownLifetime) (schema.MigrationWindow, []schema.MigrationWindowShare, []schema.MigrationITS) {
	nan := math.NaN()
	members := sortedMembers(s)
	row := schema.MigrationWindow{
		EventID: e.EventID, EventAt: e.EventAt.UTC(), EventKind: e.Kind, EventPlatform: e.Platform, Level: k.level, Unit: k.unit,
		PreFrom: w.preFrom, PreTo: w.preTo, PostFrom: w.postFrom, PostTo: w.postTo, Channels: uint32(len(members)),
		PostsChangePct: nan, OrganicChangePct: nan, ForwardedChangePct: nan, NewMedianPreDays: nan, NewMedianPostDays: nan,
		JSNats: nan, JSLo: nan, JSHi: nan, EventSharePre: nan, EventSharePost: nan,
		Status: StatusOK,
	}
	if concerned(e, k.level, k.unit, members) {
		row.Concerned = 1
	}
	if w.reason != "" {
		row.Status, row.Reason = StatusSkipped, w.reason
		return row, nil, nil
	}
	inPre := func(t time.Time) bool { return t.Before(w.preTo) }
	for d, n := range s.dayPosts {
		f := s.dayFwd[d]
		if inPre(d) {
			row.PostsPre += n
			row.ForwardedPre += f
		} else {
			row.PostsPost += n
			row.ForwardedPost += f
		}
	}
	row.OrganicPre, row.OrganicPost = row.PostsPre-row.ForwardedPre, row.PostsPost-row.ForwardedPost
	row.PostsChangePct = pct(row.PostsPre, row.PostsPost)
	row.OrganicChangePct = pct(row.OrganicPre, row.OrganicPost)
	row.ForwardedChangePct = pct(row.ForwardedPre, row.ForwardedPost)
	newChannels(&row, k, u, lifetimes)

	// The link mix of each window and its shift.
	chans := make([]*chanWindow, 0, len(s.links))
	preLinks, postLinks := map[string]uint64{}, map[string]uint64{}
	for _, m := range members {
		if cw := s.links[m]; cw != nil {
			chans = append(chans, cw)
			for d, n := range cw.pre {
				row.LinksPre += n
				preLinks[d] += n
			}
			for d, n := range cw.post {
				row.LinksPost += n
				postLinks[d] += n
			}
		}
	}
	var dests []string
	for d := range preLinks {
		dests = append(dests, d)
	}
	for d := range postLinks {
		if _, ok := preLinks[d]; !ok {
			dests = append(dests, d)
		}
	}
	slices.Sort(dests)
	var shares []schema.MigrationWindowShare
	if row.LinksPre < MinWindowLinks || row.LinksPost < MinWindowLinks {
		row.Reason = fmt.Sprintf("too few links for a link mix: %d before, %d after; each window needs %d", row.LinksPre, row.LinksPost, MinWindowLinks)
	} else {
		pre, post := mixes(chans, dests, nil)
		for i, d := range dests {
			shares = append(shares, schema.MigrationWindowShare{EventID: e.EventID, Level: k.level, Unit: k.unit, Destination: d,
				LinksPre: preLinks[d], LinksPost: postLinks[d], SharePre: pre[i], SharePost: post[i]})
		}
		row.JSNats = stat.JensenShannon(pre, post)
		row.JSLo, row.JSHi = bootstrapJS(chans, dests, seedOf(e.EventID, k))
		row.EventSharePre, row.EventSharePost = 0, 0
		if i, ok := slices.BinarySearch(dests, e.Platform); ok {
			row.EventSharePre, row.EventSharePost = pre[i], post[i]
		}
	}

	var its []schema.MigrationITS
	shareDays := map[time.Time]float64{}
	for d, n := range s.dayLinks {
		if n >= MinDailyLinks {
			shareDays[d] = float64(s.dayEvent[d]) / float64(n)
		}
	}
	its = append(its, fitITS(e, w, k, row.Concerned, OutcomeLinkShare, shareDays))
	its = append(its, fitITS(e, w, k, row.Concerned, OutcomePosts, everyDay(w, s.dayPosts)))
	its = append(its, fitITS(e, w, k, row.Concerned, OutcomeForwarded, everyDay(w, s.dayFwd)))
	return row, shares, its
}

// newChannels counts a unit's channels created in each window and their median lifetime.
func newChannels(row *schema.MigrationWindow, k unitKey, u units, lifetimes []schema.TakedownLifetime) {
	var pre, post []stats.Lifetime
	for _, lt := range lifetimes {
		key := job.Key{Platform: lt.Platform, ChannelID: lt.ChannelID}
		plat, coms := u.of(key)
		if (k.level == LevelPlatform && plat != k.unit) || (k.level == LevelCommunity && !slices.Contains(coms, k.unit)) {
			continue
		}
		if lt.Origin != takedowns.OriginCreated || lt.Status != takedowns.StatusOK {
			continue
		}
		obs := stats.Lifetime{Entry: lt.EntryDays, Exit: lt.ExitDays, Event: lt.Ended == 1}
		switch {
		case !lt.OriginAt.Before(row.PreFrom) && lt.OriginAt.Before(row.PreTo):
			pre = append(pre, obs)
		case !lt.OriginAt.Before(row.PostFrom) && lt.OriginAt.Before(row.PostTo):
			post = append(post, obs)
		}
	}
	row.NewChannelsPre, row.NewChannelsPost = uint32(len(pre)), uint32(len(post))
	row.NewMedianPreDays, row.NewMedianPostDays = medianLifetime(pre), medianLifetime(post)
}

// medianLifetime is the Kaplan-Meier median of lifetimes, NaN for fewer than
// takedowns.MinCohort channels or a curve that stays above one half.
func medianLifetime(obs []stats.Lifetime) float64 {
	if len(obs) < takedowns.MinCohort {
		return math.NaN()
	}
	km, err := stats.KaplanMeier(obs)
	if err != nil {
		return math.NaN()
	}
	return km.Median
}

// mixes pools the channels' links (each channel weighted by how often pick chose it; nil:
// once each) into the pre and post shares over dests.
func mixes(chans []*chanWindow, dests []string, pick []int) (pre, post []float64) {
	pre, post = make([]float64, len(dests)), make([]float64, len(dests))
	add := func(cw *chanWindow, times float64) {
		for i, d := range dests {
			pre[i] += times * float64(cw.pre[d])
			post[i] += times * float64(cw.post[d])
		}
	}
	if pick == nil {
		for _, cw := range chans {
			add(cw, 1)
		}
	} else {
		for i, n := range pick {
			if n > 0 {
				add(chans[i], float64(n))
			}
		}
	}
	normalize(pre)
	normalize(post)
	return pre, post
}

func normalize(x []float64) bool {
	s := 0.0
	for _, v := range x {
		s += v
	}
	if s == 0 {
		return false
	}
	for i := range x {
		x[i] /= s
	}
	return true
}

// bootstrapJS is the 95% percentile interval of the Jensen-Shannon shift over Resamples
// resamples of the unit's channels with replacement.
func bootstrapJS(chans []*chanWindow, dests []string, seed uint64) (lo, hi float64) {
	if len(chans) < 2 {
		return math.NaN(), math.NaN()
	}
	r := rand.New(rand.NewPCG(seed, 0x6d6967726174696f))
	pick := make([]int, len(chans))
	var js []float64
	for range Resamples {
		clear(pick)
		for range chans {
			pick[r.IntN(len(chans))]++
		}
		pre, post := mixes(chans, dests, pick)
		if floats.Sum(pre) == 0 || floats.Sum(post) == 0 {
			continue
		}
		js = append(js, stat.JensenShannon(pre, post))
	}
	if len(js) < Resamples/2 {
		return math.NaN(), math.NaN()
	}
	slices.Sort(js)
	return stat.Quantile(0.025, stat.LinInterp, js, nil), stat.Quantile(0.975, stat.LinInterp, js, nil)
}

// seedOf derives a bootstrap seed from the event and the unit, so reruns agree.
func seedOf(eventID string, k unitKey) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(eventID + "\x00" + k.level + "\x00" + k.unit))
	return h.Sum64()
}

// everyDay is a count per day for every day of both windows, zero where none.
func everyDay(w window, counts map[time.Time]uint64) map[time.Time]float64 {
	out := map[time.Time]float64{}
	for d := w.preFrom; d.Before(w.preTo); d = d.Add(day) {
		out[d] = float64(counts[d])
	}
	for d := w.postFrom; d.Before(w.postTo); d = d.Add(day) {
		out[d] = float64(counts[d])
	}
	return out
}

// fitITS fits the interrupted time series of one outcome's daily values (t in days from
// the post window's start) and the placebo on the pre window alone.
func fitITS(e schema.Event, w window, k unitKey, concernedFlag uint8, outcome string, values map[time.Time]float64) schema.MigrationITS {
	nan := math.NaN()
	row := schema.MigrationITS{EventID: e.EventID, EventAt: e.EventAt.UTC(), Level: k.level, Unit: k.unit, Concerned: concernedFlag, Outcome: outcome,
		Intercept: nan, Slope: nan, SlopeSE: nan, LevelChange: nan, LevelSE: nan, LevelLo: nan, LevelHi: nan, LevelP: nan,
		SlopeChange: nan, SlopeChangeSE: nan, SlopeChangeLo: nan, SlopeChangeHi: nan, SlopeChangeP: nan, PlaceboLevel: nan, PlaceboP: nan, Status: StatusOK}
	days := make([]time.Time, 0, len(values))
	for d := range values {
		days = append(days, d)
	}
	slices.SortFunc(days, func(a, b time.Time) int { return a.Compare(b) })
	var t, y, tPre, yPre []float64
	for _, d := range days {
		x := d.Sub(w.postFrom).Hours() / 24
		t = append(t, x)
		y = append(y, values[d])
		if d.Before(w.preTo) {
			tPre, yPre = append(tPre, x), append(yPre, values[d])
		}
	}
	row.Days, row.PreDays, row.PostDays = uint32(len(t)), uint32(len(tPre)), uint32(len(t)-len(tPre))
	fit, err := stats.InterruptedTimeSeries(t, y, 0)
	if err != nil {
		row.Status, row.Reason = StatusSkipped, err.Error()
		return row
	}
	row.NWLag = uint32(fit.Lag)
	row.Intercept, row.Slope, row.SlopeSE = fit.Intercept.Value, fit.Slope.Value, fit.Slope.SE
	row.LevelChange, row.LevelSE, row.LevelLo, row.LevelHi, row.LevelP = fit.Level.Value, fit.Level.SE, fit.Level.Lo, fit.Level.Hi, fit.Level.P
	row.SlopeChange, row.SlopeChangeSE, row.SlopeChangeLo, row.SlopeChangeHi, row.SlopeChangeP =
		fit.SlopeChange.Value, fit.SlopeChange.SE, fit.SlopeChange.Lo, fit.SlopeChange.Hi, fit.SlopeChange.P
	if len(tPre) >= 6 {
		mid := w.preFrom.Add(w.preTo.Sub(w.preFrom) / 2).Truncate(day)
		if pf, err := stats.InterruptedTimeSeries(tPre, yPre, mid.Sub(w.postFrom).Hours()/24); err == nil {
			row.PlaceboLevel, row.PlaceboP = pf.Level.Value, pf.Level.P
		}
	}
	return row
}
