package store

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
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
	var ratios []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		wt := fmt.Sprintf("w%d", i)
		ct := fmt.Sprintf("c%d", i)
		srv.Query(b, fmt.Sprintf(postsDDL, wt))
		srv.Query(b, fmt.Sprintf(postsDDL, ct))

		settle(b, srv)
		cpu0, scpu0 := processCPU(), serverCPU(srv)
		start := time.Now()
		w, err := NewWriter[postRow](db, wt, WriterOptions{SpoolDir: b.TempDir()})
		require.NoError(b, err)
		// Rows arrive in slices, as a collector hands them over.
		for off := 0; off < len(rows); off += 1000 {
			require.NoError(b, w.Write(ctx, rows[off:min(off+1000, len(rows))]...))
		}
		require.NoError(b, w.Close(ctx))
		wd := time.Since(start)
		wcpu, wscpu := processCPU()-cpu0, serverCPU(srv)-scpu0

		in, err := os.Open(native)
		require.NoError(b, err)
		settle(b, srv)
		scpu0 = serverCPU(srv)
		start = time.Now()
		cmd := exec.Command("clickhouse-client", "--host", "127.0.0.1", "--port", strconv.Itoa(srv.Options.TCPPort),
			"--query", "INSERT INTO "+ct+" ("+postColumns+") FORMAT Native")
		cmd.Stdin = in
		out, err := cmd.CombinedOutput()
		cd := time.Since(start)
		require.NoError(b, err, string(out))
		ccpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		cscpu := serverCPU(srv) - scpu0
		require.NoError(b, in.Close())

		b.StopTimer()
		require.Equal(b, strconv.Itoa(benchRows), srv.Query(b, "SELECT count() FROM "+wt))
		require.Equal(b, strconv.Itoa(benchRows), srv.Query(b, "SELECT count() FROM "+ct))
		srv.Query(b, "DROP TABLE "+wt)
		srv.Query(b, "DROP TABLE "+ct)
		b.Logf("iteration %d: writer %v = %.0f rows/s (CPU: client %v, server %v); clickhouse-client %v = %.0f rows/s (CPU: client %v, server %v); ratio %.2f",
			i, wd.Round(time.Millisecond), benchRows/wd.Seconds(), wcpu.Round(time.Millisecond), wscpu.Round(time.Millisecond),
			cd.Round(time.Millisecond), benchRows/cd.Seconds(), ccpu.Round(time.Millisecond), cscpu.Round(time.Millisecond),
			cd.Seconds()/wd.Seconds())
		ratios = append(ratios, cd.Seconds()/wd.Seconds())
		writerTotal += wd
		clientTotal += cd
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(benchRows*n/writerTotal.Seconds(), "writer-rows/s")
	b.ReportMetric(benchRows*n/clientTotal.Seconds(), "client-rows/s")
	b.ReportMetric(clientTotal.Seconds()/writerTotal.Seconds(), "writer/client")
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "median-ratio")
}

// settle waits until the server has no merge running, so that neither
// side pays for the other's background work.
func settle(b *testing.B, srv *chtest.Server) {
	b.Helper()
	deadline := time.Now().Add(time.Minute)
	for srv.Query(b, "SELECT count() FROM system.merges") != "0" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
}

// serverCPU is the CPU time the server process has used so far.
func serverCPU(srv *chtest.Server) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", srv.PID()))
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command name; utime and stime are the
	// 14th and 15th fields of the whole line, in clock ticks (100 per s).
	rest := string(data[strings.LastIndexByte(string(data), ')')+2:])
	f := strings.Fields(rest)
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// processCPU is the CPU time (user + system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
