package world

import (
	"container/list"
	"math"
	"slices"
	"sort"
	"sync"
	"time"
)

// skel is a message as planned: everything but the counters, which are a
// closed-form function of the message's age.
type skel struct {
	date, edit, del int64
	grouped         int64
	text            string
	ents            []Entity
	fwd             *Forward
	id              int32
	replyTo         int32
	vmax, fmax      float32
	cmax, rmax      float32
	tau             float32 // seconds
	kind            fixedKind
	media           uint8
	profile         uint8
	fwdLinks        bool // the text came with the forward
}

var mediaNames = []string{"", "photo", "video", "document"}

// history is a channel's planned messages, ascending by id (and date).
type history struct {
	ch   *channel
	msgs []skel
	// dels are the deletion times of deleted messages, ascending.
	dels     []int64
	pinnedID int32
	tl       *timeline
}

// count returns the number of messages visible at t and the number posted by t.
func (h *history) count(t int64) (visible, posted int) {
	posted = sort.Search(len(h.msgs), func(i int) bool { return h.msgs[i].date > t })
	deleted := sort.Search(len(h.dels), func(i int) bool { return h.dels[i] > t })
	return posted - deleted, posted
}

func (s *skel) visible(t int64) bool { return s.date <= t && (s.del == 0 || s.del > t) }

// buildHistory plans every message of a channel.
func (w *World) buildHistory(ch *channel) *history {
	days := numDays(ch)
	h := &history{ch: ch, tl: &timeline{firstID: make([]int32, days+1)}}
	h.msgs = make([]skel, 0, int(ch.rate*float64(days)*1.1)+8)
	var buf []item
	var out textOut
	recent := make([]int32, 0, 64)
	id := int32(1)
	for k := 0; k < days; k++ {
		h.tl.firstID[k] = id
		buf = w.dayItems(ch, k, buf)
		for _, it := range buf {
			switch it.kind {
			case fixedCreate:
				h.msgs = append(h.msgs, skel{id: id, date: it.t, kind: fixedCreate, text: ch.titles[0].value})
			case fixedTitle:
				h.msgs = append(h.msgs, skel{id: id, date: it.t, kind: fixedTitle, text: ch.titles[it.ref].value})
			case fixedPhoto:
				h.msgs = append(h.msgs, skel{id: id, date: it.t, kind: fixedPhoto})
			case fixedPinService:
				h.msgs = append(h.msgs, skel{id: id, date: it.t, kind: fixedPinService, replyTo: h.pinnedID})
			case fixedPinPost:
				h.pinnedID = id
				w.planPost(h, ch, id, it.t, 1, true, &out, nil)
				recent = append(recent, id)
			default:
				w.planPost(h, ch, id, it.t, int(it.size), false, &out, recent)
				if len(recent) == cap(recent) {
					copy(recent, recent[1:])
					recent = recent[:len(recent)-1]
				}
				recent = append(recent, id)
			}
			id += int32(it.size)
		}
	}
	h.tl.firstID[days] = id
	for i := range h.msgs {
		if h.msgs[i].del != 0 {
			h.dels = append(h.dels, h.msgs[i].del)
		}
	}
	slices.Sort(h.dels)
	return h
}

// postPlan is what planPost decides for a post beyond its text.
type postPlan struct {
	fwd      *Forward
	src      *channel
	srcID    int
	srcDate  int64
	caption  bool
	media    [maxAlbumSize]uint8
	grouped  int64
	edit     int64
	del      int64
	replyTo  int32
	vmax     float64
	fmax     float64
	cmax     float64
	rmax     float64
	tau      float64
	profile  int
	pinned   bool
	size     int
	firstID  int32
	hasFwdCh bool
	// mult is the post's planted overperformance factor: its final views
	// over those of a median post of the channel at the time (median 1).
	mult float64
	// burstF is the attack bursts' factor on the post's views.
	burstF float64
	// expViews is the final views of a median post of the channel at the
	// time: vmax is expViews times mult.
	expViews float64
}

const maxAlbumSize = 10

// viewSpread is the log-scale sigma of posts' final views around the
// channel's median post: a post's multiplier is lognormal(1, viewSpread).
const viewSpread = 0.5

// decidePost draws a post's plan from its content stream. It is shared by
// history building and the truth export, so both agree.
func (w *World) decidePost(ch *channel, id int32, t int64, size int, pinned bool, recent []int32) postPlan {
	sp := w.spec
	r := newRNG(key4(w.key, uint64(ch.id), uint64(id), tagContent))
	p := postPlan{pinned: pinned, size: size, firstID: id, caption: true}
	if size > 1 {
		p.grouped = int64(r.u64()>>2) | 1
		for j := 0; j < size; j++ {
			p.media[j] = 1 + uint8(r.intn(2)) // photos and videos
		}
	} else if !pinned && r.chance(sp.Posting.Media) {
		p.media[0] = uint8(1 + r.pick([]float64{6, 3, 1}))
		p.caption = !r.chance(0.2)
	}
	if !pinned && r.chance(sp.Posting.Forwards) {
		if r.chance(sp.Posting.HiddenForwards) {
			p.fwd = &Forward{FromName: hiddenNames[r.intn(len(hiddenNames))], Date: unixTime(max(t-int64(r.exp(day)), 0))}
		} else {
			for try := 0; try < 3 && p.fwd == nil && len(ch.sources) > 0; try++ {
				x := r.float() * ch.srcCum[len(ch.srcCum)-1]
				src := w.chans[ch.sources[min(sort.SearchFloat64s(ch.srcCum, x), len(ch.sources)-1)]]
				lag := int64(r.exp(0.5 * day))
				if pid, pdate, ok := w.postBefore(src, t-lag, &r); ok {
					p.fwd = &Forward{ChannelID: src.id, PostID: pid, Date: unixTime(pdate)}
					p.src, p.srcID, p.srcDate = src, pid, pdate
				}
			}
			if p.fwd == nil {
				p.fwd = &Forward{FromName: hiddenNames[r.intn(len(hiddenNames))], Date: unixTime(max(t-int64(r.exp(day)), 0))}
			}
		}
	}
	if !pinned && r.chance(sp.Posting.Edits) {
		p.edit = t + 60 + int64(r.exp(3*3600))
	}
	if !pinned && r.chance(sp.Posting.Deletions) {
		if r.chance(0.5) {
			p.del = t + 60 + int64(r.exp(2*3600))
		} else {
			p.del = t + 600 + int64(r.exp(4*day))
		}
		if p.edit >= p.del {
			p.edit = 0
		}
	}
	// Draw unconditionally so that later draws do not depend on recent.
	wantReply, back := r.chance(sp.Posting.Replies), int(r.exp(4))
	if !pinned && wantReply && len(recent) > 0 {
		p.replyTo = recent[len(recent)-1-min(len(recent)-1, back)]
	}
	c := sp.Counters
	subs := math.Max(float64(w.subscribers(ch, t)), 1)
	p.mult = r.lognormal(1, viewSpread)
	p.burstF = math.Sqrt(w.burst(ch, t))
	p.vmax = subs * ch.reach * p.mult * p.burstF
	p.expViews = subs * ch.reach * p.burstF
	p.tau = c.Saturation.D().Seconds() * r.lognormal(1, 0.35)
	p.fmax = p.vmax * c.ForwardRate * r.lognormal(1, 0.8)
	p.rmax = p.vmax * c.ReactionRate * r.lognormal(1, 0.6)
	if ch.linkedChat != 0 {
		p.cmax = p.vmax * c.CommentRate * r.lognormal(1, 0.8)
	}
	p.profile = r.intn(len(w.profiles))
	return p
}

// composePost writes the post's text (the source's text for a forward).
func (w *World) composePost(ch *channel, p *postPlan, t int64, out *textOut) {
	if !w.spec.Text || !p.caption {
		return
	}
	switch {
	case p.pinned:
		w.pinnedText(ch, out, int(p.firstID))
	case p.src != nil:
		w.postText(p.src, p.srcID, p.srcDate, out)
		for i := range out.links {
			out.links[i].Channel, out.links[i].Post, out.links[i].Forwarded = ch.id, int(p.firstID), true
		}
		for i := range out.mentions {
			out.mentions[i].Channel, out.mentions[i].Post = ch.id, int(p.firstID)
		}
	default:
		w.postText(ch, int(p.firstID), t, out)
	}
}

// planPost appends the messages of one post (several for an album).
func (w *World) planPost(h *history, ch *channel, id int32, t int64, size int, pinned bool, out *textOut, recent []int32) {
	p := w.decidePost(ch, id, t, size, pinned, recent)
	out.reset(false)
	w.composePost(ch, &p, t, out)
	text := out.text()
	ents := out.entities()
	for j := 0; j < size; j++ {
		s := skel{
			id:      id + int32(j),
			date:    t,
			del:     p.del,
			grouped: p.grouped,
			fwd:     p.fwd,
			media:   p.media[j],
			vmax:    float32(p.vmax),
			fmax:    float32(p.fmax),
			tau:     float32(p.tau),
		}
		if j == 0 {
			s.text, s.ents = text, ents
			s.edit = p.edit
			s.replyTo = p.replyTo
			s.cmax, s.rmax = float32(p.cmax), float32(p.rmax)
			s.profile = uint8(p.profile)
		}
		h.msgs = append(h.msgs, s)
	}
}

// message renders a planned message as seen at t.
func (w *World) message(s *skel, t int64, reacts *[]Reaction) Message {
	m := Message{
		ID:       int(s.id),
		Date:     unixTime(s.date),
		Text:     s.text,
		Entities: s.ents,
		Media:    mediaNames[s.media],
		ReplyTo:  int(s.replyTo),
	}
	switch s.kind {
	case fixedCreate:
		m.Service, m.Action, m.Text = true, ActionChannelCreate, s.text
		return m
	case fixedTitle:
		m.Service, m.Action, m.Text = true, ActionTitleChanged, s.text
		return m
	case fixedPhoto:
		m.Service, m.Action = true, ActionPhotoChanged
		return m
	case fixedPinService:
		m.Service, m.Action = true, ActionPin
		return m
	}
	if s.edit != 0 && s.edit <= t {
		m.EditDate = unixTime(s.edit)
	}
	m.GroupedID = s.grouped
	m.Fwd = s.fwd
	g := 1 - math.Exp(-float64(t-s.date)/float64(s.tau))
	m.Views = int(float64(s.vmax) * g)
	m.Forwards = int(float64(s.fmax) * g)
	m.Replies = int(float64(s.cmax) * g)
	if s.rmax > 0 {
		m.Reactions = w.reactions(s, g, reacts)
	}
	return m
}

// reactions computes a post's reaction counts, largest first, carving the
// slice from *pool to spare allocations.
func (w *World) reactions(s *skel, g float64, pool *[]Reaction) []Reaction {
	prof := w.profiles[s.profile]
	start := len(*pool)
	for e, share := range prof {
		if share == 0 {
			continue
		}
		if n := int(float64(s.rmax) * share * g); n > 0 {
			*pool = append(*pool, Reaction{Emoji: reactionEmoji[e], Count: n})
		}
	}
	out := (*pool)[start:len(*pool):len(*pool)]
	if len(out) == 0 {
		return nil
	}
	slices.SortStableFunc(out, func(a, b Reaction) int { return b.Count - a.Count })
	return out
}

// readable checks that a channel can be read at t and returns it.
func (w *World) readable(channelID int64, t int64) (*channel, error) {
	ch, ok := w.byID[channelID]
	if !ok || t < ch.created {
		return nil, ErrChannelInvalid
	}
	if ch.statusAt(t) != StatusActive {
		return nil, ErrChannelPrivate
	}
	return ch, nil
}

// Default and maximum page sizes of messages.getHistory. Telegram documents
// that a limit of 0 "will often default to an intermediate value like ~20".
const (
	DefaultHistoryLimit = 20
	MaxHistoryLimit     = 100
)

// History returns the messages visible at `at` (posted by then, not
// deleted by then), newest first, with Telegram's paging semantics
// (https://core.telegram.org/api/offsets):
//
//   - the list is every visible message, newest first;
//   - the window starts after the messages with id >= OffsetID (OffsetID 0:
//     at the newest); when OffsetID is 0 and OffsetDate is set, after the
//     messages with date >= OffsetDate (OffsetID wins when both are set);
//   - AddOffset shifts the window start by that many messages, toward
//     older ones when positive, newer ones when negative; a start before
//     the newest message shortens the window by the overshoot;
//   - Limit is the window size: 0 or less means DefaultHistoryLimit, more
//     than MaxHistoryLimit is capped;
//   - MaxID and MinID (exclusive, 0 = unset) then filter the window, they
//     do not move it.
//
// count is the number of visible messages in the channel, whatever the
// paging parameters. Errors: ErrChannelInvalid (unknown, or not created at
// `at`), ErrChannelPrivate (private, banned or deleted at `at`).
func (w *World) History(channelID int64, at time.Time, q HistoryQuery) (msgs []Message, count int, err error) {
	return w.AppendHistory(nil, channelID, at, q)
}

// AppendHistory is History appending the page to dst, so that a caller
// serving many pages can reuse one buffer (the page is dst[len(dst):]).
// On an error dst is returned unchanged.
func (w *World) AppendHistory(dst []Message, channelID int64, at time.Time, q HistoryQuery) (msgs []Message, count int, err error) {
	t := at.Unix()
	ch, err := w.readable(channelID, t)
	if err != nil {
		return dst, 0, err
	}
	h := w.history(ch)
	count, posted := h.count(t)
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultHistoryLimit
	}
	limit = min(limit, MaxHistoryLimit)
	// cursor: the window's first message is the first visible one below it.
	cursor := posted
	switch {
	case q.OffsetID > 0:
		cursor = min(cursor, sort.Search(posted, func(i int) bool { return int(h.msgs[i].id) >= q.OffsetID }))
	case !q.OffsetDate.IsZero():
		od := q.OffsetDate.Unix()
		if q.OffsetDate.Nanosecond() > 0 {
			od++ // dates are whole seconds: "before 10.5" is "before or at 10"
		}
		cursor = min(cursor, sort.Search(posted, func(i int) bool { return h.msgs[i].date >= od }))
	}
	if q.AddOffset > 0 {
		for skip := q.AddOffset; skip > 0 && cursor > 0; {
			cursor--
			if h.msgs[cursor].visible(t) {
				skip--
			}
		}
	} else if q.AddOffset < 0 {
		back := -q.AddOffset
		for back > 0 && cursor < posted {
			if h.msgs[cursor].visible(t) {
				back--
			}
			cursor++
		}
		// Past the newest message: the window shrinks by the overshoot.
		limit -= back
	}
	if limit <= 0 {
		if dst == nil {
			dst = []Message{}
		}
		return dst, count, nil
	}
	msgs = slices.Grow(dst, limit)
	var reacts []Reaction
	for i := cursor - 1; i >= 0 && limit > 0; i-- {
		s := &h.msgs[i]
		if !s.visible(t) {
			continue
		}
		limit--
		if q.MaxID > 0 && int(s.id) >= q.MaxID {
			continue
		}
		if q.MinID > 0 && int(s.id) <= q.MinID {
			break // ids only fall from here: the rest of the window is filtered out too
		}
		if reacts == nil {
			reacts = make([]Reaction, 0, 2*limit+4)
		}
		msgs = append(msgs, w.message(s, t, &reacts))
	}
	return msgs, count, nil
}

// MessagesByID returns the messages with these ids as seen at `at`, in the
// order asked; an id not visible then (deleted, not yet posted, never
// existed) gives a nil entry. Errors as History.
func (w *World) MessagesByID(channelID int64, at time.Time, ids []int) ([]*Message, error) {
	t := at.Unix()
	ch, err := w.readable(channelID, t)
	if err != nil {
		return nil, err
	}
	h := w.history(ch)
	out := make([]*Message, len(ids))
	var reacts []Reaction
	for i, id := range ids {
		j := sort.Search(len(h.msgs), func(k int) bool { return int(h.msgs[k].id) >= id })
		if j == len(h.msgs) || int(h.msgs[j].id) != id || !h.msgs[j].visible(t) {
			continue
		}
		m := w.message(&h.msgs[j], t, &reacts)
		out[i] = &m
	}
	return out, nil
}

// history returns the channel's planned messages, building them once even
// under concurrent callers.
func (w *World) history(ch *channel) *history {
	return w.skels.get(ch.idx, func() *history { return w.buildHistory(ch) })
}

// skelCache is an LRU of channel histories bounded by their total messages.
type skelCache struct {
	mu    sync.Mutex
	limit int
	total int
	order *list.List
	items map[int]*skelEntry
}

type skelEntry struct {
	idx   int
	ready chan struct{}
	h     *history
	elem  *list.Element
}

func newSkelCache(limit int) *skelCache {
	return &skelCache{limit: limit, order: list.New(), items: map[int]*skelEntry{}}
}

// peek returns a cached history without building one.
func (c *skelCache) peek(idx int) *history {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[idx]; ok && e.h != nil {
		return e.h
	}
	return nil
}

func (c *skelCache) get(idx int, build func() *history) *history {
	c.mu.Lock()
	if e, ok := c.items[idx]; ok {
		if e.elem != nil {
			c.order.MoveToFront(e.elem)
		}
		c.mu.Unlock()
		<-e.ready
		return e.h
	}
	e := &skelEntry{idx: idx, ready: make(chan struct{})}
	c.items[idx] = e
	c.mu.Unlock()

	h := build()

	c.mu.Lock()
	e.h = h
	close(e.ready)
	e.elem = c.order.PushFront(e)
	c.total += len(h.msgs)
	for c.total > c.limit && c.order.Len() > 1 {
		last := c.order.Back()
		old := last.Value.(*skelEntry)
		c.order.Remove(last)
		delete(c.items, old.idx)
		c.total -= len(old.h.msgs)
	}
	c.mu.Unlock()
	return h
}
