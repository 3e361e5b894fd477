package collect

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	rtmetrics "runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/collect/clock"
	"github.com/tidewatch/tidewatch/collector/collect/discovery"
	"github.com/tidewatch/tidewatch/collector/collect/state"
	"github.com/tidewatch/tidewatch/collector/telegram"
	"github.com/tidewatch/tidewatch/schema"
)

// The memory benchmark measures the resident memory of a collector tracking 100,000
// channels in steady state: it writes a state of that size, then runs the collector in a
// child process (this test binary) against accounts that answer at once with nothing new,
// and reads the child's peak resident set from /proc.

const memChildEnv = "TW_MEMORY_CHILD"

// nullClient answers every call at once: no new posts, fixed metadata.
type nullClient struct{ label string }

func (n nullClient) Label() string { return n.label }
func (n nullClient) ResolveUsername(_ context.Context, u string) (telegram.Peer, error) {
	return telegram.Peer{}, telegram.ErrUsernameNotOccupied
}
func (n nullClient) GetFullChannel(_ context.Context, p telegram.Peer) (telegram.FullChannel, error) {
	return telegram.FullChannel{ChannelInfo: telegram.ChannelInfo{Peer: p, Title: "Channel " + p.Username, Username: p.Username, Broadcast: true},
		About: memAbout(p.ChannelID), Subscribers: 5000}, nil
}
func (n nullClient) GetHistory(_ context.Context, p telegram.Peer, q telegram.HistoryQuery) (telegram.HistoryPage, error) {
	return telegram.HistoryPage{Count: 2000}, nil
}
func (n nullClient) GetMessagesViews(_ context.Context, p telegram.Peer, ids []int) ([]telegram.Counters, error) {
	out := make([]telegram.Counters, len(ids))
	for i, id := range ids {
		out[i] = telegram.Counters{ID: id, Views: 100}
	}
	return out, nil
}
func (n nullClient) GetMessages(_ context.Context, p telegram.Peer, ids []int) ([]*telegram.Message, error) {
	return make([]*telegram.Message, len(ids)), nil
}
func (n nullClient) GetRecommendations(context.Context, telegram.Peer) ([]telegram.ChannelInfo, error) {
	return nil, nil
}

func memAbout(id int64) string {
	return fmt.Sprintf("News and commentary %d. Contact @admin%d, mirror https://example.org/c/%d and https://twitter.com/c%d", id, id, id, id)
}

// writeBigState writes the state of n channels spread over accounts, as a long-running
// collection would have it: histories done, a week of posts awaiting counter reads,
// references, snapshots and polls spread over their intervals.
func writeBigState(t testing.TB, dir string, n int, accounts []string, now time.Time) {
	t.Helper()
	st, _, err := state.Open(dir)
	require.NoError(t, err)
	defer st.Close()
	chans := make([]*state.Channel, 0, n)
	peers := make([]map[int64]int64, len(accounts))
	for i := range peers {
		peers[i] = map[int64]int64{}
	}
	for i := 0; i < n; i++ {
		id := int64(1_000_000 + i)
		home := i % len(accounts)
		peers[home][id] = id*7 + 1
		ch := &state.Channel{
			ID: id, Username: fmt.Sprintf("chan%06d", i), Home: accounts[home], Included: true, Depth: 1,
			Refs:  []state.Ref{{Via: id - 1, Rule: "forward", N: 3, Depth: 1}, {Via: id - 2, Rule: "mention", N: 1, Depth: 1}},
			Title: fmt.Sprintf("Channel chan%06d", i), About: memAbout(id), Subscribers: 5000, Status: schema.StatusActive,
			FirstSeen: state.At(now.Add(-30 * 24 * time.Hour)), LastSnapshot: state.At(now.Add(-time.Duration(i%360) * time.Minute)),
			LastSeen: state.At(now.Add(-time.Duration(i%360) * time.Minute)), LastID: 2000, HistoryDone: true, MinID: 1, Count: 1990, Stored: 1990,
			Gaps: 10, LastHistory: state.At(now.Add(-time.Duration(i%60) * time.Minute)), AboutSince: state.At(now.Add(-30 * 24 * time.Hour)),
		}
		for k := 0; k < 28; k++ { // four posts a day for a week
			age := time.Duration(k) * 6 * time.Hour
			next := uint8(0)
			for _, a := range DefaultCounterAges() {
				if a < age {
					next++
				}
			}
			ch.Recent.Append(state.Recent{ID: int32(2000 - k), Date: uint32(now.Add(-age).Unix()), Next: next})
		}
		chans = append(chans, ch)
	}
	require.NoError(t, st.Compact(chans, nil))
	for i, a := range accounts {
		require.NoError(t, st.SaveAccount(&state.Account{Label: a, Peers: peers[i]}))
	}
}

// TestMemoryChild is the child's body; on its own it does nothing.
func TestMemoryChild(t *testing.T) {
	if os.Getenv(memChildEnv) == "" {
		t.Skip("runs only as the child of the memory benchmark")
	}
	runtime.GC()
	base := rssKB() // the binary itself, before any state
	dir := os.Getenv("TW_STATE")
	run, _ := time.ParseDuration(os.Getenv("TW_RUN"))
	var accounts []Client
	for _, l := range strings.Split(os.Getenv("TW_ACCOUNTS"), ",") {
		accounts = append(accounts, nullClient{l})
	}
	c, err := New(Options{Accounts: accounts, Output: discardOutput(), State: StateOptions{Dir: dir}, Privacy: Privacy{HashKey: testKey}, Watch: true,
		Scope: Scope{Rules: discovery.Rules{MaxDepth: 1, MinReferences: 1, Via: discovery.AllRules}},
		Clock: clock.Real{}, RateClock: clock.Real{}})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), run)
	defer cancel()
	done := make(chan struct{})
	var peak, after, live int
	began := time.Now()
	go func() {
		defer close(done)
		hwm := 0
		for ctx.Err() == nil {
			runtime.GC()
			if r := rssKB(); r > peak {
				peak = r
			}
			// What the collector keeps, apart from the garbage the runtime lets accumulate up
			// to the memory limit.
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if int(ms.HeapAlloc/1024) > live {
				live = int(ms.HeapAlloc / 1024)
				// The largest live heap, for pprof: what is live at that moment.
				if p := os.Getenv("TW_HEAP_PROFILE"); p != "" {
					if f, err := os.Create(p + ".max"); err == nil {
						_ = pprof.WriteHeapProfile(f)
						f.Close()
					}
				}
				fmt.Printf("live %.1fs %d kB\n", time.Since(began).Seconds(), live)
			}
			// Where the peak happens (loading, planning, running) is what to look at next.
			if h := hwmKB(); h > hwm {
				hwm = h
				fmt.Printf("hwm %.1fs %d kB (live heap %d kB)\n", time.Since(began).Seconds(), h, ms.HeapAlloc/1024)
			}
			_ = clock.Wait(ctx, clock.Real{}, 500*time.Millisecond)
		}
	}()
	if p := os.Getenv("TW_HEAP_PROFILE"); p != "" {
		go func() {
			if clock.Wait(ctx, clock.Real{}, run-5*time.Second) == nil {
				f, _ := os.Create(p)
				runtime.GC()
				_ = pprof.WriteHeapProfile(f)
				f.Close()
			}
		}()
	}
	sum, err := c.Run(ctx)
	<-done
	// The final checkpoint runs after the sampling stopped: its part of the peak shows here.
	fmt.Printf("hwm %.1fs %d kB (run returned)\n", time.Since(began).Seconds(), hwmKB())
	after = rssKB()
	// What the garbage collector cost: the share of the process's CPU time it took (the
	// sampler's own collections included) and the collections the runtime started itself,
	// which a memory limit too close to the live heap makes frequent.
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	cpu := []rtmetrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/cpu/classes/total:cpu-seconds"}}
	rtmetrics.Read(cpu)
	gcShare := 100 * cpu[0].Value.Float64() / max(cpu[1].Value.Float64(), 1e-9)
	fmt.Printf("result rss_peak_kb=%d rss_end_kb=%d hwm_kb=%d channels=%d calls=%d base_kb=%d live_kb=%d gc_cpu_pct=%.1f gcs=%d err=%v\n",
		peak, after, hwmKB(), sum.Channels, totalCalls(sum), base, live, gcShare, ms.NumGC-ms.NumForcedGC, err)
	os.Exit(0)
}

func totalCalls(s Summary) int {
	n := 0
	for _, v := range s.Calls {
		n += v
	}
	return n
}

// discardWriter drops rows as they come, as a writer that has sent them to the database
// would: the benchmark measures the collector, not a buffer of rows.
type discardWriter[T any] struct{}

func (discardWriter[T]) Write(context.Context, ...T) error { return nil }
func (discardWriter[T]) Flush(context.Context) error       { return nil }

func discardOutput() Output {
	return Output{
		Channels: discardWriter[schema.Channel]{}, Snapshots: discardWriter[schema.ChannelSnapshot]{},
		Posts: discardWriter[schema.Post]{}, Counters: discardWriter[schema.PostCounters]{},
		Links: discardWriter[schema.PostLink]{}, Events: discardWriter[schema.ChannelEvent]{},
		Registry: discardWriter[schema.Event]{}, AccountLinks: discardWriter[schema.AccountLink]{},
		Discovery: discardWriter[schema.Discovery]{}, Frames: discardWriter[schema.SamplingFrame]{},
		Runs: discardWriter[schema.Run]{}, Completeness: discardWriter[schema.Completeness]{},
	}
}

// procStatus reads a kB field of /proc/self/status.
func procStatus(field string) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.Atoi(strings.Fields(v)[0])
			return n
		}
	}
	return -1
}

func rssKB() int { return procStatus("VmRSS") }
func hwmKB() int { return procStatus("VmHWM") }

func BenchmarkMemory100kChannels(b *testing.B) {
	dir := b.TempDir()
	accounts := []string{"acc1", "acc2", "acc3", "acc4"}
	began := time.Now()
	writeBigState(b, dir, 100_000, accounts, time.Now())
	b.Logf("state of 100,000 channels written in %s", time.Since(began).Round(time.Millisecond))
	size := 0
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil {
			size += int(info.Size())
		}
	}
	acc, _ := os.ReadDir(filepath.Join(dir, "accounts"))
	for _, e := range acc {
		if info, err := e.Info(); err == nil {
			size += int(info.Size())
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryChild$", "-test.count=1")
	// The deployment setting this measures: a soft memory limit for the Go runtime (GOMEMLIMIT),
	// which makes the garbage collector keep the heap near what is live instead of letting it
	// double between collections.
	limit := os.Getenv("TW_MEMORY_LIMIT")
	if limit == "" {
		limit = "180MiB"
	}
	cmd.Env = append(os.Environ(), memChildEnv+"=1", "GOMEMLIMIT="+limit, "TW_STATE="+dir, "TW_RUN=30s", "TW_ACCOUNTS="+strings.Join(accounts, ","),
		"TW_HEAP_PROFILE="+os.Getenv("TW_HEAP_PROFILE"))
	out, err := cmd.CombinedOutput()
	require.NoError(b, err, string(out))
	var peak, end, hwm, channels, calls, base, live, gcs int
	var gcShare float64
	var rises, lives []string
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "hwm "); ok {
			rises = append(rises, v)
		}
		if v, ok := strings.CutPrefix(l, "live "); ok {
			lives = append(lives, v)
		}
		if strings.HasPrefix(l, "result ") {
			_, err := fmt.Sscanf(l, "result rss_peak_kb=%d rss_end_kb=%d hwm_kb=%d channels=%d calls=%d base_kb=%d live_kb=%d gc_cpu_pct=%f gcs=%d",
				&peak, &end, &hwm, &channels, &calls, &base, &live, &gcShare, &gcs)
			require.NoError(b, err, l)
		}
	}
	require.Equal(b, 100_000, channels, string(out))
	// When the peak rose tells whether loading, planning or running sets it.
	b.Logf("peak resident rose at: %s", strings.Join(rises, ", "))
	b.Logf("live heap rose at: %s", strings.Join(lives, ", "))
	b.ReportMetric(float64(hwm)/1024, "MB_peak_rss")
	b.ReportMetric(float64(peak)/1024, "MB_rss_after_gc")
	b.ReportMetric(float64(base)/1024, "MB_binary_rss")
	b.ReportMetric(float64(live)/1024, "MB_live_heap")
	b.ReportMetric(gcShare, "%_gc_cpu")
	b.Logf("state on disk %.1f MB; collector tracking %d channels for 30s (%d calls) with GOMEMLIMIT=%s: resident %.1f MB after GC at most "+
		"(of which %.1f MB before any state: the test binary), peak resident (VmHWM) %.1f MB, live Go heap after GC at most %.1f MB; "+
		"garbage collection took %.1f%% of the CPU time (the sampler's own collections included), %d collections started by the runtime",
		float64(size)/(1<<20), channels, calls, limit, float64(peak)/1024, float64(base)/1024, float64(hwm)/1024, float64(live)/1024, gcShare, gcs)
	// Issue 4: at most 200 MB resident while tracking 100,000 channels, loading included.
	require.LessOrEqual(b, float64(hwm)/1024, 200.0, "peak resident memory above 200 MB")
}
