package importer_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/importer"
	"github.com/tidewatch/tidewatch/collector/importer/csvlayout"
	"github.com/tidewatch/tidewatch/collector/importer/importertest"
)

const postsCSV = `platform,account_id,post_id,posted_at,views,links
telegram,1,10,2024-05-01T08:00:00Z,5,https://x.com/a
telegram,1,11,2024-05-01T09:00:00Z,6,
telegram,2,12,2024-05-01T10:00:00Z,7,
`

func writeTemp(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
	return p
}

func TestRunWritesRunsRowsAndProgress(t *testing.T) {
	file := writeTemp(t, "posts.csv", postsCSV)
	var prog bytes.Buffer
	sink, sum, err := importertest.Import(t, csvlayout.Posts, []string{file}, &importer.Options{
		Progress: &prog, CodeVersion: "v1 abc", ConfigHash: "cfg", Args: "import posts posts.csv",
	})
	require.NoError(t, err)
	require.EqualValues(t, 3, sum.Records)
	require.Equal(t, map[string]int64{"channels": 2, "posts": 3, "post_links": 1}, sum.Rows)

	// Progress: one final line per pass, with records, rate and the share of bytes read.
	lines := strings.Split(strings.TrimSpace(prog.String()), "\n")
	require.Len(t, lines, 2, prog.String())
	require.Regexp(t, regexp.MustCompile(`^validate posts\.csv: 3 records, [0-9,]+ records/s, 100\.0%$`), lines[0])
	require.Regexp(t, regexp.MustCompile(`^import posts\.csv: 3 records, [0-9,]+ records/s, 100\.0%$`), lines[1])

	// The runs row: written when the import starts, rewritten with the counts when it ends.
	require.Len(t, sink.Runs, 2)
	start, end := sink.Runs[0], sink.Runs[1]
	require.Equal(t, "running", start.Status)
	require.Equal(t, "ok", end.Status)
	require.Equal(t, "test-run", end.RunID)
	require.Equal(t, "import:posts", end.Job)
	require.Equal(t, "v1 abc", end.CodeVersion)
	require.Equal(t, "cfg", end.ConfigHash)
	require.Greater(t, end.Version, start.Version-1)
	require.Equal(t, []string{"files", "records", "rejected", "rows_channels", "rows_channel_snapshots", "rows_posts", "rows_post_links", "rows_account_links", "rows_events", "rows_communities"}, end.CountNames)
	require.Equal(t, []uint64{1, 3, 0, 2, 0, 3, 1, 0, 0, 0}, end.CountValues)
	sha := sha256.Sum256([]byte(postsCSV))
	require.Contains(t, end.Args, hex.EncodeToString(sha[:]))
	require.Contains(t, end.Args, `"command":"import posts posts.csv"`)
	for _, p := range sink.Rows.Posts {
		require.Equal(t, "test-run", p.RunID)
		require.Equal(t, "import:posts", p.Source)
	}
}

func TestRunValidatesEveryFileBeforeWriting(t *testing.T) {
	good := writeTemp(t, "good.csv", postsCSV)
	bad := writeTemp(t, "bad.csv", "platform,account_id,post_id,posted_at\ntelegram,1,x1,never\n")
	sink, sum, err := importertest.Import(t, csvlayout.Posts, []string{good, bad}, nil)
	var verr *importer.ValidationError
	require.ErrorAs(t, err, &verr)
	require.Equal(t, bad+`:2: posted_at: expected a time like 2024-05-01T12:00:00Z, got "never"`, verr.Errors[0].Error())
	require.Empty(t, sink.Rows.Posts, "the good file is not imported either")
	require.Empty(t, sink.Runs)
	require.EqualValues(t, 4, sum.Records)
}

func TestRunNeedsAKey(t *testing.T) {
	file := writeTemp(t, "posts.csv", postsCSV)
	_, err := importer.Run(context.Background(), importer.Options{Format: csvlayout.Posts, Files: []string{file}, Sink: &importertest.Sink{}})
	require.ErrorIs(t, err, importer.ErrNoHashKey)
	// A dry run stores nothing, so it needs none.
	sum, err := importer.Run(context.Background(), importer.Options{Format: csvlayout.Posts, Files: []string{file}, DryRun: true})
	require.NoError(t, err)
	require.EqualValues(t, 1, sum.Rows["post_links"], "a dry run counts links too")
}

func TestRunRefusesWhatItCannotReadTwice(t *testing.T) {
	_, _, err := importertest.Import(t, csvlayout.Posts, []string{"/dev/stdin"}, nil)
	require.ErrorContains(t, err, "expected a regular file (it is read twice)")
	_, _, err = importertest.Import(t, csvlayout.Posts, []string{filepath.Join(t.TempDir(), "missing.csv")}, nil)
	require.ErrorContains(t, err, "missing.csv: no such file or directory")
}

// TestRunInterrupted: a cancelled import still closes its runs row, as interrupted.
func TestRunInterrupted(t *testing.T) {
	var b strings.Builder
	b.WriteString("platform,account_id,post_id,posted_at\n")
	for i := 0; i < 20000; i++ {
		b.WriteString("telegram,1,")
		b.WriteString(strings.Repeat("1", 1+i%5))
		b.WriteString(",2024-05-01T08:00:00Z\n")
	}
	file := writeTemp(t, "many.csv", b.String())
	sink := &cancelSink{}
	ctx, cancel := context.WithCancel(context.Background())
	sink.cancel = cancel
	_, err := importer.Run(ctx, importer.Options{Format: csvlayout.Posts, Files: []string{file}, Sink: sink, HashKey: importertest.Key, Now: func() time.Time { return time.Now() }})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, "interrupted", sink.Runs[len(sink.Runs)-1].Status)
}

// cancelSink cancels the import at its first write.
type cancelSink struct {
	importertest.Sink
	cancel context.CancelFunc
}

func (s *cancelSink) Write(ctx context.Context, r *importer.Rows) error {
	s.cancel()
	return s.Sink.Write(ctx, r)
}
