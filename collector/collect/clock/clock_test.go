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

func TestFollower(t *testing.T) {
	real := NewFake(t0)
	f := NewFollower(real)
	require.Equal(t, t0, f.Now(), "real time until the first sample")

	world := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Observe(world)
	require.Equal(t, world, f.Now())
	real.Advance(10 * time.Second)
	require.Equal(t, world.Add(10*time.Second), f.Now(), "speed 1 before a second sample")
	f.Observe(world.Add(1000 * time.Second)) // the world ran 100 times faster
	require.InDelta(t, 100, f.Speed(), 1e-9)
	real.Advance(time.Second)
	require.Equal(t, world.Add(1100*time.Second), f.Now())

	tm := f.NewTimer(time.Hour) // 36 real seconds at speed 100
	real.Advance(35 * time.Second)
	select {
	case <-tm.C():
		t.Fatal("fired early")
	default:
	}
	real.Advance(time.Second)
	<-tm.C()

	// Near real speed the estimate snaps to 1.
	g := NewFollower(real)
	g.Observe(world)
	real.Advance(30 * time.Second)
	g.Observe(world.Add(31 * time.Second))
	require.Equal(t, 1.0, g.Speed())
}

func TestFollowerFixedSpeed(t *testing.T) {
	real := NewFake(t0)
	f := NewFollower(real)
	f.FixSpeed(60)
	world := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Observe(world)
	real.Advance(10 * time.Second)
	f.Observe(world.Add(time.Second)) // a sample never changes a fixed speed
	require.Equal(t, 60.0, f.Speed())
	real.Advance(time.Second)
	require.Equal(t, world.Add(time.Minute+time.Second), f.Now())
}
