package collect_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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
	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/migrate"
	"github.com/tidewatch/tidewatch/schema/store"
)

// The kill test runs the collector as a child process (this test binary, re-executed with
// TW_COLLECT_CHILD set), kills it with SIGKILL at random moments and restarts it, while a
// second child collects the same world without interruption into another database. The
// world's clock stands still while the collectors work: the test moves it on in steps (it
// writes the world time to a file the children follow) and waits until both children are
// idle at that time before the next step. A killed collector is restarted at the same world
// time, so what it must redo it redoes at the moment the uninterrupted one did it: the two
// databases must then hold the same data, row for row.

const childEnv = "TW_COLLECT_CHILD"

// childConfig is what a child collector needs, passed in the environment.
type childConfig struct {
	SimAddr, KeyFile, CHAddr, Database, State, Spool, Sessions, Label string
	// ClockFile holds the world time (Unix seconds) the child follows; the child writes the
	// world time at which it was last idle to IdleFile.
	ClockFile, IdleFile string
	Seeds               []string
}

func (c childConfig) env() []string {
	return append(os.Environ(), childEnv+"=1",
		"TW_SIM_ADDR="+c.SimAddr, "TW_KEY_FILE="+c.KeyFile, "TW_CH_ADDR="+c.CHAddr, "TW_CH_DB="+c.Database,
		"TW_STATE="+c.State, "TW_SPOOL="+c.Spool, "TW_SESSIONS="+c.Sessions, "TW_LABEL="+c.Label,
		"TW_SEEDS="+strings.Join(c.Seeds, ","), "TW_CLOCK="+c.ClockFile, "TW_IDLE="+c.IdleFile)
}

// writeUnix replaces file with t's Unix seconds (atomically: a reader sees the old or the
// new time).
func writeUnix(file string, t time.Time) error {
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.FormatInt(t.Unix(), 10)), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}

// readUnix reads a time written by writeUnix (zero when the file is missing).
func readUnix(file string) (time.Time, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", file, err)
	}
	return time.Unix(n, 0).UTC(), nil
}

// TestCollectorChildProcess is the child's body; as a test on its own it does nothing.
func TestCollectorChildProcess(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("runs only as the child of the kill test")
	}
	if err := runChild(); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runChild collects until SIGTERM, following the world time in the clock file and
// reporting in the idle file each world time at which it has done everything due.
func runChild() error {
	keyPEM, err := os.ReadFile(os.Getenv("TW_KEY_FILE"))
	if err != nil {
		return err
	}
	keys, err := telegram.ParsePublicKeys(keyPEM)
	if err != nil {
		return err
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer cancel()
	clockFile, idleFile := os.Getenv("TW_CLOCK"), os.Getenv("TW_IDLE")
	now, err := readUnix(clockFile)
	if err != nil {
		return err
	}
	clk := clock.NewFake(now)
	acc, err := telegram.Dial(ctx, telegram.Options{
		APIID: 17, APIHash: testAPIHash, Label: os.Getenv("TW_LABEL"), SessionDir: os.Getenv("TW_SESSIONS"),
		DCAddr: os.Getenv("TW_SIM_ADDR"), PublicKeys: keys,
	})
	if err != nil {
		return err
	}
	defer acc.Close()
	db, err := store.Open(ctx, store.Options{Addr: []string{os.Getenv("TW_CH_ADDR")}, Database: os.Getenv("TW_CH_DB")})
	if err != nil {
		return err
	}
	defer db.Close()
	out, err := collect.OpenOutput(db, store.WriterOptions{SpoolDir: os.Getenv("TW_SPOOL"), FlushInterval: 200 * time.Millisecond})
	if err != nil {
		return err
	}
	c, err := collect.New(collect.Options{
		Accounts: []collect.Client{acc}, Output: out.Output,
		Posts: collect.StoreReader{DB: db}, Recovery: collect.StoreReader{DB: db},
		State: collect.StateOptions{Dir: os.Getenv("TW_STATE"), CheckpointInterval: 500 * time.Millisecond},
		Scope: collect.Scope{
			Seeds: strings.Split(os.Getenv("TW_SEEDS"), ","),
			Rules: discovery.Rules{MaxDepth: 1, MinReferences: 2, Via: discovery.AllRules},
		},
		Privacy: collect.Privacy{HashKey: hashKey}, Clock: clk, RateClock: clock.Real{}, Watch: true,
		Rates:  collect.Rates{Limits: map[string]budget.Limit{}, DefaultLimit: budget.Limit{Rate: -1, Burst: 1}},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		return err
	}
	// Follow the clock file; after each move, report the time once the collector is idle.
	follow := make(chan error, 1)
	go func() {
		var idleAt time.Time
		for {
			t, err := readUnix(clockFile)
			if err != nil {
				follow <- err
				return
			}
			clk.Set(t)
			if !clk.Now().Equal(idleAt) {
				// Idle, and everything done so far durable: the test moves the world on
				// only then, so a kill loses only work of the current world time, which
				// the restarted collector redoes at that same time.
				if err := c.WaitIdle(ctx); err != nil {
					follow <- nil
					return
				}
				if err := c.Sync(ctx); err != nil {
					follow <- nil
					return
				}
				idleAt = clk.Now()
				if err := writeUnix(idleFile, idleAt); err != nil {
					follow <- err
					return
				}
			}
			if clock.Wait(ctx, clock.Real{}, 10*time.Millisecond) != nil {
				follow <- nil
				return
			}
		}
	}()
	_, runErr := c.Run(ctx)
	cancel()
	cctx, ccancel := context.WithTimeout(context.Background(), time.Minute)
	defer ccancel()
	return errors.Join(runErr, <-follow, out.Close(cctx))
}

func TestKillRestartMatchesUninterrupted(t *testing.T) {
	skipShort(t)
	if os.Getenv(childEnv) != "" {
		t.Skip("child process")
	}
	w, err := world.Generate(world.DefaultSpec(30), 5)
	require.NoError(t, err)
	start := w.Start().Add(12 * 24 * time.Hour)
	dir := t.TempDir()
	srv, err := tgsim.New(tgsim.Options{World: w, Clock: tgsim.Clock{Start: start, Speed: 1e-9}, Limits: tgsim.Limits{Off: true}})
	require.NoError(t, err)
	sctx, scancel := context.WithCancel(context.Background())
	require.NoError(t, srv.Start(sctx, "127.0.0.1:0"))
	t.Cleanup(func() {
		scancel()
		require.NoError(t, srv.Close())
	})
	keyFile := filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(keyFile, srv.PublicKeyPEM(), 0o600))
	sessions := filepath.Join(dir, "sessions")
	for i, label := range []string{"killed", "steady"} {
		e := &simEnv{srv: srv, dir: dir}
		acc := e.dial(t, label, fmt.Sprintf("+99966211%02d", i+1))
		require.NoError(t, acc.Close())
	}
	ch := chtest.Migrated(t)
	mctx, mcancel := context.WithTimeout(context.Background(), time.Minute)
	defer mcancel()
	_, err = migrate.Migrate(mctx, ch.Conn(t), migrate.Options{Database: "steady"})
	require.NoError(t, err)

	clockFile := filepath.Join(dir, "clock")
	setTime := func(at time.Time) {
		srv.SetWorldTime(at, 1e-9)
		require.NoError(t, writeUnix(clockFile, at))
	}
	setTime(start)
	seeds := seedsAt(t, w, start, 4)
	cfg := func(label, db string) childConfig {
		return childConfig{
			SimAddr: srv.Addr(), KeyFile: keyFile, CHAddr: ch.Addr(), Database: db,
			State: filepath.Join(dir, label, "state"), Spool: filepath.Join(dir, label, "spool"),
			Sessions: sessions, Label: label, Seeds: seeds,
			ClockFile: clockFile, IdleFile: filepath.Join(dir, label+".idle"),
		}
	}
	type proc struct {
		cmd  *exec.Cmd
		done chan error
	}
	child := func(c childConfig, logName string) *proc {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCollectorChildProcess$", "-test.count=1")
		cmd.Env = c.env()
		logf, err := os.OpenFile(filepath.Join(dir, logName), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		require.NoError(t, err)
		t.Cleanup(func() { logf.Close() })
		cmd.Stdout, cmd.Stderr = logf, logf
		require.NoError(t, cmd.Start())
		p := &proc{cmd: cmd, done: make(chan error, 1)}
		go func() { p.done <- cmd.Wait() }()
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
		})
		return p
	}
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "killed.log"))
			lines := strings.Split(string(log), "\n")
			t.Logf("killed.log (last lines):\n%s", strings.Join(lines[max(0, len(lines)-60):], "\n"))
			if keep := os.Getenv("TW_KEEP_LOGS"); keep != "" {
				_ = os.WriteFile(filepath.Join(keep, "killed.log"), log, 0o600)
				steadyLog, _ := os.ReadFile(filepath.Join(dir, "steady.log"))
				_ = os.WriteFile(filepath.Join(keep, "steady.log"), steadyLog, 0o600)
			}
		}
	})
	steadyCfg, killedCfg := cfg("steady", "steady"), cfg("killed", ch.Database)
	steady := child(steadyCfg, "steady.log")
	killed := child(killedCfg, "killed.log")
	// waitIdle waits until the child has done everything due at world time at.
	waitIdle := func(p *proc, c childConfig, at time.Time) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Minute)
		for {
			got, err := readUnix(c.IdleFile)
			require.NoError(t, err)
			if got.Equal(at) {
				return
			}
			select {
			case err := <-p.done:
				t.Fatalf("%s exited while the test waited for it (%v): see its log", c.Label, err)
			case <-time.After(20 * time.Millisecond):
			}
			require.True(t, time.Now().Before(deadline), "%s not idle at %s after 5 minutes", c.Label, at)
		}
	}
	kill := func() {
		require.NoError(t, killed.cmd.Process.Signal(syscall.SIGKILL))
		<-killed.done
		// The next idle report must come from the new process.
		if err := os.Remove(killedCfg.IdleFile); !errors.Is(err, os.ErrNotExist) {
			require.NoError(t, err)
		}
		killed = child(killedCfg, "killed.log")
	}

	// Four world hours in 10-minute steps; ten kills at random moments: three during the
	// first pass (full histories, discovery), the others spread over the steps.
	const steps = 24
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	killsAt := map[int]int{0: 3}
	for n := 0; n < 7; n++ {
		killsAt[1+rng.IntN(steps)]++
	}
	at := start
	kills := 0
	for step := 0; step <= steps; step++ {
		if step > 0 {
			at = at.Add(10 * time.Minute)
			setTime(at)
		}
		for k := 0; k < killsAt[step]; k++ {
			if step == 0 {
				time.Sleep(time.Duration(1000+rng.IntN(3000)) * time.Millisecond)
			} else {
				time.Sleep(time.Duration(rng.IntN(400)) * time.Millisecond)
			}
			kill()
			kills++
		}
		waitIdle(steady, steadyCfg, at)
		waitIdle(killed, killedCfg, at)
	}
	require.Equal(t, 10, kills)
	for _, p := range []*proc{steady, killed} {
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
		require.NoError(t, <-p.done, "see %s", dir)
	}

	// The two databases must hold the same data.
	same := func(what, q string) {
		t.Helper()
		a := ch.Query(t, fmt.Sprintf(q, ch.Database))
		b := ch.Query(t, fmt.Sprintf(q, "steady"))
		if what != "events" {
			require.NotEmpty(t, b, what)
		}
		if a != b {
			count := func(s string) map[string]int {
				m := map[string]int{}
				for _, l := range strings.Split(s, "\n") {
					m[l]++
				}
				return m
			}
			ac, bc := count(a), count(b)
			var onlyA, onlyB []string
			for l, n := range ac {
				for ; n > bc[l]; n-- {
					onlyA = append(onlyA, l)
				}
			}
			for l, n := range bc {
				for ; n > ac[l]; n-- {
					onlyB = append(onlyB, l)
				}
			}
			slices.Sort(onlyA)
			slices.Sort(onlyB)
			t.Errorf("%s differ: only after kills %d %v, only uninterrupted %d %v", what, len(onlyA), head(onlyA), len(onlyB), head(onlyB))
			if what == "frame" {
				for _, l := range head(append(onlyA, onlyB...)) {
					q := "SELECT channel_id, via_channel_id, rule, depth, references, included, reason, version FROM %s.discovery WHERE channel_id = " + strings.Fields(l)[0] + " ORDER BY version"
					t.Logf("discovery rows of %s after kills:\n%s\nuninterrupted:\n%s", strings.Fields(l)[0],
						ch.Query(t, fmt.Sprintf(q, ch.Database)), ch.Query(t, fmt.Sprintf(q, "steady")))
				}
			}
			return
		}
		t.Logf("%s: %d rows agree", what, len(strings.Split(b, "\n")))
	}
	// The frame: the same channels at the same depths.
	same("frame", "SELECT channel_id, min(depth) FROM %s.discovery FINAL WHERE included = 1 GROUP BY channel_id ORDER BY channel_id")
	// The provenance: one row per channel, referring channel and rule, with the references
	// counted and the verdict. A restart applies the pages of its last minutes again in
	// another order, so a reference by name may come before its channel is known; it must end
	// up on the channel all the same. Rows of usernames not resolved (channel_id with the top
	// bit set) are left out: whether one was written depends on whether a checkpoint happened
	// to fall between the reference and the channel's discovery.
	same("provenance", "SELECT channel_id, via_channel_id, rule, depth, references, included, reason, version "+
		"FROM %s.discovery FINAL WHERE channel_id < 9223372036854775808 ORDER BY channel_id, via_channel_id, rule")
	// A posts row carries the counters and edit time of the last time its page was fetched:
	// a restart that fetches a page again (its progress was not checkpointed yet) updates
	// them, so they are left out here; the counter series is compared in full below. Posts
	// of the last 70 minutes are left out too: a page fetched again at the end sees posts
	// that the uninterrupted run's hourly poll has not reached yet.
	cut := at.Add(-70 * time.Minute).Unix()
	same("posts", fmt.Sprintf("SELECT channel_id, post_id, posted_at, kind, album_id, fwd_channel_id, fwd_post_id, "+
		"text_hash, media_type, link_count, deleted FROM %%s.posts FINAL WHERE posted_at < toDateTime(%d) ORDER BY channel_id, post_id", cut))
	// A t.me link's target_channel_id is filled when its username was resolved before the
	// page was read, which depends on the order calls finish in: the username is compared.
	same("links", fmt.Sprintf("SELECT channel_id, post_id, url, link_kind, source_kind, dest_platform, target_username "+
		"FROM %%s.post_links FINAL WHERE posted_at < toDateTime(%d) ORDER BY channel_id, post_id, url, source_kind", cut))
	same("counter readings", fmt.Sprintf("SELECT channel_id, post_id, target_age_s, read_at, views, forwards, replies, deleted "+
		"FROM %%s.post_counters FINAL WHERE posted_at < toDateTime(%d) ORDER BY channel_id, post_id, target_age_s, read_at", cut))
	same("snapshots", "SELECT channel_id, snapshot_at, username, title, subscribers, status "+
		"FROM %s.channel_snapshots FINAL ORDER BY channel_id, snapshot_at")
	same("events", "SELECT channel_id, kind, event_at, old_value, new_value FROM %s.channel_events FINAL "+
		"ORDER BY channel_id, kind, event_at, old_value, new_value")
	// No observation was taken twice for the same counter age.
	require.Equal(t, "0", ch.Query(t, "SELECT count() FROM (SELECT channel_id, post_id, target_age_s, count() AS n "+
		"FROM post_counters FINAL GROUP BY channel_id, post_id, target_age_s HAVING n > 1)"))
	log, _ := os.ReadFile(filepath.Join(dir, "killed.log"))
	require.NotContains(t, string(log), "panic")
}

func head(s []string) []string { return s[:min(len(s), 5)] }
