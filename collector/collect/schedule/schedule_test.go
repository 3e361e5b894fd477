package schedule

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

const hist = "messages.getHistory"

func TestStaleFirst(t *testing.T) {
	s := New()
	q := Queue{"a", hist}
	s.Add(Task{Channel: 1, Kind: "history", Lane: "a", Method: hist, Due: t0.Add(time.Minute)})
	s.Add(Task{Channel: 2, Kind: "history", Lane: "a", Method: hist, Due: t0.Add(-time.Hour)})
	s.Add(Task{Channel: 3, Kind: "history", Lane: "a", Method: hist, Due: t0})

	got, ok := s.Take(q, t0)
	require.True(t, ok)
	require.EqualValues(t, 2, got.Channel, "the most overdue first")
	got, ok = s.Take(q, t0)
	require.True(t, ok)
	require.EqualValues(t, 3, got.Channel)
	_, ok = s.Take(q, t0)
	require.False(t, ok, "channel 1 is not due yet")
	got, ok = s.Take(q, t0.Add(time.Minute))
	require.True(t, ok)
	require.EqualValues(t, 1, got.Channel)
	require.Equal(t, 0, s.Len())
}

func TestAddKeepsEarlierDue(t *testing.T) {
	s := New()
	s.Add(Task{Channel: 1, Kind: "history", Lane: "a", Method: hist, Due: t0})
	s.Add(Task{Channel: 1, Kind: "history", Lane: "a", Method: hist, Due: t0.Add(time.Hour)})
	got, ok := s.Get(1, "history")
	require.True(t, ok)
	require.Equal(t, t0, got.Due)
	require.Equal(t, 1, s.Len())

	s.Set(Task{Channel: 1, Kind: "history", Lane: "a", Method: hist, Due: t0.Add(time.Hour)})
	got, _ = s.Get(1, "history")
	require.Equal(t, t0.Add(time.Hour), got.Due)
}

func TestChannelNeverTwiceAtOnce(t *testing.T) {
	s := New()
	s.Add(Task{Channel: 1, Kind: "history", Lane: "a", Method: hist, Due: t0})
	s.Add(Task{Channel: 1, Kind: "snapshot", Lane: "a", Method: "channels.getFullChannel", Due: t0})
	s.Add(Task{Channel: 2, Kind: "snapshot", Lane: "a", Method: "channels.getFullChannel", Due: t0.Add(time.Second)})

	got, ok := s.Take(Queue{"a", hist}, t0)
	require.True(t, ok)
	require.EqualValues(t, 1, got.Channel)
	require.True(t, s.Busy(1))

	// Channel 1's snapshot is held back; channel 2's is next in its queue.
	got, ok = s.Take(Queue{"a", "channels.getFullChannel"}, t0.Add(time.Second))
	require.True(t, ok)
	require.EqualValues(t, 2, got.Channel)

	// Work added for a busy channel waits too.
	s.Add(Task{Channel: 1, Kind: "counters", Lane: "a", Method: "messages.getMessagesViews", Due: t0})
	_, ok = s.Take(Queue{"a", "messages.getMessagesViews"}, t0)
	require.False(t, ok)
	require.False(t, s.Acquire(1))

	s.Release(1)
	got, ok = s.Take(Queue{"a", "channels.getFullChannel"}, t0)
	require.True(t, ok)
	require.EqualValues(t, 1, got.Channel)
	s.Release(1)
	got, ok = s.Take(Queue{"a", "messages.getMessagesViews"}, t0)
	require.True(t, ok)
	require.Equal(t, "counters", got.Kind)
}

func TestQueuesAndMoveLane(t *testing.T) {
	s := New()
	s.Add(Task{Channel: 1, Kind: "history", Lane: "a", Method: hist, Due: t0})
	s.Add(Task{Channel: 1, Kind: "snapshot", Lane: "a", Method: "channels.getFullChannel", Due: t0.Add(-time.Minute)})
	s.Add(Task{Channel: 2, Kind: "history", Lane: "b", Method: hist, Due: t0.Add(time.Minute)})
	heads := s.Queues()
	require.Len(t, heads, 3)
	require.Equal(t, Queue{"a", "channels.getFullChannel"}, heads[0].Queue)

	s.MoveLane(1, "a", "b")
	heads = s.Queues()
	require.Len(t, heads, 2)
	for _, h := range heads {
		require.Equal(t, "b", h.Lane)
	}
	got, ok := s.Peek(Queue{"b", hist})
	require.True(t, ok)
	require.EqualValues(t, 1, got.Channel)
	require.Len(t, s.Tasks(1), 2)

	s.RemoveChannel(1)
	require.Equal(t, 1, s.Len())
	s.Remove(2, "history")
	require.Equal(t, 0, s.Len())
	require.Empty(t, s.Queues())
}

func TestOffsetsSpreadAndStay(t *testing.T) {
	const n = 1000
	interval := time.Hour
	buckets := make([]int, 10)
	for i := 0; i < n; i++ {
		off := ChannelOffset(int64(i+1000), "history", interval)
		require.Equal(t, off, ChannelOffset(int64(i+1000), "history", interval))
		require.True(t, off >= 0 && off < interval)
		buckets[int(off*10/interval)]++
	}
	for i, b := range buckets {
		require.InDelta(t, n/10, b, n/20, "bucket %d: %v", i, buckets)
	}
	require.NotEqual(t, Offset("a", interval), Offset("b", interval))
	require.Zero(t, Offset("a", 0))
}

func TestNextSlot(t *testing.T) {
	iv := time.Hour
	off := ChannelOffset(7, "snapshot", iv).Truncate(time.Second)
	cases := []struct {
		name      string
		last, now time.Time
		want      time.Time
	}{
		{"first poll at once", time.Time{}, t0, t0},
		{"next slot after last", t0.Add(off), t0.Add(off), t0.Add(off + iv)},
		{"on phase even if last was off phase", t0.Add(off + time.Minute), t0.Add(off + time.Minute), t0.Add(off + iv)},
		{"a run just before its slot is not repeated at the slot", t0.Add(off - time.Second), t0.Add(off - time.Second), t0.Add(off + iv)},
		{"a run well before its slot keeps the slot", t0.Add(off - 5*time.Minute), t0.Add(off - 5*time.Minute), t0.Add(off)},
		{"slightly late stays on the grid", t0.Add(off), t0.Add(off + iv + time.Minute), t0.Add(off + iv)},
		{"far behind runs now", t0.Add(off), t0.Add(off + 5*iv), t0.Add(off + 5*iv)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, NextSlot(7, "snapshot", iv, c.last, c.now))
		})
	}
}

func BenchmarkTakeRelease(b *testing.B) {
	s := New()
	const channels = 100000
	for i := 0; i < channels; i++ {
		for _, k := range []string{"history", "snapshot", "counters"} {
			s.Add(Task{Channel: int64(i), Kind: k, Lane: fmt.Sprint("acc", i%4), Method: k, Due: t0.Add(time.Duration(i) * time.Millisecond)})
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := Queue{fmt.Sprint("acc", i%4), "history"}
		// Every task is due (each goes an hour later per round, for 100 years of rounds).
		t, ok := s.Take(q, t0.Add(100*365*24*time.Hour))
		if !ok {
			b.Fatal("empty")
		}
		t.Due = t.Due.Add(time.Hour)
		s.Add(t)
		s.Release(t.Channel)
	}
}

// TestAgainstModel runs random operations on a Scheduler and on a plain map of tasks, and
// compares what they hold and what Take returns.
func TestAgainstModel(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { checkAgainstModel(t, seed) })
	}
}

func checkAgainstModel(t *testing.T, seed uint64) {
	type key struct {
		ch   int64
		kind string
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	s := New()
	model := map[key]Task{}
	busy := map[int64]bool{}
	kinds := []string{"history", "snapshot", "counters", "verify"}
	lanes := []string{"", "a", "b"}
	methods := []string{"m1", "m2"}
	randTask := func() Task {
		return Task{Channel: int64(rng.IntN(300)) - 20, Kind: kinds[rng.IntN(len(kinds))], Lane: lanes[rng.IntN(len(lanes))],
			Method: methods[rng.IntN(len(methods))], Due: t0.Add(time.Duration(rng.IntN(100)) * time.Second)}
	}
	for step := 0; step < 20_000; step++ {
		switch op := rng.IntN(10); {
		case op < 4:
			tk := randTask()
			s.Add(tk)
			k := key{tk.Channel, tk.Kind}
			if old, ok := model[k]; ok && old.Due.Before(tk.Due) {
				tk.Due = old.Due
			}
			model[k] = tk
		case op == 4:
			tk := randTask()
			s.Set(tk)
			model[key{tk.Channel, tk.Kind}] = tk
		case op == 5:
			tk := randTask()
			s.Remove(tk.Channel, tk.Kind)
			delete(model, key{tk.Channel, tk.Kind})
		case op == 6:
			tk := randTask()
			if rng.IntN(4) == 0 {
				s.RemoveChannel(tk.Channel)
				for k := range model {
					if k.ch == tk.Channel {
						delete(model, k)
					}
				}
			} else {
				s.MoveLane(tk.Channel, "a", "b")
				for k, v := range model {
					if k.ch == tk.Channel && v.Lane == "a" {
						v.Lane = "b"
						model[k] = v
					}
				}
			}
		case op == 7:
			for ch := range busy {
				s.Release(ch)
				delete(busy, ch)
				break
			}
		default:
			q := Queue{lanes[rng.IntN(len(lanes))], methods[rng.IntN(len(methods))]}
			now := t0.Add(time.Duration(rng.IntN(100)) * time.Second)
			var want *Task
			for _, v := range model {
				if v.Lane != q.Lane || v.Method != q.Method || busy[v.Channel] || v.Due.After(now) {
					continue
				}
				if want == nil || v.Due.Before(want.Due) || v.Due.Equal(want.Due) && v.Channel < want.Channel {
					v := v
					want = &v
				}
			}
			got, ok := s.Take(q, now)
			if want == nil {
				require.False(t, ok, "step %d: took %+v", step, got)
				continue
			}
			require.True(t, ok, "step %d: want %+v", step, *want)
			require.Equal(t, want.Channel, got.Channel, "step %d", step)
			require.Equal(t, want.Due, got.Due, "step %d", step)
			// Tasks of one channel due at once may come in either kind order.
			require.Equal(t, model[key{got.Channel, got.Kind}], got, "step %d", step)
			delete(model, key{got.Channel, got.Kind})
			busy[got.Channel] = true
		}
		require.Equal(t, len(model), s.Len(), "step %d", step)
	}
	for k, v := range model {
		got, ok := s.Get(k.ch, k.kind)
		require.True(t, ok)
		require.Equal(t, v, got)
	}
}

// TestCompact guards the memory a task takes: a collector following 100,000 channels keeps
// several hundred thousand of them.
func TestCompact(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := New()
	const channels = 100_000
	for i := 0; i < channels; i++ {
		for _, k := range []string{"history", "snapshot", "counters"} {
			s.Add(Task{Channel: int64(1_000_000 + i), Kind: k, Lane: fmt.Sprint("acc", i%4), Method: k, Due: t0.Add(time.Duration(i) * time.Second)})
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / (3 * channels)
	t.Logf("%.1f bytes a task", per)
	require.Less(t, per, 48.0)
	runtime.KeepAlive(s)
}
