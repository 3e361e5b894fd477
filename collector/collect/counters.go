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

// readOutcome is what one counter read did to one post's schedule.
type readOutcome struct {
	id   int
	next uint8 // the next age to read; len(ages) when done
	lost int   // ages skipped because the read came too late for them
	late bool  // the age read was missed by more than its tolerance
}

// targetAge picks the age a read at now stands for: the latest age already reached,
// starting from the post's next age. Earlier ages passed without a read are lost.
func (c *Collector) targetAge(r state.Recent, now time.Time) readOutcome {
	s := c.opts.Schedule
	ages := s.CounterAges
	posted := r.Posted()
	age := now.Sub(posted)
	i := int(r.Next)
	for i+1 < len(ages) && age >= ages[i+1]-s.tolerance(ages[i+1]) {
		i++
	}
	return readOutcome{id: int(r.ID), next: uint8(i + 1), lost: i - int(r.Next), late: age > ages[i]+s.tolerance(ages[i])}
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
		o := c.targetAge(r, now)
		v := views[i]
		rows = append(rows, c.counterRow(j.ch.ID, int(r.ID), r.Posted(), now, c.opts.Schedule.CounterAges[o.next-1], v.Views, v.Forwards, v.Replies, nil))
		outcomes = append(outcomes, o)
	}
	if err := c.writeRows(ctx, nil, nil, rows); err != nil {
		return nil, err
	}
	return func() {
		live := c.channels[j.ch.ID]
		if live == nil {
			return
		}
		c.applyOutcomes(live, outcomes)
		for _, id := range suspects {
			if !slices.Contains(c.verify[live.ID], id) {
				c.verify[live.ID] = append(c.verify[live.ID], id)
			}
		}
		c.markDirty(live)
		c.plan(live, c.opts.Clock.Now())
	}, nil
}

// applyOutcomes moves the posts read on in their schedules.
func (c *Collector) applyOutcomes(ch *state.Channel, outcomes []readOutcome) {
	if len(outcomes) == 0 {
		return
	}
	by := make(map[int]readOutcome, len(outcomes))
	for _, o := range outcomes {
		by[o.id] = o
	}
	n := len(c.opts.Schedule.CounterAges)
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
				o := c.targetAge(r, now)
				row := c.counterRow(j.ch.ID, id, r.Posted(), now, c.opts.Schedule.CounterAges[o.next-1], 0, 0, 0, nil)
				row.Deleted = 1
				rows = append(rows, row)
			}
			continue
		}
		if tracked {
			o := c.targetAge(r, now)
			rows = append(rows, c.counterRow(j.ch.ID, id, m.Date, now, c.opts.Schedule.CounterAges[o.next-1], m.Views, m.Forwards, m.Replies, m.Reactions))
			outcomes = append(outcomes, o)
		}
	}
	if err := c.writeRows(ctx, nil, nil, rows); err != nil {
		return nil, err
	}
	if len(deleted) > 0 && c.opts.Posts != nil {
		stored, err := c.opts.Posts.Posts(ctx, j.ch.ID, deleted)
		if err != nil {
			return nil, fmt.Errorf("read back deleted posts: %w", err)
		}
		for i := range stored {
			stored[i].Deleted = 1
			stored[i].DeletedAt = now
			stored[i].RunID = c.opts.RunID
			stored[i].Version = schema.Version(now)
		}
		if err := c.writeRows(ctx, stored, nil, nil); err != nil {
			return nil, err
		}
	}
	return func() {
		live := c.channels[j.ch.ID]
		if live == nil {
			return
		}
		c.applyOutcomes(live, outcomes)
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
		rest := c.verify[live.ID][:0]
		for _, id := range c.verify[live.ID] {
			if !done[id] {
				rest = append(rest, id)
			}
		}
		if len(rest) == 0 {
			delete(c.verify, live.ID)
		} else {
			c.verify[live.ID] = rest
		}
		c.markDirty(live)
		c.plan(live, c.opts.Clock.Now())
	}, nil
}
