package collect

import (
	"strings"
	"sync"
	"time"

	"github.com/tidewatch/tidewatch/collector/collect/state"
	"github.com/tidewatch/tidewatch/schema"
)

// frame is the engine's record of the channels it knows and the usernames it has yet to
// resolve, with what changed since the last checkpoint. The dispatcher goroutine owns it;
// workers only read the username index.
type frame struct {
	channels map[int64]*state.Channel
	pending  map[string]*state.Pending
	// resolveKeys maps the schedule key of a pending username to the username.
	resolveKeys map[int64]string
	names       *nameIndex
	// seeds are the configured seeds, normalized.
	seeds map[string]bool
	// verify holds, per channel, posts whose counters came back empty: they may be gone.
	verify map[int64][]int
	// lateSnaps are recovered snapshots of channels the state did not know yet.
	lateSnaps map[int64]schema.ChannelSnapshot
	// What the next checkpoint saves: changed channels and pending usernames, and the
	// usernames resolved since.
	dirtyCh   map[int64]bool
	dirtyPend map[string]bool
	resolved  []string
}

func newFrame(seeds []string) *frame {
	f := &frame{
		channels:    map[int64]*state.Channel{},
		pending:     map[string]*state.Pending{},
		resolveKeys: map[int64]string{},
		names:       newNameIndex(),
		seeds:       map[string]bool{},
		verify:      map[int64][]int{},
		lateSnaps:   map[int64]schema.ChannelSnapshot{},
		dirtyCh:     map[int64]bool{},
		dirtyPend:   map[string]bool{},
	}
	for _, s := range seeds {
		if u := normUsername(s); u != "" {
			f.seeds[u] = true
		}
	}
	return f
}

func (f *frame) markDirty(ch *state.Channel) { f.dirtyCh[ch.ID] = true }

// size counts the channels of the frame.
func (f *frame) size() int {
	n := 0
	for _, ch := range f.channels {
		if ch.Included {
			n++
		}
	}
	return n
}

// dirty reports whether anything waits for a checkpoint.
func (f *frame) dirty() bool {
	return len(f.dirtyCh) > 0 || len(f.dirtyPend) > 0 || len(f.resolved) > 0
}

// seedList returns the seeds in no particular order.
func (f *frame) seedList() []string {
	out := make([]string, 0, len(f.seeds))
	for s := range f.seeds {
		out = append(out, s)
	}
	return out
}

// internStrings makes the channels share one copy of the strings most of them repeat
// (account labels, statuses, rules, reasons), which the state loader allocated per record.
func (f *frame) internStrings() {
	seen := map[string]string{}
	in := func(s string) string {
		if v, ok := seen[s]; ok {
			return v
		}
		seen[s] = s
		return s
	}
	for _, ch := range f.channels {
		ch.Home, ch.Status, ch.Reason = in(ch.Home), in(ch.Status), in(ch.Reason)
		for i := range ch.Refs {
			ch.Refs[i].Rule = in(ch.Refs[i].Rule)
		}
	}
	for _, p := range f.pending {
		for i := range p.Refs {
			p.Refs[i].Rule = in(p.Refs[i].Rule)
		}
	}
}

// newChannel registers a channel seen for the first time. A crash may have lost its record
// after its snapshot reached ClickHouse: what recovery found for it is applied now, so it is
// not looked at twice.
func (f *frame) newChannel(id int64, discovered time.Time) *state.Channel {
	ch := &state.Channel{ID: id, DiscoveredAt: state.At(discovered)}
	f.channels[id] = ch
	if snap, ok := f.lateSnaps[id]; ok {
		delete(f.lateSnaps, id)
		f.applySnapshots([]schema.ChannelSnapshot{snap})
		ch.Username = normUsername(snap.Username)
	}
	return ch
}

func normUsername(s string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "@"))
}

// nameIndex maps lowercase usernames to channel ids. Workers read it to resolve t.me links
// while the dispatcher updates it.
type nameIndex struct {
	mu sync.RWMutex
	m  map[string]int64
}

func newNameIndex() *nameIndex { return &nameIndex{m: map[string]int64{}} }

func (n *nameIndex) get(u string) (int64, bool) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	id, ok := n.m[strings.ToLower(u)]
	return id, ok
}

func (n *nameIndex) set(u string, id int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.m[strings.ToLower(u)] = id
}

func (n *nameIndex) drop(u string, id int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.m[strings.ToLower(u)] == id {
		delete(n.m, strings.ToLower(u))
	}
}
