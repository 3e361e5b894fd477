package collect

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidewatch/tidewatch/collector/collect/budget"
	"github.com/tidewatch/tidewatch/collector/collect/clock"
	"github.com/tidewatch/tidewatch/collector/telegram"
	"github.com/tidewatch/tidewatch/schema"
)

// fakeTG is a tiny in-memory Telegram for unit tests: channels with messages, per-account
// access hashes, injectable flood waits and errors, and a record of every call.
type fakeTG struct {
	mu       sync.Mutex
	clk      clock.Clock
	channels map[int64]*fakeChannel
	// floods: method -> account -> queued flood waits returned before the next answers.
	floods map[string]map[string][]time.Duration
	// parked: account+method -> end of the flood wait the fake imposed; a call before it
	// is a violation (what gets real accounts banned).
	parked     map[string]time.Time
	violations []string
	calls      []fakeCall
	busy       map[int64]bool // channels with a call in flight
	overlaps   int            // calls that found their channel busy
	// block, when set, holds every call until it is closed.
	block chan struct{}
	// onCall, when set, sees every call before it is answered.
	onCall func(fakeCall)
	// failNext: method -> how many of its next calls fail with a transient error.
	failNext map[string]int
}

type fakeCall struct {
	Account, Method string
	Channel         int64
	At              time.Time
}

type fakeChannel struct {
	id             int64
	username       string
	title, about   string
	subs           int
	megagroup      bool
	status         string // "" active, "private"
	pinned         int
	recs           []int64
	msgs           []telegram.Message // ascending ids
	deleted        map[int]bool
	viewsPerMinute int
}

func newFakeTG(clk clock.Clock) *fakeTG {
	return &fakeTG{clk: clk, channels: map[int64]*fakeChannel{}, floods: map[string]map[string][]time.Duration{},
		parked: map[string]time.Time{}, busy: map[int64]bool{}, failNext: map[string]int{}}
}

// hashFor is the access hash of channel id for account label.
func hashFor(label string, id int64) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", label, id)
	return int64(h.Sum64()>>1) | 1
}

func (f *fakeTG) add(ch *fakeChannel) *fakeChannel {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ch.deleted == nil {
		ch.deleted = map[int]bool{}
	}
	if ch.viewsPerMinute == 0 {
		ch.viewsPerMinute = 10
	}
	f.channels[ch.id] = ch
	return ch
}

// post appends a message to a channel.
func (f *fakeTG) post(id int64, m telegram.Message) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := f.channels[id]
	m.ID = len(ch.msgs) + 1
	if m.Date.IsZero() {
		m.Date = f.clk.Now()
	}
	ch.msgs = append(ch.msgs, m)
	return m.ID
}

func (f *fakeTG) flood(account, method string, waits ...time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.floods[method] == nil {
		f.floods[method] = map[string][]time.Duration{}
	}
	f.floods[method][account] = append(f.floods[method][account], waits...)
}

func (f *fakeTG) set(id int64, fn func(*fakeChannel)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f.channels[id])
}

func (f *fakeTG) callsOf(method string) []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeCall
	for _, c := range f.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// enter records a call and applies queued floods; it returns the fake's error, if any.
func (f *fakeTG) enter(account, method string, channel int64) (func(), error) {
	f.mu.Lock()
	block, onCall := f.block, f.onCall
	f.mu.Unlock()
	if block != nil {
		<-block
	}
	if onCall != nil {
		onCall(fakeCall{account, method, channel, f.clk.Now()})
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clk.Now()
	f.calls = append(f.calls, fakeCall{account, method, channel, now})
	if until, ok := f.parked[account+method]; ok && now.Before(until) {
		f.violations = append(f.violations, fmt.Sprintf("%s %s at %s, parked until %s", account, method, now, until))
	}
	if f.failNext[method] > 0 {
		f.failNext[method]--
		return nil, fmt.Errorf("%s: connection reset: %w", method, telegram.ErrTransient)
	}
	if q := f.floods[method][account]; len(q) > 0 {
		w := q[0]
		f.floods[method][account] = q[1:]
		f.parked[account+method] = now.Add(w)
		return nil, &telegram.FloodWaitError{Method: method, Wait: w}
	}
	if channel != 0 {
		if f.busy[channel] {
			f.overlaps++
		}
		f.busy[channel] = true
		return func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			delete(f.busy, channel)
		}, nil
	}
	return func() {}, nil
}

func (f *fakeTG) channel(label string, p telegram.Peer) (*fakeChannel, error) {
	ch := f.channels[p.ChannelID]
	if ch == nil || p.AccessHash != hashFor(label, p.ChannelID) {
		return nil, fmt.Errorf("fake: %w", telegram.ErrChannelInvalid)
	}
	if ch.status == "private" {
		return nil, fmt.Errorf("fake: %w", telegram.ErrChannelPrivate)
	}
	return ch, nil
}

func (f *fakeTG) info(label string, ch *fakeChannel) telegram.ChannelInfo {
	return telegram.ChannelInfo{
		Peer:  telegram.Peer{ChannelID: ch.id, AccessHash: hashFor(label, ch.id), Username: ch.username},
		Title: ch.title, Username: ch.username, Broadcast: !ch.megagroup, Megagroup: ch.megagroup,
	}
}

// message returns a message as seen now: counters grow with its age.
func (f *fakeTG) message(label string, ch *fakeChannel, m telegram.Message) telegram.Message {
	age := f.clk.Now().Sub(m.Date)
	m.Views = 1 + int(age/time.Minute)*ch.viewsPerMinute
	m.Forwards = int(age / time.Hour)
	if m.FwdChannelID != 0 {
		if src := f.channels[m.FwdChannelID]; src != nil {
			m.Mentioned = []telegram.ChannelInfo{f.info(label, src)}
		}
	}
	return m
}

type fakeAccount struct {
	tg    *fakeTG
	label string
}

func (f *fakeTG) account(label string) *fakeAccount { return &fakeAccount{tg: f, label: label} }

func (a *fakeAccount) Label() string { return a.label }

func (a *fakeAccount) ResolveUsername(ctx context.Context, username string) (telegram.Peer, error) {
	done, err := a.tg.enter(a.label, telegram.MethodResolveUsername, 0)
	if err != nil {
		return telegram.Peer{}, err
	}
	defer done()
	a.tg.mu.Lock()
	defer a.tg.mu.Unlock()
	for _, ch := range a.tg.channels {
		if ch.username != "" && strings.EqualFold(ch.username, username) && ch.status == "" {
			return telegram.Peer{ChannelID: ch.id, AccessHash: hashFor(a.label, ch.id), Username: ch.username}, nil
		}
	}
	return telegram.Peer{}, fmt.Errorf("fake: %w", telegram.ErrUsernameNotOccupied)
}

func (a *fakeAccount) GetFullChannel(ctx context.Context, p telegram.Peer) (telegram.FullChannel, error) {
	done, err := a.tg.enter(a.label, telegram.MethodGetFullChannel, p.ChannelID)
	if err != nil {
		return telegram.FullChannel{}, err
	}
	defer done()
	a.tg.mu.Lock()
	defer a.tg.mu.Unlock()
	ch, err := a.tg.channel(a.label, p)
	if err != nil {
		return telegram.FullChannel{}, err
	}
	return telegram.FullChannel{ChannelInfo: a.tg.info(a.label, ch), About: ch.about, Subscribers: ch.subs, PinnedMsgID: ch.pinned}, nil
}

func (a *fakeAccount) GetHistory(ctx context.Context, p telegram.Peer, q telegram.HistoryQuery) (telegram.HistoryPage, error) {
	done, err := a.tg.enter(a.label, telegram.MethodGetHistory, p.ChannelID)
	if err != nil {
		return telegram.HistoryPage{}, err
	}
	defer done()
	a.tg.mu.Lock()
	defer a.tg.mu.Unlock()
	ch, err := a.tg.channel(a.label, p)
	if err != nil {
		return telegram.HistoryPage{}, err
	}
	limit := q.Limit
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	page := telegram.HistoryPage{Chats: []telegram.ChannelInfo{a.tg.info(a.label, ch)}}
	for i := len(ch.msgs) - 1; i >= 0; i-- {
		m := ch.msgs[i]
		if ch.deleted[m.ID] {
			continue
		}
		page.Count++
		if m.ID <= q.MinID || (q.OffsetID != 0 && m.ID >= q.OffsetID) || len(page.Messages) >= limit {
			continue
		}
		page.Messages = append(page.Messages, a.tg.message(a.label, ch, m))
	}
	return page, nil
}

func (a *fakeAccount) GetMessagesViews(ctx context.Context, p telegram.Peer, ids []int) ([]telegram.Counters, error) {
	done, err := a.tg.enter(a.label, telegram.MethodGetMessagesViews, p.ChannelID)
	if err != nil {
		return nil, err
	}
	defer done()
	a.tg.mu.Lock()
	defer a.tg.mu.Unlock()
	ch, err := a.tg.channel(a.label, p)
	if err != nil {
		return nil, err
	}
	out := make([]telegram.Counters, len(ids))
	for i, id := range ids {
		out[i].ID = id
		if id < 1 || id > len(ch.msgs) || ch.deleted[id] {
			continue
		}
		m := a.tg.message(a.label, ch, ch.msgs[id-1])
		out[i].Views, out[i].Forwards, out[i].Replies = m.Views, m.Forwards, m.Replies
	}
	return out, nil
}

func (a *fakeAccount) GetMessages(ctx context.Context, p telegram.Peer, ids []int) ([]*telegram.Message, error) {
	done, err := a.tg.enter(a.label, telegram.MethodGetMessages, p.ChannelID)
	if err != nil {
		return nil, err
	}
	defer done()
	a.tg.mu.Lock()
	defer a.tg.mu.Unlock()
	ch, err := a.tg.channel(a.label, p)
	if err != nil {
		return nil, err
	}
	out := make([]*telegram.Message, len(ids))
	for i, id := range ids {
		if id < 1 || id > len(ch.msgs) || ch.deleted[id] {
			continue
		}
		m := a.tg.message(a.label, ch, ch.msgs[id-1])
		out[i] = &m
	}
	return out, nil
}

func (a *fakeAccount) GetRecommendations(ctx context.Context, p telegram.Peer) ([]telegram.ChannelInfo, error) {
	done, err := a.tg.enter(a.label, telegram.MethodGetRecommendations, p.ChannelID)
	if err != nil {
		return nil, err
	}
	defer done()
	a.tg.mu.Lock()
	defer a.tg.mu.Unlock()
	ch, err := a.tg.channel(a.label, p)
	if err != nil {
		return nil, err
	}
	var out []telegram.ChannelInfo
	for _, id := range ch.recs {
		if r := a.tg.channels[id]; r != nil {
			out = append(out, a.tg.info(a.label, r))
		}
	}
	return out, nil
}

// memWriter is an in-memory Writer that records rows and can be told to fail.
type memWriter[T any] struct {
	mu      sync.Mutex
	rows    []T // written
	acked   []T // flushed
	pending []T
	fail    error
	flushes int
}

func (w *memWriter[T]) Write(_ context.Context, rows ...T) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rows = append(w.rows, rows...)
	w.pending = append(w.pending, rows...)
	return nil
}

func (w *memWriter[T]) Flush(context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fail != nil {
		return w.fail
	}
	w.flushes++
	w.acked = append(w.acked, w.pending...)
	w.pending = nil
	return nil
}

func (w *memWriter[T]) all() []T {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.rows)
}

func (w *memWriter[T]) ackedRows() []T {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.acked)
}

func (w *memWriter[T]) setFail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.fail = err
}

// sink is an Output of memWriters.
type sink struct {
	channels     memWriter[schema.Channel]
	snapshots    memWriter[schema.ChannelSnapshot]
	posts        memWriter[schema.Post]
	counters     memWriter[schema.PostCounters]
	links        memWriter[schema.PostLink]
	events       memWriter[schema.ChannelEvent]
	registry     memWriter[schema.Event]
	accountLinks memWriter[schema.AccountLink]
	discovery    memWriter[schema.Discovery]
	frames       memWriter[schema.SamplingFrame]
	runs         memWriter[schema.Run]
	completeness memWriter[schema.Completeness]
}

func (s *sink) output() Output {
	return Output{
		Channels: &s.channels, Snapshots: &s.snapshots, Posts: &s.posts, Counters: &s.counters,
		Links: &s.links, Events: &s.events, Registry: &s.registry, AccountLinks: &s.accountLinks,
		Discovery: &s.discovery, Frames: &s.frames, Runs: &s.runs, Completeness: &s.completeness,
	}
}

// postIDs returns the distinct (channel, post) pairs of posts rows, sorted.
func postIDs(rows []schema.Post) []string {
	seen := map[string]bool{}
	for _, r := range rows {
		seen[fmt.Sprintf("%d/%05d", r.ChannelID, r.PostID)] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// noLimits lifts every rate limit, for tests that are not about budgets: with a fake
// clock a limited budget would wait for time that only the test moves.
func noLimits(o *Options) {
	o.Rates.Limits = map[string]budget.Limit{}
	o.Rates.DefaultLimit = budget.Limit{Rate: -1, Burst: 1}
}

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// testKey is a hash key for tests.
var testKey = []byte("0123456789abcdef0123")

func requireNoViolations(t *testing.T, f *fakeTG) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.violations) > 0 {
		t.Fatalf("calls during flood waits: %v", f.violations)
	}
	if f.overlaps > 0 {
		t.Fatalf("%d calls found their channel busy", f.overlaps)
	}
}
