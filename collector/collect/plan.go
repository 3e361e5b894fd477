package collect

import (
	"time"

	"github.com/tidewatch/tidewatch/collector/collect/clock"
	"github.com/tidewatch/tidewatch/collector/collect/schedule"
)

// planner holds the due work: the schedule of tasks, and the horizon of a one-shot run.
type planner struct {
	sched *schedule.Scheduler
	// horizon is the world time a one-shot run started at: it does the work due by then
	// (and what that work discovers), not what falls due while it runs, so it ends even
	// when the world's clock runs fast. Zero in watch mode.
	horizon time.Time
	// clock is the data's time.
	clock clock.Clock
}

// nextDue returns the due time of the earliest queued task.
func (p *planner) nextDue() (time.Time, bool) {
	heads := p.sched.Queues()
	if len(heads) == 0 {
		return time.Time{}, false
	}
	return heads[0].Due, true
}

// nextFutureDue returns the due time of the earliest task not due yet that this run will
// start. Tasks already due but blocked wait for a token (the rate timer) or for a call to
// end (a result). A one-shot run never starts work due after its horizon, so it must not
// wake for it either: world time passes that work's due time while the run goes on, and a
// timer for a time already past fires at once, on every pass, while calls are in flight.
func (p *planner) nextFutureDue() (time.Time, bool) {
	now := p.now()
	for _, h := range p.sched.Queues() {
		if !h.Due.After(now) {
			continue
		}
		if p.pastHorizon(h.Due) {
			// Queues come earliest first: every later one is past the horizon too.
			return time.Time{}, false
		}
		return h.Due, true
	}
	return time.Time{}, false
}

// pastHorizon reports whether work due at t is left for a later run: in a one-shot run,
// work due after the horizon.
func (p *planner) pastHorizon(t time.Time) bool {
	return !p.horizon.IsZero() && t.After(p.horizon)
}

func (p *planner) nothingDueNow() bool {
	next, ok := p.nextDue()
	return !ok || next.After(p.now())
}

// now is the time work is due by: now, or in a one-shot run its horizon. The data clock
// follows the server's time, whose estimate can step back a little between readings; a
// one-shot run that read a time before its horizon found the work due at the horizon not
// due yet and ended "ok" with it undone.
func (p *planner) now() time.Time {
	if !p.horizon.IsZero() {
		return p.horizon
	}
	return p.clock.Now()
}

// clampDue moves an immediate due time t back to the horizon of a one-shot run.
func (p *planner) clampDue(t time.Time) time.Time {
	if p.pastHorizon(t) {
		return p.horizon
	}
	return t
}
