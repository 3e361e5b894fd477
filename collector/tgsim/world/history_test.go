package world

import (
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"
	"unicode"
	"unicode/utf16"

	"github.com/stretchr/testify/require"
)

// refPage is the paging rule of https://core.telegram.org/api/offsets
// applied to the full list: offset = offsetFromID + add_offset, slice
// [offset, offset+limit) clipped to the list, then min_id/max_id filter.
func refPage(all []*skel, q HistoryQuery) []int {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultHistoryLimit
	}
	limit = min(limit, MaxHistoryLimit)
	k := 0
	switch {
	case q.OffsetID > 0:
		for k < len(all) && int(all[k].id) >= q.OffsetID {
			k++
		}
	case !q.OffsetDate.IsZero():
		od := q.OffsetDate.Unix()
		if q.OffsetDate.Nanosecond() > 0 {
			od++
		}
		for k < len(all) && all[k].date >= od {
			k++
		}
	}
	start, end := k+q.AddOffset, k+q.AddOffset+limit
	start, end = max(start, 0), min(end, len(all))
	out := []int{}
	for i := start; i < end; i++ {
		id := int(all[i].id)
		if q.MaxID > 0 && id >= q.MaxID || q.MinID > 0 && id <= q.MinID {
			continue
		}
		out = append(out, id)
	}
	return out
}

func TestHistoryParameters(t *testing.T) {
	w := small(t)
	at := w.End()
	ch := busiest(t, w, at)
	all := visibleDesc(w, ch, at.Unix())
	require.Greater(t, len(all), 300, "the busiest channel has a long history")
	top := int(all[0].id)
	mid := int(all[len(all)/2].id)
	midDate := unixTime(all[len(all)/2].date)
	tests := []struct {
		name string
		q    HistoryQuery
		want []int // nil: compare with refPage only
		n    int   // expected length, -1 = do not check
	}{
		{name: "newest default limit", q: HistoryQuery{}, n: DefaultHistoryLimit},
		{name: "limit 5", q: HistoryQuery{Limit: 5}, want: []int{top, int(all[1].id), int(all[2].id), int(all[3].id), int(all[4].id)}, n: 5},
		{name: "limit capped", q: HistoryQuery{Limit: 1000}, n: MaxHistoryLimit},
		{name: "negative limit is default", q: HistoryQuery{Limit: -3}, n: DefaultHistoryLimit},
		{name: "offset id: strictly older", q: HistoryQuery{OffsetID: mid, Limit: 10}, n: 10},
		{name: "offset id above newest", q: HistoryQuery{OffsetID: top + 1000, Limit: 10}, n: 10},
		{name: "offset id 1: nothing older", q: HistoryQuery{OffsetID: 1, Limit: 10}, n: 0},
		{name: "add offset skips", q: HistoryQuery{OffsetID: mid, AddOffset: 7, Limit: 10}, n: 10},
		{name: "newer than offset id", q: HistoryQuery{OffsetID: mid, AddOffset: -10, Limit: 10}, n: 10},
		{name: "around offset id", q: HistoryQuery{OffsetID: mid, AddOffset: -5, Limit: 10}, n: 10},
		{name: "negative add offset at the top shrinks", q: HistoryQuery{AddOffset: -5, Limit: 10}, n: 5},
		{name: "negative add offset beyond the top", q: HistoryQuery{AddOffset: -20, Limit: 10}, n: 0},
		{name: "newer than near the top", q: HistoryQuery{OffsetID: int(all[3].id), AddOffset: -10, Limit: 10}, n: 4},
		{name: "add offset past the end", q: HistoryQuery{AddOffset: len(all) + 5}, n: 0},
		{name: "offset date", q: HistoryQuery{OffsetDate: midDate, Limit: 10}, n: 10},
		{name: "offset date fraction", q: HistoryQuery{OffsetDate: midDate.Add(500 * time.Millisecond), Limit: 10}, n: 10},
		{name: "offset date before creation", q: HistoryQuery{OffsetDate: unixTime(ch.created - 10)}, n: 0},
		{name: "offset id wins over offset date", q: HistoryQuery{OffsetID: mid, OffsetDate: unixTime(ch.created + 10), Limit: 10}, n: 10},
		{name: "offset date with add offset", q: HistoryQuery{OffsetDate: midDate, AddOffset: -3, Limit: 10}, n: 10},
		{name: "max id filters the window", q: HistoryQuery{MaxID: top - 3, Limit: 10}, n: -1},
		{name: "max id below the window gives nothing", q: HistoryQuery{MaxID: mid, Limit: 10}, n: 0},
		{name: "min id filters the window", q: HistoryQuery{MinID: int(all[4].id), Limit: 10}, n: 4},
		{name: "min and max", q: HistoryQuery{OffsetID: mid, MinID: mid - 30, MaxID: mid - 5, Limit: 100}, n: -1},
		{name: "min id above everything", q: HistoryQuery{MinID: top}, n: 0},
		{name: "reverse page with min id", q: HistoryQuery{OffsetID: mid + 1, AddOffset: -20, Limit: 20, MinID: mid - 1}, n: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, count, err := w.History(ch.id, at, tt.q)
			require.NoError(t, err)
			require.Equal(t, len(all), count, "count is the channel's total, not the page")
			got := ids(msgs)
			require.Equal(t, refPage(all, tt.q), got)
			if tt.want != nil {
				require.Equal(t, tt.want, got)
			}
			if tt.n >= 0 {
				require.Len(t, got, tt.n)
			}
			require.True(t, sort.SliceIsSorted(got, func(i, j int) bool { return got[i] > got[j] }), "newest first")
			for _, id := range got {
				if tt.q.OffsetID > 0 && tt.q.AddOffset >= 0 {
					require.Less(t, id, tt.q.OffsetID)
				}
				if tt.q.MaxID > 0 {
					require.Less(t, id, tt.q.MaxID)
				}
				require.Greater(t, id, tt.q.MinID)
			}
		})
	}
}

// TestHistoryMatchesReference compares random queries with the reference
// rule, at times when messages are still fresh, edited or deleted.
func TestHistoryMatchesReference(t *testing.T) {
	w := small(t)
	r := newRNG(99)
	checked := 0
	for _, ch := range w.chans {
		for _, at := range []int64{ch.created + 3*day, (w.start + w.end) / 2, w.end - 1} {
			if ch.statusAt(at) != StatusActive {
				continue
			}
			all := visibleDesc(w, ch, at)
			maxID := 1
			if len(all) > 0 {
				maxID = int(all[0].id)
			}
			for i := 0; i < 25; i++ {
				q := HistoryQuery{Limit: r.intn(130) - 10}
				switch r.intn(3) {
				case 0:
					q.OffsetID = r.intn(maxID + 20)
				case 1:
					q.OffsetDate = unixTime(ch.created + int64(r.float()*float64(at-ch.created+day)))
				}
				if r.chance(0.5) {
					q.AddOffset = r.intn(240) - 120
				}
				if r.chance(0.3) {
					q.MinID = r.intn(maxID + 1)
				}
				if r.chance(0.3) {
					q.MaxID = r.intn(maxID + 10)
				}
				msgs, count, err := w.History(ch.id, unixTime(at), q)
				require.NoError(t, err)
				require.Equal(t, len(all), count)
				require.Equal(t, refPage(all, q), ids(msgs), "query %+v", q)
				checked++
			}
		}
	}
	require.Greater(t, checked, 1000)
}

// TestHistoryFullPaging pages whole histories the way collectors do, and
// gets every visible id exactly once.
func TestHistoryFullPaging(t *testing.T) {
	w := small(t)
	at := w.End().Add(-time.Hour)
	for _, ch := range w.chans {
		if ch.statusAt(at.Unix()) != StatusActive {
			continue
		}
		want := visibleDesc(w, ch, at.Unix())
		wantIDs := make([]int, len(want))
		for i, s := range want {
			wantIDs[i] = int(s.id)
		}

		// Backward with offset_id.
		var got []int
		offset := 0
		for {
			msgs, count, err := w.History(ch.id, at, HistoryQuery{OffsetID: offset, Limit: 100})
			require.NoError(t, err)
			require.Equal(t, len(want), count)
			if len(msgs) == 0 {
				break
			}
			got = append(got, ids(msgs)...)
			offset = msgs[len(msgs)-1].ID
		}
		require.Equal(t, wantIDs, got, "channel %d backward", ch.id)

		// Backward with offset_date and offset_id together (Telethon style).
		got = got[:0]
		q := HistoryQuery{Limit: 100}
		for {
			msgs, _, err := w.History(ch.id, at, q)
			require.NoError(t, err)
			if len(msgs) == 0 {
				break
			}
			got = append(got, ids(msgs)...)
			last := msgs[len(msgs)-1]
			q.OffsetID, q.OffsetDate = last.ID, last.Date
		}
		require.Equal(t, wantIDs, got, "channel %d backward with dates", ch.id)

		// Forward from the oldest with negative add_offset (reverse iteration).
		got = got[:0]
		q = HistoryQuery{OffsetID: 1, AddOffset: -100, Limit: 100}
		for {
			msgs, _, err := w.History(ch.id, at, q)
			require.NoError(t, err)
			if len(msgs) == 0 {
				break
			}
			for i := len(msgs) - 1; i >= 0; i-- {
				got = append(got, msgs[i].ID)
			}
			q.OffsetID = msgs[0].ID + 1
		}
		for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
			got[i], got[j] = got[j], got[i]
		}
		require.Equal(t, wantIDs, got, "channel %d forward", ch.id)

		// Incremental: only what is newer than a known id, with min_id.
		if len(wantIDs) > 50 {
			known := wantIDs[40]
			msgs, _, err := w.History(ch.id, at, HistoryQuery{MinID: known, Limit: 100})
			require.NoError(t, err)
			require.Equal(t, wantIDs[:40], ids(msgs))
		}
	}
}

func TestHistoryStructure(t *testing.T) {
	w := small(t)
	at := w.End().Add(-time.Second)
	var albums, forwards, hidden, service, edited, replies int
	for _, ch := range w.chans {
		if ch.statusAt(at.Unix()) != StatusActive {
			continue
		}
		all := visibleDesc(w, ch, at.Unix())
		require.NotEmpty(t, all)
		first := all[len(all)-1]
		require.EqualValues(t, 1, first.id, "id 1 is the creation message")
		msgs, err := w.MessagesByID(ch.id, at, []int{1})
		require.NoError(t, err)
		require.NotNil(t, msgs[0])
		require.True(t, msgs[0].Service)
		require.Equal(t, ActionChannelCreate, msgs[0].Action)
		require.Equal(t, unixTime(ch.created), msgs[0].Date)
		require.Equal(t, ch.titles[0].value, msgs[0].Text)

		page, _, err := w.History(ch.id, at, HistoryQuery{Limit: 100})
		require.NoError(t, err)
		for off := 0; len(page) > 0; {
			for i, m := range page {
				require.False(t, m.Date.After(at))
				if i > 0 {
					require.False(t, m.Date.After(page[i-1].Date), "dates fall with ids")
				}
				if m.Service {
					service++
					require.Zero(t, m.Views)
					if m.Action == ActionPin {
						require.NotZero(t, m.ReplyTo)
					}
					continue
				}
				if m.GroupedID != 0 {
					albums++
					require.Contains(t, []string{"photo", "video"}, m.Media)
				}
				if m.Fwd != nil {
					forwards++
					if m.Fwd.ChannelID == 0 {
						hidden++
						require.NotEmpty(t, m.Fwd.FromName)
					} else {
						require.NotZero(t, m.Fwd.PostID)
						require.False(t, m.Fwd.Date.After(m.Date))
					}
				}
				if !m.EditDate.IsZero() {
					edited++
					require.True(t, m.EditDate.After(m.Date))
					require.False(t, m.EditDate.After(at))
				}
				if m.ReplyTo != 0 {
					replies++
					require.Less(t, m.ReplyTo, m.ID)
				}
				for _, e := range m.Entities {
					require.LessOrEqual(t, e.Offset+e.Length, utf16Len(m.Text), "entity inside the text")
					if e.Type == "text_url" {
						require.NotEmpty(t, e.URL)
					}
				}
			}
			off = page[len(page)-1].ID
			page, _, err = w.History(ch.id, at, HistoryQuery{OffsetID: off, Limit: 100})
			require.NoError(t, err)
		}
	}
	require.Positive(t, albums)
	require.Positive(t, forwards)
	require.Positive(t, hidden)
	require.Positive(t, service)
	require.Positive(t, edited)
	require.Positive(t, replies)
}

func TestAlbumsAreConsecutive(t *testing.T) {
	w := small(t)
	n := 0
	for _, ch := range w.chans {
		h := w.history(ch)
		for i := 0; i < len(h.msgs); {
			g := h.msgs[i].grouped
			j := i + 1
			for g != 0 && j < len(h.msgs) && h.msgs[j].grouped == g {
				require.Equal(t, h.msgs[i].date, h.msgs[j].date)
				require.Equal(t, h.msgs[j-1].id+1, h.msgs[j].id)
				require.Equal(t, h.msgs[i].del, h.msgs[j].del, "an album is deleted whole")
				require.Empty(t, h.msgs[j].text, "the caption is on the first message")
				j++
			}
			if g != 0 {
				require.GreaterOrEqual(t, j-i, 2)
				require.LessOrEqual(t, j-i, 10)
				n++
			}
			i = j
		}
	}
	require.Positive(t, n)
}

func TestDeletionsLeaveGaps(t *testing.T) {
	w := small(t)
	seen := 0
	for _, ch := range w.chans {
		h := w.history(ch)
		for i := range h.msgs {
			s := &h.msgs[i]
			if s.del == 0 || s.del >= ch.stop {
				continue
			}
			before, after := unixTime(s.del-1), unixTime(s.del)
			got, err := w.MessagesByID(ch.id, before, []int{int(s.id)})
			require.NoError(t, err)
			require.NotNil(t, got[0], "visible before its deletion")
			got, err = w.MessagesByID(ch.id, after, []int{int(s.id)})
			require.NoError(t, err)
			require.Nil(t, got[0], "gone after")

			_, nBefore, err := w.History(ch.id, before, HistoryQuery{})
			require.NoError(t, err)
			_, nAfter, err := w.History(ch.id, after, HistoryQuery{})
			require.NoError(t, err)
			require.Equal(t, nBefore-1, nAfter-newAt(h, s.del), "count drops by one deletion")

			page, _, err := w.History(ch.id, after, HistoryQuery{OffsetID: int(s.id) + 1, Limit: 1})
			require.NoError(t, err)
			if len(page) > 0 {
				require.Less(t, page[0].ID, int(s.id), "the id is a gap")
			}
			seen++
		}
	}
	require.Positive(t, seen)
}

// newAt counts the messages posted exactly at t minus the other deletions at t.
func newAt(h *history, t int64) int {
	n := 0
	for i := range h.msgs {
		if h.msgs[i].date == t {
			n++
		}
		if h.msgs[i].del == t {
			n--
		}
	}
	return n + 1
}

func TestMessagesByID(t *testing.T) {
	w := small(t)
	at := w.End().Add(-time.Minute)
	ch := busiest(t, w, at)
	all := visibleDesc(w, ch, at.Unix())
	top := int(all[0].id)
	got, err := w.MessagesByID(ch.id, at, []int{top, 1, top + 1, 0, -5, int(all[10].id)})
	require.NoError(t, err)
	require.Len(t, got, 6)
	require.Equal(t, top, got[0].ID)
	require.Equal(t, 1, got[1].ID)
	require.Nil(t, got[2], "not posted yet")
	require.Nil(t, got[3])
	require.Nil(t, got[4])
	require.Equal(t, int(all[10].id), got[5].ID)
	// A message posted later is not there yet earlier.
	got, err = w.MessagesByID(ch.id, unixTime(all[0].date-1), []int{top})
	require.NoError(t, err)
	require.Nil(t, got[0])
	// Same message, same content as History gives.
	page, _, err := w.History(ch.id, at, HistoryQuery{OffsetID: int(all[10].id) + 1, Limit: 1})
	require.NoError(t, err)
	byID, err := w.MessagesByID(ch.id, at, []int{int(all[10].id)})
	require.NoError(t, err)
	require.Equal(t, page[0], *byID[0])
}

func TestCountersGrowWithAge(t *testing.T) {
	w := small(t)
	ages := []time.Duration{0, time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour, 72 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}
	posts, grown := 0, 0
	for _, ch := range w.chans {
		h := w.history(ch)
		for i := range h.msgs {
			s := &h.msgs[i]
			if s.kind != 0 {
				continue
			}
			var prev *Message
			for _, a := range ages {
				at := s.date + int64(a/time.Second)
				m := w.message(s, at, new([]Reaction))
				if prev != nil {
					require.GreaterOrEqual(t, m.Views, prev.Views)
					require.GreaterOrEqual(t, m.Forwards, prev.Forwards)
					require.GreaterOrEqual(t, m.Replies, prev.Replies)
					require.GreaterOrEqual(t, reactionSum(m.Reactions), reactionSum(prev.Reactions))
					for _, r := range prev.Reactions {
						require.GreaterOrEqual(t, reactionCount(m.Reactions, r.Emoji), r.Count)
					}
				} else {
					require.Zero(t, m.Views, "no views at age 0")
				}
				prev = &m
			}
			posts++
			day1 := w.message(s, s.date+day, new([]Reaction)).Views
			if day1 > 0 && float64(day1) >= 0.5*float64(prev.Views) {
				grown++ // most views come in the first day
			}
		}
	}
	require.Greater(t, posts, 1000)
	require.Greater(t, float64(grown)/float64(posts), 0.6)
}

func reactionSum(rs []Reaction) int {
	n := 0
	for _, r := range rs {
		n += r.Count
	}
	return n
}

func reactionCount(rs []Reaction, emoji string) int {
	for _, r := range rs {
		if r.Emoji == emoji {
			return r.Count
		}
	}
	return 0
}

func TestHistoryErrors(t *testing.T) {
	w := small(t)
	_, _, err := w.History(42, w.End(), HistoryQuery{})
	require.ErrorIs(t, err, ErrChannelInvalid)
	late := w.chans[len(w.chans)-1]
	_, _, err = w.History(late.id, unixTime(late.created-1), HistoryQuery{})
	require.ErrorIs(t, err, ErrChannelInvalid, "not created yet")
	_, err = w.MessagesByID(late.id, unixTime(late.created-1), []int{1})
	require.ErrorIs(t, err, ErrChannelInvalid)
	for _, ch := range w.chans {
		if ch.terminal == StatusActive {
			continue
		}
		_, _, err = w.History(ch.id, unixTime(ch.terminalAt), HistoryQuery{})
		require.ErrorIs(t, err, ErrChannelPrivate, ch.terminal.String())
		_, _, err = w.History(ch.id, unixTime(ch.terminalAt-1), HistoryQuery{})
		require.NoError(t, err)
	}
}

// TestTimelineMatchesHistory checks the fast id count of each day against
// the ids the full plan assigns.
func TestTimelineMatchesHistory(t *testing.T) {
	w := small(t)
	for _, ch := range w.chans {
		tl := w.buildTimeline(ch)
		h := w.buildHistory(ch)
		require.Equal(t, h.tl.firstID, tl.firstID, "channel %d", ch.id)
		require.EqualValues(t, len(h.msgs)+1, tl.firstID[len(tl.firstID)-1])
	}
}

// TestConcurrentReaders pages many channels from many goroutines through a
// cache too small to hold them, and gets what a sequential reader gets.
func TestConcurrentReaders(t *testing.T) {
	spec, err := LoadSpec("testdata/small.yaml")
	require.NoError(t, err)
	w, err := GenerateWith(spec, 7, Options{CacheMessages: 2000, CacheTimelines: 3})
	require.NoError(t, err)
	ref := small(t)
	at := w.End().Add(-time.Hour)
	want := map[int64][]int{}
	for _, ch := range ref.chans {
		if ch.statusAt(at.Unix()) == StatusActive {
			want[ch.id] = pageAll(t, ref, ch.id, at)
		}
	}
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func(g int) {
			var err error
			defer func() { errs <- err }()
			for i := 0; i < 3; i++ {
				for j := range w.chans {
					ch := w.chans[(j+g*7)%len(w.chans)]
					exp, ok := want[ch.id]
					if !ok {
						continue
					}
					var got []int
					offset := 0
					for {
						msgs, _, e := w.History(ch.id, at, HistoryQuery{OffsetID: offset, Limit: 100})
						if e != nil {
							err = e
							return
						}
						if len(msgs) == 0 {
							break
						}
						got = append(got, ids(msgs)...)
						offset = msgs[len(msgs)-1].ID
					}
					if len(got) != len(exp) {
						err = fmt.Errorf("channel %d: %d ids, want %d", ch.id, len(got), len(exp))
						return
					}
				}
			}
		}(g)
	}
	for g := 0; g < 8; g++ {
		require.NoError(t, <-errs)
	}
}

func TestUTF16Len(t *testing.T) {
	for s, n := range map[string]int{
		"": 0, "abc": 3, "café": 4, "новости": 7, "🔥": 2, "a🔥b": 4, "⚡️": 2,
		"cafe\u0301": 5, "新闻": 2, "𠮷野家": 4, "1\uFE0F\u20E3": 3,
		"\U0001F468\u200D\U0001F469\u200D\U0001F467": 8,
	} {
		require.Equal(t, n, utf16Len(s), s)
		require.Equal(t, len(utf16.Encode([]rune(s))), utf16Len(s), s)
	}
}

// TestTextsMixScripts: the world's posts hold every kind of text whose length depends on
// how it is counted, so a collector that counts bytes or code points instead of UTF-16 code
// units (Telegram's unit of text lengths and entity offsets) fails the truth comparison.
func TestTextsMixScripts(t *testing.T) {
	w := small(t)
	at := w.End().Add(-time.Second)
	kinds := map[string]int{}
	for _, ch := range w.chans {
		if ch.statusAt(at.Unix()) != StatusActive {
			continue
		}
		for _, s := range visibleDesc(w, ch, at.Unix()) {
			if s.text == "" {
				continue
			}
			require.Equal(t, len(utf16.Encode([]rune(s.text))), utf16Len(s.text), s.text)
			for _, k := range textKinds(s.text) {
				kinds[k]++
			}
		}
	}
	t.Logf("texts by kind: %v", kinds)
	for _, k := range []string{"outside the BMP", "starts outside the BMP", "zero-width joiner", "combining mark", "CJK"} {
		require.Positive(t, kinds[k], "texts with %s", k)
	}
}

// textKinds names the kinds of characters in s that make its lengths differ.
func textKinds(s string) []string {
	var out []string
	add := func(ok bool, k string) {
		if ok && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	for i, r := range s {
		add(r > 0xFFFF, "outside the BMP")
		add(i == 0 && r > 0xFFFF, "starts outside the BMP")
		add(r == '\u200D', "zero-width joiner")
		add(unicode.In(r, unicode.Mn, unicode.Me), "combining mark")
		add(unicode.In(r, unicode.Han, unicode.Hangul, unicode.Hiragana, unicode.Katakana), "CJK")
	}
	return out
}
