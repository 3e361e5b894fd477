package network

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/stats"
)

// plantedGraph is a forward graph of n channels in communities of size: each channel
// forwards from 10 sources (85% in its own community, chosen with a popularity skew) and
// mentions 5 channels the same way, a few posts each.
func plantedGraph(n, size int, seed uint64) (forwards, mentions []edgeRow, community []int) {
	r := rand.New(rand.NewPCG(seed, 7))
	community = make([]int, n)
	for i := range community {
		community[i] = i / size
	}
	pick := func(i int) int {
		if r.Float64() < 0.85 {
			base := (i / size) * size
			return base + int(float64(min(size, n-base))*r.Float64()*r.Float64())
		}
		return int(float64(n) * r.Float64() * r.Float64())
	}
	edges := func(per int, out *[]edgeRow) {
		for i := range n {
			seen := map[int]bool{i: true}
			for range per {
				j := pick(i)
				if seen[j] {
					continue
				}
				seen[j] = true
				*out = append(*out, edgeRow{Platform: "telegram", ChannelID: uint64(i + 1), Source: uint64(j + 1), Posts: uint64(1 + r.IntN(20))})
			}
		}
	}
	edges(10, &forwards)
	edges(5, &mentions)
	return forwards, mentions, community
}

// BenchmarkBuild measures the network job's graph work (PageRank, HITS, Louvain on both
// layers, the node and community rows) on a planted graph of TIDEWATCH_BENCH_NODES nodes
// (default 100,000) in communities of 1,000: time, the Go heap's peak and the process's
// peak resident memory, and the adjusted Rand index of the communities found.
func BenchmarkBuild(b *testing.B) {
	n := 100_000
	if v := os.Getenv("TIDEWATCH_BENCH_NODES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			b.Fatalf("TIDEWATCH_BENCH_NODES=%q: want a number of at least 1000", v)
		}
	}
	fw, mn, planted := plantedGraph(n, 1000, 1)
	info := map[job.Key]channelRow{}
	for i := range n {
		info[job.Key{Platform: "telegram", ChannelID: uint64(i + 1)}] = channelRow{Platform: "telegram", ChannelID: uint64(i + 1), Title: fmt.Sprintf("channel %d", i)}
	}
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	b.ResetTimer()
	var g Graph
	for range b.N {
		var err error
		if g, err = build(fw, mn, info); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(done)
	var got, want []int
	for _, node := range g.Nodes {
		got = append(got, int(node.Community))
		want = append(want, planted[node.ChannelID-1])
	}
	ari, err := stats.AdjustedRand(got, want)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(peak.Load())/(1<<20), "heap-peak-MiB")
	b.ReportMetric(float64(vmHWM())/(1<<20), "maxrss-MiB")
	b.ReportMetric(ari, "ARI")
	b.Logf("%d nodes, %d forward edges, %d mention edges, %d communities (planted %d), modularity %.3f",
		len(g.Nodes), len(fw), len(mn), len(g.Communities), (n+999)/1000, g.Modularity)
}

// vmHWM is the process's peak resident memory, from /proc/self/status.
func vmHWM() uint64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
