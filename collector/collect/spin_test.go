package collect

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/collect/clock"
	"github.com/tidewatch/tidewatch/collector/telegram"
)

// maxIdleWakeups bounds the dispatcher's passes while nothing can run: the stats requests
// of the test itself, and a spare for a checkpoint.
const maxIdleWakeups = 6

// TestOneShotDoesNotSpinOnWorkPastItsHorizon: in a one-shot run, work that falls due after
// the run's horizon (a counter read of a post collected during the run) is never started,
// so the dispatcher must not wake for it. While a call is in flight and world time has
// passed that work's due time, the dispatcher waits for the call instead of waking again
// and again on a timer of no duration (about one core busy until the call ends).
func TestOneShotDoesNotSpinOnWorkPastItsHorizon(t *testing.T) {
	clk := clock.NewFake(t0)
	f := newFakeTG(clk)
	// alpha's post is half an hour old: its first counter read (at an age of one hour) falls
	// due after the horizon, during the run.
	f.add(&fakeChannel{id: 100, username: "alpha", title: "Alpha", subs: 1000})
	f.post(100, telegram.Message{Date: t0.Add(-30 * time.Minute), Text: "recent"})
	// slow's history call stays in flight while world time moves on by two hours.
	f.add(&fakeChannel{id: 200, username: "slow", title: "Slow", subs: 1000})
	f.post(200, telegram.Message{Date: t0.Add(-48 * time.Hour), Text: "old"})
	blocked, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	f.onCall = func(call fakeCall) {
		if call.Method == telegram.MethodGetHistory && call.Channel == 200 {
			once.Do(func() {
				clk.Advance(2 * time.Hour)
				close(blocked)
				<-release
			})
		}
	}
	out := &sink{}
	c := newTest(t, f, clk, t.TempDir(), out, func(o *Options) {
		o.Scope.Seeds = []string{"alpha", "slow"}
		o.RateClock = clock.Real{} // checkpoints on real time, not on the stepped world clock
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type runResult struct {
		sum Summary
		err error
	}
	done := make(chan runResult, 1)
	go func() {
		sum, err := c.Run(ctx)
		done <- runResult{sum, err}
	}()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()

	select {
	case <-blocked:
	case <-ctx.Done():
		t.Fatal("slow's history was never asked for")
	}
	s := waitOnlyBlockedCall(ctx, t, c)
	require.NotZero(t, s.Tasks, "alpha's counter read waits in the queues")
	require.Zero(t, s.Due, "work past the horizon is not due in a one-shot run")

	time.Sleep(200 * time.Millisecond)
	after, ok := c.Stats(ctx)
	require.True(t, ok)
	require.LessOrEqual(t, after.Wakeups-s.Wakeups, maxIdleWakeups,
		"dispatcher passes in 200 ms with one call in flight and nothing it may start")

	close(release)
	r := <-done
	require.NoError(t, r.err)
	require.Equal(t, "ok", r.sum.Status)
	require.Empty(t, f.callsOf(telegram.MethodGetMessagesViews), "no counter read past the horizon")
}

// waitOnlyBlockedCall waits until the blocked call is the only one in flight, so every
// other result has been applied, and returns the stats at that moment.
func waitOnlyBlockedCall(ctx context.Context, t *testing.T, c *Collector) Stats {
	t.Helper()
	for {
		s, ok := c.Stats(ctx)
		require.True(t, ok, "stats while waiting for the other calls to end")
		if s.InFlight == 1 {
			return s
		}
		time.Sleep(5 * time.Millisecond)
	}
}
