package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/collect/budget"
)

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s, snap, err := Open(dir)
	require.NoError(t, err)
	require.Empty(t, snap.Channels)

	c := &Channel{ID: 42, Username: "news", Home: "acc1", Included: true, Title: "News", LastID: 100,
		Recent: RecentOf(Recent{ID: 99, Date: uint32(t0.Unix()), Next: 2}), Refs: []Ref{{Via: 7, Rule: "forward", N: 3, Depth: 1}},
		LastHistory: At(t0)}
	require.NoError(t, s.Append(Batch{Channels: []*Channel{c.Clone()}, Pending: []*Pending{{Username: "other", DiscoveredAt: t0}}}))
	c.LastID = 150
	require.NoError(t, s.Append(Batch{Channels: []*Channel{c.Clone()}, Resolved: []string{"other"}}))
	require.NoError(t, s.SaveAccount(&Account{Label: "acc1", Peers: map[int64]int64{42: -5}, Parks: []budget.Park{{Account: "acc1", Method: "m", Until: t0}}}))
	require.NoError(t, s.SaveMeta(Meta{FrameID: "f1", Runs: 2}))
	require.Error(t, s.SaveAccount(&Account{Label: "../x"}))

	// A second process cannot open the folder.
	_, _, err = Open(dir)
	require.ErrorContains(t, err, "in use")
	require.NoError(t, s.Close())

	s, snap, err = Open(dir)
	require.NoError(t, err)
	defer s.Close()
	require.Len(t, snap.Channels, 1)
	require.Equal(t, c, snap.Channels[42])
	require.Empty(t, snap.Pending)
	require.Equal(t, map[int64]int64{42: -5}, snap.Accounts["acc1"].Peers)
	require.Equal(t, t0, snap.Accounts["acc1"].Parks[0].Until)
	require.Equal(t, "f1", snap.Meta.FrameID)
}

func TestTornTailIsDropped(t *testing.T) {
	dir := t.TempDir()
	s, _, err := Open(dir)
	require.NoError(t, err)
	require.NoError(t, s.Append(Batch{Channels: []*Channel{{ID: 1, LastID: 10}}}))
	require.NoError(t, s.Append(Batch{Channels: []*Channel{{ID: 1, LastID: 20}}}))
	require.NoError(t, s.Close())

	// Simulate a crash in the middle of the second append: cut its line short.
	path := filepath.Join(dir, "journal-0.log")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data[:len(data)-7], 0o600))

	s, snap, err := Open(dir)
	require.NoError(t, err)
	require.Equal(t, 10, snap.Channels[1].LastID)
	// The journal goes on after the last good line.
	require.NoError(t, s.Append(Batch{Channels: []*Channel{{ID: 1, LastID: 30}}}))
	require.NoError(t, s.Close())
	s, snap, err = Open(dir)
	require.NoError(t, err)
	require.Equal(t, 30, snap.Channels[1].LastID)
	require.NoError(t, s.Close())

	// A corrupted byte inside a line fails its CRC the same way.
	data, err = os.ReadFile(path)
	require.NoError(t, err)
	data[len(data)-5] ^= 1
	require.NoError(t, os.WriteFile(path, data, 0o600))
	s, snap, err = Open(dir)
	require.NoError(t, err)
	require.Equal(t, 10, snap.Channels[1].LastID)
	require.NoError(t, s.Close())
}

func TestCompaction(t *testing.T) {
	dir := t.TempDir()
	s, _, err := Open(dir)
	require.NoError(t, err)
	for i := 0; i < 50; i++ {
		require.NoError(t, s.Append(Batch{Channels: []*Channel{{ID: int64(i % 5), LastID: i}}}))
	}
	require.False(t, s.NeedsCompaction(5), "small journals are left alone")
	var live []*Channel
	for i := 45; i < 50; i++ {
		live = append(live, &Channel{ID: int64(i % 5), LastID: i})
	}
	require.NoError(t, s.Compact(live, []*Pending{{Username: "p"}}))
	require.NoError(t, s.Append(Batch{Channels: []*Channel{{ID: 0, LastID: 99}}}))
	require.NoError(t, s.Close())

	names := dirNames(t, dir)
	require.Contains(t, names, "channels-1.snap")
	require.Contains(t, names, "journal-1.log")
	require.NotContains(t, names, "journal-0.log")

	s, snap, err := Open(dir)
	require.NoError(t, err)
	require.Len(t, snap.Channels, 5)
	require.Equal(t, 99, snap.Channels[0].LastID)
	require.Equal(t, 46, snap.Channels[1].LastID)
	require.Contains(t, snap.Pending, "p")
	require.NoError(t, s.Close())
}

func TestCrashDuringCompactionKeepsOldGeneration(t *testing.T) {
	dir := t.TempDir()
	s, _, err := Open(dir)
	require.NoError(t, err)
	require.NoError(t, s.Append(Batch{Channels: []*Channel{{ID: 1, LastID: 5}}}))
	require.NoError(t, s.Close())
	// A half-written snapshot of the next generation (no end record, not renamed).
	require.NoError(t, os.WriteFile(filepath.Join(dir, "channels-1.snap.tmp"), []byte("garbage"), 0o600))
	s, snap, err := Open(dir)
	require.NoError(t, err)
	require.Equal(t, 5, snap.Channels[1].LastID)
	require.NoError(t, s.Close())
	require.NotContains(t, dirNames(t, dir), "channels-1.snap.tmp")
}

func TestRecentJSON(t *testing.T) {
	c := &Channel{ID: 1, Recent: RecentOf(Recent{ID: 5, Date: 1700000000, Next: 3})}
	var buf bytes.Buffer
	require.NoError(t, encodeLine(&buf, record{Channel: c}))
	require.Contains(t, buf.String(), `"recent":[[5,1700000000,3]]`)
	r, ok := decodeLine(buf.Bytes())
	require.True(t, ok)
	require.Equal(t, c, r.Channel)
}

func TestLineFormat(t *testing.T) {
	c := &Channel{ID: 3, Title: "<b>&</b>", About: "line\nbreak \u2028", Refs: []Ref{{Via: 1, Rule: "forward", N: 2}}}
	body, err := json.Marshal(record{Channel: c})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, encodeLine(&buf, record{Channel: c}))
	require.Equal(t, fmt.Sprintf("%08x %s\n", crc32.ChecksumIEEE(body), body), buf.String())
}

func TestFailedAppendLeavesNoTornLine(t *testing.T) {
	dir := t.TempDir()
	s, _, err := Open(dir)
	require.NoError(t, err)
	require.NoError(t, s.Append(Batch{Channels: []*Channel{{ID: 1, LastID: 1}}}))
	// More than the append buffer holds reaches the file before the record that cannot be
	// encoded (NaN has no JSON form).
	var batch []*Channel
	for i := range 200 {
		batch = append(batch, &Channel{ID: int64(100 + i), About: strings.Repeat("x", 1000)})
	}
	batch = append(batch, &Channel{ID: 2, PinnedHandles: []Handle{{Platform: "x", Handle: "y", Confidence: float32(math.NaN())}}})
	require.Error(t, s.Append(Batch{Channels: batch}))
	require.NoError(t, s.Append(Batch{Channels: []*Channel{{ID: 3, LastID: 3}}}))
	require.NoError(t, s.Close())

	s, snap, err := Open(dir)
	require.NoError(t, err)
	defer s.Close()
	require.Len(t, snap.Channels, 2)
	require.Equal(t, 3, snap.Channels[3].LastID)
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestRecentListJSON(t *testing.T) {
	cases := []struct {
		in   string
		want []Recent
		err  bool
	}{
		{`null`, nil, false},
		{`[]`, nil, false},
		{`[[5,1700000000,3]]`, []Recent{{ID: 5, Date: 1700000000, Next: 3}}, false},
		{` [ [1, 2, 0] , [3,4,1] ] `, []Recent{{ID: 1, Date: 2}, {ID: 3, Date: 4, Next: 1}}, false},
		{`[[1,2]]`, nil, true},
		{`[[1,2,3]`, nil, true},
		{`{}`, nil, true},
	}
	for _, c := range cases {
		var got RecentList
		err := got.UnmarshalJSON([]byte(c.in))
		if c.err {
			require.Error(t, err, c.in)
			continue
		}
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, nonEmpty(got.Slice()), c.in)
		require.Equal(t, len(c.want), got.Len(), c.in)
		out, err := got.MarshalJSON()
		require.NoError(t, err)
		var back RecentList
		require.NoError(t, back.UnmarshalJSON(out))
		require.Equal(t, got, back)
	}
}

func nonEmpty(rs []Recent) []Recent {
	if len(rs) == 0 {
		return nil
	}
	return rs
}

func TestRecentListPacked(t *testing.T) {
	// Ids going down and up, extreme ids and dates, and more posts than the packing scratch.
	var posts []Recent
	for i := range 100 {
		posts = append(posts, Recent{ID: int32(5000 - 7*i), Date: uint32(1_700_000_000 + (i%3)*21600 - i*60), Next: uint8(i % 9)})
	}
	posts = append(posts, Recent{ID: 1<<31 - 1, Date: 1<<32 - 1, Next: 255}, Recent{ID: -1 << 31, Date: 0, Next: 6},
		Recent{ID: 1, Date: 0, Next: 7}, Recent{ID: -3, Date: 7, Next: 1})
	l := RecentOf(posts...)
	require.Equal(t, posts, l.Slice())
	require.Equal(t, len(posts), l.Len())
	require.Less(t, cap(l.b), 6*len(posts), "packed far below 12 bytes a post")

	// A week of a busy channel: four posts a day, ids in a row, at most five ages.
	var week []Recent
	for k := range 28 {
		week = append(week, Recent{ID: int32(2000 - k), Date: uint32(1_700_000_000 - k*21600), Next: uint8(min(k/4, 5))})
	}
	require.Equal(t, week, RecentOf(week...).Slice())
	require.LessOrEqual(t, len(RecentOf(week...).b), 4*len(week)+8, "4 bytes a post")

	// Any posts at all come back as they went in.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		rs := make([]Recent, rng.IntN(40))
		for i := range rs {
			rs[i] = Recent{ID: int32(rng.Uint32()), Date: rng.Uint32(), Next: uint8(rng.IntN(12))}
			if rng.IntN(2) == 0 && i > 0 {
				rs[i].ID, rs[i].Date = rs[i-1].ID+int32(rng.IntN(5))-2, rs[i-1].Date+uint32(rng.IntN(100_000))
			}
		}
		require.Equal(t, nonEmpty(rs), nonEmpty(RecentOf(rs...).Slice()))
	}

	got, ok := l.Find(4993)
	require.True(t, ok)
	require.Equal(t, posts[1], got)
	_, ok = l.Find(4994)
	require.False(t, ok)

	cp := l.Clone()
	require.True(t, l.Set(Recent{ID: 4993, Date: 9, Next: 4}))
	require.False(t, l.Set(Recent{ID: 4994}))
	l.Remove(5000)
	l.Append(Recent{ID: 6000, Date: 1_800_000_000}, Recent{ID: 6001, Date: 1_800_000_001, Next: 2})
	want := append([]Recent{{ID: 4993, Date: 9, Next: 4}}, posts[2:]...)
	want = append(want, Recent{ID: 6000, Date: 1_800_000_000}, Recent{ID: 6001, Date: 1_800_000_001, Next: 2})
	require.Equal(t, want, l.Slice())
	require.Equal(t, posts, cp.Slice(), "a clone does not see later changes")

	// Filter keeps the changes it makes and drops what it rejects.
	l.Filter(func(r *Recent) bool {
		r.Next++
		return r.ID > 4000
	})
	var left []Recent
	for _, r := range want {
		if r.ID > 4000 {
			r.Next++
			left = append(left, r)
		}
	}
	require.Equal(t, left, l.Slice())
	l.Filter(func(*Recent) bool { return false })
	require.True(t, l.IsZero())
	require.Zero(t, l.Len())
	l.Append()
	require.True(t, l.IsZero())
}

func TestChannelRecentJSON(t *testing.T) {
	// The form older states were written in reads back the same; an empty list is left out.
	in := `{"id":7,"recent":[[12,1700000000,1],[11,1699990000,0]]}`
	var c Channel
	require.NoError(t, json.Unmarshal([]byte(in), &c))
	require.Equal(t, []Recent{{ID: 12, Date: 1700000000, Next: 1}, {ID: 11, Date: 1699990000}}, c.Recent.Slice())
	out, err := json.Marshal(&c)
	require.NoError(t, err)
	require.JSONEq(t, in, string(out))
	out, err = json.Marshal(&Channel{ID: 8})
	require.NoError(t, err)
	require.JSONEq(t, `{"id":8}`, string(out))
}

func TestTimeSeconds(t *testing.T) {
	cases := []struct {
		in   time.Time
		want Time
	}{
		{time.Time{}, 0},
		{t0, Time(t0.Unix())},
		{time.Unix(0, 0), 1}, // the epoch itself would read as never
		{time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC), 1},
		{time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), math.MaxUint32},
	}
	for _, c := range cases {
		require.Equal(t, c.want, At(c.in), c.in.String())
	}
	require.Equal(t, t0, At(t0).Time())
	require.True(t, Time(0).Time().IsZero())
	require.Equal(t, 4, int(unsafe.Sizeof(Time(0))))
}

func TestCloneIsIndependent(t *testing.T) {
	c := &Channel{ID: 1, Refs: []Ref{{Via: 2, Rule: "forward", N: 1}}, Recent: RecentOf(Recent{ID: 5, Date: 100}, Recent{ID: 6, Date: 200})}
	cp := c.Clone()
	c.Refs[0].N = 9
	c.Recent.Set(Recent{ID: 5, Date: 100, Next: 3})
	c.Recent.Append(Recent{ID: 7, Date: 300})
	c.Recent.Remove(6)
	require.Equal(t, uint32(1), cp.Refs[0].N)
	require.Equal(t, []Recent{{ID: 5, Date: 100}, {ID: 6, Date: 200}}, cp.Recent.Slice())
	require.Equal(t, []Recent{{ID: 5, Date: 100, Next: 3}, {ID: 7, Date: 300}}, c.Recent.Slice())
}
