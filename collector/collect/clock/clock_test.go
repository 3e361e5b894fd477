package clock

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func TestFakeFiresInOrder(t *testing.T) {
	f := NewFake(t0)
	a := f.NewTimer(2 * time.Second)
	b := f.NewTimer(time.Second)
	c := f.NewTimer(time.Hour)
	require.Equal(t, 3, f.Timers())
	next, ok := f.NextTimer()
	require.True(t, ok)
	require.Equal(t, t0.Add(time.Second), next)

	f.Advance(2 * time.Second)
	require.Equal(t, t0.Add(time.Second), <-b.C())
	require.Equal(t, t0.Add(2*time.Second), <-a.C())
	select {
	case <-c.C():
		t.Fatal("timer fired early")
	default:
	}
	require.True(t, c.Stop())
	require.False(t, c.Stop())
	require.False(t, a.Stop())
	require.Equal(t, 0, f.Timers())
}

func TestFakeZeroTimerFiresAtOnce(t *testing.T) {
	f := NewFake(t0)
	tm := f.NewTimer(0)
	require.Equal(t, t0, <-tm.C())
	require.Equal(t, 0, f.Timers())
}

func TestFakeSetNeverGoesBack(t *testing.T) {
	f := NewFake(t0)
	f.Set(t0.Add(-time.Hour))
	require.Equal(t, t0, f.Now())
	f.Set(t0.Add(time.Hour))
	require.Equal(t, t0.Add(time.Hour), f.Now())
}

func TestWaitUsesTheClock(t *testing.T) {
	f := NewFake(t0)
	done := make(chan error, 1)
	go func() { done <- Wait(context.Background(), f, time.Minute) }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, f.WaitTimers(ctx, 1))
	f.Advance(time.Minute)
	require.NoError(t, <-done)

	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	require.ErrorIs(t, Wait(cctx, f, time.Minute), context.Canceled)
}

func TestRealClock(t *testing.T) {
	var c Clock = Real{}
	tm := c.NewTimer(time.Millisecond)
	<-tm.C()
	require.WithinDuration(t, time.Now(), c.Now(), time.Second)
}
