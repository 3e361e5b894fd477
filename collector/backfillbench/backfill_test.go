package backfillbench

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/telegram"
	"github.com/tidewatch/tidewatch/collector/tgsim/world"
	"github.com/tidewatch/tidewatch/schema/chtest"
)

const (
	apiHash = "0123456789abcdef0123456789abcdef"
	seed    = 3
	workers = 4 // calls at once, the collector's default max_in_flight
)

type codePrompt struct{}

func (codePrompt) Code(context.Context) (string, error)     { return "22222", nil }
func (codePrompt) Password(context.Context) (string, error) { return "", telegram.ErrPasswordRequired }

// binaries builds tidewatch and tgsim once per benchmark process.
var binaries = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "backfillbench-bin-")
	if err != nil {
		return "", err
	}
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	cmd := exec.Command("go", "build", "-o", dir+"/", "./cmd/tidewatch", "./cmd/tgsim")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(out)))
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v: %s", err, b)
	}
	return dir, nil
})

// spec is a world of channels posting perDay posts a day over history.
func spec(channels int, history string, perDay float64) string {
	return fmt.Sprintf("channels: %d\nhistory: %s\nposting:\n  per_day: %g\n", channels, history, perDay)
}

// env is one benchmark world: the simulator's process, a ClickHouse server and a data folder
// for tidewatch.
type env struct {
	dir, bin string
	sim      *exec.Cmd
	addr     string
	ch       *chtest.Server
	world    world.Spec
	seeds    []string
}

func newEnv(b *testing.B, specText string, limits bool) *env {
	b.Helper()
	bin, err := binaries()
	require.NoError(b, err)
	e := &env{dir: b.TempDir(), bin: bin}
	specFile := filepath.Join(e.dir, "spec.yaml")
	require.NoError(b, os.WriteFile(specFile, []byte(specText), 0o644))
	e.world, err = world.LoadSpec(specFile)
	require.NoError(b, err)
	args := []string{"serve", "--spec", specFile, "--seed", strconv.Itoa(seed), "--start", "1d", "--speed", "0.000001",
		"--key-out", filepath.Join(e.dir, "sim.pem"), "--addr-out", filepath.Join(e.dir, "sim.addr"), "--quiet"}
	if !limits {
		args = append(args, "--no-limits")
	}
	e.sim = exec.Command(filepath.Join(bin, "tgsim"), args...)
	e.sim.Stderr = os.Stderr
	require.NoError(b, e.sim.Start())
	b.Cleanup(func() {
		_ = e.sim.Process.Signal(syscall.SIGTERM)
		_ = e.sim.Wait()
	})
	for i := 0; i < 600 && e.addr == ""; i++ {
		a, _ := os.ReadFile(filepath.Join(e.dir, "sim.addr"))
		e.addr = strings.TrimSpace(string(a))
		time.Sleep(50 * time.Millisecond)
	}
	require.NotEmpty(b, e.addr, "tgsim did not start")
	e.ch = chtest.Migrated(b)
	seeds := e.run(b, "tgsim", "seeds", "--spec", specFile, "--seed", strconv.Itoa(seed), "--at", "1d", "--count", strconv.Itoa(e.world.Channels))
	e.seeds = strings.Fields(seeds)
	require.NoError(b, os.WriteFile(filepath.Join(e.dir, "seeds.txt"), []byte(seeds), 0o644))
	return e
}

// run runs one of the binaries in the data folder and returns its standard output.
func (e *env) run(b *testing.B, name string, args ...string) string {
	b.Helper()
	cmd := exec.Command(filepath.Join(e.bin, name), args...)
	cmd.Dir = e.dir
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		b.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, ee.Stderr)
	}
	require.NoError(b, err)
	return string(out)
}

// configure writes tidewatch.yaml: the simulator, the throwaway server, no discovery, and
// the per-account call rates raised (raised) or left at their defaults.
func (e *env) configure(b *testing.B, raised bool) {
	b.Helper()
	cfg := fmt.Sprintf(`data_dir: .
clickhouse:
  addr: [%s]
  database: %s
telegram:
  api_id: 17
  api_hash: %s
  dc_addr: %s
  public_key_file: sim.pem
privacy:
  hash_key: backfill-benchmark-key-0123456789
collect:
  discovery:
    max_depth: 0
`, e.ch.Addr(), e.ch.Database, apiHash, e.addr)
	if raised {
		cfg += "  limits: [channels.getFullChannel=100000/100000, channels.getChannels=100000/100000, messages.getHistory=100000/100000, messages.getMessagesViews=100000/100000, channels.getMessages=100000/100000, contacts.resolveUsername=100000/100000]\n"
	}
	require.NoError(b, os.WriteFile(filepath.Join(e.dir, "tidewatch.yaml"), []byte(cfg), 0o600))
	e.run(b, "tidewatch", "login", "--phone", "+9996621234", "--code", "22222", "--label", "bench")
	e.run(b, "tidewatch", "seeds", "add", "--file", "seeds.txt")
}

// rawPaging pages every seeded channel's whole history with the gotd client alone (4 calls at
// once, 100 messages a page, decoded, nothing kept) and returns the messages and this
// process's CPU for them. The channels are resolved and the pages warmed first, untimed.
func (e *env) rawPaging(b *testing.B) (msgs int, cpu time.Duration) {
	b.Helper()
	ctx := context.Background()
	pem, err := os.ReadFile(filepath.Join(e.dir, "sim.pem"))
	require.NoError(b, err)
	keys, err := telegram.ParsePublicKeys(pem)
	require.NoError(b, err)
	acc, err := telegram.Dial(ctx, telegram.Options{
		APIID: 17, APIHash: apiHash, Phone: "+9996620001", Label: "raw",
		SessionDir: filepath.Join(e.dir, "raw-sessions"), DC: 2, DCAddr: e.addr, PublicKeys: keys,
	})
	require.NoError(b, err)
	defer acc.Close()
	require.NoError(b, acc.Login(ctx, codePrompt{}))
	var peers []telegram.Peer
	for _, u := range e.seeds {
		p, err := acc.ResolveUsername(ctx, u)
		if err != nil {
			continue // private, banned or deleted by now: the collector skips it too
		}
		peers = append(peers, p)
	}
	warm, err := pageAll(ctx, acc, peers)
	require.NoError(b, err)
	if os.Getenv("BACKFILLBENCH_VERBOSE") != "" {
		fmt.Fprintf(os.Stderr, "raw: %d channels resolved of %d seeds, %d messages\n", len(peers), len(e.seeds), warm)
	}
	runtime.GC()
	before := selfCPU(b)
	msgs, err = pageAll(ctx, acc, peers)
	require.NoError(b, err)
	return msgs, selfCPU(b) - before
}

func pageAll(ctx context.Context, acc *telegram.Account, peers []telegram.Peer) (int, error) {
	var (
		next, msgs atomic.Int64
		wg         sync.WaitGroup
		mu         sync.Mutex
		first      error
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
						mu.Lock()
						first = err
						mu.Unlock()
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

// collection is what one collector run measured.
type collection struct {
	posts    int
	wall     time.Duration
	cpu      time.Duration // the collector process, user + system
	server   time.Duration // clickhouse-server during the run
	maxRSS   int64         // the collector process, bytes
	batches  map[string]float64
	newParts map[string]int
}

// collect runs `tidewatch collect --watch` until the history is in ClickHouse and the
// writers are idle, reads the writers' insert counts from its metrics, then stops it with
// SIGINT (it flushes) and reads its CPU and peak memory from the kernel.
func (e *env) collect(b *testing.B, want int) collection {
	b.Helper()
	port := freePort(b)
	partsBefore := e.levelZeroParts(b)
	cmd := exec.Command(filepath.Join(e.bin, "tidewatch"), "collect", "--watch", "--log-level", "warn", "--metrics-listen", "127.0.0.1:"+strconv.Itoa(port))
	cmd.Dir = e.dir
	cmd.Stderr = os.Stderr
	server0 := procCPU(b, e.ch.PID())
	began := time.Now()
	require.NoError(b, cmd.Start())
	var (
		metrics map[string]float64
		stable  int
		idle    int
		last    float64
	)
	deadline := time.Now().Add(30 * time.Minute)
	for time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		m, err := scrape(port)
		if err != nil {
			continue
		}
		written := m[`tidewatch_store_rows_written_total{table="`+e.ch.Database+`.posts"}`]
		accepted := m[`tidewatch_store_rows_accepted_total{table="`+e.ch.Database+`.posts"}`]
		if written == accepted && written == last && written > 0 {
			idle++
		} else {
			idle = 0
		}
		if written >= float64(want) && idle > 0 {
			stable++
		} else {
			stable = 0
		}
		last, metrics = written, m
		if os.Getenv("BACKFILLBENCH_VERBOSE") != "" {
			fmt.Fprintf(os.Stderr, "collect: %.0f posts written of %d wanted, %.0f accepted\n", written, want, accepted)
		}
		if stable >= 8 { // two seconds without a new post: the backfill is done
			break
		}
		if idle >= 60 { // 15 s without a new post short of the history: stop and report
			break
		}
	}
	wall := time.Since(began)
	require.NoError(b, cmd.Process.Signal(os.Interrupt))
	require.NoError(b, cmd.Wait())
	require.GreaterOrEqual(b, last, float64(want), "the collector stored the whole history")
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	c := collection{
		wall:     wall,
		cpu:      time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		server:   procCPU(b, e.ch.PID()) - server0,
		maxRSS:   ru.Maxrss << 10,
		batches:  map[string]float64{},
		newParts: map[string]int{},
	}
	c.posts, _ = strconv.Atoi(e.ch.Query(b, "SELECT count() FROM posts FINAL"))
	prefix := `tidewatch_store_batches_total{table="` + e.ch.Database + `.`
	for k, v := range metrics {
		if t, ok := strings.CutPrefix(k, prefix); ok {
			c.batches[strings.TrimSuffix(t, `"}`)] = v
		}
	}
	for t, n := range e.levelZeroParts(b) {
		c.newParts[t] = n - partsBefore[t]
	}
	return c
}

// collectOnce runs a one-shot `tidewatch collect`, which returns once every channel's
// history is in, and reads its CPU and peak memory from the kernel.
func (e *env) collectOnce(b *testing.B) collection {
	b.Helper()
	cmd := exec.Command(filepath.Join(e.bin, "tidewatch"), "collect", "--log-level", "warn")
	cmd.Dir = e.dir
	cmd.Stderr = os.Stderr
	began := time.Now()
	require.NoError(b, cmd.Run())
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	c := collection{wall: time.Since(began), cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), maxRSS: ru.Maxrss << 10}
	c.posts, _ = strconv.Atoi(e.ch.Query(b, "SELECT count() FROM posts FINAL"))
	require.Positive(b, c.posts)
	return c
}

// levelZeroParts counts, per table, the parts inserts created (level 0; merges make higher
// levels), active or already merged away, which system.parts keeps for 8 minutes.
func (e *env) levelZeroParts(b *testing.B) map[string]int {
	out := map[string]int{}
	rows := e.ch.Query(b, "SELECT table, count() FROM system.parts WHERE database = '"+e.ch.Database+"' AND level = 0 GROUP BY table")
	for _, line := range strings.Split(rows, "\n") {
		t, n, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		out[t], _ = strconv.Atoi(n)
	}
	return out
}

// partsPerInsert is, for each table the collector wrote, the parts its inserts made per insert;
// the rollups fed by materialized views count against their source table's inserts.
func (c collection) partsPerInsert() map[string]float64 {
	source := map[string]string{"posts_daily": "posts", "links_daily": "post_links", "channel_daily": "channel_snapshots"}
	out := map[string]float64{}
	for t, n := range c.newParts {
		s := t
		if src, ok := source[t]; ok {
			s = src
		}
		if ins := c.batches[s]; ins > 0 && n > 0 {
			out[t] = float64(n) / ins
		}
	}
	return out
}

func scrape(port int) (map[string]float64, error) {
	resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			m[line[:i]] = v
		}
	}
	return m, sc.Err()
}

func freePort(b *testing.B) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	require.NoError(b, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is the user+system time of process pid, from /proc.
func procCPU(b *testing.B, pid int) time.Duration {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(b, err)
	rest := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	ut, err := strconv.ParseInt(rest[11], 10, 64)
	require.NoError(b, err)
	st, err := strconv.ParseInt(rest[12], 10, 64)
	require.NoError(b, err)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// BenchmarkBackfill collects the full histories (about 2,600 posts each over up to five
// years) of 50 and of 200 simulated channels, discovery off and call rates raised, and
// reports the collector's peak memory, its posts per CPU-second against the raw client's
// messages per CPU-second, the same with ClickHouse's CPU added, and the parts per insert.
func BenchmarkBackfill(b *testing.B) {
	for _, n := range []int{50, 200} {
		b.Run(fmt.Sprintf("channels=%d", n), func(b *testing.B) {
			e := newEnv(b, spec(n, "1800d", 2.3), false)
			raw, rawCPU := e.rawPaging(b)
			e.configure(b, true)
			// The collector stores every message the raw client received but service
			// messages, so it has the history once it has nearly as many posts.
			c := e.collect(b, raw*95/100)
			rawRate := float64(raw) / rawCPU.Seconds()
			rate := float64(c.posts) / c.cpu.Seconds()
			both := float64(c.posts) / (c.cpu + c.server).Seconds()
			b.ReportMetric(float64(c.maxRSS)/(1<<20), "collector_max_rss_MiB")
			b.ReportMetric(rawRate, "raw_msgs/cpu_s")
			b.ReportMetric(rate, "collector_posts/cpu_s")
			b.ReportMetric(100*rate/rawRate, "collector_%_of_raw")
			b.ReportMetric(100*both/rawRate, "with_clickhouse_%_of_raw")
			worst := 0.0
			ppi := c.partsPerInsert()
			for _, v := range ppi {
				worst = max(worst, v)
			}
			b.ReportMetric(worst, "max_parts/insert")
			tables := make([]string, 0, len(ppi))
			for t := range ppi {
				tables = append(tables, t)
			}
			slices.Sort(tables)
			var parts []string
			for _, t := range tables {
				parts = append(parts, fmt.Sprintf("%s %d/%.0f", t, c.newParts[t], c.batches[t]))
			}
			b.Logf("%d channels: raw client %d msgs, %s CPU; collector %d posts in %s, %s CPU, ClickHouse %s CPU, max RSS %.0f MiB; new parts/inserts: %s",
				len(e.seeds), raw, rawCPU.Round(time.Millisecond), c.posts, c.wall.Round(time.Millisecond), c.cpu.Round(time.Millisecond),
				c.server.Round(time.Millisecond), float64(c.maxRSS)/(1<<20), strings.Join(parts, ", "))
		})
	}
}

// BenchmarkSpin collects a small world at the simulator's Telegram-like rate limits and the
// collector's default limits, reps times on fresh state, and fails when any run's collector
// CPU per post is more than 1.5 times the median: a collector that spins while it waits for
// its budgets shows as a run that costs several times the others.
func BenchmarkSpin(b *testing.B) {
	reps, _ := strconv.Atoi(os.Getenv("BACKFILLBENCH_SPIN_REPS"))
	if reps <= 0 {
		reps = 10
	}
	var perPost []float64
	for r := range reps {
		e := newEnv(b, spec(10, "60d", 3), true)
		e.configure(b, false)
		c := e.collectOnce(b)
		us := 1e6 * c.cpu.Seconds() / float64(c.posts)
		perPost = append(perPost, us)
		b.Logf("run %d: %d posts in %s, collector CPU %s (%.1f µs/post), max RSS %.0f MiB",
			r+1, c.posts, c.wall.Round(time.Millisecond), c.cpu.Round(time.Millisecond), us, float64(c.maxRSS)/(1<<20))
	}
	sorted := slices.Clone(perPost)
	slices.Sort(sorted)
	median := sorted[len(sorted)/2]
	if len(sorted)%2 == 0 {
		median = (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
	}
	b.ReportMetric(median, "median_cpu_us/post")
	b.ReportMetric(sorted[len(sorted)-1]/median, "max/median")
	for i, v := range perPost {
		if v > 1.5*median {
			b.Errorf("run %d: %.1f µs of collector CPU per post, %.2f times the median %.1f: the collector spun", i+1, v, v/median, median)
		}
	}
}
