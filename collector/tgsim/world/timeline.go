package world

import (
	"container/list"
	"math"
	"slices"
	"sort"
	"sync"
)

// A channel's messages are planned day by day, each day from its own random
// streams: the number of posts in a day and their album sizes (one stream),
// their times (another), and the metadata messages (creation, title and
// photo changes, the pinned post) at their fixed times. Message ids follow
// from the order of the items, so the first id of each day is a prefix sum
// over earlier days: the timeline. With it, any post of any channel can be
// located (to forward it, to link to it) without building that channel's
// whole history.

// item is one planned message (or album) of a day.
type item struct {
	t    int64
	kind fixedKind // 0 = a regular post
	size uint8     // ids it takes (album size)
	ref  int32
	ord  int32 // ties: metadata items first, then posts in draw order
}

// albumSizes weights album sizes 2..10.
var albumSizes = []float64{30, 22, 16, 10, 7, 5, 4, 3, 3}

// numDays is the number of planning days of a channel (the last may be partial).
func numDays(ch *channel) int {
	return int((ch.stop - ch.created + day - 1) / day)
}

// hourProfile is the daily cycle of a community by UTC hour, mean 1: most
// posts in the afternoon and evening of its time zone, few at night.
func (w *World) hourProfile(c int) [24]float64 {
	var p [24]float64
	depth := w.spec.Posting.DailyCycle
	tz := w.communities[c].tz
	for h := 0; h < 24; h++ {
		local := float64((h+tz+48)%24) + 0.5
		p[h] = 1 + depth*math.Cos(2*math.Pi*(local-16)/24)
	}
	return p
}

// burst is the posting multiplier of channel ch at t from attack events.
func (w *World) burst(ch *channel, t int64) float64 {
	m := 1.0
	for _, ei := range ch.attacks {
		e := &w.events[ei]
		if t < e.at || e.spec.Burst <= 1 {
			continue
		}
		tau := float64(e.spec.Decay.D().Seconds())
		dt := float64(t - e.at)
		if dt < 15*tau {
			m += (e.spec.Burst - 1) * math.Exp(-dt/tau)
		}
	}
	return m
}

// dayItems plans day k of channel ch (k = 0 starts at creation) into buf,
// sorted by time. Items at or after ch.stop are dropped.
func (w *World) dayItems(ch *channel, k int, buf []item) []item {
	buf = buf[:0]
	dayStart := ch.created + int64(k)*day
	if dayStart >= ch.stop || k < 0 {
		return buf
	}
	dayEnd := min(dayStart+day, ch.stop)
	var hw [24]float64
	sum := w.hourWeights(ch, dayStart, &hw)
	rc := newRNG(key4(w.key, uint64(ch.id), uint64(k), tagDayCount))
	rt := newRNG(key4(w.key, uint64(ch.id), uint64(k), tagDayTimes))
	n := rc.poisson(ch.rate * sum / 24)
	albums := w.spec.Posting.Albums
	for i := 0; i < n; i++ {
		size := 1
		if rc.chance(albums) {
			size = 2 + rc.pick(albumSizes)
		}
		x := rt.float() * sum
		h := 0
		for h < 23 && hw[h] <= x {
			h++
		}
		t := dayStart + int64(h)*3600 + int64(rt.intn(3600))
		if t < dayEnd {
			buf = append(buf, item{t: t, size: uint8(size), ord: int32(i)})
		}
	}
	fi, _ := slices.BinarySearchFunc(ch.fixed, dayStart, func(f fixedItem, t int64) int {
		switch {
		case f.t < t:
			return -1
		case f.t > t:
			return 1
		}
		return 0
	})
	for ; fi < len(ch.fixed) && ch.fixed[fi].t < dayEnd; fi++ {
		f := ch.fixed[fi]
		buf = append(buf, item{t: f.t, kind: f.kind, size: 1, ref: f.ref, ord: int32(fi) - math.MaxInt32/2})
	}
	slices.SortFunc(buf, func(a, b item) int {
		switch {
		case a.t < b.t:
			return -1
		case a.t > b.t:
			return 1
		case a.ord < b.ord:
			return -1
		case a.ord > b.ord:
			return 1
		}
		return 0
	})
	return buf
}

// hourWeights fills the cumulative posting weights of the 24 hours from
// dayStart (daily cycle times bursts) and returns their sum.
func (w *World) hourWeights(ch *channel, dayStart int64, hw *[24]float64) float64 {
	prof := &w.communities[ch.community].profile
	sum := 0.0
	firstHour := dayStart / 3600
	for h := 0; h < 24; h++ {
		v := prof[(firstHour+int64(h))%24]
		if len(ch.attacks) > 0 {
			v *= w.burst(ch, dayStart+int64(h)*3600+1800)
		}
		sum += v
		hw[h] = sum
	}
	return sum
}

// dayIDs is the number of ids day k of ch takes: what summing the sizes of
// dayItems gives, without drawing times or sorting (except on a last,
// partial day, where times decide what falls before the stop).
func (w *World) dayIDs(ch *channel, k int) int32 {
	dayStart := ch.created + int64(k)*day
	if dayStart >= ch.stop || k < 0 {
		return 0
	}
	dayEnd := dayStart + day
	if dayEnd > ch.stop {
		var buf [64]item
		n := int32(0)
		for _, it := range w.dayItems(ch, k, buf[:0]) {
			n += int32(it.size)
		}
		return n
	}
	var hw [24]float64
	sum := w.hourWeights(ch, dayStart, &hw)
	rc := newRNG(key4(w.key, uint64(ch.id), uint64(k), tagDayCount))
	n := rc.poisson(ch.rate * sum / 24)
	albums := w.spec.Posting.Albums
	ids := int32(0)
	for i := 0; i < n; i++ {
		ids++
		if rc.chance(albums) {
			ids += 1 + int32(rc.pick(albumSizes))
		}
	}
	lo := sort.Search(len(ch.fixed), func(i int) bool { return ch.fixed[i].t >= dayStart })
	hi := sort.Search(len(ch.fixed), func(i int) bool { return ch.fixed[i].t >= dayEnd })
	return ids + int32(hi-lo)
}

// timeline is the first message id of each planning day of a channel;
// firstID[numDays] is one past the last id.
type timeline struct {
	firstID []int32
}

// buildTimeline sums the ids of every day.
func (w *World) buildTimeline(ch *channel) *timeline {
	days := numDays(ch)
	tl := &timeline{firstID: make([]int32, days+1)}
	id := int32(1)
	for k := 0; k < days; k++ {
		tl.firstID[k] = id
		id += w.dayIDs(ch, k)
	}
	tl.firstID[days] = id
	return tl
}

// timeline returns the channel's timeline, from the cache when it can.
func (w *World) timeline(ch *channel) *timeline {
	if tl := w.timelines.get(ch.idx); tl != nil {
		return tl
	}
	if h := w.skels.peek(ch.idx); h != nil {
		return h.tl
	}
	tl := w.buildTimeline(ch)
	w.timelines.put(ch.idx, tl)
	return tl
}

// postBefore finds a post of src made at or before t (recent ones more
// likely), for a forward or a link to it. ok is false when src has no post
// in the few days before t or is not readable at t.
func (w *World) postBefore(src *channel, t int64, r *rng) (id int, date int64, ok bool) {
	if src.statusAt(t) != StatusActive {
		return 0, 0, false
	}
	t = min(t, src.stop-1)
	tl := w.timeline(src)
	var buf [64]item
	for k, tries := int((t-src.created)/day), 0; k >= 0 && tries < 4; k, tries = k-1, tries+1 {
		items := w.dayItems(src, k, buf[:0])
		m := 0
		for _, it := range items {
			if it.t > t {
				break
			}
			if it.kind == 0 || it.kind == fixedPinPost {
				m++
			}
		}
		if m == 0 {
			continue
		}
		pick := m - 1 - min(m-1, int(r.exp(2)))
		next := tl.firstID[k]
		for _, it := range items {
			if it.kind == 0 || it.kind == fixedPinPost {
				if pick == 0 {
					return int(next), it.t, true
				}
				pick--
			}
			next += int32(it.size)
		}
	}
	return 0, 0, false
}

// timelineCache is a small LRU of timelines.
type timelineCache struct {
	mu    sync.Mutex
	limit int
	order *list.List // front = most recent; values are int (channel idx)
	items map[int]*timelineEntry
}

type timelineEntry struct {
	tl   *timeline
	elem *list.Element
}

func newTimelineCache(limit int) *timelineCache {
	return &timelineCache{limit: limit, order: list.New(), items: map[int]*timelineEntry{}}
}

func (c *timelineCache) get(idx int) *timeline {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[idx]
	if !ok {
		return nil
	}
	c.order.MoveToFront(e.elem)
	return e.tl
}

func (c *timelineCache) put(idx int, tl *timeline) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[idx]; ok {
		return
	}
	c.items[idx] = &timelineEntry{tl: tl, elem: c.order.PushFront(idx)}
	for c.order.Len() > c.limit {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(int))
	}
}
