package collect

import (
	"context"
	"slices"
	"time"

	"github.com/tidewatch/tidewatch/collector/collect/schedule"
	"github.com/tidewatch/tidewatch/collector/collect/state"
	"github.com/tidewatch/tidewatch/collector/telegram"
	"github.com/tidewatch/tidewatch/schema"
)

// Kinds of work. Each task is one Telegram call.
const (
	kindResolve   = "resolve"   // resolve a username not yet known (seed or referenced)
	kindAdopt     = "adopt"     // another account resolves a channel's username to take it over
	kindRecheck   = "recheck"   // re-resolve the username of a channel that disappeared or was renamed
	kindSnapshot  = "snapshot"  // getFullChannel: metadata, audience, status
	kindHistory   = "history"   // one page of history
	kindCounters  = "counters"  // re-read counters of posts at their ages
	kindVerify    = "verify"    // fetch posts whose counters came back empty: deleted?
	kindPinned    = "pinned"    // read the pinned post for links and handles
	kindRecommend = "recommend" // channel recommendations, for discovery
)

var kindMethod = map[string]string{
	kindResolve:   telegram.MethodResolveUsername,
	kindAdopt:     telegram.MethodResolveUsername,
	kindRecheck:   telegram.MethodResolveUsername,
	kindSnapshot:  telegram.MethodGetFullChannel,
	kindHistory:   telegram.MethodGetHistory,
	kindCounters:  telegram.MethodGetMessagesViews,
	kindVerify:    telegram.MethodGetMessages,
	kindPinned:    telegram.MethodGetMessages,
	kindRecommend: telegram.MethodGetRecommendations,
}

// maxIDs is the most ids one getMessagesViews or getMessages call takes.
const maxIDs = 100

// job is one task as a worker runs it: everything it needs is copied in, so the worker
// never touches the dispatcher's state.
type job struct {
	acct *account
	task schedule.Task
	now  time.Time // data time at dispatch
	peer telegram.Peer
	// ch is a private copy of the channel (nil for resolving a pending username).
	ch       *state.Channel
	username string
	ids      []int
	recent   []state.Recent
	run      func(ctx context.Context, j *job) (func(), error)
}

// hot reports whether ch is polled at the hot cadence.
func (c *Collector) hot(ch *state.Channel, now time.Time) bool {
	if ch.Subscribers >= c.opts.Schedule.HotSubscribers {
		return true
	}
	day := now.Add(-24 * time.Hour).Unix()
	n := 0
	for r := range ch.Recent.All() {
		if int64(r.Date) > day {
			n++
		}
	}
	return n >= c.opts.Schedule.HotPostsPerDay
}

// add queues a task of kind on channel ch, on its account's lane.
func (c *Collector) add(ch *state.Channel, kind string, due time.Time) {
	lane := ch.Home
	switch kind {
	case kindAdopt, kindRecheck:
		lane = ""
	}
	c.due.sched.Add(schedule.Task{Channel: ch.ID, Kind: kind, Lane: lane, Method: kindMethod[kind], Due: due})
}

// plan queues the work channel ch needs, from its state. It is called whenever the state
// of a channel changed in a way that may call for new work; queuing a task that is already
// pending keeps the earlier due time.
func (c *Collector) plan(ch *state.Channel, now time.Time) {
	if !c.inShard(ch.ID) {
		return
	}
	now = c.due.clampDue(now)
	if ch.Home == "" {
		// No account can read it yet: an account resolves its username first.
		if ch.Username != "" && (ch.Included || c.ready(ch)) {
			c.add(ch, kindAdopt, now)
		}
		return
	}
	for _, kind := range []string{kindSnapshot, kindRecheck, kindHistory, kindCounters, kindVerify, kindPinned, kindRecommend} {
		if due, ok := c.desiredDue(ch, kind, now); ok {
			c.add(ch, kind, due)
		}
	}
}

// desiredDue says whether ch needs work of kind, and from when. prepare asks it again when
// a task comes up, so a task queued twice (or made moot by newer state) is not run twice.
func (c *Collector) desiredDue(ch *state.Channel, kind string, now time.Time) (time.Time, bool) {
	s := c.opts.Schedule
	if !ch.Included {
		// A candidate whose references suffice: one snapshot tells its audience.
		return now, kind == kindSnapshot && c.ready(ch)
	}
	if schema.StatusGone(ch.Status) {
		switch kind {
		case kindSnapshot:
			return schedule.NextSlot(ch.ID, kindSnapshot, s.GoneInterval, ch.LastSnapshot.Time(), now), true
		case kindRecheck:
			return now, ch.Recheck != ""
		}
		return time.Time{}, false
	}
	hot := c.hot(ch, now)
	switch kind {
	case kindSnapshot:
		iv := s.SnapshotInterval
		if hot {
			iv = s.HotSnapshotInterval
		}
		return schedule.NextSlot(ch.ID, kindSnapshot, iv, ch.LastSnapshot.Time(), now), true
	case kindRecheck:
		return now, ch.Recheck != ""
	case kindHistory:
		if ch.Top != 0 {
			return now, true // a sweep in progress goes on at once
		}
		iv := s.HistoryInterval
		if hot {
			iv = s.HotHistoryInterval
		}
		return schedule.NextSlot(ch.ID, kindHistory, iv, ch.LastHistory.Time(), now), true
	case kindCounters:
		return c.ages.nextRead(ch, c.frame.verify[ch.ID])
	case kindVerify:
		return now, len(c.frame.verify[ch.ID]) > 0
	case kindPinned:
		return now, ch.PinnedID != 0 && ch.PinnedID != ch.PinnedRead
	case kindRecommend:
		if !c.opts.Scope.Rules.Counts("recommendation") || int(ch.Depth) >= c.opts.Scope.Rules.MaxDepth {
			return time.Time{}, false
		}
		return schedule.NextSlot(ch.ID, kindRecommend, s.RecommendInterval, ch.LastRecommend.Time(), now), true
	}
	return time.Time{}, false
}

// mayRun says whether account a may run a task of the any-account lane.
func (c *Collector) mayRun(a *account, t schedule.Task) bool {
	if t.Kind != kindAdopt {
		return true
	}
	ch := c.frame.channels[t.Channel]
	return ch != nil && ch.Home != a.label
}

// prepare turns a task into a job for account a, or reports that the task is moot.
func (c *Collector) prepare(a *account, t schedule.Task) (*job, bool) {
	j := &job{acct: a, task: t, now: c.opts.Clock.Now()}
	if t.Kind == kindResolve {
		u, ok := c.frame.resolveKeys[t.Channel]
		if !ok || c.frame.pending[u] == nil {
			return nil, false
		}
		j.username = u
		j.run = c.runResolve
		return j, true
	}
	ch := c.frame.channels[t.Channel]
	if ch == nil {
		return nil, false
	}
	switch t.Kind {
	case kindAdopt:
		if ch.Username == "" {
			return nil, false
		}
		if hash := a.st.Peers[ch.ID]; hash != 0 {
			// It learnt the channel meanwhile: no call needed.
			c.setHome(ch, a)
			c.plan(ch, j.now)
			return nil, false
		}
		if home := c.pool.byLabel[ch.Home]; home != nil && !home.disabled() && !c.parkedFor(home, ch) {
			return nil, false // the home account is free again
		}
		j.username, j.ch, j.run = ch.Username, ch.Clone(), c.runAdopt
		return j, true
	case kindRecheck:
		if ch.Recheck == "" {
			return nil, false
		}
		j.username, j.ch, j.run = ch.Recheck, ch.Clone(), c.runRecheck
		return j, true
	}
	if ch.Home != a.label {
		return nil, false
	}
	if due, ok := c.desiredDue(ch, t.Kind, j.now); !ok || due.After(j.now) {
		// Moot: done meanwhile, or no longer wanted; plan queues what is still needed.
		c.plan(ch, j.now)
		return nil, false
	}
	hash := a.st.Peers[ch.ID]
	if hash == 0 {
		c.rehome(ch, a)
		return nil, false
	}
	j.peer = telegram.Peer{ChannelID: ch.ID, AccessHash: hash, Username: ch.Username}
	switch t.Kind {
	case kindSnapshot:
		j.ch, j.run = ch.Clone(), c.runSnapshot
	case kindHistory:
		j.ch, j.run = ch.Clone(), c.runHistory
	case kindCounters:
		j.recent = c.ages.dueRecent(ch, c.frame.verify[ch.ID], j.now)
		if len(j.recent) == 0 {
			c.plan(ch, j.now)
			return nil, false
		}
		j.ch, j.run = ch.Clone(), c.runCounters
	case kindVerify:
		ids := c.frame.verify[ch.ID]
		if len(ids) == 0 {
			return nil, false
		}
		j.ids = slices.Clone(ids[:min(len(ids), maxIDs)])
		j.ch, j.run = ch.Clone(), c.runVerify
	case kindPinned:
		if ch.PinnedID == 0 {
			return nil, false
		}
		j.ids = []int{ch.PinnedID}
		j.ch, j.run = ch.Clone(), c.runPinned
	case kindRecommend:
		j.ch, j.run = ch.Clone(), c.runRecommend
	default:
		return nil, false
	}
	return j, true
}

// parkedFor reports whether a's parks keep it from some pending work of ch for longer than
// the hand-off threshold.
func (c *Collector) parkedFor(a *account, ch *state.Channel) bool {
	limit := c.opts.RateClock.Now().Add(c.opts.Rates.HandoffAfter)
	for _, t := range c.due.sched.Tasks(ch.ID) {
		if t.Lane == a.label && c.pool.budget.ParkedUntil(a.label, t.Method).After(limit) {
			return true
		}
	}
	return false
}

// runHistory fetches one page of j.ch's history (historyWalker), then applies it and plans
// the next page.
func (c *Collector) runHistory(ctx context.Context, j *job) (func(), error) {
	page, err := c.history.fetch(ctx, j.acct.client, j.peer, j.ch)
	if err != nil {
		if isChannelGone(err) {
			return c.goneApply(ctx, j, err), nil
		}
		return nil, err
	}
	return func() {
		live := c.frame.channels[j.ch.ID]
		if live == nil {
			return
		}
		c.pool.learnChats(j.acct, page.chats)
		page.apply(live, j.now)
		c.summary.Posts += len(page.posts)
		c.m.posts.Add(float64(len(page.posts)))
		c.frame.markDirty(live)
		c.addRefs(live, j.acct, page.refs, j.now)
		if !page.done {
			// The next page keeps this one's due time: stale work first.
			c.add(live, kindHistory, j.task.Due)
		}
		c.plan(live, c.opts.Clock.Now())
	}, nil
}

// writeRows writes rows of posts, links and counter reads to the output.
func (c *Collector) writeRows(ctx context.Context, posts []schema.Post, rowLinks []schema.PostLink, counters []schema.PostCounters) error {
	return writeRows(ctx, c.out, c.m, posts, rowLinks, counters)
}
