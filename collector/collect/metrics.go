package collect

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	calls             *prometheus.CounterVec
	floods            *prometheus.CounterVec
	floodSeconds      *prometheus.CounterVec
	rows              *prometheus.CounterVec
	posts             prometheus.Counter
	inflight          prometheus.Gauge
	lag               prometheus.Gauge
	channels          prometheus.Gauge
	parked            prometheus.Gauge
	checkpoints       prometheus.Counter
	checkpointSeconds prometheus.Histogram
	wakeups           prometheus.Counter
}

// newMetrics makes the collector's metrics and registers them on reg (none when nil).
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tidewatch_collect_calls_total", Help: "Telegram calls made by the collector, by account, method and result.",
		}, []string{"account", "method", "result"}),
		floods: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tidewatch_collect_flood_waits_total", Help: "FLOOD_WAIT answers, by account and method.",
		}, []string{"account", "method"}),
		floodSeconds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tidewatch_collect_flood_wait_seconds_total", Help: "Seconds of flood wait imposed, by account and method.",
		}, []string{"account", "method"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tidewatch_collect_rows_written_total", Help: "Rows handed to the writer, by table.",
		}, []string{"table"}),
		posts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tidewatch_collect_posts_total", Help: "Messages collected.",
		}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tidewatch_collect_calls_in_flight", Help: "Telegram calls in flight.",
		}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tidewatch_collect_lag_seconds", Help: "How far the most overdue task is behind its schedule.",
		}),
		channels: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tidewatch_collect_channels", Help: "Channels in the sampling frame.",
		}),
		parked: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tidewatch_collect_parked_pairs", Help: "(account, method) pairs waiting out a flood wait.",
		}),
		checkpoints: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tidewatch_collect_checkpoints_total", Help: "Checkpoints saved.",
		}),
		checkpointSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tidewatch_collect_checkpoint_seconds", Help: "Time to flush the writers and save the state.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
		}),
		wakeups: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tidewatch_collect_dispatcher_wakeups_total", Help: "Passes of the dispatcher's loop; a rate far above the call rate means it is spinning.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.calls, m.floods, m.floodSeconds, m.rows, m.posts, m.inflight, m.lag, m.channels, m.parked, m.checkpoints, m.checkpointSeconds, m.wakeups} {
		errs = append(errs, reg.Register(c))
	}
	return m, errors.Join(errs...)
}

// Stats is a picture of the collection for the progress display.
type Stats struct {
	// Now is the data time of the picture.
	Now time.Time
	// Channels in the frame, Candidates known but not (yet) in it, Pending usernames.
	Channels, Candidates, Pending int
	// Sweeping channels have history pages left; BacklogIDs estimates the ids they hold.
	Sweeping   int
	BacklogIDs int
	// Posts collected in this run; Calls made.
	Posts, Calls int
	// InFlight calls, Tasks queued, Due tasks the run may start now.
	InFlight, Tasks, Due int
	// Lag is how far the most overdue task is behind.
	Lag time.Duration
	// Parked lists the running flood waits.
	Parked []ParkedPair
	// Floods counts the flood waits of this run.
	Floods int
	// Wakeups counts the passes of the dispatcher's loop so far (answering this request
	// is one of them).
	Wakeups int
}

// ParkedPair is an (account, method) waiting out a flood wait.
type ParkedPair struct {
	Account, Method string
	Until           time.Time
}

// Stats returns the current picture; it is answered by the dispatcher.
func (c *Collector) Stats(ctx context.Context) (Stats, bool) {
	w := make(chan Stats, 1)
	select {
	case c.disp.statsReq <- w:
	case <-ctx.Done():
		return Stats{}, false
	}
	select {
	case s := <-w:
		return s, true
	case <-ctx.Done():
		return Stats{}, false
	}
}

func (c *Collector) stats() Stats {
	now := c.opts.Clock.Now()
	s := Stats{Now: now, Pending: len(c.frame.pending), Posts: c.summary.Posts, InFlight: c.disp.inflight, Tasks: c.due.sched.Len(), Floods: c.summary.Floods, Wakeups: c.disp.wakeups}
	for _, n := range c.summary.Calls {
		s.Calls += n
	}
	for _, ch := range c.frame.channels {
		if ch.Included {
			s.Channels++
		} else {
			s.Candidates++
		}
		if ch.Top != 0 {
			s.Sweeping++
			s.BacklogIDs += max(ch.Cursor-1-max(ch.LastID, ch.Floor), 0)
		}
	}
	// Due counts the work this run may start now: in a one-shot run, nothing due after the
	// horizon.
	due := c.due.now()
	for _, h := range c.due.sched.Queues() {
		if h.Due.After(due) {
			break
		}
		s.Due += h.Len
		if lag := now.Sub(h.Due); lag > s.Lag {
			s.Lag = lag
		}
	}
	for _, p := range c.pool.budget.Parks() {
		s.Parked = append(s.Parked, ParkedPair{Account: p.Account, Method: p.Method, Until: p.Until})
	}
	sort.Slice(s.Parked, func(i, j int) bool { return s.Parked[i].Until.Before(s.Parked[j].Until) })
	c.m.lag.Set(s.Lag.Seconds())
	c.m.channels.Set(float64(s.Channels))
	c.m.parked.Set(float64(len(s.Parked)))
	return s
}
