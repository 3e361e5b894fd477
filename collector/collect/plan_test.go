package collect

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/collect/clock"
	"github.com/tidewatch/tidewatch/collector/collect/schedule"
)

// The data clock follows the server's time, whose estimate can step back between readings:
// work due at a one-shot run's horizon stays due even when the clock then reads earlier.
func TestOneShotWorkDueAtHorizonStaysDueWhenTheClockStepsBack(t *testing.T) {
	clk := &steppingClock{Fake: clock.NewFake(t0), now: t0}
	p := &planner{sched: schedule.New(), horizon: t0, clock: clk}
	p.sched.Add(schedule.Task{Channel: 1, Kind: kindHistory, Method: "messages.getHistory", Due: p.clampDue(t0)})
	require.False(t, p.nothingDueNow())
	clk.now = t0.Add(-13 * time.Millisecond)
	require.False(t, p.nothingDueNow(), "the task due at the horizon is still due")
	_, ok := p.sched.Take(p.sched.Queues()[0].Queue, p.now())
	require.True(t, ok)
}

// steppingClock reads whatever time it is told, earlier ones too (clock.Fake only moves on).
type steppingClock struct {
	*clock.Fake
	now time.Time
}

func (c *steppingClock) Now() time.Time { return c.now }
