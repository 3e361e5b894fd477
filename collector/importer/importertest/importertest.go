// Package importertest holds what the importers' tests share: a sink that keeps rows in
// memory and golden-file comparison.
package importertest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/importer"
	"github.com/tidewatch/tidewatch/schema"
)

// Update rewrites golden files instead of comparing with them: go test ./... -update.
var Update = flag.Bool("update", false, "rewrite golden files")

// Sink keeps everything written in memory.
type Sink struct {
	mu   sync.Mutex
	Rows importer.Rows
	Runs []schema.Run
}

// Write copies the rows.
func (s *Sink) Write(_ context.Context, r *importer.Rows) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Rows.Channels = append(s.Rows.Channels, r.Channels...)
	s.Rows.Snapshots = append(s.Rows.Snapshots, r.Snapshots...)
	s.Rows.Posts = append(s.Rows.Posts, r.Posts...)
	s.Rows.PostLinks = append(s.Rows.PostLinks, r.PostLinks...)
	s.Rows.AccountLinks = append(s.Rows.AccountLinks, r.AccountLinks...)
	s.Rows.Events = append(s.Rows.Events, r.Events...)
	return nil
}

// WriteRun keeps the run row.
func (s *Sink) WriteRun(_ context.Context, run schema.Run) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Runs = append(s.Runs, run)
	return nil
}

// Flush does nothing: rows are kept as they come.
func (s *Sink) Flush(context.Context) error { return nil }

// Key is the privacy key tests hash persons with.
var Key = []byte("tidewatch-test-key-0123456789")

// Clock is a fixed clock for tests.
func Clock() time.Time { return time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC) }

// Import runs an import of files in the given format into a fresh Sink with the test key, a
// fixed clock and run id "test-run". opts may set more options (it may be nil).
func Import(t testing.TB, f importer.Format, files []string, opts *importer.Options) (*Sink, *importer.Summary, error) {
	t.Helper()
	s := &Sink{}
	o := importer.Options{}
	if opts != nil {
		o = *opts
	}
	o.Format, o.Files, o.Sink = f, files, s
	if o.HashKey == nil {
		o.HashKey = Key
	}
	if o.Now == nil {
		o.Now = Clock
	}
	if o.RunID == "" {
		o.RunID = "test-run"
	}
	sum, err := importer.Run(context.Background(), o)
	return s, sum, err
}

// Golden compares v, as indented JSON, with the file testdata/golden/<name>.json, or writes
// it there with -update.
func Golden(t testing.TB, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	got = append(got, '\n')
	path := filepath.Join("testdata", "golden", name+".json")
	if *Update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: run go test with -update")
	require.Equal(t, string(want), string(got), "output differs from %s (run go test -update after checking the change)", path)
}

// Tables is rows sorted by their keys, as golden files hold them.
type Tables struct {
	Channels     []schema.Channel         `json:"channels,omitempty"`
	Snapshots    []schema.ChannelSnapshot `json:"channel_snapshots,omitempty"`
	Posts        []schema.Post            `json:"posts,omitempty"`
	PostLinks    []schema.PostLink        `json:"post_links,omitempty"`
	AccountLinks []schema.AccountLink     `json:"account_links,omitempty"`
	Events       []schema.Event           `json:"events,omitempty"`
}

// Sorted returns the sink's rows sorted by key.
func (s *Sink) Sorted() Tables {
	t := Tables{
		Channels:     append([]schema.Channel(nil), s.Rows.Channels...),
		Snapshots:    append([]schema.ChannelSnapshot(nil), s.Rows.Snapshots...),
		Posts:        append([]schema.Post(nil), s.Rows.Posts...),
		PostLinks:    append([]schema.PostLink(nil), s.Rows.PostLinks...),
		AccountLinks: append([]schema.AccountLink(nil), s.Rows.AccountLinks...),
		Events:       append([]schema.Event(nil), s.Rows.Events...),
	}
	sort.SliceStable(t.Channels, func(i, j int) bool {
		a, b := t.Channels[i], t.Channels[j]
		return a.Platform+"\x00"+u(a.ChannelID) < b.Platform+"\x00"+u(b.ChannelID)
	})
	sort.SliceStable(t.Snapshots, func(i, j int) bool {
		a, b := t.Snapshots[i], t.Snapshots[j]
		if a.ChannelID != b.ChannelID {
			return a.ChannelID < b.ChannelID
		}
		return a.SnapshotAt.Before(b.SnapshotAt)
	})
	sort.SliceStable(t.Posts, func(i, j int) bool {
		a, b := t.Posts[i], t.Posts[j]
		if a.ChannelID != b.ChannelID {
			return a.ChannelID < b.ChannelID
		}
		return a.PostID < b.PostID
	})
	sort.SliceStable(t.PostLinks, func(i, j int) bool {
		a, b := t.PostLinks[i], t.PostLinks[j]
		if a.ChannelID != b.ChannelID {
			return a.ChannelID < b.ChannelID
		}
		if a.PostID != b.PostID {
			return a.PostID < b.PostID
		}
		return a.URL < b.URL
	})
	sort.SliceStable(t.AccountLinks, func(i, j int) bool {
		a, b := t.AccountLinks[i], t.AccountLinks[j]
		if a.FromChannelID != b.FromChannelID {
			return a.FromChannelID < b.FromChannelID
		}
		return a.ToPlatform+a.ToHandle+a.Evidence < b.ToPlatform+b.ToHandle+b.Evidence
	})
	sort.SliceStable(t.Events, func(i, j int) bool { return t.Events[i].EventID < t.Events[j].EventID })
	return t
}

func u(n uint64) string {
	b, _ := json.Marshal(n)
	return string(append(make([]byte, 20-len(b)), b...))
}

// ReadFile reads a test file or fails the test.
func ReadFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// FuzzParser feeds data to a format's parser and checks what must hold for any input: no
// panic, no endless loop, errors that name the file, and rows that carry the platform and
// ids they are keyed by.
func FuzzParser(t *testing.T, f importer.Format, data []byte) {
	h, err := importer.NewHasher(Key)
	require.NoError(t, err)
	env := &importer.Env{File: "fuzz", Source: "import:fuzz", RunID: "fuzz", Hasher: h, Study: importer.NewStudy()}
	p, err := f.Open(bytes.NewReader(data), env)
	if err != nil {
		require.Contains(t, err.Error(), "fuzz")
		return
	}
	var rec importer.Record
	for i := 0; ; i++ {
		require.Less(t, i, len(data)+2, "more records than bytes: the parser does not advance")
		rec.Reset()
		err := p.Next(&rec)
		if err == io.EOF {
			return
		}
		if err != nil {
			require.Contains(t, err.Error(), "fuzz")
			return
		}
		for _, fe := range rec.Errors {
			require.Equal(t, "fuzz", fe.File)
			require.NotEmpty(t, fe.Expected)
			require.NotEmpty(t, fe.Field, "an error names its field: %v", fe)
			require.GreaterOrEqual(t, fe.Line, 1, "an error names its line: %v", fe)
			require.True(t, strings.HasPrefix(fe.Error(), "fuzz:"+strconv.Itoa(fe.Line)+": "), fe.Error())
		}
		if len(rec.Errors) > 0 {
			continue
		}
		for _, p := range rec.Rows.Posts {
			require.NotEmpty(t, p.Platform)
		}
		for _, l := range rec.Rows.PostLinks {
			require.NotEmpty(t, l.URL)
		}
	}
}
