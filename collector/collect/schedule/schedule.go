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
	"container/heap"
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

// item is a pending task as stored: 24 bytes, since a collector following 100,000
// channels keeps several per channel. Kind, lane and method are indexes into the
// scheduler's table of names.
type item struct {
	channel int64
	due     int64 // Unix nanoseconds
	index   int32 // position in its queue's heap, -1 when held
	kind    uint16
	lane    uint16
	method  uint16
}

type queue []*item

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].due != q[j].due {
		return q[i].due < q[j].due
	}
	if q[i].channel != q[j].channel {
		return q[i].channel < q[j].channel
	}
	return q[i].kind < q[j].kind
}
func (q queue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = int32(i)
	q[j].index = int32(j)
}
func (q *queue) Push(x any) {
	it := x.(*item)
	it.index = int32(len(*q))
	*q = append(*q, it)
}
func (q *queue) Pop() any {
	old := *q
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	it.index = -1
	return it
}

type queueKey struct{ lane, method uint16 }

// Scheduler holds the pending tasks. It is not safe for concurrent use: one goroutine (the
// collector's dispatcher) owns it.
type Scheduler struct {
	queues map[queueKey]*queue
	chans  map[int64][]*item // pending tasks by channel
	busy   map[int64]struct{}
	held   map[int64][]*item // due while their channel was busy
	names  []string          // kinds, lanes and methods, interned
	ids    map[string]uint16
	count  int
}

// New returns an empty Scheduler.
func New() *Scheduler {
	return &Scheduler{
		queues: map[queueKey]*queue{},
		chans:  map[int64][]*item{},
		busy:   map[int64]struct{}{},
		held:   map[int64][]*item{},
		ids:    map[string]uint16{},
	}
}

// intern returns the index of a name in the table, adding it.
func (s *Scheduler) intern(name string) uint16 {
	if id, ok := s.ids[name]; ok {
		return id
	}
	id := uint16(len(s.names))
	s.names = append(s.names, name)
	s.ids[name] = id
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

func (s *Scheduler) task(it *item) Task {
	return Task{Channel: it.channel, Kind: s.names[it.kind], Lane: s.names[it.lane], Method: s.names[it.method], Due: fromNano(it.due)}
}

// find returns the pending task of (channel, kind).
func (s *Scheduler) find(channel int64, kind string) *item {
	k, ok := s.ids[kind]
	if !ok {
		return nil
	}
	for _, it := range s.chans[channel] {
		if it.kind == k {
			return it
		}
	}
	return nil
}

// Len returns the number of pending tasks (held ones included).
func (s *Scheduler) Len() int { return s.count }

// Get returns the pending task of (channel, kind).
func (s *Scheduler) Get(channel int64, kind string) (Task, bool) {
	it := s.find(channel, kind)
	if it == nil {
		return Task{}, false
	}
	return s.task(it), true
}

// Add queues t. When (channel, kind) is already pending, the earlier due time is kept and
// lane and method are taken from t.
func (s *Scheduler) Add(t Task) {
	due := unixNano(t.Due)
	if it := s.find(t.Channel, t.Kind); it != nil {
		s.detach(it)
		it.due = min(it.due, due)
		it.lane, it.method = s.intern(t.Lane), s.intern(t.Method)
		s.attach(it)
		return
	}
	it := &item{channel: t.Channel, due: due, index: -1, kind: s.intern(t.Kind), lane: s.intern(t.Lane), method: s.intern(t.Method)}
	s.chans[t.Channel] = append(s.chans[t.Channel], it)
	s.count++
	s.attach(it)
}

// forget removes it from the per-channel index (not from its queue).
func (s *Scheduler) forget(it *item) {
	c := s.chans[it.channel]
	for i, x := range c {
		if x == it {
			c = append(c[:i], c[i+1:]...)
			break
		}
	}
	if len(c) == 0 {
		delete(s.chans, it.channel)
	} else {
		s.chans[it.channel] = c
	}
	s.count--
}

// Set queues t, replacing the due time of a pending (channel, kind) whatever it was.
func (s *Scheduler) Set(t Task) {
	s.Remove(t.Channel, t.Kind)
	s.Add(t)
}

// Remove drops the pending task of (channel, kind), if any.
func (s *Scheduler) Remove(channel int64, kind string) {
	if it := s.find(channel, kind); it != nil {
		s.detach(it)
		s.forget(it)
	}
}

// RemoveChannel drops every pending task of channel.
func (s *Scheduler) RemoveChannel(channel int64) {
	for _, it := range append([]*item(nil), s.chans[channel]...) {
		s.detach(it)
		s.forget(it)
	}
}

// MoveLane gives every pending task of channel in lane from to lane to: the hand-off of a
// channel from a parked account to a free one.
func (s *Scheduler) MoveLane(channel int64, from, to string) {
	f, ok := s.ids[from]
	if !ok {
		return
	}
	for _, it := range s.chans[channel] {
		if it.lane == f {
			s.detach(it)
			it.lane = s.intern(to)
			s.attach(it)
		}
	}
}

// Tasks returns the pending tasks of channel, sorted by kind.
func (s *Scheduler) Tasks(channel int64) []Task {
	var out []Task
	for _, it := range s.chans[channel] {
		out = append(out, s.task(it))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

// attach puts it in its queue, or holds it while its channel is busy.
func (s *Scheduler) attach(it *item) {
	if _, busy := s.busy[it.channel]; busy {
		s.held[it.channel] = append(s.held[it.channel], it)
		it.index = -1
		return
	}
	qk := queueKey{it.lane, it.method}
	q := s.queues[qk]
	if q == nil {
		q = &queue{}
		s.queues[qk] = q
	}
	heap.Push(q, it)
}

// detach takes it out of its queue or the held list.
func (s *Scheduler) detach(it *item) {
	if it.index >= 0 {
		qk := queueKey{it.lane, it.method}
		q := s.queues[qk]
		heap.Remove(q, int(it.index))
		if q.Len() == 0 {
			delete(s.queues, qk)
		}
		return
	}
	h := s.held[it.channel]
	for i, x := range h {
		if x == it {
			h = append(h[:i], h[i+1:]...)
			break
		}
	}
	if len(h) == 0 {
		delete(s.held, it.channel)
	} else {
		s.held[it.channel] = h
	}
}

// Queues returns the non-empty queues with the due time of their first task, most overdue
// first.
func (s *Scheduler) Queues() []QueueHead {
	out := make([]QueueHead, 0, len(s.queues))
	for k, q := range s.queues {
		out = append(out, QueueHead{Queue: Queue{Lane: s.names[k.lane], Method: s.names[k.method]}, Due: fromNano((*q)[0].due), Len: q.Len()})
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

func (s *Scheduler) queueOf(q Queue) *queue {
	l, ok1 := s.ids[q.Lane]
	m, ok2 := s.ids[q.Method]
	if !ok1 || !ok2 {
		return nil
	}
	return s.queues[queueKey{l, m}]
}

// Peek returns the first task of a queue without taking it.
func (s *Scheduler) Peek(q Queue) (Task, bool) {
	h := s.queueOf(q)
	if h == nil || h.Len() == 0 {
		return Task{}, false
	}
	return s.task((*h)[0]), true
}

// Take removes and returns the most overdue task of queue q that is due at now, marking its
// channel busy until Release. Tasks of busy channels are never returned (they cannot be in a
// queue while their channel is busy).
func (s *Scheduler) Take(q Queue, now time.Time) (Task, bool) {
	h := s.queueOf(q)
	if h == nil || h.Len() == 0 || (*h)[0].due > unixNano(now) {
		return Task{}, false
	}
	it := heap.Pop(h).(*item)
	if h.Len() == 0 {
		delete(s.queues, queueKey{it.lane, it.method})
	}
	s.forget(it)
	s.acquire(it.channel)
	return s.task(it), true
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
	for _, it := range s.chans[channel] {
		if it.index >= 0 {
			s.detach(it)
			s.held[channel] = append(s.held[channel], it)
			it.index = -1
		}
	}
}

// Busy reports whether channel is being worked on.
func (s *Scheduler) Busy(channel int64) bool {
	_, busy := s.busy[channel]
	return busy
}

// Release ends the work on channel: its pending tasks return to their queues.
func (s *Scheduler) Release(channel int64) {
	delete(s.busy, channel)
	held := s.held[channel]
	delete(s.held, channel)
	for _, it := range held {
		s.attach(it)
	}
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
