package collect

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tidewatch/tidewatch/collector/collect/state"
	"github.com/tidewatch/tidewatch/collector/telegram"
	"github.com/tidewatch/tidewatch/schema"
)

// counterAges decides when posts' counters are read: the ages of the schedule, and what
// recovery found already read or first seen before a crash (written before the dispatcher
// starts, read-only afterwards: workers read them).
type counterAges struct {
	s    Schedule
	rows *rowMaker
	// recovered holds the counter reads found stored after the last checkpoint.
	recovered map[readKey]bool
	// firstSeen holds when posts stored after the last checkpoint were first seen: a page
	// fetched again after a crash plans their counter reads from then.
	firstSeen map[postKey]time.Time
}

// readOutcome is what one counter read did to one post's schedule.
type readOutcome struct {
	id   int
	next uint8 // the next age to read; len(ages) when done
	lost int   // ages skipped because the read came too late for them
	late bool  // the age read was missed by more than its tolerance
}

// targetAge picks the age a read at now stands for: the latest age already reached,
// starting from the post's next age. Earlier ages passed without a read are lost.
func (ca *counterAges) targetAge(r state.Recent, now time.Time) readOutcome {
	s := ca.s
	ages := s.CounterAges
	posted := r.Posted()
	age := now.Sub(posted)
	i := int(r.Next)
	for i+1 < len(ages) && age >= ages[i+1]-s.tolerance(ages[i+1]) {
		i++
	}
	return readOutcome{id: int(r.ID), next: uint8(i + 1), lost: i - int(r.Next), late: age > ages[i]+s.tolerance(ages[i])}
}

// firstSight decides the counter schedule of a post seen for the first time at now: ages
// already past are missed; a sighting within the tolerance of an age is that age's read.
// It returns the post's entry for re-reads (ok false when no age is left), the counters row
// of an on-time read, and the number of ages missed.
func (ca *counterAges) firstSight(channel int64, m *telegram.Message, now time.Time) (state.Recent, *schema.PostCounters, int, bool) {
	s := ca.s
	ages := s.CounterAges
	// A page fetched again after a crash: the post's schedule runs from its first sight,
	// as it did before the crash.
	seen := now
	if t, ok := ca.firstSeen[postKey{channel, m.ID}]; ok && t.Before(now) {
		seen = t
	}
	age := seen.Sub(m.Date)
	last := ages[len(ages)-1]
	if age > last+s.tolerance(last) {
		return state.Recent{}, nil, 0, false // older than every age: nothing to schedule
	}
	next, missed := 0, 0
	for next < len(ages) && age > ages[next]+s.tolerance(ages[next]) {
		next++
		missed++
	}
	var row *schema.PostCounters
	if next < len(ages) && age >= ages[next]-s.tolerance(ages[next]) {
		// A reading stored before a crash (this page is fetched again) stands; one lost
		// with the crash is taken now if its window is still open.
		nowAge := now.Sub(m.Date)
		switch {
		case ca.recovered[readKey{channel, m.ID, uint32(ages[next] / time.Second)}]:
		case nowAge <= ages[next]+s.tolerance(ages[next]):
			r := ca.rows.counterRow(channel, m.ID, m.Date, now, ages[next], m.Views, m.Forwards, m.Replies, m.Reactions)
			row = &r
		default:
			missed++
		}
		next++
	}
	// Later readings taken before the crash stand too.
	for next < len(ages) && ca.recovered[readKey{channel, m.ID, uint32(ages[next] / time.Second)}] {
		next++
	}
	if next >= len(ages) {
		return state.Recent{}, row, missed, false
	}
	return state.Recent{ID: int32(m.ID), Date: uint32(m.Date.Unix()), Next: uint8(next)}, row, missed, true
}

// nextRead returns when the next counter read of ch is due; posts in verify wait for
// their check.
func (ca *counterAges) nextRead(ch *state.Channel, verify []int) (time.Time, bool) {
	ages := ca.s.CounterAges
	var due time.Time
	for r := range ch.Recent.All() {
		if int(r.Next) >= len(ages) || slices.Contains(verify, int(r.ID)) {
			continue
		}
		d := r.Posted().Add(ages[r.Next] - ca.s.tolerance(ages[r.Next])/2)
		if due.IsZero() || d.Before(due) {
			due = d
		}
	}
	return due, !due.IsZero()
}

// dueRecent picks the posts of ch whose next counter read is due at now (reading up to half
// the tolerance early, so posts due close together share one call), most overdue first, at
// most maxIDs; posts in verify wait for their check.
func (ca *counterAges) dueRecent(ch *state.Channel, verify []int, now time.Time) []state.Recent {
	ages := ca.s.CounterAges
	type due struct {
		r  state.Recent
		at time.Time
	}
	var list []due
	for r := range ch.Recent.All() {
		if int(r.Next) >= len(ages) || slices.Contains(verify, int(r.ID)) {
			continue
		}
		at := r.Posted().Add(ages[r.Next])
		if at.Add(-ca.s.tolerance(ages[r.Next]) / 2).After(now) {
			continue
		}
		list = append(list, due{r, at})
	}
	slices.SortFunc(list, func(a, b due) int { return a.at.Compare(b.at) })
	out := make([]state.Recent, 0, min(len(list), maxIDs))
	for i := 0; i < len(list) && i < maxIDs; i++ {
		out = append(out, list[i].r)
	}
	return out
}

// runCounters re-reads the counters of posts at their scheduled ages. A post whose counters
// come back empty may have been deleted: it is checked with getMessages before anything is
// recorded for it.
func (c *Collector) runCounters(ctx context.Context, j *job) (func(), error) {
	ids := make([]int, len(j.recent))
	for i, r := range j.recent {
		ids[i] = int(r.ID)
	}
	views, err := j.acct.client.GetMessagesViews(ctx, j.peer, ids)
	if err != nil {
		if isChannelGone(err) {
			return c.goneApply(ctx, j, err), nil
		}
		return nil, err
	}
	now := c.opts.Clock.Now()
	byID := make(map[int]int, len(views))
	for i, v := range views {
		if v.ID != 0 {
			byID[v.ID] = i
		} else if i < len(ids) {
			byID[ids[i]] = i
		}
	}
	var rows []schema.PostCounters
	var outcomes []readOutcome
	var suspects []int
	for _, r := range j.recent {
		i, ok := byID[int(r.ID)]
		if !ok || views[i].Views == 0 {
			suspects = append(suspects, int(r.ID))
			continue
		}
		o := c.ages.targetAge(r, now)
		v := views[i]
		rows = append(rows, c.rows.counterRow(j.ch.ID, int(r.ID), r.Posted(), now, c.opts.Schedule.CounterAges[o.next-1], v.Views, v.Forwards, v.Replies, nil))
		outcomes = append(outcomes, o)
	}
	if err := c.writeRows(ctx, nil, nil, rows); err != nil {
		return nil, err
	}
	return func() {
		live := c.frame.channels[j.ch.ID]
		if live == nil {
			return
		}
		c.ages.applyOutcomes(live, outcomes)
		for _, id := range suspects {
			if !slices.Contains(c.frame.verify[live.ID], id) {
				c.frame.verify[live.ID] = append(c.frame.verify[live.ID], id)
			}
		}
		c.frame.markDirty(live)
		c.plan(live, c.opts.Clock.Now())
	}, nil
}

// applyOutcomes moves the posts read on in their schedules.
func (ca *counterAges) applyOutcomes(ch *state.Channel, outcomes []readOutcome) {
	if len(outcomes) == 0 {
		return
	}
	by := make(map[int]readOutcome, len(outcomes))
	for _, o := range outcomes {
		by[o.id] = o
	}
	n := len(ca.s.CounterAges)
	ch.Recent.Filter(func(r *state.Recent) bool {
		if o, ok := by[int(r.ID)]; ok && o.next > r.Next {
			ch.CountersDone++
			ch.CountersLost += o.lost
			if o.late {
				ch.CountersLate++
			}
			r.Next = o.next
		}
		return int(r.Next) < n
	})
}

// runVerify fetches posts whose counters came back empty. A post that is gone is marked
// deleted (in post_counters, and in posts when the stored row can be read back); one that
// exists gets the read it was due.
func (c *Collector) runVerify(ctx context.Context, j *job) (func(), error) {
	msgs, err := j.acct.client.GetMessages(ctx, j.peer, j.ids)
	if err != nil {
		if isChannelGone(err) {
			return c.goneApply(ctx, j, err), nil
		}
		return nil, err
	}
	now := c.opts.Clock.Now()
	recent := map[int]state.Recent{}
	for r := range j.ch.Recent.All() {
		recent[int(r.ID)] = r
	}
	var (
		rows     []schema.PostCounters
		outcomes []readOutcome
		deleted  []int
	)
	for i, id := range j.ids {
		r, tracked := recent[id]
		var m *telegram.Message
		if i < len(msgs) && msgs[i] != nil && msgs[i].ID == id {
			m = msgs[i]
		}
		if m == nil {
			deleted = append(deleted, id)
			if tracked {
				o := c.ages.targetAge(r, now)
				row := c.rows.counterRow(j.ch.ID, id, r.Posted(), now, c.opts.Schedule.CounterAges[o.next-1], 0, 0, 0, nil)
				row.Deleted = 1
				rows = append(rows, row)
			}
			continue
		}
		if tracked {
			o := c.ages.targetAge(r, now)
			rows = append(rows, c.rows.counterRow(j.ch.ID, id, m.Date, now, c.opts.Schedule.CounterAges[o.next-1], m.Views, m.Forwards, m.Replies, m.Reactions))
			outcomes = append(outcomes, o)
		}
	}
	if err := c.writeRows(ctx, nil, nil, rows); err != nil {
		return nil, err
	}
	if len(deleted) > 0 && c.opts.Posts != nil {
		// The posts' rows may still wait in the writer's batch (a post first seen moments
		// ago, on the same pass): a read-back before they are stored finds nothing and the
		// deletion never reaches posts. Flushing first makes the read-back see them.
		if err := c.out.Posts.Flush(ctx); err != nil {
			return nil, fmt.Errorf("flush posts before reading back deleted posts: %w", err)
		}
		stored, err := c.opts.Posts.Posts(ctx, j.ch.ID, deleted)
		if err != nil {
			return nil, fmt.Errorf("read back deleted posts: %w", err)
		}
		for i := range stored {
			stored[i].Deleted = 1
			stored[i].DeletedAt = now
			stored[i].RunID = c.opts.Run.ID
			stored[i].Version = schema.Version(now)
		}
		if err := c.writeRows(ctx, stored, nil, nil); err != nil {
			return nil, err
		}
	}
	return func() {
		live := c.frame.channels[j.ch.ID]
		if live == nil {
			return
		}
		c.ages.applyOutcomes(live, outcomes)
		gone := map[int]bool{}
		for _, id := range deleted {
			gone[id] = true
		}
		live.Recent.Filter(func(r *state.Recent) bool { return !gone[int(r.ID)] })
		live.Deleted += len(deleted)
		done := map[int]bool{}
		for _, id := range j.ids {
			done[id] = true
		}
		rest := c.frame.verify[live.ID][:0]
		for _, id := range c.frame.verify[live.ID] {
			if !done[id] {
				rest = append(rest, id)
			}
		}
		if len(rest) == 0 {
			delete(c.frame.verify, live.ID)
		} else {
			c.frame.verify[live.ID] = rest
		}
		c.frame.markDirty(live)
		c.plan(live, c.opts.Clock.Now())
	}, nil
}
