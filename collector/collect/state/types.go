// Package state keeps what the collector must remember between runs: every channel it
// follows or has heard of (identity, history watermarks, posts still due for counter
// re-reads, discovery provenance), the usernames waiting to be resolved, and per account the
// access hashes it learnt and the flood waits still running.
//
// Channels go to an append-only journal of whole channel records, one JSON line each with a
// CRC, fsynced at every checkpoint; when the journal outgrows the live data it is compacted
// into a new snapshot generation (written to a temporary file and renamed). A torn last line
// after a crash is detected by its CRC and dropped, so a restart sees the state of the last
// completed checkpoint. Accounts and the run metadata are small JSON files replaced
// atomically. The collector calls Checkpoint only after the writer has acknowledged the rows
// a record covers, so what the state says was collected is in ClickHouse (or its spool).
package state

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"iter"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tidewatch/tidewatch/collector/collect/budget"
)

// Channel is everything the collector keeps about one channel. A collector holds 100,000
// of them, so within each group the fields are ordered to leave no padding (4-byte times in
// pairs, flags together).
type Channel struct {
	// ID is the Telegram channel id.
	ID int64 `json:"id"`
	// Username is the handle last seen, without "@"; "" when it has none.
	Username string `json:"u,omitempty"`
	// Home is the account that works on the channel (it holds an access hash for it).
	Home string `json:"home,omitempty"`

	// Discovery: whether the channel is in the sampling frame, and why (not).
	// Refs are the references from channels of the frame, by channel and rule.
	Refs []Ref `json:"refs,omitempty"`
	// Reason says why the channel was excluded ("" when included or not yet evaluated).
	Reason       string `json:"reason,omitempty"`
	DiscoveredAt Time   `json:"disc_at,omitzero"`
	// CheckedAt is when the inclusion rules last looked at the channel.
	CheckedAt Time `json:"chk_at,omitzero"`
	Included  bool `json:"in,omitempty"`
	Seed      bool `json:"seed,omitempty"`
	// Depth is the number of discovery steps from a seed (0 for seeds).
	Depth uint8 `json:"depth,omitempty"`
	// RefsDirty marks references not yet written to the discovery table.
	RefsDirty bool `json:"refs_dirty,omitempty"`

	// Identity as of the last snapshot.
	Title        string   `json:"title,omitempty"`
	About        string   `json:"about,omitempty"`
	Status       string   `json:"status,omitempty"`
	Reasons      []string `json:"reasons,omitempty"`
	Subscribers  int      `json:"subs,omitempty"`
	LinkedChatID int64    `json:"linked,omitempty"`
	PinnedID     int      `json:"pinned,omitempty"`
	CreatedAt    Time     `json:"created,omitzero"`
	FirstSeen    Time     `json:"first_seen,omitzero"`
	// LastSnapshot is when the last snapshot was attempted, LastSeen when the channel last
	// answered.
	LastSnapshot Time `json:"snap_at,omitzero"`
	LastSeen     Time `json:"seen_at,omitzero"`
	Verified     bool `json:"verified,omitempty"`
	Scam         bool `json:"scam,omitempty"`
	Fake         bool `json:"fake,omitempty"`
	Restricted   bool `json:"restricted,omitempty"`
	Megagroup    bool `json:"megagroup,omitempty"`
	// HistoryDone says the first full history sweep finished.
	HistoryDone bool `json:"hist_done,omitempty"`
	// PinnedRead is the pinned post whose text was last read for account links.
	PinnedRead int `json:"pinned_read,omitempty"`
	// Recheck is a username to resolve again: the old one after a rename, or the last one
	// after the channel disappeared. USERNAME_NOT_OCCUPIED then means the name was freed.
	Recheck string `json:"recheck,omitempty"`
	// LastRecommend is when recommendations were last asked for.
	LastRecommend Time `json:"rec_at,omitzero"`
	LastHistory   Time `json:"hist_at,omitzero"`

	// History. Every message id <= LastID has been fetched (or is before the history
	// floor). A sweep in progress fetches (LastID, Top] page by page, newest first; Cursor is
	// the lowest id fetched by the sweep so far (0 before its first page).
	LastID  int `json:"last_id,omitempty"`
	Top     int `json:"top,omitempty"`
	Cursor  int `json:"cursor,omitempty"`
	MinID   int `json:"min_id,omitempty"`  // lowest id stored
	Floor   int `json:"floor,omitempty"`   // ids below it are before --since
	Count   int `json:"count,omitempty"`   // Telegram's message count at the last page
	Stored  int `json:"stored,omitempty"`  // messages stored
	Gaps    int `json:"gaps,omitempty"`    // ids missing when their page was fetched
	Deleted int `json:"deleted,omitempty"` // stored posts later found deleted

	// Counters. Recent holds the posts still due for re-reads at fixed ages.
	Recent         RecentList `json:"recent,omitzero"`
	CountersDone   int        `json:"ctr_done,omitempty"`
	CountersMissed int        `json:"ctr_missed,omitempty"` // ages passed before the post was seen
	CountersLate   int        `json:"ctr_late,omitempty"`   // ages read outside their tolerance
	CountersLost   int        `json:"ctr_lost,omitempty"`   // ages skipped because reads fell behind

	// AboutSince is when the current about text was first seen; PinnedSince when the pinned
	// post last read was first seen. They date the account links proposed from them.
	AboutSince  Time `json:"about_since,omitzero"`
	PinnedSince Time `json:"pinned_since,omitzero"`
	// PinnedHandles are the handles and links found in the pinned post last read, kept so
	// they can be re-verified at every snapshot without reading the post again.
	PinnedHandles []Handle `json:"pinned_handles,omitempty"`
}

// Handle is a proposed cross-platform account named by a channel.
type Handle struct {
	Platform   string  `json:"p"`
	Handle     string  `json:"h"`
	URL        string  `json:"url,omitempty"`
	Evidence   string  `json:"e,omitempty"`
	Confidence float32 `json:"c"`
}

// Time is a moment in whole Unix seconds: 4 bytes where time.Time takes 24, for the many
// timestamps a channel record keeps (unsigned 32 bits last until 2106). Zero means never.
type Time uint32

// At converts t (the zero time gives zero). Times outside what Time holds are clamped to its
// ends: 1970-01-01T00:00:01Z and 2106-02-07T06:28:15Z.
func At(t time.Time) Time {
	if t.IsZero() {
		return 0
	}
	return Time(min(max(t.Unix(), 1), math.MaxUint32))
}

// Time converts back to a time.Time in UTC (zero gives the zero time).
func (t Time) Time() time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(int64(t), 0).UTC()
}

// IsZero reports whether t is unset.
func (t Time) IsZero() bool { return t == 0 }

// Ref is a count of references to a channel from one channel of the frame by one rule.
type Ref struct {
	Via   int64  `json:"via"`
	Rule  string `json:"rule"`
	N     uint32 `json:"n"`
	Depth uint8  `json:"depth"`
}

// Recent is a post waiting for counter re-reads: its id, posting time (Unix seconds) and
// the index of the next target age to read. A channel holds one per post of the last week,
// so it is kept to 12 bytes (Telegram message ids fit 32 bits; Unix seconds in uint32 last
// until 2106).
type Recent struct {
	ID   int32
	Date uint32
	Next uint8
}

// Posted returns the post's time.
func (r Recent) Posted() time.Time { return time.Unix(int64(r.Date), 0).UTC() }

// RecentList is a channel's posts awaiting re-reads, packed: per post the difference of its
// id from the post before it (zigzag) times 8 plus its next age index as one varint (an index
// of 7 or more is 7 there and follows as a byte), then the difference of its date as a
// zigzag varint. Ids of posts in a row differ by little and there are five ages, so the
// first varint is one byte: a week of posts of a busy channel takes 4 bytes a post, against
// 12 as a slice of Recent, and a state of 100,000 channels holds millions of them. The zero value is
// the empty list. Its JSON form is the plain list, [[id,date,next],...], as it always was.
type RecentList struct{ b []byte }

// RecentOf packs rs.
func RecentOf(rs ...Recent) RecentList {
	var l RecentList
	l.set(rs)
	return l
}

// Len returns the number of posts.
func (l RecentList) Len() int {
	n := 0
	for range l.All() {
		n++
	}
	return n
}

// IsZero reports whether the list is empty.
func (l RecentList) IsZero() bool { return len(l.b) == 0 }

// All yields the posts in order.
func (l RecentList) All() iter.Seq[Recent] {
	return func(yield func(Recent) bool) {
		var prev Recent
		for i := 0; i < len(l.b); {
			r, n := decodeRecent(l.b[i:], prev)
			if n <= 0 || !yield(r) {
				return
			}
			i += n
			prev = r
		}
	}
}

// Slice returns the posts unpacked.
func (l RecentList) Slice() []Recent {
	out := make([]Recent, 0, len(l.b)/4)
	for r := range l.All() {
		out = append(out, r)
	}
	return out
}

// Find returns the post with the given id.
func (l RecentList) Find(id int64) (Recent, bool) {
	for r := range l.All() {
		if int64(r.ID) == id {
			return r, true
		}
	}
	return Recent{}, false
}

// Append adds posts at the end.
func (l *RecentList) Append(rs ...Recent) {
	if len(rs) == 0 {
		return
	}
	l.set(append(l.Slice(), rs...))
}

// Filter keeps the posts keep returns true for, in order; keep may change the post it is
// given, and the list keeps the change.
func (l *RecentList) Filter(keep func(r *Recent) bool) {
	rs := l.Slice()
	out := rs[:0]
	changed := false
	for i := range rs {
		old := rs[i]
		if !keep(&rs[i]) {
			changed = true
			continue
		}
		changed = changed || rs[i] != old
		out = append(out, rs[i])
	}
	if changed {
		l.set(out)
	}
}

// Set replaces the post with r's id by r; it reports whether there was one.
func (l *RecentList) Set(r Recent) bool {
	found := false
	l.Filter(func(x *Recent) bool {
		if x.ID == r.ID {
			*x, found = r, true
		}
		return true
	})
	return found
}

// Remove drops the post with the given id.
func (l *RecentList) Remove(id int64) {
	l.Filter(func(x *Recent) bool { return int64(x.ID) != id })
}

// Clone returns a copy that shares nothing with l.
func (l RecentList) Clone() RecentList { return RecentList{b: bytes.Clone(l.b)} }

// set packs rs into a buffer of its own, exactly sized: the list is rewritten rather than
// changed in place, so a copy taken for a checkpoint never sees later changes.
func (l *RecentList) set(rs []Recent) {
	if len(rs) == 0 {
		l.b = nil
		return
	}
	var scratch [64 * maxRecentLen]byte
	b := scratch[:0]
	var prev Recent
	for _, r := range rs {
		b = encodeRecent(b, r, prev)
		prev = r
	}
	l.b = bytes.Clone(b)
}

// maxRecentLen is the longest packed post: two 64-bit varints and a byte.
const maxRecentLen = 2*binary.MaxVarintLen64 + 1

// nextInline is the largest next age index packed with the id difference; 7 there means
// the index follows as a byte.
const nextInline = 6

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

func encodeRecent(b []byte, r, prev Recent) []byte {
	head := zigzag(int64(r.ID)-int64(prev.ID)) << 3
	if r.Next <= nextInline {
		b = binary.AppendUvarint(b, head|uint64(r.Next))
	} else {
		b = binary.AppendUvarint(b, head|nextInline+1)
		b = append(b, r.Next)
	}
	return binary.AppendVarint(b, int64(r.Date)-int64(prev.Date))
}

// decodeRecent reads one post packed after prev; n <= 0 means the buffer is bad (it never
// is: only set writes it).
func decodeRecent(b []byte, prev Recent) (Recent, int) {
	head, n := binary.Uvarint(b)
	if n <= 0 {
		return Recent{}, 0
	}
	next := uint8(head & 7)
	if next > nextInline {
		if n >= len(b) {
			return Recent{}, 0
		}
		next = b[n]
		n++
	}
	dDate, n2 := binary.Varint(b[n:])
	if n2 <= 0 {
		return Recent{}, 0
	}
	dID := unzigzag(head >> 3)
	return Recent{ID: int32(int64(prev.ID) + dID), Date: uint32(int64(prev.Date) + dDate), Next: next}, n + n2
}

// MarshalJSON writes the list as [[id,date,next],...].
func (l RecentList) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+len(l.b)*5)
	b = append(b, '[')
	i := 0
	for r := range l.All() {
		if i > 0 {
			b = append(b, ',')
		}
		i++
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(r.ID), 10)
		b = append(b, ',')
		b = strconv.AppendUint(b, uint64(r.Date), 10)
		b = append(b, ',')
		b = strconv.AppendUint(b, uint64(r.Next), 10)
		b = append(b, ']')
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads [[id,date,next],...] (or null).
func (l *RecentList) UnmarshalJSON(b []byte) error {
	p := recentParser{b: b}
	if p.literal("null") {
		*l = RecentList{}
		return nil
	}
	if !p.expect('[') {
		return p.fail()
	}
	if p.expect(']') {
		*l = RecentList{}
		return nil
	}
	var scratch [64]Recent
	out := scratch[:0]
	for {
		var v [3]int64
		if !p.expect('[') {
			return p.fail()
		}
		for i := range v {
			if i > 0 && !p.expect(',') {
				return p.fail()
			}
			n, ok := p.int()
			if !ok {
				return p.fail()
			}
			v[i] = n
		}
		if !p.expect(']') {
			return p.fail()
		}
		out = append(out, Recent{ID: int32(v[0]), Date: uint32(v[1]), Next: uint8(v[2])})
		if p.expect(']') {
			break
		}
		if !p.expect(',') {
			return p.fail()
		}
	}
	l.set(out)
	return nil
}

// recentParser reads the compact list form.
type recentParser struct {
	b []byte
	i int
}

func (p *recentParser) skip() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\n' || p.b[p.i] == '\t' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *recentParser) expect(c byte) bool {
	p.skip()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *recentParser) literal(s string) bool {
	p.skip()
	if strings.HasPrefix(string(p.b[p.i:]), s) {
		p.i += len(s)
		return true
	}
	return false
}

func (p *recentParser) int() (int64, bool) {
	p.skip()
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	n, err := strconv.ParseInt(string(p.b[start:p.i]), 10, 64)
	return n, err == nil
}

func (p *recentParser) fail() error {
	return fmt.Errorf("recent posts: bad JSON at byte %d", p.i)
}

// Pending is a channel known only by its username (from a t.me link or an @mention),
// counting references until it is worth resolving.
type Pending struct {
	Username string `json:"u"`
	// Seed marks a seed: it is resolved at once and joins the frame at depth 0.
	Seed         bool      `json:"seed,omitempty"`
	Refs         []Ref     `json:"refs,omitempty"`
	DiscoveredAt time.Time `json:"disc_at,omitzero"`
	// Failed says why resolving failed ("" while not tried); CheckedAt is when.
	Failed    string    `json:"failed,omitempty"`
	CheckedAt time.Time `json:"chk_at,omitzero"`
}

// Account is what one account knows: access hashes and running flood waits.
type Account struct {
	Label string `json:"label"`
	// Peers maps channel id to this account's access hash.
	Peers map[int64]int64 `json:"peers"`
	// Parks are flood waits that had not ended at the checkpoint.
	Parks []budget.Park `json:"parks,omitempty"`
	// Disabled says why the account is not used ("" when it is): banned, logged out.
	Disabled string `json:"disabled,omitempty"`
}

// Meta describes the collection as a whole.
type Meta struct {
	// FrameID is the current sampling frame; ParentFrameID the one before it.
	FrameID       string `json:"frame_id"`
	ParentFrameID string `json:"parent_frame_id,omitempty"`
	// FrameCreated is when the current frame was first used.
	FrameCreated time.Time `json:"frame_created,omitzero"`
	// Runs counts the runs that used this state.
	Runs int `json:"runs"`
	// LastRunID is the run that wrote the state last.
	LastRunID string `json:"last_run_id,omitempty"`
	// SavedAt is the time of the last checkpoint.
	SavedAt time.Time `json:"saved_at,omitzero"`
}

// Clone returns a deep copy of c, for handing a consistent record to the checkpointer. The
// packed posts are shared, not copied: a RecentList is never changed in place (every change
// packs a new buffer), so the copy does not see later changes all the same.
func (c *Channel) Clone() *Channel {
	d := *c
	d.Refs = append([]Ref(nil), c.Refs...)
	d.Reasons = append([]string(nil), c.Reasons...)
	d.PinnedHandles = append([]Handle(nil), c.PinnedHandles...)
	return &d
}

// Clone returns a deep copy of p.
func (p *Pending) Clone() *Pending {
	d := *p
	d.Refs = append([]Ref(nil), p.Refs...)
	return &d
}
