package state

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

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
		Recent: []Recent{{ID: 99, Date: uint32(t0.Unix()), Next: 2}}, Refs: []Ref{{Via: 7, Rule: "forward", N: 3, Depth: 1}},
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
	c := &Channel{ID: 1, Recent: []Recent{{ID: 5, Date: 1700000000, Next: 3}}}
	var buf bytes.Buffer
	require.NoError(t, encodeLine(&buf, record{Channel: c}))
	require.Contains(t, buf.String(), `"recent":[[5,1700000000,3]]`)
	r, ok := decodeLine(buf.Bytes())
	require.True(t, ok)
	require.Equal(t, c, r.Channel)
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
		want RecentList
		err  bool
	}{
		{`null`, nil, false},
		{`[]`, nil, false},
		{`[[5,1700000000,3]]`, RecentList{{ID: 5, Date: 1700000000, Next: 3}}, false},
		{` [ [1, 2, 0] , [3,4,1] ] `, RecentList{{ID: 1, Date: 2}, {ID: 3, Date: 4, Next: 1}}, false},
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
		require.Equal(t, c.want, got, c.in)
		if len(c.want) > 0 {
			out, err := got.MarshalJSON()
			require.NoError(t, err)
			var back RecentList
			require.NoError(t, back.UnmarshalJSON(out))
			require.Equal(t, got, back)
		}
	}
}
