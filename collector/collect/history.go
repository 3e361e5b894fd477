package collect

import (
	"context"
	"fmt"
	"time"

	"github.com/tidewatch/tidewatch/collector/collect/clock"
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
//
// The walker knows nothing of the schedule: it fetches a page, renders and writes its rows,
// and hands back a historyPage, which the dispatcher applies to the channel's record
// (historyPage.apply) before it plans what comes next.

// historyWalker fetches history pages. Workers use it concurrently.
type historyWalker struct {
	rows  *rowMaker
	ages  *counterAges
	out   Output
	m     *metrics
	clock clock.Clock
	// since is the --since floor of a first sweep (zero: all history).
	since time.Time
}

// historyPage is what one page of a sweep brought: its rows and the progress it makes.
type historyPage struct {
	posts    []schema.Post
	links    []schema.PostLink
	counters []schema.PostCounters
	refs     []ref
	recent   []state.Recent
	chats    []telegram.ChannelInfo
	count    int // the channel's message count as Telegram gave it
	// top is the sweep's top; upper the lowest id fetched so far (the next page's offset).
	top, upper int
	gaps       int // ids missing between the fetched ones
	floorID    int // the highest id below the --since floor, when the page reached it
	minID      int // the lowest id stored
	missed     int // counter ages already past at first sight
	onTime     int // counter reads taken at first sight
	// done: the sweep reached the watermark (or the floor).
	done bool
}

// fetch reads the next page of ch's history on client and writes its rows.
func (w *historyWalker) fetch(ctx context.Context, client Client, peer telegram.Peer, ch *state.Channel) (*historyPage, error) {
	q := telegram.HistoryQuery{Limit: telegram.MaxHistoryLimit, MinID: ch.LastID}
	if ch.Top != 0 {
		q.OffsetID = ch.Cursor
	}
	got, err := client.GetHistory(ctx, peer, q)
	if err != nil {
		return nil, err
	}
	now := w.clock.Now()
	chats := map[int64]*telegram.ChannelInfo{}
	for i := range got.Chats {
		chats[got.Chats[i].ChannelID] = &got.Chats[i]
	}
	firstSweep := !ch.HistoryDone && ch.LastID == 0
	p := &historyPage{
		posts: make([]schema.Post, 0, len(got.Messages)),
		links: make([]schema.PostLink, 0, len(got.Messages)),
		chats: got.Chats,
		count: got.Count,
		top:   ch.Top,
		upper: ch.Cursor, // ids below it are this page's range
	}
	if p.top == 0 && len(got.Messages) > 0 {
		p.top = got.Messages[0].ID
		p.upper = p.top + 1
	}
	for i := range got.Messages {
		m := &got.Messages[i]
		if m.ID <= ch.LastID || (p.upper != 0 && m.ID >= p.upper) {
			continue // outside the range asked for: never trust a server blindly
		}
		if firstSweep && !w.since.IsZero() && m.Date.Before(w.since) {
			p.floorID = max(p.floorID, m.ID)
			continue
		}
		p.add(w, ch, m, chats, now)
	}
	p.done = len(got.Messages) < telegram.MaxHistoryLimit || p.floorID != 0 || len(p.posts) == 0
	if p.done && p.upper != 0 {
		// Ids between the watermark (or the --since floor) and the lowest fetched id are gone.
		low := max(ch.LastID, p.floorID)
		if p.upper-1 > low {
			p.gaps += p.upper - 1 - low
		}
	}
	if err := writeRows(ctx, w.out, w.m, p.posts, p.links, p.counters); err != nil {
		return nil, err
	}
	return p, nil
}

// add takes one message of the page's range, newest first.
func (p *historyPage) add(w *historyWalker, ch *state.Channel, m *telegram.Message, chats map[int64]*telegram.ChannelInfo, now time.Time) {
	if p.upper != 0 && m.ID < p.upper-1 {
		p.gaps += p.upper - 1 - m.ID
	}
	p.upper = m.ID
	p.minID = m.ID
	rows := w.rows.messageRows(ch.ID, ch.Username, m, chats, now)
	p.posts = append(p.posts, rows.post)
	p.links = append(p.links, rows.links...)
	p.refs = append(p.refs, rows.refs...)
	if m.Service {
		return
	}
	r, row, miss, ok := w.ages.firstSight(ch.ID, m, now)
	p.missed += miss
	if row != nil {
		p.counters = append(p.counters, *row)
		p.onTime++
	}
	if ok {
		p.recent = append(p.recent, r)
	}
}

// apply moves the channel's record on by the page, fetched at data time at.
func (p *historyPage) apply(live *state.Channel, at time.Time) {
	live.Count = p.count
	live.Stored += len(p.posts)
	live.Gaps += p.gaps
	live.CountersMissed += p.missed
	live.CountersDone += p.onTime
	live.Recent.Append(p.recent...)
	if p.minID != 0 && (live.MinID == 0 || p.minID < live.MinID) {
		live.MinID = p.minID
	}
	if p.done {
		live.LastID = max(p.top, live.LastID)
		live.Top, live.Cursor = 0, 0
		live.HistoryDone = true
		live.Floor = max(live.Floor, p.floorID)
		live.LastHistory = state.At(at)
	} else {
		live.Top, live.Cursor = p.top, p.upper
	}
	if live.Status == "" || schema.StatusGone(live.Status) {
		// It answered, so it is readable; the snapshot will say more.
		live.LastSeen = state.At(at)
	}
}

// writeRows writes posts, links and counter reads, counting them.
func writeRows(ctx context.Context, out Output, m *metrics, posts []schema.Post, rowLinks []schema.PostLink, counters []schema.PostCounters) error {
	if len(posts) > 0 {
		if err := out.Posts.Write(ctx, posts...); err != nil {
			return fmt.Errorf("write posts: %w", err)
		}
		m.rows.WithLabelValues(schema.TablePosts).Add(float64(len(posts)))
	}
	if len(rowLinks) > 0 {
		if err := out.Links.Write(ctx, rowLinks...); err != nil {
			return fmt.Errorf("write post links: %w", err)
		}
		m.rows.WithLabelValues(schema.TablePostLinks).Add(float64(len(rowLinks)))
	}
	if len(counters) > 0 {
		if err := out.Counters.Write(ctx, counters...); err != nil {
			return fmt.Errorf("write post counters: %w", err)
		}
		m.rows.WithLabelValues(schema.TablePostCounters).Add(float64(len(counters)))
	}
	return nil
}
