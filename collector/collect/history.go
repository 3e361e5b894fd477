package collect

import (
	"context"
	"fmt"
	"time"

	"github.com/tidewatch/tidewatch/collector/collect/state"
	"github.com/tidewatch/tidewatch/collector/telegram"
	"github.com/tidewatch/tidewatch/schema"
)

// History is fetched in sweeps. A sweep reads the ids above the channel's watermark
// (LastID) newest first, one page per task: the first page fixes the sweep's top, each
// later page starts below the lowest id seen so far (Cursor). Posts that appear while a
// sweep runs are above its top and belong to the next sweep; ids missing between fetched
// ones were deleted before they could be seen and are counted as gaps. Only when the sweep
// reaches the watermark does LastID move up to the top, so a restart mid-sweep resumes at
// Cursor with nothing fetched twice and nothing skipped.

// runHistory fetches one page of j.ch's history.
func (c *Collector) runHistory(ctx context.Context, j *job) (func(), error) {
	ch := j.ch
	q := telegram.HistoryQuery{Limit: telegram.MaxHistoryLimit, MinID: ch.LastID}
	if ch.Top != 0 {
		q.OffsetID = ch.Cursor
	}
	page, err := j.acct.client.GetHistory(ctx, j.peer, q)
	if err != nil {
		if isChannelGone(err) {
			return c.goneApply(ctx, j, err), nil
		}
		return nil, err
	}
	now := c.opts.Clock.Now()
	chats := map[int64]*telegram.ChannelInfo{}
	for i := range page.Chats {
		chats[page.Chats[i].ChannelID] = &page.Chats[i]
	}

	firstSweep := !ch.HistoryDone && ch.LastID == 0
	since := c.opts.Since
	var (
		posts    = make([]schema.Post, 0, len(page.Messages))
		rowLinks = make([]schema.PostLink, 0, len(page.Messages))
		counters []schema.PostCounters
		refs     []ref
		recent   []state.Recent
		top      = ch.Top
		upper    = ch.Cursor // ids below it are this page's range
		gaps     int
		floorID  int
		minID    int
		missed   int
		onTime   int
	)
	if top == 0 && len(page.Messages) > 0 {
		top = page.Messages[0].ID
		upper = top + 1
	}
	for i := range page.Messages {
		m := &page.Messages[i]
		if m.ID <= ch.LastID || (upper != 0 && m.ID >= upper) {
			continue // outside the range asked for: never trust a server blindly
		}
		if firstSweep && !since.IsZero() && m.Date.Before(since) {
			floorID = max(floorID, m.ID)
			continue
		}
		if upper != 0 && m.ID < upper-1 {
			gaps += upper - 1 - m.ID
		}
		upper = m.ID
		minID = m.ID
		rows := c.messageRows(ch.ID, ch.Username, m, chats, now)
		posts = append(posts, rows.post)
		rowLinks = append(rowLinks, rows.links...)
		refs = append(refs, rows.refs...)
		if !m.Service {
			r, row, miss, ok := c.firstSight(ch.ID, m, now)
			missed += miss
			if row != nil {
				counters = append(counters, *row)
				onTime++
			}
			if ok {
				recent = append(recent, r)
			}
		}
	}
	done := len(page.Messages) < telegram.MaxHistoryLimit || floorID != 0 || len(posts) == 0
	if done && upper != 0 {
		// Ids between the watermark (or the --since floor) and the lowest fetched id are gone.
		low := max(ch.LastID, floorID)
		if upper-1 > low {
			gaps += upper - 1 - low
		}
	}
	if err := c.writeRows(ctx, posts, rowLinks, counters); err != nil {
		return nil, err
	}
	return func() {
		live := c.channels[ch.ID]
		if live == nil {
			return
		}
		c.learnChats(j.acct, page.Chats)
		live.Count = page.Count
		live.Stored += len(posts)
		live.Gaps += gaps
		live.CountersMissed += missed
		live.CountersDone += onTime
		live.Recent.Append(recent...)
		if minID != 0 && (live.MinID == 0 || minID < live.MinID) {
			live.MinID = minID
		}
		c.summary.Posts += len(posts)
		c.m.posts.Add(float64(len(posts)))
		if done {
			live.LastID = max(top, live.LastID)
			live.Top, live.Cursor = 0, 0
			live.HistoryDone = true
			live.Floor = max(live.Floor, floorID)
			live.LastHistory = state.At(j.now)
		} else {
			live.Top, live.Cursor = top, upper
		}
		if live.Status == "" || schema.StatusGone(live.Status) {
			// It answered, so it is readable; the snapshot will say more.
			live.LastSeen = state.At(j.now)
		}
		c.markDirty(live)
		c.addRefs(live, j.acct, refs, j.now)
		if !done {
			// The next page keeps this one's due time: stale work first.
			c.add(live, kindHistory, j.task.Due)
		}
		c.plan(live, c.opts.Clock.Now())
	}, nil
}

// firstSight decides the counter schedule of a post seen for the first time at now: ages
// already past are missed; a sighting within the tolerance of an age is that age's read.
// It returns the post's entry for re-reads (ok false when no age is left), the counters row
// of an on-time read, and the number of ages missed.
func (c *Collector) firstSight(channel int64, m *telegram.Message, now time.Time) (state.Recent, *schema.PostCounters, int, bool) {
	s := c.opts.Schedule
	ages := s.CounterAges
	// A page fetched again after a crash: the post's schedule runs from its first sight,
	// as it did before the crash.
	seen := now
	if t, ok := c.firstSeen[postKey{channel, m.ID}]; ok && t.Before(now) {
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
		case c.recovered[readKey{channel, m.ID, uint32(ages[next] / time.Second)}]:
		case nowAge <= ages[next]+s.tolerance(ages[next]):
			r := c.counterRow(channel, m.ID, m.Date, now, ages[next], m.Views, m.Forwards, m.Replies, m.Reactions)
			row = &r
		default:
			missed++
		}
		next++
	}
	// Later readings taken before the crash stand too.
	for next < len(ages) && c.recovered[readKey{channel, m.ID, uint32(ages[next] / time.Second)}] {
		next++
	}
	if next >= len(ages) {
		return state.Recent{}, row, missed, false
	}
	return state.Recent{ID: int32(m.ID), Date: uint32(m.Date.Unix()), Next: uint8(next)}, row, missed, true
}

// writeRows writes a page's rows, counting them.
func (c *Collector) writeRows(ctx context.Context, posts []schema.Post, rowLinks []schema.PostLink, counters []schema.PostCounters) error {
	if len(posts) > 0 {
		if err := c.out.Posts.Write(ctx, posts...); err != nil {
			return fmt.Errorf("write posts: %w", err)
		}
		c.m.rows.WithLabelValues(schema.TablePosts).Add(float64(len(posts)))
	}
	if len(rowLinks) > 0 {
		if err := c.out.Links.Write(ctx, rowLinks...); err != nil {
			return fmt.Errorf("write post links: %w", err)
		}
		c.m.rows.WithLabelValues(schema.TablePostLinks).Add(float64(len(rowLinks)))
	}
	if len(counters) > 0 {
		if err := c.out.Counters.Write(ctx, counters...); err != nil {
			return fmt.Errorf("write post counters: %w", err)
		}
		c.m.rows.WithLabelValues(schema.TablePostCounters).Add(float64(len(counters)))
	}
	return nil
}

// learnChats records the access hashes an answer gave account a.
func (c *Collector) learnChats(a *account, chats []telegram.ChannelInfo) {
	for _, info := range chats {
		c.learnPeer(a, info)
	}
}
