package collect

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tidewatch/tidewatch/collector/collect/budget"
	"github.com/tidewatch/tidewatch/collector/collect/discovery"
	"github.com/tidewatch/tidewatch/collector/collect/schedule"
	"github.com/tidewatch/tidewatch/collector/collect/state"
	"github.com/tidewatch/tidewatch/collector/telegram"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/privacy"
)

// account is one Telegram account as the dispatcher sees it.
type account struct {
	client   Client
	label    string
	st       *state.Account
	inflight int
	// homes counts the channels this account works on.
	homes int
	dirty bool
	// parks is the fingerprint of the parks saved last, to notice a change.
	parks string
}

func (a *account) disabled() bool { return a.st.Disabled != "" }

// Collector runs the collection. Create it with New, run it once with Run.
type Collector struct {
	opts  Options
	log   *slog.Logger
	out   Output
	m     *metrics
	names *nameIndex
	// hasher replaces persons and invite secrets by keyed hashes (safe for concurrent use).
	hasher *privacy.Hasher

	// Everything below is owned by the dispatcher goroutine (Run).
	store    *state.Store
	meta     state.Meta
	frameID  string
	accounts []*account
	byLabel  map[string]*account
	channels map[int64]*state.Channel
	pending  map[string]*state.Pending
	// resolveKeys maps the schedule key of a pending username to the username.
	resolveKeys map[int64]string
	sched       *schedule.Scheduler
	budget      *budget.Budget
	seeds       map[string]bool
	// verify holds, per channel, posts whose counters came back empty: they may be gone.
	verify map[int64][]int
	// attempts counts consecutive transient failures per task, for backoff.
	attempts map[taskKey]int
	// recovered holds the counter reads found stored after the last checkpoint; written
	// before the dispatcher starts, read-only afterwards (workers read it).
	recovered map[readKey]bool
	// firstSeen holds when posts stored after the last checkpoint were first seen: a page
	// fetched again after a crash plans their counter reads from then.
	firstSeen map[postKey]time.Time
	// lateSnaps are recovered snapshots of channels the state did not know yet.
	lateSnaps map[int64]schema.ChannelSnapshot

	dirtyCh   map[int64]bool
	dirtyPend map[string]bool
	resolved  []string
	journal   int // records appended since the last compaction

	// workCtx is the context of calls and checkpoints: it outlives Run's by the grace period.
	workCtx  context.Context
	results  chan result
	inflight int
	workers  sync.WaitGroup

	ckptBusy    bool
	ckptDone    chan ckptResult
	ckptWaiters []chan error
	syncReq     chan chan error
	statsReq    chan chan Stats
	wakeRate    time.Time
	// wakeups counts the passes of the dispatcher's loop: one per event it waited for.
	wakeups int

	idleReq     chan chan struct{}
	idleWaiters []chan struct{}

	summary Summary
	started time.Time
	// horizon is the world time a one-shot run started at: it does the work due by then
	// (and what that work discovers), not what falls due while it runs, so it ends even
	// when the world's clock runs fast. Zero in watch mode.
	horizon time.Time
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
	hasher, err := privacy.NewHasher(opts.HashKey)
	if err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	c := &Collector{
		opts:        opts,
		hasher:      hasher,
		log:         opts.Logger,
		out:         opts.Output,
		m:           m,
		names:       newNameIndex(),
		byLabel:     map[string]*account{},
		channels:    map[int64]*state.Channel{},
		pending:     map[string]*state.Pending{},
		resolveKeys: map[int64]string{},
		sched:       schedule.New(),
		verify:      map[int64][]int{},
		attempts:    map[taskKey]int{},
		recovered:   map[readKey]bool{},
		firstSeen:   map[postKey]time.Time{},
		lateSnaps:   map[int64]schema.ChannelSnapshot{},
		dirtyCh:     map[int64]bool{},
		dirtyPend:   map[string]bool{},
		results:     make(chan result),
		ckptDone:    make(chan ckptResult, 1),
		syncReq:     make(chan chan error),
		statsReq:    make(chan chan Stats),
		idleReq:     make(chan chan struct{}),
		seeds:       map[string]bool{},
	}
	c.budget = budget.New(budget.Options{
		Limits:  opts.Limits,
		Default: opts.DefaultLimit,
		Account: opts.AccountLimit,
		Clock:   opts.RateClock,
	})
	for _, s := range opts.Seeds {
		u := normUsername(s)
		if u != "" {
			c.seeds[u] = true
		}
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
	if c.opts.Shards <= 1 {
		return true
	}
	return ShardOf(id, c.opts.Shards) == c.opts.Shard
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

func normUsername(s string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "@"))
}

// Run collects until nothing is due (or, with Options.Watch, until ctx ends). When ctx
// ends, calls in flight are finished, everything is flushed and checkpointed, and Run
// returns the summary with status "interrupted" and a nil error.
func (c *Collector) Run(ctx context.Context) (Summary, error) {
	if !c.opts.Watch {
		c.horizon = c.opts.Clock.Now()
	}
	if err := c.open(ctx); err != nil {
		return Summary{}, err
	}
	c.started = c.opts.Clock.Now()
	c.summary = Summary{RunID: c.opts.RunID, FrameID: c.frameID, Started: c.started, Calls: map[string]int{}, Rows: map[string]int{}}
	c.log.Info("collection starting", "run", c.opts.RunID, "frame", c.frameID, "channels", len(c.channels),
		"pending", len(c.pending), "accounts", len(c.accounts), "watch", c.opts.Watch)

	if err := c.writeRun(ctx, "running"); err != nil {
		return c.summary, errors.Join(err, c.store.Close())
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
	c.summary.Channels = c.frameSize()
	// The final checkpoint runs on a context of its own: an interrupted run must still
	// flush and record what it did.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	c.writeFrame(fctx)
	err := c.writeRun(fctx, status)
	err = errors.Join(err, c.checkpointNow(fctx))
	err = errors.Join(err, c.store.Close())
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
	st, snap, err := state.Open(c.opts.StateDir)
	if err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	c.store = st
	c.channels = snap.Channels
	c.pending = snap.Pending
	c.meta = snap.Meta
	c.meta.Runs++
	c.meta.LastRunID = c.opts.RunID

	seeds := make([]string, 0, len(c.seeds))
	for s := range c.seeds {
		seeds = append(seeds, s)
	}
	c.frameID = discovery.FrameID(c.opts.Rules, seeds)
	frameChanged := c.meta.FrameID != c.frameID
	if frameChanged {
		if c.meta.FrameID != "" {
			c.log.Info("new sampling frame: rules or seeds changed", "frame", c.frameID, "parent", c.meta.FrameID)
		}
		c.meta.ParentFrameID = c.meta.FrameID
		c.meta.FrameID = c.frameID
		c.meta.FrameCreated = c.opts.Clock.Now()
	}

	for _, cl := range c.opts.Accounts {
		a := &account{client: cl, label: cl.Label()}
		if sa, ok := snap.Accounts[a.label]; ok {
			a.st = sa
			c.budget.Restore(sa.Parks)
			// A run starts with the accounts given: a disabled account that is configured
			// again was logged in again.
			a.st.Disabled = ""
		} else {
			a.st = &state.Account{Label: a.label, Peers: map[int64]int64{}}
			a.dirty = true
		}
		c.accounts = append(c.accounts, a)
		c.byLabel[a.label] = a
	}

	// The username index: recovery keeps it current, and t.me links in the about texts it
	// writes again resolve against it.
	for _, ch := range c.channels {
		if ch.Username != "" {
			c.names.set(ch.Username, ch.ID)
		}
	}
	if err := c.recover(ctx); err != nil {
		return errors.Join(fmt.Errorf("collect: recover: %w", err), c.store.Close())
	}
	if c.meta.SavedAt.IsZero() {
		// A new state: its first save marks where a crash before the first checkpoint must
		// recover from.
		c.meta.SavedAt = c.opts.Clock.Now()
		if err := c.store.SaveMeta(c.meta); err != nil {
			return errors.Join(fmt.Errorf("collect: %w", err), c.store.Close())
		}
	}
	c.internStrings()
	now := c.opts.Clock.Now()
	for _, ch := range c.channels {
		if frameChanged {
			ch.RefsDirty = true
			c.dirtyCh[ch.ID] = true
		}
		// A channel whose account is gone (not configured now) goes to one that knows it.
		if a := c.byLabel[ch.Home]; a == nil || a.st.Peers[ch.ID] == 0 {
			ch.Home = ""
			if b := c.accountKnowing(ch.ID, nil); b != nil {
				ch.Home = b.label
			}
			c.dirtyCh[ch.ID] = true
		}
		if a := c.byLabel[ch.Home]; a != nil {
			a.homes++
		}
	}
	// Seeds: known channels become seeds, the others are resolved first.
	for u := range c.seeds {
		if id, ok := c.names.get(u); ok {
			ch := c.channels[id]
			if !ch.Seed {
				ch.Seed = true
				c.dirtyCh[id] = true
			}
			continue
		}
		p := c.pending[u]
		if p == nil {
			p = &state.Pending{Username: u, DiscoveredAt: now}
			c.pending[u] = p
		}
		if !p.Seed || p.Failed != "" {
			p.Seed, p.Failed = true, ""
			c.dirtyPend[u] = true
		}
	}
	// Seeds dropped from the configuration stop being seeds; every channel is then judged
	// again by the rules in force.
	for _, ch := range c.channels {
		if ch.Seed && !c.seeds[normUsername(ch.Username)] {
			ch.Seed = false
			c.dirtyCh[ch.ID] = true
		}
		c.judge(ch, now)
		c.plan(ch, now)
	}
	for u, p := range c.pending {
		if p.Seed && !c.seeds[u] {
			p.Seed = false
			c.dirtyPend[u] = true
		}
		c.planPending(p, now)
	}
	// Loading a large state leaves as much garbage as state behind; give it back to the
	// system now rather than when the scavenger gets to it, so the resident size of a
	// long-running collector reflects what it keeps.
	debug.FreeOSMemory()
	return nil
}

// internStrings makes the channels share one copy of the strings most of them repeat
// (account labels, statuses, rules, reasons), which the state loader allocated per record.
func (c *Collector) internStrings() {
	seen := map[string]string{}
	in := func(s string) string {
		if v, ok := seen[s]; ok {
			return v
		}
		seen[s] = s
		return s
	}
	for _, ch := range c.channels {
		ch.Home, ch.Status, ch.Reason = in(ch.Home), in(ch.Status), in(ch.Reason)
		for i := range ch.Refs {
			ch.Refs[i].Rule = in(ch.Refs[i].Rule)
		}
	}
	for _, p := range c.pending {
		for i := range p.Refs {
			p.Refs[i].Rule = in(p.Refs[i].Rule)
		}
	}
}

// accountKnowing returns an enabled account holding an access hash for channel id, other
// than except, preferring the one with the fewest channels.
func (c *Collector) accountKnowing(id int64, except *account) *account {
	var best *account
	for _, a := range c.accounts {
		if a == except || a.disabled() || a.st.Peers[id] == 0 {
			continue
		}
		if best == nil || a.homes < best.homes {
			best = a
		}
	}
	return best
}

// setHome makes a the account working on ch.
func (c *Collector) setHome(ch *state.Channel, a *account) {
	if ch.Home == a.label {
		return
	}
	if old := c.byLabel[ch.Home]; old != nil {
		old.homes--
		c.sched.MoveLane(ch.ID, old.label, a.label)
	}
	ch.Home = a.label
	a.homes++
	c.dirtyCh[ch.ID] = true
}

// learnPeer records an access hash account a saw for a channel.
func (c *Collector) learnPeer(a *account, info telegram.ChannelInfo) {
	if info.ChannelID == 0 || info.AccessHash == 0 || info.Min || info.Forbidden {
		return
	}
	if a.st.Peers[info.ChannelID] != info.AccessHash {
		a.st.Peers[info.ChannelID] = info.AccessHash
		a.dirty = true
	}
}

func (c *Collector) markDirty(ch *state.Channel) { c.dirtyCh[ch.ID] = true }

// frameSize counts the channels of the frame.
func (c *Collector) frameSize() int {
	n := 0
	for _, ch := range c.channels {
		if ch.Included {
			n++
		}
	}
	return n
}

// sortedAccounts returns the enabled accounts, fewest calls in flight first.
func (c *Collector) sortedAccounts() []*account {
	out := make([]*account, 0, len(c.accounts))
	for _, a := range c.accounts {
		if !a.disabled() {
			out = append(out, a)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].inflight < out[j].inflight })
	return out
}

// nameIndex maps lowercase usernames to channel ids. Workers read it to resolve t.me links
// while the dispatcher updates it.
type nameIndex struct {
	mu sync.RWMutex
	m  map[string]int64
}

func newNameIndex() *nameIndex { return &nameIndex{m: map[string]int64{}} }

func (n *nameIndex) get(u string) (int64, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	id, ok := n.m[strings.ToLower(u)]
	return id, ok
}

func (n *nameIndex) set(u string, id int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.m[strings.ToLower(u)] = id
}

func (n *nameIndex) drop(u string, id int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.m[strings.ToLower(u)] == id {
		delete(n.m, strings.ToLower(u))
	}
}
