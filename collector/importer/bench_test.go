package importer_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/importer"
	"github.com/tidewatch/tidewatch/collector/importer/csvlayout"
	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/store"
)

// The benchmark imports generated posts CSV files of 100 MB and 1 GB into a real ClickHouse.
// Each import runs in a child process (this test binary, re-executed), so its peak resident
// memory (VmHWM) is its own and not the generator's or the other import's.
//
//	go test -run '^$' -bench BenchmarkImportPostsCSV -benchtime 1x -timeout 60m ./collector/importer/
//
// TIDEWATCH_IMPORT_BENCH_SIZES overrides the sizes in MB ("100,1024").

const childEnv = "TIDEWATCH_IMPORT_BENCH_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(benchChild(spec))
	}
	os.Exit(m.Run())
}

// childSpec is what the parent asks the child to do.
type childSpec struct {
	File     string `json:"file"`
	Addr     string `json:"addr"`
	Database string `json:"database"`
	Spool    string `json:"spool"`
	DryRun   bool   `json:"dry_run"`
}

// childResult is what the child reports on stdout.
type childResult struct {
	Records   int64            `json:"records"`
	Rows      map[string]int64 `json:"rows"`
	Seconds   float64          `json:"seconds"`
	PeakRSSKB int64            `json:"peak_rss_kb"`
	Error     string           `json:"error,omitempty"`
}

func benchChild(spec string) int {
	var s childSpec
	res := childResult{}
	out := func() int {
		res.PeakRSSKB = peakRSS()
		_ = json.NewEncoder(os.Stdout).Encode(res)
		if res.Error != "" {
			return 1
		}
		return 0
	}
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		res.Error = err.Error()
		return out()
	}
	// As `tidewatch import` does when GOMEMLIMIT is not set.
	debug.SetMemoryLimit(importer.MemoryLimit(store.DefaultBatchRows))
	ctx := context.Background()
	opts := importer.Options{Format: csvlayout.Posts, Files: []string{s.File}, DryRun: s.DryRun, HashKey: []byte("benchmark-key-0123456789")}
	var sink *importer.StoreSink
	if !s.DryRun {
		db, err := store.Open(ctx, store.Options{Addr: []string{s.Addr}, Database: s.Database})
		if err != nil {
			res.Error = err.Error()
			return out()
		}
		defer db.Close()
		sink, err = importer.NewStoreSink(db, store.WriterOptions{SpoolDir: s.Spool})
		if err != nil {
			res.Error = err.Error()
			return out()
		}
		opts.Sink = sink
	}
	start := time.Now()
	sum, err := importer.Run(ctx, opts)
	if sink != nil {
		if cerr := sink.Close(ctx); err == nil {
			err = cerr
		}
	}
	res.Seconds = time.Since(start).Seconds()
	if err != nil {
		res.Error = err.Error()
		return out()
	}
	res.Records, res.Rows = sum.Records, sum.Rows
	return out()
}

// peakRSS is the process's peak resident set size in kB (VmHWM).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	return -1
}

// writePostsCSV writes a posts CSV of about size bytes: 10,000 Telegram channels, a post
// every few minutes each, texts of 80-400 characters, a link in a third of the posts, a
// forward in a tenth. It returns the number of rows.
func writePostsCSV(tb testing.TB, path string, size int64) int64 {
	tb.Helper()
	f, err := os.Create(path)
	require.NoError(tb, err)
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewSource(size))
	const header = "platform,account_id,handle,post_id,posted_at,post_type,text,links,hashtags,views,forwards,replies,reactions,observed_at,fwd_account_id,fwd_post_id\n"
	_, _ = w.WriteString(header)
	words := strings.Fields("the channel reports that new footage shows a convoy near the border while officials deny any movement and analysts expect more news tonight follow for updates")
	domains := []string{"t.me/newsroom", "x.com/someone", "youtube.com/watch?v=", "example.org/article/", "bit.ly/", "rumble.com/v", "instagram.com/p/"}
	base := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	written := int64(len(header))
	var rows int64
	var sb strings.Builder
	for written < size {
		ch := 1000000000 + r.Intn(10000)
		rows++
		sb.Reset()
		n := 12 + r.Intn(60)
		for i := 0; i < n; i++ {
			if i > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(words[r.Intn(len(words))])
		}
		link := ""
		if r.Intn(3) == 0 {
			link = "https://" + domains[r.Intn(len(domains))] + strconv.Itoa(r.Intn(1000000))
			sb.WriteString(" " + link)
		}
		fwd, fwdPost := "", ""
		if r.Intn(10) == 0 {
			fwd, fwdPost = strconv.Itoa(1000000000+r.Intn(10000)), strconv.Itoa(r.Intn(100000))
		}
		posted := base.Add(time.Duration(rows) * 3 * time.Second)
		line := fmt.Sprintf("telegram,%d,chan%d,%d,%s,text,\"%s\",%s,news|update,%d,%d,%d,%d,%s,%s,%s\n",
			ch, ch, rows, posted.Format(time.RFC3339), sb.String(), link, r.Intn(100000), r.Intn(500), r.Intn(50), r.Intn(2000),
			posted.Add(48*time.Hour).Format(time.RFC3339), fwd, fwdPost)
		m, _ := w.WriteString(line)
		written += int64(m)
	}
	require.NoError(tb, w.Flush())
	return rows
}

func runChild(b *testing.B, spec childSpec) childResult {
	b.Helper()
	js, _ := json.Marshal(spec)
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(js))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	var res childResult
	require.NoError(b, json.Unmarshal(out, &res), "child output %q (%v)", out, err)
	require.Empty(b, res.Error)
	require.NoError(b, err)
	return res
}

func BenchmarkImportPostsCSV(b *testing.B) {
	sizes := []int64{100, 1024}
	if s := os.Getenv("TIDEWATCH_IMPORT_BENCH_SIZES"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
			require.NoError(b, err)
			sizes = append(sizes, n)
		}
	}
	srv := chtest.Migrated(b)
	dir := b.TempDir()
	var peaks []int64
	for _, mb := range sizes {
		path := filepath.Join(dir, fmt.Sprintf("posts-%dMB.csv", mb))
		rows := writePostsCSV(b, path, mb<<20)
		st, err := os.Stat(path)
		require.NoError(b, err)
		b.Run(fmt.Sprintf("%dMB", mb), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				parse := runChild(b, childSpec{File: path, DryRun: true})
				imp := runChild(b, childSpec{File: path, Addr: srv.Addr(), Database: srv.Database, Spool: filepath.Join(dir, "spool")})
				require.Equal(b, rows, imp.Records)
				b.ReportMetric(float64(imp.Records)/imp.Seconds, "rows/s")
				b.ReportMetric(float64(imp.PeakRSSKB)/1024, "peak-RSS-MB")
				b.ReportMetric(float64(parse.Records)/parse.Seconds, "dry-run-rows/s")
				b.ReportMetric(float64(parse.PeakRSSKB)/1024, "dry-run-peak-RSS-MB")
				b.ReportMetric(float64(st.Size())/(1<<20)/imp.Seconds, "MB/s")
				fmt.Fprintf(os.Stderr, "import %d MB (%d bytes, %d rows): %.1f s, %.0f rows/s, %.1f MB/s, peak RSS %.1f MB; rows written %v; dry run %.1f s, %.0f rows/s, peak RSS %.1f MB\n",
					mb, st.Size(), imp.Records, imp.Seconds, float64(imp.Records)/imp.Seconds, float64(st.Size())/(1<<20)/imp.Seconds,
					float64(imp.PeakRSSKB)/1024, imp.Rows, parse.Seconds, float64(parse.Records)/parse.Seconds, float64(parse.PeakRSSKB)/1024)
				peaks = append(peaks, imp.PeakRSSKB)
			}
		})
		require.NoError(b, os.Remove(path))
	}
	// Memory is flat: the largest file's peak stays within 10% of the smallest's.
	if len(peaks) >= 2 {
		lo, hi := peaks[0], peaks[len(peaks)-1]
		require.LessOrEqual(b, hi, lo*11/10, "peak RSS grew with the file: %d kB then %d kB", lo, hi)
	}
}
