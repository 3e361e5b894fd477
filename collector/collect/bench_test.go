package collect_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/collect"
	"github.com/tidewatch/tidewatch/collector/collect/budget"
	"github.com/tidewatch/tidewatch/collector/collect/clock"
	"github.com/tidewatch/tidewatch/collector/collect/discovery"
	"github.com/tidewatch/tidewatch/collector/telegram"
	"github.com/tidewatch/tidewatch/collector/tgsim"
	"github.com/tidewatch/tidewatch/collector/tgsim/world"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/store"
)

// Benchmarks measure one run each (go test -run '^$' -bench . -benchtime 1x); their
// results are reported as metrics and recorded in BENCHMARK_RESULT.md.

// readable lists the channels readable at t with a username, and their message counts.
func readable(w *world.World, at time.Time) (names []string, peers []telegram.Peer, total int) {
	for _, id := range w.ChannelIDs() {
		hash, _ := w.AccessHash(id)
		v, err := w.Channel(id, hash, at)
		if err != nil || v.Username == "" {
			continue
		}
		_, n, err := w.History(id, at, world.HistoryQuery{Limit: 1})
		if err != nil {
			continue
		}
		names = append(names, v.Username)
		peers = append(peers, telegram.Peer{ChannelID: id, AccessHash: hash, Username: v.Username})
		total += n
	}
	return names, peers, total
}

// pageAll pages every channel's whole history with workers calls at once, as the collector
// does, and returns the messages received.
func pageAll(ctx context.Context, acc *telegram.Account, peers []telegram.Peer, workers int) (int, error) {
	var (
		next  atomic.Int64
		msgs  atomic.Int64
		wg    sync.WaitGroup
		errMu sync.Mutex
		first error
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(peers) {
					return
				}
				offset := 0
				for {
					page, err := acc.GetHistory(ctx, peers[i], telegram.HistoryQuery{OffsetID: offset, Limit: 100})
					if err != nil {
						errMu.Lock()
						first = err
						errMu.Unlock()
						return
					}
					msgs.Add(int64(len(page.Messages)))
					if len(page.Messages) < 100 {
						break
					}
					offset = page.Messages[len(page.Messages)-1].ID
				}
			}
		}()
	}
	wg.Wait()
	return int(msgs.Load()), first
}

// e2eWorld is the world of the end-to-end benchmark (the simulator child builds the same)
// and the time it is served at.
func e2eWorld(tb testing.TB) (*world.World, time.Time) {
	spec := world.DefaultSpec(200)
	spec.Posting.PerDay = 12
	w, err := world.Generate(spec, 21)
	require.NoError(tb, err)
	return w, w.Start().Add(30 * 24 * time.Hour)
}

const simChildEnv = "TW_SIM_CHILD"

// TestSimulatorChildProcess serves the end-to-end benchmark's world from a process of its
// own, as Telegram serves the collector from elsewhere: the benchmark's process then holds
// only the client and the collector. It writes its address, DC and key to TW_SIM_CHILD
// (a folder) and serves until its standard input closes.
func TestSimulatorChildProcess(t *testing.T) {
	dir := os.Getenv(simChildEnv)
	if dir == "" {
		t.Skip("runs only as the child of the end-to-end benchmark")
	}
	w, start := e2eWorld(t)
	srv, err := tgsim.New(tgsim.Options{World: w, Clock: tgsim.Clock{Start: start, Speed: 1e-9}, Limits: tgsim.Limits{Off: true}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, srv.Start(ctx, "127.0.0.1:0"))
	co := srv.ClientOptions()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "key.pem"), co.KeyPEM, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "dc"), []byte(strconv.Itoa(co.DC)), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "addr.tmp"), []byte(co.Addr), 0o600))
	require.NoError(t, os.Rename(filepath.Join(dir, "addr.tmp"), filepath.Join(dir, "addr")))
	_, _ = io.Copy(io.Discard, os.Stdin)
	cancel()
	require.NoError(t, srv.Close())
	os.Exit(0)
}

// remoteSimEnv starts the simulator child and logs n accounts in to it.
func remoteSimEnv(b *testing.B, n int) *simEnv {
	b.Helper()
	dir := b.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSimulatorChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), simChildEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	require.NoError(b, err)
	cmd.Stderr = os.Stderr
	require.NoError(b, cmd.Start())
	b.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	var addr []byte
	for i := 0; i < 600 && len(addr) == 0; i++ {
		addr, _ = os.ReadFile(filepath.Join(dir, "addr"))
		time.Sleep(100 * time.Millisecond)
	}
	require.NotEmpty(b, addr, "the simulator child did not start")
	keyPEM, err := os.ReadFile(filepath.Join(dir, "key.pem"))
	require.NoError(b, err)
	keys, err := telegram.ParsePublicKeys(keyPEM)
	require.NoError(b, err)
	dcText, err := os.ReadFile(filepath.Join(dir, "dc"))
	require.NoError(b, err)
	dc, err := strconv.Atoi(string(dcText))
	require.NoError(b, err)
	e := &simEnv{dir: b.TempDir(), flushEvery: 200 * time.Millisecond, simPID: cmd.Process.Pid}
	for i := 0; i < n; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		acc, err := telegram.Dial(ctx, telegram.Options{
			APIID: 17, APIHash: testAPIHash, Phone: fmt.Sprintf("+99966230%02d", i+1), Label: fmt.Sprintf("acc%d", i+1),
			SessionDir: filepath.Join(e.dir, "sessions"), DC: dc, DCAddr: string(addr), PublicKeys: keys,
		})
		require.NoError(b, err)
		b.Cleanup(func() { _ = acc.Close() })
		require.NoError(b, acc.Login(ctx, codePrompt{}))
		cancel()
		e.accs = append(e.accs, acc)
	}
	e.ch = chtest.Migrated(b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e.db, err = store.Open(ctx, store.Options{Addr: []string{e.ch.Addr()}, Database: e.ch.Database})
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, e.db.Close()) })
	return e
}

// BenchmarkEndToEndVersusRawClient pages the same histories with the client alone and with
// the collector into ClickHouse, the simulator in a process of its own.
func BenchmarkEndToEndVersusRawClient(b *testing.B) {
	w, start := e2eWorld(b)
	e := remoteSimEnv(b, 1)
	e.flushEvery = 0 // the writer's defaults: 100,000-row batches, flushed every second
	names, peers, total := readable(w, start)
	w = nil // this process keeps no world: the simulator child serves it
	runtime.GC()
	ctx := context.Background()
	acc := e.accs[0].(*telegram.Account)
	const workers = 4

	// Warm the simulator's page cache, then measure the client alone.
	_, err := pageAll(ctx, acc, peers, workers)
	require.NoError(b, err)
	began := time.Now()
	cpu0 := cpuNow(b, e.simPID, e.ch.PID())
	raw, err := pageAll(ctx, acc, peers, workers)
	require.NoError(b, err)
	rawTook := time.Since(began)
	rawCPU := cpuNow(b, e.simPID, e.ch.PID()).sub(cpu0)
	rawRate := float64(raw) / rawTook.Seconds()

	clk := clock.NewFake(start)
	r := e.startCollector(b, clk, filepath.Join(e.dir, "state"), func(o *collect.Options) {
		o.Scope.Seeds = names
		o.Scope.Rules = discovery.Rules{MaxDepth: 0, MinReferences: 1}
		o.Watch = false
		o.Rates.MaxInFlight = workers
		o.Rates.Limits = map[string]budget.Limit{}
		o.Rates.DefaultLimit = budget.Limit{Rate: -1, Burst: 1}
	})
	began = time.Now()
	cpu0 = cpuNow(b, e.simPID, e.ch.PID())
	<-r.done
	require.NoError(b, r.err)
	require.NoError(b, r.out.Close(ctx))
	e2eTook := time.Since(began)
	e2eCPU := cpuNow(b, e.simPID, e.ch.PID()).sub(cpu0)
	stored, err := strconv.Atoi(e.ch.Query(b, "SELECT count() FROM posts"))
	require.NoError(b, err)
	e2eRate := float64(stored) / e2eTook.Seconds()
	b.ReportMetric(rawRate, "raw_msgs/s")
	b.ReportMetric(e2eRate, "e2e_posts/s")
	b.ReportMetric(100*e2eRate/rawRate, "%_of_raw")
	b.ReportMetric(1e6*rawCPU.self.Seconds()/float64(raw), "raw_client_cpu_us/msg")
	b.ReportMetric(1e6*e2eCPU.self.Seconds()/float64(stored), "collector_cpu_us/post")
	b.ReportMetric(1e6*e2eCPU.server.Seconds()/float64(stored), "clickhouse_cpu_us/post")
	b.Logf("CPU, raw run: client %s, simulator %s; end to end: collector (with its client) %s, simulator %s, ClickHouse %s",
		rawCPU.self.Round(time.Millisecond), rawCPU.sim.Round(time.Millisecond),
		e2eCPU.self.Round(time.Millisecond), e2eCPU.sim.Round(time.Millisecond), e2eCPU.server.Round(time.Millisecond))
	b.Logf("%d channels, %d messages in the world: raw client %d msgs in %s (%.0f/s); collector %d posts into ClickHouse in %s (%.0f/s, %.0f%% of raw)",
		len(peers), total, raw, rawTook.Round(time.Millisecond), rawRate, stored, e2eTook.Round(time.Millisecond), e2eRate, 100*e2eRate/rawRate)
}

func BenchmarkRateLimitEfficiency(b *testing.B) {
	spec := world.DefaultSpec(20)
	spec.Posting.PerDay = 40
	w, err := world.Generate(spec, 23)
	require.NoError(b, err)
	start := w.Start().Add(30 * 24 * time.Hour)
	e := newSimEnvB(b, w, start, tgsim.Limits{}, 1) // the simulator's Telegram-like budgets
	names, _, total := readable(w, start)
	clk := clock.NewFake(start)
	r := e.startCollector(b, clk, filepath.Join(e.dir, "state"), func(o *collect.Options) {
		o.Scope.Seeds = names
		o.Scope.Rules = discovery.Rules{MaxDepth: 0, MinReferences: 1}
		o.Watch = false
	})
	<-r.done
	require.NoError(b, r.err)
	require.NoError(b, r.out.Close(context.Background()))

	calls := e.srv.Calls()
	budgets := e.srv.Limits().Methods
	floods, all := 0, 0
	for _, c := range calls {
		if c.Account == "" || c.Method == "help.getConfig" || c.Method == "users.getUsers" {
			continue
		}
		all++
		if strings.HasPrefix(c.Error, "FLOOD_WAIT_") {
			floods++
		}
	}
	var hist []tgsim.Call
	for _, c := range calls {
		if c.Method == telegram.MethodGetHistory {
			hist = append(hist, c)
		}
	}
	window := hist[len(hist)-1].Time.Sub(hist[0].Time).Seconds()
	bud := budgets[telegram.MethodGetHistory]
	allowed := float64(bud.Burst) + bud.Rate*window
	achieved := 100 * float64(len(hist)) / allowed
	b.ReportMetric(achieved, "%_of_allowed")
	b.ReportMetric(100*float64(floods)/float64(all), "%_flood_replies")
	b.Logf("%d channels, %d messages: %d getHistory calls in %.1fs where the budget (%.1f/s, burst %d) allows %.0f: %.1f%%; %d flood waits in %d calls (%.2f%%)",
		len(names), total, len(hist), window, bud.Rate, bud.Burst, allowed, achieved, floods, all, 100*float64(floods)/float64(all))
}

// newSimEnvB is newSimEnv for a benchmark.
func newSimEnvB(b *testing.B, w *world.World, start time.Time, limits tgsim.Limits, n int) *simEnv {
	b.Helper()
	return newSimEnvTB(b, w, start, limits, n)
}

// discard is a Writer that drops rows, to measure the engine without the database.
type discard[T any] struct{ n atomic.Int64 }

func (d *discard[T]) Write(_ context.Context, rows ...T) error {
	d.n.Add(int64(len(rows)))
	return nil
}
func (d *discard[T]) Flush(context.Context) error { return nil }

func BenchmarkEngineWithoutDatabase(b *testing.B) {
	w, start := e2eWorld(b)
	e := newSimEnvB(b, w, start, tgsim.Limits{Off: true}, 1)
	names, peers, _ := readable(w, start)
	acc := e.accs[0].(*telegram.Account)
	_, err := pageAll(context.Background(), acc, peers, 4) // warm the page cache
	require.NoError(b, err)
	posts := &discard[schema.Post]{}
	out := collect.Output{
		Channels: &discard[schema.Channel]{}, Snapshots: &discard[schema.ChannelSnapshot]{}, Posts: posts,
		Counters: &discard[schema.PostCounters]{}, Links: &discard[schema.PostLink]{}, Events: &discard[schema.ChannelEvent]{},
		Registry: &discard[schema.Event]{}, AccountLinks: &discard[schema.AccountLink]{}, Discovery: &discard[schema.Discovery]{},
		Frames: &discard[schema.SamplingFrame]{}, Runs: &discard[schema.Run]{}, Completeness: &discard[schema.Completeness]{},
	}
	c, err := collect.New(collect.Options{
		Accounts: e.accs, Output: out, State: collect.StateOptions{Dir: filepath.Join(e.dir, "state")},
		Scope:   collect.Scope{Seeds: names, Rules: discovery.Rules{MaxDepth: 0, MinReferences: 1}},
		Privacy: collect.Privacy{HashKey: hashKey},
		Clock:   clock.NewFake(start), RateClock: clock.Real{},
		Rates: collect.Rates{MaxInFlight: 4, Limits: map[string]budget.Limit{}, DefaultLimit: budget.Limit{Rate: -1, Burst: 1}},
	})
	require.NoError(b, err)
	began := time.Now()
	_, err = c.Run(context.Background())
	require.NoError(b, err)
	took := time.Since(began)
	b.ReportMetric(float64(posts.n.Load())/took.Seconds(), "posts/s")
	b.Logf("engine without a database: %d posts in %s (%.0f/s)", posts.n.Load(), took.Round(time.Millisecond), float64(posts.n.Load())/took.Seconds())
}

// cpuUse is CPU time consumed by this process (client and collector), by the simulator
// child and by the ClickHouse server.
type cpuUse struct{ self, sim, server time.Duration }

func (a cpuUse) sub(b cpuUse) cpuUse {
	return cpuUse{a.self - b.self, a.sim - b.sim, a.server - b.server}
}

// cpuNow reads this process's user+system time and, from /proc, the simulator's and the
// server's.
func cpuNow(b *testing.B, sim, server int) cpuUse {
	b.Helper()
	var ru syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return cpuUse{self: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), sim: procCPU(b, sim), server: procCPU(b, server)}
}

// procCPU is the user+system time of process pid.
func procCPU(b *testing.B, pid int) time.Duration {
	b.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(b, err)
	// Fields after the command name (which may hold spaces) start at state: utime and stime
	// are the 14th and 15th fields of the line, in clock ticks (100 per second on Linux).
	rest := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	ut, err := strconv.ParseInt(rest[11], 10, 64)
	require.NoError(b, err)
	st, err := strconv.ParseInt(rest[12], 10, 64)
	require.NoError(b, err)
	return time.Duration(ut+st) * 10 * time.Millisecond
}
