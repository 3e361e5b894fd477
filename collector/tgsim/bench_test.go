package tgsim

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gotd/td/tg"
	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/tgsim/internal/testclient"
	"github.com/tidewatch/tidewatch/collector/tgsim/world"
)

// benchDuration is how long the client pages; TGSIM_BENCH_SECONDS overrides.
func benchDuration() time.Duration {
	if s := os.Getenv("TGSIM_BENCH_SECONDS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return 5 * time.Second
}

// benchWorkers is the number of client goroutines paging; TGSIM_BENCH_WORKERS
// overrides the default 4.
func benchWorkers() int {
	if n, err := strconv.Atoi(os.Getenv("TGSIM_BENCH_WORKERS")); err == nil && n > 0 {
		return n
	}
	return 4
}

// activeRefs returns the channels readable at `at`.
func activeRefs(t testing.TB, w *world.World, at time.Time) []testclient.Ref {
	t.Helper()
	tr, err := w.Truth(world.TruthOptions{SnapshotTimes: []time.Time{at}, Until: at, NoPosts: true})
	require.NoError(t, err)
	hash := map[int64]int64{}
	for _, c := range tr.Channels {
		hash[c.ID] = c.AccessHash
	}
	var refs []testclient.Ref
	for _, sn := range tr.Snapshots {
		if sn.Status == world.StatusActive {
			refs = append(refs, testclient.Ref{ID: sn.Channel, Hash: hash[sn.Channel]})
		}
	}
	require.NotEmpty(t, refs)
	return refs
}

// BenchmarkServePages measures pages per second served to a gotd client in
// another process paging whole histories (100 messages a page but the last
// of each channel, 2,100 messages a channel on average) with 4 workers (TGSIM_BENCH_WORKERS) for 5 s
// (TGSIM_BENCH_SECONDS), limits off, page cache off: the world clock runs at
// one world hour per real second, so counters move and every page is
// converted and encoded afresh. It also reports the CPU time per page of the
// server (this process) and of the client.
func BenchmarkServePages(b *testing.B) {
	// Busy channels (20 posts a day), so that nearly every page is full.
	spec := world.DefaultSpec(20)
	spec.Posting.PerDay = 20
	w, err := world.Generate(spec, 7)
	require.NoError(b, err)
	at := testTime(w)
	s := startSim(b, Options{World: w, Limits: Limits{Off: true}, Clock: Clock{Start: at, Speed: 3600}})
	refs := activeRefs(b, w, at)
	// The world builds a channel's history on first use: build them now, so
	// the benchmark measures serving, as in a simulator that has run a while.
	for _, r := range refs {
		_, _, err := w.History(r.ID, at, world.HistoryQuery{Limit: 1})
		require.NoError(b, err)
	}
	cfg := clientConfig(b, s, testPhone)
	for b.Loop() {
		// The child logs in first; the server's CPU is counted from the
		// child's first page to its last.
		var serverCPU time.Duration
		pagesBefore := 0
		job := testclient.Job{Config: cfg, Bench: refs, Workers: benchWorkers(), Duration: benchDuration()}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for s.CallCount("messages.getHistory") == 0 {
				select {
				case <-time.After(time.Millisecond):
				case <-b.Context().Done():
					return
				}
			}
			serverCPU = -testclient.CPUTime()
		}()
		res, err := testclient.Spawn(context.Background(), b.TempDir(), job)
		serverCPU += testclient.CPUTime()
		<-done
		pagesBefore = s.CallCount("messages.getHistory")
		require.NoError(b, err)
		b.Logf("server answered %d history calls", pagesBefore)
		b.Logf("%d pages, %d messages in %.1fs, %d errors, client CPU %.1fs, slowest page %v",
			res.Pages, res.Messages, res.Seconds, res.Errors, res.CPUSeconds, res.MaxLatency)
		b.Logf("errors: %v", res.ErrorTypes)
		require.Less(b, res.Errors, res.Pages/100+1)
		b.ReportMetric(float64(res.Pages)/res.Seconds, "pages/s")
		b.ReportMetric(float64(res.Messages)/res.Seconds, "msgs/s")
		b.ReportMetric(float64(res.Messages)/float64(max(res.Pages, 1)), "msgs/page")
		b.ReportMetric(float64(serverCPU.Microseconds())/float64(max(res.Pages, 1)), "server-cpu-us/page")
		b.ReportMetric(float64(res.MaxLatency.Milliseconds()), "max-latency-ms")
		b.ReportMetric(res.CPUSeconds*1e6/float64(max(res.Pages, 1)), "client-cpu-us/page")
	}
	hits, misses := s.cache.stats()
	b.ReportMetric(float64(hits)/float64(max(hits+misses, 1)), "cache-hit-ratio")
}

// BenchmarkHistoryPage measures the server's work for one page of 100
// messages without the network: world query, conversion and encoding.
func BenchmarkHistoryPage(b *testing.B) {
	w := mustWorld(b)
	at := testTime(w)
	s, err := New(Options{World: w, Limits: Limits{Off: true}})
	require.NoError(b, err)
	refs := activeRefs(b, w, at)
	cc := &callCtx{world: at}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ref := refs[i%len(refs)]
		i++
		run := s.getHistory(&tg.MessagesGetHistoryRequest{
			Peer:  &tg.InputPeerChannel{ChannelID: ref.ID, AccessHash: ref.Hash},
			Limit: 100, OffsetID: 101 + i%200,
		})
		res, _, err := run(context.Background(), cc)
		if err != nil {
			b.Fatal(err)
		}
		res.(*encodedPage).release()
	}
}
