package collect

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/tidewatch/tidewatch/collector/collect/budget"
	"github.com/tidewatch/tidewatch/collector/collect/state"
	"github.com/tidewatch/tidewatch/schema"
)

// completeness renders ch's completeness row.
func (c *Collector) completeness(ch *state.Channel, now time.Time) schema.Completeness {
	top := ch.LastID
	var notFetched int
	if ch.Top != 0 {
		top = ch.Top
		notFetched = max(ch.Cursor-1-max(ch.LastID, ch.Floor), 0)
	}
	row := schema.Completeness{
		Platform: schema.PlatformTelegram, ChannelID: uint64(ch.ID), Username: ch.Username, CheckedAt: now,
		Status: ch.Status, Included: b2u(ch.Included), HistoryDone: b2u(ch.HistoryDone),
		MinID: uint64(ch.MinID), MaxID: uint64(top), FloorID: uint64(ch.Floor),
		TelegramCount: uint64(max(ch.Count, 0)), IDsExpected: uint64(max(top-ch.Floor, 0)),
		Stored: uint64(ch.Stored), Gaps: uint64(ch.Gaps), Deleted: uint64(ch.Deleted),
		CountersDone: uint64(ch.CountersDone), CountersMissed: uint64(ch.CountersMissed),
		CountersLate: uint64(ch.CountersLate), CountersLost: uint64(ch.CountersLost),
		RunID: c.opts.Run.ID, Version: schema.Version(now),
	}
	if schema.StatusGone(ch.Status) {
		row.Unreadable = uint64(notFetched)
	} else {
		row.NotFetched = uint64(notFetched)
	}
	n := len(c.opts.Schedule.CounterAges)
	for r := range ch.Recent.All() {
		row.CountersDue += uint64(n - int(r.Next))
	}
	if row.Status == "" {
		row.Status = "unknown"
	}
	return row
}

// discoveryRows renders the provenance of ch in the current frame.
func (c *Collector) discoveryRows(ch *state.Channel, now time.Time) []schema.Discovery {
	base := schema.Discovery{
		FrameID: c.ckpt.frameID, Platform: schema.PlatformTelegram, ChannelID: uint64(ch.ID), Username: ch.Username,
		DiscoveredAt: ch.DiscoveredAt.Time(), Included: b2u(ch.Included), Reason: ch.Reason, Version: schema.Version(now),
	}
	if base.DiscoveredAt.IsZero() {
		base.DiscoveredAt = now
	}
	var out []schema.Discovery
	if ch.Seed {
		r := base
		r.Rule = "seed"
		out = append(out, r)
	}
	for _, ref := range ch.Refs {
		r := base
		r.ViaChannelID, r.Rule, r.Depth, r.References = uint64(ref.Via), ref.Rule, ref.Depth, ref.N
		out = append(out, r)
	}
	return out
}

// pendingRows renders the provenance of a username not resolved (yet). Its channel id is
// not known, so channel_id holds schema.AccountID of "@username", a hash with the top bit
// set that no Telegram id reaches.
func (c *Collector) pendingRows(p *state.Pending, now time.Time) []schema.Discovery {
	reason := p.Failed
	if reason == "" {
		reason = c.opts.Scope.Rules.ByReferences(p.Refs).Reason
		if reason == "" {
			reason = "not resolved yet"
		}
	}
	base := schema.Discovery{
		FrameID: c.ckpt.frameID, Platform: schema.PlatformTelegram, ChannelID: schema.AccountID("@" + p.Username),
		Username: p.Username, DiscoveredAt: p.DiscoveredAt, Reason: reason, Version: schema.Version(now),
	}
	var out []schema.Discovery
	if p.Seed {
		r := base
		r.Rule = "seed"
		out = append(out, r)
	}
	for _, ref := range p.Refs {
		r := base
		r.ViaChannelID, r.Rule, r.Depth, r.References = uint64(ref.Via), ref.Rule, ref.Depth, ref.N
		out = append(out, r)
	}
	return out
}

// maxCheckpointRecords bounds the records one checkpoint copies. Whatever is left stays
// dirty for the next one: progress may lag the stored rows, never lead them. The bound keeps
// memory flat when everything changes at once (a new sampling frame marks every channel).
const maxCheckpointRecords = 5000

// checkpointer keeps the durable state: the store, its meta record, the frame id, how far
// the journal has grown, and the checkpoint in flight with the Sync calls waiting for it.
type checkpointer struct {
	store   *state.Store
	meta    state.Meta
	frameID string
	journal int // records appended since the last compaction
	busy    bool
	done    chan ckptResult
	waiters []chan error
}

// ckptJob is one checkpoint's content, taken on the dispatcher and saved by a goroutine.
type ckptJob struct {
	batch    state.Batch
	accounts []*state.Account
	meta     state.Meta
	// dirty lists what the checkpoint covers, to mark it dirty again if it fails.
	dirtyCh   []int64
	dirtyPend []string
	dirtyAcc  []*account
}

type ckptResult struct {
	job *ckptJob
	err error
}

// rowChunk is how many records' derived rows capture hands to the writers at a time, so
// the rows of a whole checkpoint are never held at once.
const rowChunk = 256

// capture takes what changed since the last checkpoint: copies of the records, and the
// rows derived from them (discovery provenance, completeness), which it writes now so the
// flush that follows covers them.
func (c *Collector) capture(ctx context.Context) (*ckptJob, error) {
	now := c.opts.Clock.Now()
	j := &ckptJob{}
	var disc []schema.Discovery
	var comp []schema.Completeness
	// taken are the channels whose provenance rows this capture took: should writing them
	// fail, their references are unwritten again, or the next checkpoint would save the
	// channels (still dirty) as if their rows were stored.
	var taken []*state.Channel
	fail := func(err error) (*ckptJob, error) {
		for _, ch := range taken {
			ch.RefsDirty = true
		}
		return nil, err
	}
	writeRows := func() error {
		if len(disc) > 0 {
			if err := c.out.Discovery.Write(ctx, disc...); err != nil {
				return fmt.Errorf("write discovery: %w", err)
			}
			c.m.rows.WithLabelValues(schema.TableDiscovery).Add(float64(len(disc)))
		}
		if len(comp) > 0 {
			if err := c.out.Completeness.Write(ctx, comp...); err != nil {
				return fmt.Errorf("write completeness: %w", err)
			}
			c.m.rows.WithLabelValues(schema.TableCompleteness).Add(float64(len(comp)))
		}
		// New slices, not the old ones emptied: a writer may keep what it was given.
		disc, comp = nil, nil
		return nil
	}
	for id := range c.frame.dirtyCh {
		if len(j.dirtyCh) >= maxCheckpointRecords {
			break
		}
		j.dirtyCh = append(j.dirtyCh, id)
		ch := c.frame.channels[id]
		if ch == nil {
			continue
		}
		if ch.RefsDirty {
			disc = append(disc, c.discoveryRows(ch, now)...)
			ch.RefsDirty = false
			taken = append(taken, ch)
		}
		if ch.Included || ch.Stored > 0 {
			comp = append(comp, c.completeness(ch, now))
		}
		j.batch.Channels = append(j.batch.Channels, ch.Clone())
		if len(j.dirtyCh)%rowChunk == 0 {
			if err := writeRows(); err != nil {
				return fail(err)
			}
		}
	}
	for u := range c.frame.dirtyPend {
		if len(j.dirtyPend) >= maxCheckpointRecords {
			break
		}
		if p := c.frame.pending[u]; p != nil {
			disc = append(disc, c.pendingRows(p, now)...)
			j.batch.Pending = append(j.batch.Pending, p.Clone())
		}
		j.dirtyPend = append(j.dirtyPend, u)
		if len(j.dirtyPend)%rowChunk == 0 {
			if err := writeRows(); err != nil {
				return fail(err)
			}
		}
	}
	j.batch.Resolved = c.frame.resolved
	if err := writeRows(); err != nil {
		return fail(err)
	}
	parks := c.pool.budget.Parks()
	for _, a := range c.pool.accounts {
		var mine []budget.Park
		for _, p := range parks {
			if p.Account == a.label {
				mine = append(mine, p)
			}
		}
		if a.parks == "" {
			// What the state holds: an account whose parks did not change is not rewritten
			// (with every access hash it knows) at the first checkpoint of a run.
			a.parks = fmt.Sprint(a.st.Parks)
		}
		fp := fmt.Sprint(mine)
		if fp != a.parks {
			a.st.Parks, a.parks, a.dirty = mine, fp, true
		}
		if a.dirty {
			cp := *a.st
			cp.Peers = maps.Clone(a.st.Peers)
			j.accounts = append(j.accounts, &cp)
			j.dirtyAcc = append(j.dirtyAcc, a)
			a.dirty = false
		}
	}
	c.ckpt.meta.SavedAt = now
	j.meta = c.ckpt.meta
	c.ckpt.journal += j.batch.Len()
	for _, id := range j.dirtyCh {
		delete(c.frame.dirtyCh, id)
	}
	for _, u := range j.dirtyPend {
		delete(c.frame.dirtyPend, u)
	}
	// A map keeps the room it grew to: once a new frame marked every channel dirty, the
	// empty set would hold megabytes for the rest of the run.
	if len(c.frame.dirtyCh) == 0 {
		c.frame.dirtyCh = map[int64]bool{}
	}
	if len(c.frame.dirtyPend) == 0 {
		c.frame.dirtyPend = map[string]bool{}
	}
	c.frame.resolved = nil
	return j, nil
}

// compactIfDue rewrites the durable state as a new snapshot when the journal has grown well
// past the live records. It runs on the dispatcher with no checkpoint in flight and streams
// the live records straight into the file, so it needs no copy of them: the dispatcher
// pauses for the time it takes to write them (a second or two for 100,000 channels).
func (c *Collector) compactIfDue() error {
	live := len(c.frame.channels) + len(c.frame.pending)
	if c.ckpt.journal <= 10_000 || c.ckpt.journal <= 3*live {
		return nil
	}
	ids := make([]int64, 0, len(c.frame.channels))
	for id := range c.frame.channels {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	chans := func(yield func(*state.Channel) bool) {
		for _, id := range ids {
			if !yield(c.frame.channels[id]) {
				return
			}
		}
	}
	pend := func(yield func(*state.Pending) bool) {
		for _, p := range c.frame.pending {
			if !yield(p) {
				return
			}
		}
	}
	began := c.opts.RateClock.Now()
	if err := c.ckpt.store.CompactEach(chans, pend); err != nil {
		return err
	}
	c.ckpt.journal = 0
	c.log.Info("state compacted", "records", live, "took", c.opts.RateClock.Now().Sub(began).Round(time.Millisecond))
	return nil
}

// save flushes every writer and then records the checkpoint: rows first, progress after.
func (c *Collector) save(ctx context.Context, j *ckptJob) error {
	if err := c.out.flush(ctx); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	if err := c.ckpt.store.Append(j.batch); err != nil {
		return err
	}
	for _, a := range j.accounts {
		if err := c.ckpt.store.SaveAccount(a); err != nil {
			return err
		}
	}
	return c.ckpt.store.SaveMeta(j.meta)
}

// startCheckpoint begins a checkpoint unless one is running.
func (c *Collector) startCheckpoint(ctx context.Context) {
	if c.ckpt.busy {
		return
	}
	j, err := c.capture(ctx)
	if err != nil {
		c.log.Error("checkpoint failed", "err", err)
		c.replyWaiters(err)
		return
	}
	c.ckpt.busy = true
	start := c.opts.RateClock.Now()
	go func() {
		err := c.save(ctx, j)
		c.m.checkpointSeconds.Observe(c.opts.RateClock.Now().Sub(start).Seconds())
		c.ckpt.done <- ckptResult{job: j, err: err}
	}()
}

// endCheckpoint takes a finished checkpoint back: on failure what it covered is dirty
// again and will be saved by the next one.
func (c *Collector) endCheckpoint(r ckptResult) {
	c.ckpt.busy = false
	if r.err != nil {
		c.log.Error("checkpoint failed; will retry", "err", r.err)
		c.undo(r.job)
	} else {
		c.m.checkpoints.Inc()
		if err := c.compactIfDue(); err != nil {
			c.log.Error("compacting the state failed; the journal goes on", "err", err)
		}
	}
	if r.err == nil && c.frame.dirty() && len(c.ckpt.waiters) > 0 {
		// A Sync waits for everything: the next part goes now.
		c.startCheckpoint(c.disp.workCtx)
		return
	}
	c.replyWaiters(r.err)
}

func (c *Collector) undo(j *ckptJob) {
	for _, id := range j.dirtyCh {
		if ch := c.frame.channels[id]; ch != nil {
			c.frame.dirtyCh[id] = true
			ch.RefsDirty = true
		}
	}
	for _, u := range j.dirtyPend {
		c.frame.dirtyPend[u] = true
	}
	c.frame.resolved = append(c.frame.resolved, j.batch.Resolved...)
	for _, a := range j.dirtyAcc {
		a.dirty = true
	}
	c.ckpt.journal -= j.batch.Len()
}

func (c *Collector) replyWaiters(err error) {
	for _, w := range c.ckpt.waiters {
		w <- err
	}
	c.ckpt.waiters = nil
}

// checkpointNow checkpoints everything synchronously (at the end of a run), in parts of at
// most maxCheckpointRecords.
func (c *Collector) checkpointNow(ctx context.Context) error {
	for {
		j, err := c.capture(ctx)
		if err != nil {
			return fmt.Errorf("final checkpoint: %w", err)
		}
		if err := c.save(ctx, j); err != nil {
			c.undo(j)
			return fmt.Errorf("final checkpoint: %w", err)
		}
		if !c.frame.dirty() {
			return c.compactIfDue()
		}
	}
}

// writeRun writes the runs row of this run with its counts so far.
func (c *Collector) writeRun(ctx context.Context, status string) error {
	now := c.opts.Clock.Now()
	names := []string{"channels", "posts", "events", "flood_waits", "flood_wait_seconds"}
	values := []uint64{uint64(c.frame.size()), uint64(c.summary.Posts), uint64(c.summary.Events), uint64(c.summary.Floods), uint64(c.summary.FloodWait / time.Second)}
	methods := make([]string, 0, len(c.summary.Calls))
	for m := range c.summary.Calls {
		methods = append(methods, m)
	}
	sort.Strings(methods)
	for _, m := range methods {
		names = append(names, "calls:"+m)
		values = append(values, uint64(c.summary.Calls[m]))
	}
	row := schema.Run{
		RunID: c.opts.Run.ID, Job: "collect", StartedAt: c.started, Status: status,
		ConfigHash: c.opts.Run.ConfigHash, CodeVersion: c.opts.Run.CodeVersion, Args: c.opts.Run.Args, FrameID: c.ckpt.frameID,
		CountNames: names, CountValues: values, Errors: nonNil(c.summary.Errors), Version: schema.Version(now),
	}
	if status != "running" {
		row.FinishedAt = now
	}
	if err := c.out.Runs.Write(ctx, row); err != nil {
		return fmt.Errorf("write run: %w", err)
	}
	return nil
}

// writeFrame writes the current version of the sampling frame.
func (c *Collector) writeFrame(ctx context.Context) {
	now := c.opts.Clock.Now()
	row := schema.SamplingFrame{
		FrameID: c.ckpt.frameID, ParentFrameID: c.ckpt.meta.ParentFrameID, CreatedAt: c.ckpt.meta.FrameCreated,
		Rules: c.opts.Scope.Rules.JSON(), Seeds: uint32(len(c.frame.seeds)), Channels: uint32(c.frame.size()),
		Note:    "collect run " + c.opts.Run.ID + ", shard " + strconv.Itoa(c.opts.Scope.Shard) + "/" + strconv.Itoa(max(c.opts.Scope.Shards, 1)),
		Version: schema.Version(now),
	}
	if err := c.out.Frames.Write(ctx, row); err != nil {
		c.log.Error("writing the sampling frame failed", "err", err)
	}
}

// saveFloods makes the account's running flood waits durable at once, not at the next
// checkpoint: a collector killed in between would otherwise call again during the wait
// after its restart, and an account that keeps calling during its waits gets banned.
func (c *Collector) saveFloods(label string) {
	var mine []budget.Park
	for _, p := range c.pool.budget.Parks() {
		if p.Account == label {
			mine = append(mine, p)
		}
	}
	if err := c.ckpt.store.SaveFloods(label, mine); err != nil {
		c.log.Error("cannot save flood waits; they are saved again at the next checkpoint", "account", label, "err", err)
	}
}
