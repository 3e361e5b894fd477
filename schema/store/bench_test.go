package store

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/schema/chtest"
)

const benchRows = 1_000_000

// BenchmarkInsert1M compares the writer with clickhouse-client inserting
// the same 1M posts-like rows (11 columns, ~120 B per row) from a Native
// file into the same throwaway server, alternating in each iteration. It
// reports both rates and their ratio (writer / client):
//
//	go test ./schema/store -run '^$' -bench Insert1M -benchtime 3x
func BenchmarkInsert1M(b *testing.B) {
	srv := chtest.Start(b)
	db := openTest(b, srv)
	ctx := context.Background()

	rows := make([]postRow, benchRows)
	var bytes int
	for i := range rows {
		rows[i] = makePost(i)
		bytes += len(rows[i].Text) + len(rows[i].Platform) + len(rows[i].Kind) + len(rows[i].MediaType) + 8*5 + 4 + 4
	}
	// The Native file holds exactly these rows: written once through the
	// writer, read back by clickhouse-client.
	srv.Query(b, fmt.Sprintf(postsDDL, "src"))
	w, err := NewWriter[postRow](db, "src", WriterOptions{SpoolDir: b.TempDir()})
	require.NoError(b, err)
	require.NoError(b, w.Write(ctx, rows...))
	require.NoError(b, w.Close(ctx))
	native := filepath.Join(b.TempDir(), "posts.native")
	f, err := os.Create(native)
	require.NoError(b, err)
	cmd := exec.Command("clickhouse-client", "--host", "127.0.0.1", "--port", strconv.Itoa(srv.Options.TCPPort),
		"--query", "SELECT "+postColumns+" FROM src FORMAT Native")
	cmd.Stdout = f
	require.NoError(b, cmd.Run())
	require.NoError(b, f.Close())
	st, err := os.Stat(native)
	require.NoError(b, err)
	b.Logf("rows %d, ~%d B/row in Go, Native file %.1f MB", benchRows, bytes/benchRows, float64(st.Size())/1e6)

	var writerTotal, clientTotal time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		wt := fmt.Sprintf("w%d", i)
		ct := fmt.Sprintf("c%d", i)
		srv.Query(b, fmt.Sprintf(postsDDL, wt))
		srv.Query(b, fmt.Sprintf(postsDDL, ct))

		start := time.Now()
		w, err := NewWriter[postRow](db, wt, WriterOptions{SpoolDir: b.TempDir()})
		require.NoError(b, err)
		// Rows arrive in slices, as a collector hands them over.
		for off := 0; off < len(rows); off += 1000 {
			require.NoError(b, w.Write(ctx, rows[off:min(off+1000, len(rows))]...))
		}
		require.NoError(b, w.Close(ctx))
		wd := time.Since(start)

		in, err := os.Open(native)
		require.NoError(b, err)
		start = time.Now()
		cmd := exec.Command("clickhouse-client", "--host", "127.0.0.1", "--port", strconv.Itoa(srv.Options.TCPPort),
			"--query", "INSERT INTO "+ct+" ("+postColumns+") FORMAT Native")
		cmd.Stdin = in
		out, err := cmd.CombinedOutput()
		cd := time.Since(start)
		require.NoError(b, err, string(out))
		require.NoError(b, in.Close())

		b.StopTimer()
		require.Equal(b, strconv.Itoa(benchRows), srv.Query(b, "SELECT count() FROM "+wt))
		require.Equal(b, strconv.Itoa(benchRows), srv.Query(b, "SELECT count() FROM "+ct))
		srv.Query(b, "DROP TABLE "+wt)
		srv.Query(b, "DROP TABLE "+ct)
		b.Logf("iteration %d: writer %v (%.0f rows/s), clickhouse-client %v (%.0f rows/s), ratio %.2f",
			i, wd.Round(time.Millisecond), benchRows/wd.Seconds(), cd.Round(time.Millisecond), benchRows/cd.Seconds(), cd.Seconds()/wd.Seconds())
		writerTotal += wd
		clientTotal += cd
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(benchRows*n/writerTotal.Seconds(), "writer-rows/s")
	b.ReportMetric(benchRows*n/clientTotal.Seconds(), "client-rows/s")
	b.ReportMetric(clientTotal.Seconds()/writerTotal.Seconds(), "writer/client")
}
