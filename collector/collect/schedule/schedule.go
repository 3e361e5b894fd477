// Package schedule keeps the collector's pending work: one task per (channel, kind), due at
// a time, queued by the lane (account) and Telegram method that will run it.
//
// The rules it enforces are the ones Telegram and the data need: a channel is never worked
// on twice at once (a task whose channel is busy waits until the channel is released); the
// most overdue task of a queue goes first, so work that fell behind catches up before new
// work starts; and periodic polls start at a stable hash offset inside their interval, so a
// thousand channels with the same interval spread over it instead of firing together (the
// approach of Prometheus' scrape loops).
package schedule

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"sort"
	"time"
)

// Task is one unit of work: one Telegram call on one channel.
type Task struct {
	// Channel is the key of the channel (its Telegram id, or a negative key for work on a
	// channel whose id is not known yet, such as resolving a username).
	Channel int64
	// Kind names the work ("snapshot", "history", "counters", ...); a channel has at most one
	// pending task of each kind.
	Kind string
	// Lane is the account that must run the task; "" lets any account run it.
	Lane string
	// Method is the Telegram method the task calls, which selects its rate budget.
	Method string
	// Due is the earliest time to run the task.
	Due time.Time
}

// Queue names one queue: the tasks of one lane for one method.
type Queue struct{ Lane, Method string }

// A collector following 100,000 channels keeps three or four pending tasks per channel, so
// the tasks are stored compactly: all of them in one slice of 24-byte items (no pointer per
// task for the garbage collector to follow), each queue a heap of 4-byte indexes into it,
// and one open-addressing table of 4-byte indexes finding the task of a (channel, kind).
// A task takes about 35 bytes this way, against some 65 as a pointer-linked item in maps
// of slices.

// item is a pending task as stored. Kind indexes the scheduler's kinds; queue its queues.
type item struct {
	channel int64
	due     int64 // Unix nanoseconds; math.MinInt64 for the zero time
	// pos is the position in its queue's heap, held while the channel is busy, or the next
	// free item when the item is free.
	pos   int32
	kind  uint16
	queue uint16
}

const (
	held     = -1             // pos of a task waiting for its channel to be released
	freeKind = math.MaxUint16 // kind of an item on the free list
)

// queueState is one queue: its lane and method (indexes into the names) and its heap of
// item indexes, most overdue first.
type queueState struct {
	lane, method uint16
	heap         []int32
}

// Scheduler holds the pending tasks. It is not safe for concurrent use: one goroutine (the
// collector's dispatcher) owns it.
type Scheduler struct {
	items []item
	free  int32 // first free item, -1 when none
	// slots is the (channel, kind) index: linear probing over item index+1, 0 for empty.
	// Its length is a power of two, at most three quarters full.
	slots []int32
	count int

	kinds   []string // kinds of work, interned
	kindIDs map[string]uint16
	names   []string // lanes and methods, interned
	nameIDs map[string]uint16
	queues  []queueState
	queueID map[[2]uint16]uint16
	busy    map[int64]struct{}
}

// New returns an empty Scheduler.
func New() *Scheduler {
	return &Scheduler{
		free:    -1,
		kindIDs: map[string]uint16{},
		nameIDs: map[string]uint16{},
		queueID: map[[2]uint16]uint16{},
		busy:    map[int64]struct{}{},
	}
}

// intern returns the index of a lane or method name, adding it.
func (s *Scheduler) intern(name string) uint16 {
	if id, ok := s.nameIDs[name]; ok {
		return id
	}
	id := uint16(len(s.names))
	s.names = append(s.names, name)
	s.nameIDs[name] = id
	return id
}

// kindID returns the index of a kind, adding it. Kinds are a handful of constants; more
// than 65,534 of them is a programming error.
func (s *Scheduler) kindID(kind string) uint16 {
	if id, ok := s.kindIDs[kind]; ok {
		return id
	}
	if len(s.kinds) >= freeKind {
		panic("schedule: too many kinds of work")
	}
	id := uint16(len(s.kinds))
	s.kinds = append(s.kinds, kind)
	s.kindIDs[kind] = id
	return id
}

// queueOfNames returns the index of the queue of (lane, method), adding it.
func (s *Scheduler) queueOfNames(lane, method string) uint16 {
	k := [2]uint16{s.intern(lane), s.intern(method)}
	if id, ok := s.queueID[k]; ok {
		return id
	}
	id := uint16(len(s.queues))
	s.queues = append(s.queues, queueState{lane: k[0], method: k[1]})
	s.queueID[k] = id
	return id
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return math.MinInt64
	}
	return t.UnixNano()
}

func fromNano(n int64) time.Time {
	if n == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (s *Scheduler) task(i int32) Task {
	it := &s.items[i]
	q := &s.queues[it.queue]
	return Task{Channel: it.channel, Kind: s.kinds[it.kind], Lane: s.names[q.lane], Method: s.names[q.method], Due: fromNano(it.due)}
}

// slot returns where the (channel, kind) chain starts in the index.
func (s *Scheduler) slot(channel int64, kind uint16) int {
	h := uint64(channel)*0x9e3779b97f4a7c15 ^ uint64(kind)
	h ^= h >> 31
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 29
	return int(h & uint64(len(s.slots)-1))
}

// find returns the index of the pending task of (channel, kind), or -1.
func (s *Scheduler) find(channel int64, kind uint16) int32 {
	if len(s.slots) == 0 {
		return -1
	}
	mask := len(s.slots) - 1
	for h := s.slot(channel, kind); s.slots[h] != 0; h = (h + 1) & mask {
		i := s.slots[h] - 1
		if it := &s.items[i]; it.channel == channel && it.kind == kind {
			return i
		}
	}
	return -1
}

// findKind is find by the kind's name.
func (s *Scheduler) findKind(channel int64, kind string) int32 {
	k, ok := s.kindIDs[kind]
	if !ok {
		return -1
	}
	return s.find(channel, k)
}

// index puts item i into the (channel, kind) index, growing it when needed.
func (s *Scheduler) index(i int32) {
	if (s.count+1)*4 > len(s.slots)*3 {
		old := s.slots
		s.slots = make([]int32, max(64, 2*len(old)))
		for _, v := range old {
			if v != 0 {
				s.place(v)
			}
		}
	}
	s.place(i + 1)
}

func (s *Scheduler) place(v int32) {
	it := &s.items[v-1]
	mask := len(s.slots) - 1
	h := s.slot(it.channel, it.kind)
	for s.slots[h] != 0 {
		h = (h + 1) & mask
	}
	s.slots[h] = v
}

// unindex removes item i from the (channel, kind) index, shifting back the entries that
// probed past it so no lookup stops early at the hole.
func (s *Scheduler) unindex(i int32) {
	mask := len(s.slots) - 1
	it := &s.items[i]
	h := s.slot(it.channel, it.kind)
	for s.slots[h] != i+1 {
		h = (h + 1) & mask
	}
	for {
		s.slots[h] = 0
		j := h
		for {
			j = (j + 1) & mask
			v := s.slots[j]
			if v == 0 {
				return
			}
			x := &s.items[v-1]
			home := s.slot(x.channel, x.kind)
			// The entry at j stays unless its home is outside (h, j], cyclically.
			if h <= j && (home <= h || home > j) || h > j && home <= h && home > j {
				s.slots[h] = v
				h = j
				break
			}
		}
	}
}

// newItem takes a free item or appends one.
func (s *Scheduler) newItem(v item) int32 {
	if s.free >= 0 {
		i := s.free
		s.free = s.items[i].pos
		s.items[i] = v
		return i
	}
	s.items = append(s.items, v)
	return int32(len(s.items) - 1)
}

// Len returns the number of pending tasks (held ones included).
func (s *Scheduler) Len() int { return s.count }

// Get returns the pending task of (channel, kind).
func (s *Scheduler) Get(channel int64, kind string) (Task, bool) {
	i := s.findKind(channel, kind)
	if i < 0 {
		return Task{}, false
	}
	return s.task(i), true
}

// Add queues t. When (channel, kind) is already pending, the earlier due time is kept and
// lane and method are taken from t.
func (s *Scheduler) Add(t Task) {
	due := unixNano(t.Due)
	q := s.queueOfNames(t.Lane, t.Method)
	k := s.kindID(t.Kind)
	if i := s.find(t.Channel, k); i >= 0 {
		s.detach(i)
		it := &s.items[i]
		it.due = min(it.due, due)
		it.queue = q
		s.attach(i)
		return
	}
	i := s.newItem(item{channel: t.Channel, due: due, pos: held, kind: k, queue: q})
	s.index(i)
	s.count++
	s.attach(i)
}

// drop removes item i, which is in no queue, and frees it.
func (s *Scheduler) drop(i int32) {
	s.unindex(i)
	s.items[i] = item{pos: s.free, kind: freeKind}
	s.free = i
	s.count--
}

// Set queues t, replacing the due time of a pending (channel, kind) whatever it was.
func (s *Scheduler) Set(t Task) {
	s.Remove(t.Channel, t.Kind)
	s.Add(t)
}

// Remove drops the pending task of (channel, kind), if any.
func (s *Scheduler) Remove(channel int64, kind string) {
	if i := s.findKind(channel, kind); i >= 0 {
		s.detach(i)
		s.drop(i)
	}
}

// eachOf calls fn with the index of every pending task of channel. There are a handful of
// kinds, so looking each up costs less than keeping a list per channel.
func (s *Scheduler) eachOf(channel int64, fn func(i int32)) {
	for k := range s.kinds {
		if i := s.find(channel, uint16(k)); i >= 0 {
			fn(i)
		}
	}
}

// RemoveChannel drops every pending task of channel.
func (s *Scheduler) RemoveChannel(channel int64) {
	s.eachOf(channel, func(i int32) {
		s.detach(i)
		s.drop(i)
	})
}

// MoveLane gives every pending task of channel in lane from to lane to: the hand-off of a
// channel from a parked account to a free one.
func (s *Scheduler) MoveLane(channel int64, from, to string) {
	f, ok := s.nameIDs[from]
	if !ok {
		return
	}
	s.eachOf(channel, func(i int32) {
		q := s.queues[s.items[i].queue]
		if q.lane == f {
			s.detach(i)
			s.items[i].queue = s.queueOfNames(to, s.names[q.method])
			s.attach(i)
		}
	})
}

// Tasks returns the pending tasks of channel, sorted by kind.
func (s *Scheduler) Tasks(channel int64) []Task {
	var out []Task
	s.eachOf(channel, func(i int32) { out = append(out, s.task(i)) })
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

// attach puts item i in its queue, or holds it while its channel is busy.
func (s *Scheduler) attach(i int32) {
	it := &s.items[i]
	if _, busy := s.busy[it.channel]; busy {
		it.pos = held
		return
	}
	q := &s.queues[it.queue]
	it.pos = int32(len(q.heap))
	q.heap = append(q.heap, i)
	s.up(q, int(it.pos))
}

// detach takes item i out of its queue (a held item is in none).
func (s *Scheduler) detach(i int32) {
	it := &s.items[i]
	if it.pos < 0 {
		return
	}
	q := &s.queues[it.queue]
	p, last := int(it.pos), len(q.heap)-1
	it.pos = held
	if p != last {
		q.heap[p] = q.heap[last]
		s.items[q.heap[p]].pos = int32(p)
	}
	q.heap = q.heap[:last]
	if last == 0 {
		q.heap = nil // an emptied queue gives its memory back
		return
	}
	if p != last && !s.up(q, p) {
		s.down(q, p)
	}
}

// before orders tasks in a queue: most overdue first, then by channel and kind so the
// order does not depend on insertion.
func (s *Scheduler) before(a, b int32) bool {
	x, y := &s.items[a], &s.items[b]
	if x.due != y.due {
		return x.due < y.due
	}
	if x.channel != y.channel {
		return x.channel < y.channel
	}
	return x.kind < y.kind
}

func (s *Scheduler) swap(q *queueState, a, b int) {
	q.heap[a], q.heap[b] = q.heap[b], q.heap[a]
	s.items[q.heap[a]].pos = int32(a)
	s.items[q.heap[b]].pos = int32(b)
}

// up moves the entry at p towards the root; it reports whether it moved.
func (s *Scheduler) up(q *queueState, p int) bool {
	start := p
	for p > 0 {
		parent := (p - 1) / 2
		if !s.before(q.heap[p], q.heap[parent]) {
			break
		}
		s.swap(q, p, parent)
		p = parent
	}
	return p != start
}

func (s *Scheduler) down(q *queueState, p int) {
	n := len(q.heap)
	for {
		c := 2*p + 1
		if c >= n {
			return
		}
		if r := c + 1; r < n && s.before(q.heap[r], q.heap[c]) {
			c = r
		}
		if !s.before(q.heap[c], q.heap[p]) {
			return
		}
		s.swap(q, p, c)
		p = c
	}
}

// Queues returns the non-empty queues with the due time of their first task, most overdue
// first.
func (s *Scheduler) Queues() []QueueHead {
	out := make([]QueueHead, 0, len(s.queues))
	for _, q := range s.queues {
		if len(q.heap) == 0 {
			continue
		}
		out = append(out, QueueHead{Queue: Queue{Lane: s.names[q.lane], Method: s.names[q.method]}, Due: fromNano(s.items[q.heap[0]].due), Len: len(q.heap)})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Due.Equal(out[j].Due) {
			return out[i].Due.Before(out[j].Due)
		}
		if out[i].Lane != out[j].Lane {
			return out[i].Lane < out[j].Lane
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// QueueHead is a queue with the due time of its first task.
type QueueHead struct {
	Queue
	Due time.Time
	Len int
}

func (s *Scheduler) queueOf(q Queue) *queueState {
	l, ok1 := s.nameIDs[q.Lane]
	m, ok2 := s.nameIDs[q.Method]
	if !ok1 || !ok2 {
		return nil
	}
	id, ok := s.queueID[[2]uint16{l, m}]
	if !ok {
		return nil
	}
	return &s.queues[id]
}

// Peek returns the first task of a queue without taking it.
func (s *Scheduler) Peek(q Queue) (Task, bool) {
	h := s.queueOf(q)
	if h == nil || len(h.heap) == 0 {
		return Task{}, false
	}
	return s.task(h.heap[0]), true
}

// Take removes and returns the most overdue task of queue q that is due at now, marking its
// channel busy until Release. Tasks of busy channels are never returned (they cannot be in a
// queue while their channel is busy).
func (s *Scheduler) Take(q Queue, now time.Time) (Task, bool) {
	h := s.queueOf(q)
	if h == nil || len(h.heap) == 0 || s.items[h.heap[0]].due > unixNano(now) {
		return Task{}, false
	}
	i := h.heap[0]
	t := s.task(i)
	s.detach(i)
	s.drop(i)
	s.acquire(t.Channel)
	return t, true
}

// Acquire marks channel busy for work started outside the queues; it reports false when the
// channel is already busy.
func (s *Scheduler) Acquire(channel int64) bool {
	if _, busy := s.busy[channel]; busy {
		return false
	}
	s.acquire(channel)
	return true
}

func (s *Scheduler) acquire(channel int64) {
	s.busy[channel] = struct{}{}
	// Pending tasks of the channel leave their queues until it is released, so no queue's
	// head is ever blocked by a busy channel.
	s.eachOf(channel, s.detach)
}

// Busy reports whether channel is being worked on.
func (s *Scheduler) Busy(channel int64) bool {
	_, busy := s.busy[channel]
	return busy
}

// Release ends the work on channel: its pending tasks return to their queues.
func (s *Scheduler) Release(channel int64) {
	if _, busy := s.busy[channel]; !busy {
		return
	}
	delete(s.busy, channel)
	s.eachOf(channel, s.attach)
}

// Offset returns a stable offset in [0, interval) for key: the same key always polls at the
// same phase of its interval, and different keys spread evenly over it.
func Offset(key string, interval time.Duration) time.Duration {
	if interval <= 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	return time.Duration(h.Sum64() % uint64(interval))
}

// ChannelOffset is Offset for a channel id and a kind of work.
func ChannelOffset(channel int64, kind string, interval time.Duration) time.Duration {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(channel))
	return Offset(string(b[:])+kind, interval)
}

// NextSlot returns when a periodic poll of channel runs next, given its last run. The first
// poll (last is zero) is due at once. Later polls fall on the channel's stable phase of the
// interval (offset + k*interval, in whole seconds), the first such time more than a small
// margin (a tenth of the interval, at most a minute) after last, so polls keep their phase
// across restarts and a poll whose stored time was rounded down to the second is not repeated
// at its own slot; a poll that fell more than a whole interval behind (downtime) is due at
// once instead of replaying the missed slots.
func NextSlot(channel int64, kind string, interval time.Duration, last, now time.Time) time.Time {
	if interval <= 0 || last.IsZero() {
		return now
	}
	off := ChannelOffset(channel, kind, interval).Truncate(time.Second)
	next := last.Truncate(interval).Add(off)
	margin := min(interval/10, time.Minute)
	for next.Sub(last) <= margin {
		next = next.Add(interval)
	}
	if now.Sub(next) > interval {
		return now
	}
	return next
}
