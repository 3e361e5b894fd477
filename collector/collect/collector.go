package collect

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/tidewatch/tidewatch/collector/collect/budget"
	"github.com/tidewatch/tidewatch/collector/collect/discovery"
	"github.com/tidewatch/tidewatch/collector/collect/schedule"
	"github.com/tidewatch/tidewatch/collector/collect/state"
	"github.com/tidewatch/tidewatch/schema/privacy"
)

// Collector runs the collection. Create it with New, run it once with Run. Its state is
// kept in parts, each owned by the dispatcher goroutine unless it says otherwise: the
// frame of channels, the account pool, the planner of due work, the counter ages, the
// dispatcher's loop and the checkpointer; rows are rendered by rows (safe for workers) and
// history pages are walked by history.
type Collector struct {
	opts    Options
	log     *slog.Logger
	out     Output
	m       *metrics
	rows    *rowMaker
	frame   *frame
	pool    *pool
	due     *planner
	ages    *counterAges
	history *historyWalker
	disp    *dispatcher
	ckpt    *checkpointer
	summary Summary
	started time.Time
}

type taskKey struct {
	channel int64
	kind    string
}

// New checks opts and returns a Collector. It does no I/O: Run opens the state and
// starts calling.
func New(opts Options) (*Collector, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("collect: metrics: %w", err)
	}
	hasher, err := privacy.NewHasher(opts.Privacy.HashKey)
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	f := newFrame(opts.Scope.Seeds)
	rows := &rowMaker{runID: opts.Run.ID, storeText: opts.Privacy.StoreText, hasher: hasher, names: f.names}
	ages := &counterAges{s: opts.Schedule, rows: rows, recovered: map[readKey]bool{}, firstSeen: map[postKey]time.Time{}}
	plan := &planner{sched: schedule.New(), clock: opts.Clock}
	c := &Collector{
		opts:  opts,
		log:   opts.Logger,
		out:   opts.Output,
		m:     m,
		rows:  rows,
		frame: f,
		pool: &pool{byLabel: map[string]*account{}, budget: budget.New(budget.Options{
			Limits:  opts.Rates.Limits,
			Default: opts.Rates.DefaultLimit,
			Account: opts.Rates.AccountLimit,
			Clock:   opts.RateClock,
		})},
		due:  plan,
		ages: ages,
		history: &historyWalker{
			rows: rows, ages: ages, out: opts.Output, m: m, clock: opts.Clock, since: opts.Scope.Since,
		},
		disp: newDispatcher(),
		ckpt: &checkpointer{done: make(chan ckptResult, 1)},
	}
	return c, nil
}

// Summary is what a run did, for the end-of-run report and the runs row.
type Summary struct {
	RunID     string
	FrameID   string
	Started   time.Time
	Finished  time.Time
	Status    string // ok, interrupted, failed
	Channels  int    // channels in the frame
	Calls     map[string]int
	Floods    int
	FloodWait time.Duration
	Rows      map[string]int
	Posts     int
	Events    int
	Errors    []string
}

// inShard reports whether this process collects channel id.
func (c *Collector) inShard(id int64) bool {
	if c.opts.Scope.Shards <= 1 {
		return true
	}
	return ShardOf(id, c.opts.Scope.Shards) == c.opts.Scope.Shard
}

// ShardOf returns the shard (0..shards-1) of a channel id: a stable hash, so a channel
// always belongs to the same process whatever the order channels were found in.
func ShardOf(id int64, shards int) int {
	if shards <= 1 {
		return 0
	}
	h := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(uint64(id) >> (8 * i))
	}
	_, _ = h.Write(b[:])
	return int(h.Sum64() % uint64(shards))
}

// resolveKey is the schedule key of work on a username whose channel id is not known: a
// negative number, so it never collides with a channel id.
func resolveKey(username string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(username))
	return -int64(h.Sum64()&(1<<62-1)) - 1
}

// Run collects until nothing is due (or, with Options.Watch, until ctx ends). When ctx
// ends, calls in flight are finished, everything is flushed and checkpointed, and Run
// returns the summary with status "interrupted" and a nil error.
func (c *Collector) Run(ctx context.Context) (Summary, error) {
	if !c.opts.Watch {
		c.due.horizon = c.opts.Clock.Now()
	}
	if err := c.open(ctx); err != nil {
		return Summary{}, err
	}
	c.started = c.opts.Clock.Now()
	c.summary = Summary{RunID: c.opts.Run.ID, FrameID: c.ckpt.frameID, Started: c.started, Calls: map[string]int{}, Rows: map[string]int{}}
	c.log.Info("collection starting", "run", c.opts.Run.ID, "frame", c.ckpt.frameID, "channels", len(c.frame.channels),
		"pending", len(c.frame.pending), "accounts", len(c.pool.accounts), "watch", c.opts.Watch)

	if err := c.writeRun(ctx, "running"); err != nil {
		return c.summary, errors.Join(err, c.ckpt.store.Close())
	}
	c.writeFrame(ctx)
	runErr := c.loop(ctx)

	status := "ok"
	switch {
	case runErr != nil:
		status = "failed"
		c.summary.Errors = append(c.summary.Errors, runErr.Error())
	case ctx.Err() != nil:
		status = "interrupted"
	}
	c.summary.Status = status
	c.summary.Finished = c.opts.Clock.Now()
	c.summary.Channels = c.frame.size()
	// The final checkpoint runs on a context of its own: an interrupted run must still
	// flush and record what it did.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	c.writeFrame(fctx)
	err := c.writeRun(fctx, status)
	err = errors.Join(err, c.checkpointNow(fctx))
	err = errors.Join(err, c.ckpt.store.Close())
	if runErr != nil {
		err = errors.Join(runErr, err)
	}
	c.log.Info("collection finished", "status", status, "channels", c.summary.Channels, "posts", c.summary.Posts,
		"floods", c.summary.Floods, "took", c.summary.Finished.Sub(c.summary.Started).Round(time.Second))
	return c.summary, err
}

// open loads the durable state, recovers what was stored after its last checkpoint, and
// plans the work.
func (c *Collector) open(ctx context.Context) error {
	st, snap, err := state.Open(c.opts.State.Dir)
	if err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	c.ckpt.store = st
	c.frame.channels = snap.Channels
	c.frame.pending = snap.Pending
	c.ckpt.meta = snap.Meta
	c.ckpt.meta.Runs++
	c.ckpt.meta.LastRunID = c.opts.Run.ID

	c.ckpt.frameID = discovery.FrameID(c.opts.Scope.Rules, c.frame.seedList())
	frameChanged := c.ckpt.meta.FrameID != c.ckpt.frameID
	if frameChanged {
		if c.ckpt.meta.FrameID != "" {
			c.log.Info("new sampling frame: rules or seeds changed", "frame", c.ckpt.frameID, "parent", c.ckpt.meta.FrameID)
		}
		c.ckpt.meta.ParentFrameID = c.ckpt.meta.FrameID
		c.ckpt.meta.FrameID = c.ckpt.frameID
		c.ckpt.meta.FrameCreated = c.opts.Clock.Now()
	}

	for _, cl := range c.opts.Accounts {
		a := &account{client: cl, label: cl.Label()}
		if sa, ok := snap.Accounts[a.label]; ok {
			a.st = sa
			c.pool.budget.Restore(sa.Parks)
			// A run starts with the accounts given: a disabled account that is configured
			// again was logged in again.
			a.st.Disabled = ""
		} else {
			a.st = &state.Account{Label: a.label, Peers: map[int64]int64{}}
			a.dirty = true
		}
		c.pool.add(a)
	}

	// The username index: recovery keeps it current, and t.me links in the about texts it
	// writes again resolve against it.
	for _, ch := range c.frame.channels {
		if ch.Username != "" {
			c.frame.names.set(ch.Username, ch.ID)
		}
	}
	if err := c.recover(ctx); err != nil {
		return errors.Join(fmt.Errorf("collect: recover: %w", err), c.ckpt.store.Close())
	}
	if c.ckpt.meta.SavedAt.IsZero() {
		// A new state: its first save marks where a crash before the first checkpoint must
		// recover from.
		c.ckpt.meta.SavedAt = c.opts.Clock.Now()
		if err := c.ckpt.store.SaveMeta(c.ckpt.meta); err != nil {
			return errors.Join(fmt.Errorf("collect: %w", err), c.ckpt.store.Close())
		}
	}
	c.frame.internStrings()
	now := c.opts.Clock.Now()
	for _, ch := range c.frame.channels {
		if frameChanged {
			ch.RefsDirty = true
			c.frame.dirtyCh[ch.ID] = true
		}
		// A channel whose account is gone (not configured now) goes to one that knows it.
		if a := c.pool.byLabel[ch.Home]; a == nil || a.st.Peers[ch.ID] == 0 {
			ch.Home = ""
			if b := c.pool.knowing(ch.ID, nil); b != nil {
				ch.Home = b.label
			}
			c.frame.dirtyCh[ch.ID] = true
		}
		if a := c.pool.byLabel[ch.Home]; a != nil {
			a.homes++
		}
	}
	// Seeds: known channels become seeds, the others are resolved first.
	for u := range c.frame.seeds {
		if id, ok := c.frame.names.get(u); ok {
			ch := c.frame.channels[id]
			if !ch.Seed {
				ch.Seed = true
				c.frame.dirtyCh[id] = true
			}
			continue
		}
		p := c.frame.pending[u]
		if p == nil {
			p = &state.Pending{Username: u, DiscoveredAt: now}
			c.frame.pending[u] = p
		}
		if !p.Seed || p.Failed != "" {
			p.Seed, p.Failed = true, ""
			c.frame.dirtyPend[u] = true
		}
	}
	// Seeds dropped from the configuration stop being seeds; every channel is then judged
	// again by the rules in force.
	for _, ch := range c.frame.channels {
		if ch.Seed && !c.frame.seeds[normUsername(ch.Username)] {
			ch.Seed = false
			c.frame.dirtyCh[ch.ID] = true
		}
		// A username pending in the state whose channel is known now (a checkpoint taken
		// between the reference and the channel's discovery, or a snapshot recovered).
		c.claimPending(ch)
		c.judge(ch, now)
		c.plan(ch, now)
	}
	for u, p := range c.frame.pending {
		if p.Seed && !c.frame.seeds[u] {
			p.Seed = false
			c.frame.dirtyPend[u] = true
		}
		c.planPending(p, now)
	}
	// Loading a large state leaves as much garbage as state behind; give it back to the
	// system now rather than when the scavenger gets to it, so the resident size of a
	// long-running collector reflects what it keeps.
	debug.FreeOSMemory()
	return nil
}

// setHome makes a the account working on ch.
func (c *Collector) setHome(ch *state.Channel, a *account) {
	if ch.Home == a.label {
		return
	}
	if old := c.pool.byLabel[ch.Home]; old != nil {
		old.homes--
		c.due.sched.MoveLane(ch.ID, old.label, a.label)
	}
	ch.Home = a.label
	a.homes++
	c.frame.dirtyCh[ch.ID] = true
}
