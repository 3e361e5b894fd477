package bench

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tidewatch/tidewatch/analysis/actors"
	"github.com/tidewatch/tidewatch/analysis/bursts"
	"github.com/tidewatch/tidewatch/analysis/engagement"
	"github.com/tidewatch/tidewatch/analysis/growth"
	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/migration"
	"github.com/tidewatch/tidewatch/analysis/network"
	"github.com/tidewatch/tidewatch/analysis/takedowns"
	"github.com/tidewatch/tidewatch/schema/chserver"
	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/store"
)

// Environment of BenchmarkAnalyzeAll:
//
//	TIDEWATCH_BENCH_SCALES    comma-separated scales, each on a fresh server (default "0.5,1")
//	TIDEWATCH_BENCH_CHANNELS  channels at scale 1 (default 10000)
//	TIDEWATCH_BENCH_POSTS     posts at scale 1 (default 20000000)
func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// result is one scale's measurement.
type result struct {
	scale                 float64
	counts                Counts
	load                  time.Duration
	jobs                  []jobTime
	tidewatch             time.Duration
	heapPeak, goTotalPeak uint64 // sampled during the jobs
	serverPeak            uint64 // server RSS, sampled during the jobs
	maxRSS                uint64 // process max RSS after the jobs (lifetime)
	ref                   RefResult
	refTime               time.Duration
	refHeapPeak           uint64
	refChildRSS           uint64 // largest clickhouse-client RSS (lifetime of the process)
	growthChecked         int
	growthMismatch        int
}

type jobTime struct {
	name     string
	d        time.Duration
	note     string
	heapPeak uint64
}

// BenchmarkAnalyzeAll generates the dataset at each scale, loads it through the writer
// (not timed), waits for merges, then times every analysis job over the year (what
// `tidewatch analyze all` would run) and, on the same server right after, the reference:
// clickhouse-client exporting the raw tables to CSV and a Go program computing the same
// growth and engagement figures from the files.
func BenchmarkAnalyzeAll(b *testing.B) {
	scales := []float64{0.5, 1}
	if v := os.Getenv("TIDEWATCH_BENCH_SCALES"); v != "" {
		scales = nil
		for _, f := range strings.Split(v, ",") {
			s, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || !(s > 0) {
				b.Fatalf("TIDEWATCH_BENCH_SCALES=%q: want positive numbers", v)
			}
			scales = append(scales, s)
		}
	}
	cfg := Config{Channels: envInt(b, "TIDEWATCH_BENCH_CHANNELS", DefaultChannels), Posts: envInt(b, "TIDEWATCH_BENCH_POSTS", DefaultPosts), Links: true}
	var results []result
	for _, s := range scales {
		c := cfg
		c.Scale = s
		b.Run(fmt.Sprintf("scale=%g", s), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				r := measure(b, c)
				if i == b.N-1 {
					results = append(results, r)
				}
			}
		})
	}
	if len(results) > 0 {
		// Printed, not logged: a parent benchmark's log is dropped once it has sub-benchmarks.
		fmt.Println(table(results))
	}
}

func measure(b *testing.B, cfg Config) result {
	b.StopTimer()
	ctx := context.Background()
	srv := chtest.Migrated(b)
	db, err := store.Open(ctx, store.Options{Addr: []string{srv.Addr()}, Database: srv.Database})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	wopts := store.WriterOptions{SpoolDir: b.TempDir()}
	r := result{scale: cfg.Scale}
	start := time.Now()
	if r.counts, err = Generate(ctx, db, cfg, wopts); err != nil {
		b.Fatal(err)
	}
	r.load = time.Since(start)
	settle(b, srv)
	// Stored rows: ReplacingMergeTree folds the rare snapshots generated in the same second.
	r.counts.Snapshots, _ = strconv.Atoi(srv.Query(b, "SELECT count() FROM channel_snapshots"))
	r.counts.Posts, _ = strconv.Atoi(srv.Query(b, "SELECT count() FROM posts"))
	b.Logf("scale %g: loaded %d channels, %d snapshots, %d posts, %d events in %s",
		cfg.Scale, r.counts.Channels, r.counts.Snapshots, r.counts.Posts, r.counts.Events, r.load.Round(time.Second))
	runtime.GC()

	p := job.Params{From: From, To: To, Scope: job.Scope{Kind: job.ScopePlatform}}
	meta := job.Meta{CodeVersion: "bench", Writer: wopts}
	var growthRun string
	jobs := []struct {
		name string
		run  func() (string, error)
	}{
		{growth.Name, func() (string, error) {
			s, err := growth.Run(ctx, db, growth.Options{Params: p, Meta: meta})
			growthRun = s.RunID
			return fmt.Sprintf("%s: %d channels, %d fitted, %d jumps", s.Status, s.Channels, s.Fitted, s.Jumps), err
		}},
		{engagement.Name, func() (string, error) {
			s, err := engagement.Run(ctx, db, engagement.Options{Params: p, Meta: meta})
			return fmt.Sprintf("%s: %d channels, %d posts, %d scored", s.Status, s.Channels, s.Posts, s.Scored), err
		}},
		{bursts.Name, func() (string, error) {
			s, err := bursts.Run(ctx, db, bursts.Options{Params: p, Meta: meta})
			return fmt.Sprintf("%s: %d events, %d channel rows", s.Status, s.Events, s.Channels), err
		}},
		{takedowns.Name, func() (string, error) {
			s, err := takedowns.Run(ctx, db, takedowns.Options{Params: p, Meta: meta})
			return fmt.Sprintf("%s: %d channels, %d cohorts", s.Status, s.Channels, len(s.Cohorts)), err
		}},
		{migration.Name, func() (string, error) {
			s, err := migration.Run(ctx, db, migration.Options{Params: p, Meta: meta})
			return fmt.Sprintf("%s: %d channels, %d windows, %d time series, %d did", s.Status, s.Channels, len(s.Windows), len(s.ITS), len(s.DiD)), err
		}},
		{actors.Name, func() (string, error) {
			s, err := actors.Run(ctx, db, actors.Options{Params: p, Meta: meta})
			return fmt.Sprintf("%s: %d actors, %d weeks", s.Status, len(s.Actors), s.Weeks), err
		}},
		{network.Name, func() (string, error) {
			s, err := network.Run(ctx, db, network.Options{Params: p, Meta: meta})
			return fmt.Sprintf("%s: %d nodes, %d edges, %d communities", s.Status, s.Nodes, s.Edges, s.Communities), err
		}},
	}
	mem := startSampler(srv.PID())
	b.StartTimer()
	start = time.Now()
	for _, j := range jobs {
		jm := startSampler(0)
		js := time.Now()
		note, err := j.run()
		d := time.Since(js)
		h, _, _ := jm.stop()
		r.jobs = append(r.jobs, jobTime{j.name, d, note, h})
		if err != nil {
			b.Errorf("%s: %v", j.name, err)
		}
	}
	r.tidewatch = time.Since(start)
	b.StopTimer()
	r.heapPeak, r.goTotalPeak, r.serverPeak = mem.stop()
	r.maxRSS = maxRSS(syscall.RUSAGE_SELF)
	for _, j := range r.jobs {
		b.Logf("scale %g: %s %s, Go heap peak %s (%s)", cfg.Scale, j.name, j.d.Round(10*time.Millisecond), mib(j.heapPeak), j.note)
	}

	// The reference, on the same server, right after.
	runtime.GC()
	mem = startSampler(0)
	start = time.Now()
	r.ref, err = Reference(ctx, Client{Host: chserver.Host, Port: srv.Options.TCPPort, Database: srv.Database}, b.TempDir(), From, To)
	r.refTime = time.Since(start)
	r.refHeapPeak, _, _ = mem.stop()
	r.refChildRSS = maxRSS(syscall.RUSAGE_CHILDREN)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("scale %g: reference %s (export %s, compute %s), %d snapshots, %d posts read",
		cfg.Scale, r.refTime.Round(10*time.Millisecond), r.ref.Export.Round(10*time.Millisecond), r.ref.Compute.Round(10*time.Millisecond), r.ref.Snapshots, r.ref.Posts)
	r.growthChecked, r.growthMismatch = checkGrowth(b, db, growthRun, r.ref)
	b.Logf("scale %g: growth figures of %d channels compared with the reference, %d differ", cfg.Scale, r.growthChecked, r.growthMismatch)

	b.ReportMetric(r.tidewatch.Seconds(), "tidewatch-s")
	b.ReportMetric(r.refTime.Seconds(), "reference-s")
	b.ReportMetric(r.refTime.Seconds()/r.tidewatch.Seconds(), "ratio")
	b.ReportMetric(float64(r.heapPeak)/(1<<20), "heap-peak-MiB")
	b.ReportMetric(float64(r.maxRSS)/(1<<20), "maxrss-MiB")
	return r
}

// checkGrowth compares tidewatch's 30-day growth and exponential rate with the
// reference's, channel by channel, and returns how many were compared and differed.
func checkGrowth(b *testing.B, db *store.DB, runID string, ref RefResult) (checked, mismatched int) {
	type row struct {
		ChannelID uint64  `ch:"channel_id"`
		Growth30  float64 `ch:"growth_30d"`
		Rate      float64 `ch:"exp_rate"`
	}
	if runID == "" {
		return 0, 0
	}
	err := store.Each(context.Background(), db, "SELECT channel_id, growth_30d, exp_rate FROM "+db.Table("growth_channels")+
		" WHERE run_id = ?", func(r *row) error {
		checked++
		g, ok := ref.Growth[r.ChannelID]
		if !ok || !near(r.Growth30, g.Growth30d) || !near(r.Rate, g.Slope) {
			mismatched++
			if mismatched <= 3 {
				b.Logf("channel %d: tidewatch growth_30d %g exp_rate %g, reference %g %g", r.ChannelID, r.Growth30, r.Rate, g.Growth30d, g.Slope)
			}
		}
		return nil
	}, runID)
	if err != nil {
		b.Errorf("compare growth: %v", err)
	}
	return checked, mismatched
}

func near(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// settle waits until the server runs no merge, so that the loading's merges do not run
// during the measured jobs.
func settle(b *testing.B, srv *chtest.Server) {
	b.Helper()
	deadline := time.Now().Add(10 * time.Minute)
	for srv.Query(b, "SELECT count() FROM system.merges") != "0" && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
}

// sampler records the peak of the Go heap (live and unswept objects), of all memory the
// Go runtime holds from the OS, and of a process's resident set, every 20 ms.
type sampler struct {
	done                    chan struct{}
	wg                      sync.WaitGroup
	heap, total, serverPeak uint64
}

func startSampler(pid int) *sampler {
	s := &sampler{done: make(chan struct{})}
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"}}
	read := func() {
		metrics.Read(samples)
		s.heap = max(s.heap, samples[0].Value.Uint64())
		s.total = max(s.total, samples[1].Value.Uint64())
		if pid > 0 {
			s.serverPeak = max(s.serverPeak, rss(pid))
		}
	}
	read()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				read()
				return
			case <-t.C:
				read()
			}
		}
	}()
	return s
}

func (s *sampler) stop() (heap, total, server uint64) {
	close(s.done)
	s.wg.Wait()
	return s.heap, s.total, s.serverPeak
}

// rss is a process's resident set in bytes, from /proc/PID/status.
func rss(pid int) uint64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				kb, _ := strconv.ParseUint(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

func maxRSS(who int) uint64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return uint64(ru.Maxrss) << 10 // kilobytes on Linux
}

func mib(n uint64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

func table(rs []result) string {
	var sb strings.Builder
	sb.WriteString("| scale | channels | snapshots | posts | load (not timed) | tidewatch (jobs) | Go heap peak | process max RSS | server RSS peak | reference (export + compute) | reference Go heap peak | ratio reference/tidewatch |\n")
	sb.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		var parts []string
		for _, j := range r.jobs {
			parts = append(parts, fmt.Sprintf("%s %.1f s, %s", j.name, j.d.Seconds(), mib(j.heapPeak)))
		}
		fmt.Fprintf(&sb, "| %g | %d | %d | %d | %.0f s | **%.1f s** (%s) | %s | %s | %s | **%.1f s** (%.1f + %.1f) | %s | **%.2f** |\n",
			r.scale, r.counts.Channels, r.counts.Snapshots, r.counts.Posts, r.load.Seconds(), r.tidewatch.Seconds(), strings.Join(parts, ", "),
			mib(r.heapPeak), mib(r.maxRSS), mib(r.serverPeak), r.refTime.Seconds(), r.ref.Export.Seconds(), r.ref.Compute.Seconds(),
			mib(r.refHeapPeak), r.refTime.Seconds()/r.tidewatch.Seconds())
	}
	for i := range rs {
		for j := range rs {
			if rs[j].scale == 2*rs[i].scale {
				fmt.Fprintf(&sb, "\nscaling: tidewatch time at scale %g / at scale %g = %.2f (reference: %.2f)\n", rs[j].scale, rs[i].scale,
					rs[j].tidewatch.Seconds()/rs[i].tidewatch.Seconds(), rs[j].refTime.Seconds()/rs[i].refTime.Seconds())
			}
		}
	}
	return sb.String()
}
