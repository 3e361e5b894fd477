package schedule

import (
	"fmt"
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
		t, ok := s.Take(q, t0.Add(time.Hour))
		if !ok {
			b.Fatal("empty")
		}
		t.Due = t.Due.Add(time.Hour)
		s.Add(t)
		s.Release(t.Channel)
	}
}
