package collect

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/collector/collect/state"
	"github.com/tidewatch/tidewatch/schema"
)

// recoverySlack widens the window read back before the last checkpoint: a call that was in
// flight while the checkpoint was taken wrote its rows before it, but its progress is not in
// it. Applying a row twice is harmless, so the window is generous.
const recoverySlack = 6 * time.Hour

// recover applies what reached ClickHouse after the last checkpoint. Rows in the writers'
// spool are replayed first (a flush replays it), so they are seen too.
func (c *Collector) recover(ctx context.Context) error {
	if c.opts.Recovery == nil || c.ckpt.meta.SavedAt.IsZero() {
		return nil
	}
	if err := c.out.flush(ctx); err != nil {
		return fmt.Errorf("replay the spool: %w", err)
	}
	since := c.ckpt.meta.SavedAt.Add(-recoverySlack)
	snaps, err := c.opts.Recovery.SnapshotsSince(ctx, since)
	if err != nil {
		return err
	}
	slices.SortFunc(snaps, func(a, b schema.ChannelSnapshot) int { return a.SnapshotAt.Compare(b.SnapshotAt) })
	reads, err := c.opts.Recovery.CountersSince(ctx, since)
	if err != nil {
		return err
	}
	evs, err := c.opts.Recovery.EventsSince(ctx, since)
	if err != nil {
		return err
	}
	// Only posts young enough for a counter read matter.
	ages := c.opts.Schedule.CounterAges
	last := ages[len(ages)-1]
	sights, err := c.opts.Recovery.FirstSightsSince(ctx, since, c.opts.Clock.Now().Add(-last-c.opts.Schedule.tolerance(last)))
	if err != nil {
		return err
	}
	for _, s := range sights {
		c.ages.firstSeen[postKey{int64(s.ChannelID), int(s.PostID)}] = s.At
	}
	if err := c.rewriteAboutLinks(ctx, snaps); err != nil {
		return err
	}
	n := c.frame.applySnapshots(snaps) + c.applyReads(reads) + c.applyEvents(evs) + len(sights)
	if n > 0 {
		c.log.Info("recovered observations stored after the last checkpoint", "applied", n)
	}
	return nil
}

// rewriteAboutLinks writes again the links of the about texts of recovered snapshots. A
// snapshot and the links of its about text go through different writers: the snapshot may
// have reached ClickHouse while its links were lost with the crash, and once the snapshot is
// applied the about text is no longer new, so nothing else would write them. The rows carry
// the date the text was first seen, as the first write did, so they collapse with it.
// snaps are in time order.
func (c *Collector) rewriteAboutLinks(ctx context.Context, snaps []schema.ChannelSnapshot) error {
	type text struct {
		about string
		since time.Time
	}
	cur := map[int64]text{}
	var rows []schema.PostLink
	for _, s := range snaps {
		id := int64(s.ChannelID)
		t, ok := cur[id]
		if !ok {
			if ch := c.frame.channels[id]; ch != nil && !ch.AboutSince.IsZero() {
				t = text{ch.About, ch.AboutSince.Time()}
			}
		}
		if t.about != s.About || t.since.IsZero() {
			t = text{s.About, s.SnapshotAt}
		}
		cur[id] = t
		if s.About == "" {
			continue
		}
		rows = append(rows, c.rows.aboutLinks(id, s.Username, s.About, t.since)...)
	}
	return c.writeRows(ctx, nil, rows, nil)
}

// applySnapshots takes each channel's identity from snapshots newer than its state; rows
// are in time order.
func (f *frame) applySnapshots(rows []schema.ChannelSnapshot) int {
	n := 0
	for _, s := range rows {
		ch := f.channels[int64(s.ChannelID)]
		if ch == nil {
			// Not in the state yet (found after the last checkpoint): kept until it is.
			if s.SnapshotAt.After(f.lateSnaps[int64(s.ChannelID)].SnapshotAt) {
				f.lateSnaps[int64(s.ChannelID)] = s
			}
			continue
		}
		if !s.SnapshotAt.After(ch.LastSnapshot.Time()) {
			continue
		}
		if ch.Username != "" && !strings.EqualFold(ch.Username, s.Username) {
			f.names.drop(ch.Username, ch.ID)
			if !ch.LastSeen.IsZero() {
				ch.Recheck = ch.Username
			}
		}
		if s.Username != "" {
			f.names.set(s.Username, ch.ID)
		}
		if ch.About != s.About || ch.AboutSince.IsZero() {
			ch.AboutSince = state.At(s.SnapshotAt)
		}
		ch.Username, ch.Title, ch.About = s.Username, s.Title, s.About
		ch.Subscribers, ch.Status = int(s.Subscribers), s.Status
		ch.Verified, ch.Scam, ch.Fake, ch.Restricted = s.Verified == 1, s.Scam == 1, s.Fake == 1, s.Restricted == 1
		ch.Reasons = slices.Clone(s.RestrictionReasons)
		ch.LinkedChatID, ch.PinnedID = int64(s.LinkedChatID), int(s.PinnedPostID)
		if ch.FirstSeen.IsZero() {
			ch.FirstSeen = state.At(s.SnapshotAt)
		}
		ch.LastSnapshot, ch.LastSeen = state.At(s.SnapshotAt), state.At(s.SnapshotAt)
		f.markDirty(ch)
		n++
	}
	return n
}

// postKey names one post.
type postKey struct {
	channel int64
	post    int
}

// readKey names one scheduled counter read.
type readKey struct {
	channel int64
	post    int
	target  uint32
}

// applyReads moves posts on in their counter schedules for reads already stored, and
// remembers every such read: a history page fetched again after the crash must not take a
// post's first-sight reading a second time.
func (c *Collector) applyReads(rows []schema.PostCounters) int {
	ages := c.opts.Schedule.CounterAges
	n := 0
	for _, r := range rows {
		ch := c.frame.channels[int64(r.ChannelID)]
		if r.TargetAgeS != 0 {
			c.ages.recovered[readKey{int64(r.ChannelID), int(r.PostID), r.TargetAgeS}] = true
		}
		if ch == nil || r.TargetAgeS == 0 {
			continue
		}
		idx := slices.Index(ages, time.Duration(r.TargetAgeS)*time.Second)
		if idx < 0 {
			continue
		}
		cur, ok := ch.Recent.Find(int64(r.PostID))
		if !ok {
			continue
		}
		switch {
		case r.Deleted == 1:
			ch.Recent.Remove(int64(cur.ID))
			ch.Deleted++
		case int(cur.Next) <= idx:
			cur.Next = uint8(idx + 1)
			ch.CountersDone++
			if idx+1 >= len(ages) {
				ch.Recent.Remove(int64(cur.ID))
			} else {
				ch.Recent.Set(cur)
			}
		default:
			continue
		}
		c.frame.markDirty(ch)
		n++
	}
	return n
}

// applyEvents takes status changes detected without a snapshot (the channel became
// unreadable, a username was found freed).
func (c *Collector) applyEvents(rows []schema.ChannelEvent) int {
	n := 0
	for _, e := range rows {
		ch := c.frame.channels[int64(e.ChannelID)]
		if ch == nil {
			continue
		}
		switch e.Kind {
		case schema.EventWentPrivate, schema.EventDeleted:
			if !e.DetectedAt.After(ch.LastSnapshot.Time()) {
				continue
			}
			ch.Status, ch.LastSnapshot = e.NewValue, state.At(e.DetectedAt)
			if ch.Username != "" {
				ch.Recheck = ch.Username
			}
		case schema.EventUsernameFreed:
			if ch.Recheck != e.OldValue {
				continue
			}
			ch.Recheck = ""
		default:
			continue
		}
		c.frame.markDirty(ch)
		n++
	}
	return n
}
