package collect

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tidewatch/tidewatch/collector/collect/clock"
	"github.com/tidewatch/tidewatch/collector/collect/schedule"
	"github.com/tidewatch/tidewatch/collector/collect/state"
	"github.com/tidewatch/tidewatch/collector/telegram"
)

// result is what a worker hands back to the dispatcher.
type result struct {
	job *job
	// apply updates the state with what the call brought; it runs on the dispatcher.
	apply func()
	err   error
}

// dispatcher is the state of the dispatcher's loop: the calls in flight on their workers,
// the wake-ups, the retries, and the requests waiting for an answer.
type dispatcher struct {
	// workCtx is the context of calls and checkpoints: it outlives Run's by the grace period.
	workCtx  context.Context
	results  chan result
	inflight int
	workers  sync.WaitGroup
	wakeRate time.Time
	// wakeups counts the passes of the dispatcher's loop: one per event it waited for.
	wakeups int
	// attempts counts consecutive transient failures per task, for backoff.
	attempts map[taskKey]int
	// retries hold the failed tasks of a one-shot run until their backoff (real time) ends.
	retries     []retry
	syncReq     chan chan error
	statsReq    chan chan Stats
	idleReq     chan chan struct{}
	idleWaiters []chan struct{}
}

func newDispatcher() *dispatcher {
	return &dispatcher{
		results:  make(chan result),
		attempts: map[taskKey]int{},
		syncReq:  make(chan chan error),
		statsReq: make(chan chan Stats),
		idleReq:  make(chan chan struct{}),
	}
}

// retry is a failed task waiting out its backoff.
type retry struct {
	task schedule.Task
	at   time.Time // rate clock
}

// holdRetry keeps a failed task of a one-shot run for backoff of real time. Put back at a
// later data time, as a watching run does, it would fall past the run's horizon: the run
// would end "ok" with the task left undone (ClickHouse restarting during a backfill left
// most seed channels unresolved that way).
func (c *Collector) holdRetry(t schedule.Task, backoff time.Duration) {
	c.disp.retries = append(c.disp.retries, retry{task: t, at: c.opts.RateClock.Now().Add(backoff)})
}

// releaseRetries puts back the held tasks whose backoff has ended and wakes the loop for
// the next one.
func (c *Collector) releaseRetries() {
	now := c.opts.RateClock.Now()
	kept := c.disp.retries[:0]
	for _, r := range c.disp.retries {
		if r.at.After(now) {
			kept = append(kept, r)
			c.noteRate(r.at)
			continue
		}
		c.requeue(r.task, r.task.Due)
	}
	clear(c.disp.retries[len(kept):])
	c.disp.retries = kept
}

// shutdownGrace bounds how long calls in flight may take to finish after ctx ended.
const shutdownGrace = 30 * time.Second

// errNoAccounts ends a run whose accounts were all disabled.
var errNoAccounts = errors.New("collect: no usable account left (banned or logged out; see the log)")

// loop is the dispatcher: it starts due tasks, applies results and checkpoints, until
// nothing is due (one-shot) or ctx ends (watch).
func (c *Collector) loop(ctx context.Context) error {
	// Calls in flight outlive ctx by up to shutdownGrace, so an interrupt does not throw
	// away answers already on their way.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	c.disp.workCtx = workCtx
	done := ctx.Done()
	stopping := false
	var grace clock.Timer
	var graceC <-chan time.Time
	ckpt := c.opts.RateClock.NewTimer(c.opts.State.CheckpointInterval)
	defer func() {
		ckpt.Stop()
		if grace != nil {
			grace.Stop()
		}
	}()
	var fatal error

	for {
		if stopping && c.disp.inflight == 0 {
			break
		}
		c.disp.wakeups++
		c.m.wakeups.Inc()
		c.disp.wakeRate = time.Time{}
		if !stopping {
			c.releaseRetries()
			c.dispatch(workCtx)
			if c.pool.enabled() == 0 && c.disp.inflight == 0 {
				fatal = errNoAccounts
				break
			}
			if !c.opts.Watch && c.disp.inflight == 0 && c.finished() {
				break
			}
		}
		// Wake for the next due task (data time) and the next token of a blocked queue
		// (real time), whichever comes first.
		var worldC, rateC <-chan time.Time
		var worldT, rateT clock.Timer
		if !stopping {
			if next, ok := c.due.nextFutureDue(); ok {
				worldT = c.opts.Clock.NewTimer(next.Sub(c.opts.Clock.Now()))
				worldC = worldT.C()
			}
			if !c.disp.wakeRate.IsZero() {
				rateT = c.opts.RateClock.NewTimer(c.disp.wakeRate.Sub(c.opts.RateClock.Now()))
				rateC = rateT.C()
			}
		}
		c.setIdle(!stopping && c.disp.inflight == 0 && c.disp.wakeRate.IsZero() && c.due.nothingDueNow())

		select {
		case r := <-c.disp.results:
			c.finish(r, stopping)
		case <-worldC:
		case <-rateC:
		case <-ckpt.C():
			c.stats() // refreshes the gauges
			c.startCheckpoint(workCtx)
			ckpt = c.opts.RateClock.NewTimer(c.opts.State.CheckpointInterval)
		case r := <-c.ckpt.done:
			c.endCheckpoint(r)
		case w := <-c.disp.syncReq:
			c.ckpt.waiters = append(c.ckpt.waiters, w)
			c.startCheckpoint(workCtx)
		case w := <-c.disp.statsReq:
			w <- c.stats()
		case w := <-c.disp.idleReq:
			c.disp.idleWaiters = append(c.disp.idleWaiters, w)
		case <-done:
			stopping = true
			done = nil
			c.log.Info("stopping: finishing calls in flight", "in_flight", c.disp.inflight)
			grace = c.opts.RateClock.NewTimer(shutdownGrace)
			graceC = grace.C()
		case <-graceC:
			c.log.Warn("calls still in flight after the grace period; cancelling them", "in_flight", c.disp.inflight)
			cancelWork()
			graceC = nil
		}
		if worldT != nil {
			worldT.Stop()
		}
		if rateT != nil {
			rateT.Stop()
		}
	}
	// A checkpoint still running finishes before the final one starts.
	if c.ckpt.busy {
		c.endCheckpoint(<-c.ckpt.done)
	}
	for _, w := range c.ckpt.waiters {
		w <- errors.New("collect: stopped")
	}
	c.ckpt.waiters = nil
	// WaitIdle callers are released: a stopped collector has nothing left to do.
	c.setIdle(true)
	c.disp.workers.Wait()
	return fatal
}

// finished tells a one-shot run that it may stop: nothing is due, or what is due waits
// for a flood wait longer than MaxWait.
func (c *Collector) finished() bool {
	if len(c.disp.retries) > 0 {
		if wait := c.disp.wakeRate.Sub(c.opts.RateClock.Now()); wait > c.opts.Rates.MaxWait {
			c.log.Warn("stopping with failed tasks waiting to be retried", "wait", wait.Round(time.Second), "tasks", len(c.disp.retries))
			return true
		}
		return false
	}
	if c.due.nothingDueNow() {
		return true
	}
	if c.disp.wakeRate.IsZero() {
		return false
	}
	if wait := c.disp.wakeRate.Sub(c.opts.RateClock.Now()); wait > c.opts.Rates.MaxWait {
		c.log.Warn("stopping with work waiting for flood waits", "wait", wait.Round(time.Second), "tasks", c.due.sched.Len())
		return true
	}
	return false
}

// noteRate remembers the earliest time a blocked queue may go on.
func (c *Collector) noteRate(at time.Time) {
	if c.disp.wakeRate.IsZero() || at.Before(c.disp.wakeRate) {
		c.disp.wakeRate = at
	}
}

// dispatch starts every task that is due, whose channel is free, and whose account has
// budget, most overdue first.
func (c *Collector) dispatch(ctx context.Context) {
	now := c.due.now()
	for _, h := range c.due.sched.Queues() {
		if h.Due.After(now) {
			break
		}
		if h.Lane == "" {
			c.dispatchAny(ctx, h.Queue, now)
		} else {
			c.dispatchLane(ctx, h.Queue, now)
		}
	}
}

func (c *Collector) dispatchLane(ctx context.Context, q schedule.Queue, now time.Time) {
	a := c.pool.byLabel[q.Lane]
	if a == nil || a.disabled() {
		// Hand-off moves every task when an account is disabled; a task added since then
		// (a result that arrived late) is moved here.
		c.orphanQueue(q, now)
		return
	}
	moot := map[taskKey]bool{}
	for a.inflight < c.opts.Rates.MaxInFlight {
		t, ok := c.due.sched.Peek(q)
		if !ok || t.Due.After(now) || moot[taskKey{t.Channel, t.Kind}] {
			return
		}
		ok, at := c.pool.budget.Take(a.label, q.Method)
		if !ok {
			c.noteRate(at)
			return
		}
		t, _ = c.due.sched.Take(q, now)
		if !c.start(ctx, a, t) {
			// Re-planned as due again: leave it for the next pass rather than spin.
			moot[taskKey{t.Channel, t.Kind}] = true
		}
	}
}

func (c *Collector) dispatchAny(ctx context.Context, q schedule.Queue, now time.Time) {
	moot := map[taskKey]bool{}
	for {
		t, ok := c.due.sched.Peek(q)
		if !ok || t.Due.After(now) || moot[taskKey{t.Channel, t.Kind}] {
			return
		}
		var chosen *account
		var eligible bool
		for _, a := range c.pool.sorted() {
			if a.inflight >= c.opts.Rates.MaxInFlight || !c.mayRun(a, t) {
				eligible = eligible || c.mayRun(a, t)
				continue
			}
			eligible = true
			ok, at := c.pool.budget.Take(a.label, q.Method)
			if !ok {
				c.noteRate(at)
				continue
			}
			chosen = a
			break
		}
		if chosen == nil {
			if !eligible {
				// No account can ever run it (an adoption with no other account left).
				c.due.sched.Take(q, now)
				c.due.sched.Release(t.Channel)
				continue
			}
			return
		}
		t, _ = c.due.sched.Take(q, now)
		if !c.start(ctx, chosen, t) {
			moot[taskKey{t.Channel, t.Kind}] = true
		}
	}
}

// orphanQueue moves the due tasks of a disabled account's queue to other accounts.
func (c *Collector) orphanQueue(q schedule.Queue, now time.Time) {
	for {
		t, ok := c.due.sched.Take(q, now.Add(100*365*24*time.Hour))
		if !ok {
			return
		}
		c.due.sched.Release(t.Channel)
		if ch := c.frame.channels[t.Channel]; ch != nil {
			c.due.sched.Add(t)
			c.rehome(ch, c.pool.byLabel[q.Lane])
			if ch.Home == q.Lane {
				// Nobody can take it: drop the tasks, the channel waits for its account.
				c.due.sched.RemoveChannel(ch.ID)
			}
		}
	}
}

// start runs task t on account a in a worker goroutine; it reports false when the task
// turned out to be moot.
func (c *Collector) start(ctx context.Context, a *account, t schedule.Task) bool {
	j, ok := c.prepare(a, t)
	if !ok {
		c.pool.budget.Refund(a.label, t.Method)
		c.due.sched.Release(t.Channel)
		return false
	}
	a.inflight++
	c.disp.inflight++
	c.m.inflight.Inc()
	c.disp.workers.Add(1)
	go func() {
		defer c.disp.workers.Done()
		apply, err := j.run(ctx, j)
		c.disp.results <- result{job: j, apply: apply, err: err}
	}()
	return true
}

// finish applies a worker's result on the dispatcher.
func (c *Collector) finish(r result, stopping bool) {
	j := r.job
	a, t := j.acct, j.task
	a.inflight--
	c.disp.inflight--
	c.m.inflight.Dec()
	defer c.due.sched.Release(t.Channel)
	c.summary.Calls[t.Method]++

	var flood *telegram.FloodWaitError
	switch {
	case r.err == nil:
		c.m.calls.WithLabelValues(a.label, t.Method, "ok").Inc()
		c.pool.budget.Success(a.label, t.Method)
		delete(c.disp.attempts, taskKey{t.Channel, t.Kind})
		if r.apply != nil {
			r.apply()
		}
	case errors.As(r.err, &flood):
		c.m.calls.WithLabelValues(a.label, t.Method, "flood_wait").Inc()
		c.m.floods.WithLabelValues(a.label, t.Method).Inc()
		c.m.floodSeconds.WithLabelValues(a.label, t.Method).Add(flood.Wait.Seconds())
		c.summary.Floods++
		c.summary.FloodWait += flood.Wait
		until := c.pool.budget.Flood(a.label, t.Method, flood.Wait)
		c.log.Info("flood wait", "account", a.label, "method", t.Method, "wait", flood.Wait, "until", until)
		c.saveFloods(a.label)
		c.requeue(t, t.Due)
		if flood.Wait > c.opts.Rates.HandoffAfter {
			c.handoff(a, t.Method)
		}
	case errors.Is(r.err, context.Canceled), errors.Is(r.err, context.DeadlineExceeded),
		stopping && errors.Is(r.err, telegram.ErrClosed):
		// Cut short by the shutdown: the call did not count.
		c.pool.budget.Refund(a.label, t.Method)
		c.requeue(t, t.Due)
	case errors.Is(r.err, telegram.ErrAuthRequired), errors.Is(r.err, telegram.ErrAccountBanned),
		errors.Is(r.err, telegram.ErrClosed):
		c.m.calls.WithLabelValues(a.label, t.Method, "account_error").Inc()
		c.requeue(t, t.Due)
		c.disable(a, r.err)
	default:
		result := "transient"
		if !errors.Is(r.err, telegram.ErrTransient) {
			result = "error"
			c.log.Warn("call failed", "account", a.label, "method", t.Method, "kind", t.Kind, "channel", t.Channel, "err", r.err)
		}
		c.m.calls.WithLabelValues(a.label, t.Method, result).Inc()
		k := taskKey{t.Channel, t.Kind}
		c.disp.attempts[k]++
		n := c.disp.attempts[k]
		if n > 12 {
			c.log.Error("giving up on a task after repeated failures", "kind", t.Kind, "channel", t.Channel, "err", r.err)
			c.summary.Errors = append(c.summary.Errors, fmt.Sprintf("%s %d: %v", t.Kind, t.Channel, r.err))
			delete(c.disp.attempts, k)
			return
		}
		backoff := min(5*time.Second<<min(n-1, 10), 30*time.Minute)
		if c.opts.Watch {
			c.requeue(t, c.opts.Clock.Now().Add(backoff))
		} else {
			c.holdRetry(t, backoff)
		}
	}
}

// requeue puts a task back, keeping the earlier due time if it was added again meanwhile.
func (c *Collector) requeue(t schedule.Task, due time.Time) {
	t.Due = due
	if t.Lane != "" {
		// The channel may have moved to another account meanwhile.
		if ch := c.frame.channels[t.Channel]; ch != nil && ch.Home != "" {
			t.Lane = ch.Home
		}
	}
	c.due.sched.Add(t)
}

// disable stops using an account (banned, logged out) and hands its channels over.
func (c *Collector) disable(a *account, err error) {
	if a.disabled() {
		return
	}
	a.st.Disabled = err.Error()
	a.dirty = true
	c.log.Error("account disabled", "account", a.label, "err", err)
	c.summary.Errors = append(c.summary.Errors, fmt.Sprintf("account %s: %v", a.label, err))
	for _, ch := range c.frame.channels {
		if ch.Home == a.label {
			c.rehome(ch, a)
		}
	}
}

// handoff moves the channels of account a that wait for method to other accounts: those
// that already know the channel take it at once; for the others a free account resolves
// the username (an "adopt" task) unless a's wait ends first.
func (c *Collector) handoff(a *account, method string) {
	moved, adopt := 0, 0
	for _, ch := range c.frame.channels {
		if ch.Home != a.label {
			continue
		}
		waiting := false
		for _, t := range c.due.sched.Tasks(ch.ID) {
			if t.Lane == a.label && t.Method == method {
				waiting = true
				break
			}
		}
		if !waiting {
			continue
		}
		if b := c.freeAccountKnowing(ch.ID, a, method); b != nil {
			c.setHome(ch, b)
			moved++
		} else if ch.Username != "" && len(c.pool.accounts) > 1 {
			c.due.sched.Add(schedule.Task{Channel: ch.ID, Kind: kindAdopt, Method: telegram.MethodResolveUsername, Due: c.due.now()})
			adopt++
		}
	}
	if moved+adopt > 0 {
		c.log.Info("handing channels to other accounts", "from", a.label, "method", method, "moved", moved, "resolving", adopt)
	}
}

// freeAccountKnowing is accountKnowing restricted to accounts not parked for method.
func (c *Collector) freeAccountKnowing(id int64, except *account, method string) *account {
	var best *account
	now := c.opts.RateClock.Now()
	for _, b := range c.pool.accounts {
		if b == except || b.disabled() || b.st.Peers[id] == 0 {
			continue
		}
		if until := c.pool.budget.ParkedUntil(b.label, method); until.After(now.Add(c.opts.Rates.HandoffAfter)) {
			continue
		}
		if best == nil || b.homes < best.homes {
			best = b
		}
	}
	return best
}

// rehome moves ch away from account from: to an account that knows it, or by adoption.
func (c *Collector) rehome(ch *state.Channel, from *account) {
	if b := c.pool.knowing(ch.ID, from); b != nil {
		c.setHome(ch, b)
		return
	}
	if ch.Username != "" && c.pool.enabled() > 0 {
		c.due.sched.Add(schedule.Task{Channel: ch.ID, Kind: kindAdopt, Method: telegram.MethodResolveUsername, Due: c.due.now()})
	}
}

// setIdle wakes the WaitIdle callers when the dispatcher has nothing to do right now.
func (c *Collector) setIdle(idle bool) {
	if !idle {
		return
	}
	for _, w := range c.disp.idleWaiters {
		close(w)
	}
	c.disp.idleWaiters = nil
}

// WaitIdle blocks until the collector has nothing to do at the current time: no call in
// flight and nothing due (a checkpoint may be running; Sync waits for one). The dispatcher looks afresh after the
// request arrives, so a clock moved just before the call is taken into account. Tests use
// it to step a simulated clock.
func (c *Collector) WaitIdle(ctx context.Context) error {
	w := make(chan struct{})
	select {
	case c.disp.idleReq <- w:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-w:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Sync checkpoints now: it returns once every row so far is flushed and the state saved.
// Checkpoints copy a bounded number of records each, so Sync waits for as many as it takes
// to leave nothing unsaved; on a collector that keeps changing state (calls in flight) that
// may be a while. Tests call it on an idle collector.
func (c *Collector) Sync(ctx context.Context) error {
	w := make(chan error, 1)
	select {
	case c.disp.syncReq <- w:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-w:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
