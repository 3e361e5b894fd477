package e2e

import (
	"context"
	"crypto/rsa"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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

type codePrompt struct{}

func (codePrompt) Code(context.Context) (string, error)     { return "22222", nil }
func (codePrompt) Password(context.Context) (string, error) { return "", telegram.ErrPasswordRequired }

// collected is a world collected into ClickHouse from start to end.
type collected struct {
	w          *world.World
	ch         *chtest.Server
	cluster    *chtest.Cluster // the cluster it was collected into, nil for a single server
	addrs      []string        // the addresses the store connects to
	db         *store.DB
	wopts      store.WriterOptions
	start, end time.Time
	channels   []int64 // the channels the collector stored
}

// collectWorld serves w with its clock frozen, collects every channel with a username at
// start (and what they lead to, one step deep) with the real client, stepping the world's
// clock to end, and waits until everything is stored.
func collectWorld(t *testing.T, w *world.World, start, end time.Time, step time.Duration) *collected {
	t.Helper()
	return collectWorldWith(t, w, start, end, step, collectSpec{})
}

// collectSpec varies where and how collectWorldWith collects; the zero value is
// collectWorld's: one collector into a fresh migrated server, one discovery step.
type collectSpec struct {
	// ch is the server the checks query and addrs the addresses the store connects to
	// (default ch's own); a nil ch means a fresh chtest.Migrated server.
	ch    *chtest.Server
	addrs []string
	// cluster, when set, is where the collector writes instead: every node's address, the
	// checks querying its first node (through the Distributed tables).
	cluster *chtest.Cluster
	// shards, above 1, runs that many collectors at once, each with its own account and
	// state, collector i taking shard i of shards and naming its rows' run "shard-i".
	shards int
	// seedsOnly turns discovery off (depth 0).
	seedsOnly bool
	// afterStep, when set, runs after each step of the world's clock once the collectors
	// are idle, with the step's number from 1.
	afterStep func(step int)
}

// collectWorldWith is collectWorld as spec says.
func collectWorldWith(t *testing.T, w *world.World, start, end time.Time, step time.Duration, spec collectSpec) *collected {
	t.Helper()
	srv, err := tgsim.New(tgsim.Options{World: w, Clock: tgsim.Clock{Start: start, Speed: 1e-9}, Limits: tgsim.Limits{Off: true}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, srv.Start(ctx, "127.0.0.1:0"))
	t.Cleanup(func() {
		cancel()
		require.NoError(t, srv.Close())
	})
	dir := t.TempDir()
	co := srv.ClientOptions()
	dctx, dcancel := context.WithTimeout(context.Background(), time.Minute)
	defer dcancel()
	n := max(spec.shards, 1)
	var accs []*telegram.Account
	for i := 0; i < n; i++ {
		label := "e2e"
		if n > 1 {
			label = fmt.Sprintf("e2e-%d", i)
		}
		acc, err := telegram.Dial(dctx, telegram.Options{
			APIID: 17, APIHash: "0123456789abcdef0123456789abcdef", Phone: fmt.Sprintf("+99966210%02d", i+1), Label: label,
			SessionDir: filepath.Join(dir, "sessions"), DC: co.DC, DCAddr: co.Addr, PublicKeys: []*rsa.PublicKey{co.Key},
		})
		require.NoError(t, err)
		t.Cleanup(func() { _ = acc.Close() })
		require.NoError(t, acc.Login(dctx, codePrompt{}))
		accs = append(accs, acc)
	}

	c := &collected{w: w, ch: spec.ch, cluster: spec.cluster, start: start, end: end}
	addrs := spec.addrs
	if spec.cluster != nil {
		c.ch = spec.cluster.Nodes[0]
		if len(addrs) == 0 {
			addrs = spec.cluster.Addrs()
		}
	}
	if c.ch == nil {
		c.ch = chtest.Migrated(t)
	}
	if len(addrs) == 0 {
		addrs = []string{c.ch.Addr()}
	}
	c.addrs = addrs
	c.db, err = store.Open(dctx, store.Options{Addr: addrs, Database: c.ch.Database})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.db.Close() })
	c.wopts = store.WriterOptions{SpoolDir: filepath.Join(dir, "spool"), FlushInterval: 200 * time.Millisecond}

	var seeds []string
	for _, id := range w.ChannelIDs() {
		hash, _ := w.AccessHash(id)
		if v, err := w.Channel(id, hash, start); err == nil && v.Username != "" {
			seeds = append(seeds, v.Username)
		}
	}
	rules := discovery.Rules{MaxDepth: 1, MinReferences: 2, Via: discovery.AllRules}
	if spec.seedsOnly {
		rules.MaxDepth = 0
	}
	clk := clock.NewFake(start)
	var outs []*collect.StoreOutput
	var cols []*collect.Collector
	for i, acc := range accs {
		wopts := c.wopts
		scope := collect.Scope{Seeds: seeds, Rules: rules}
		var run collect.RunInfo
		if n > 1 {
			wopts.SpoolDir = filepath.Join(dir, fmt.Sprintf("spool-%d", i))
			scope.Shard, scope.Shards = i, n
			run.ID = fmt.Sprintf("shard-%d", i)
		}
		out, err := collect.OpenOutput(c.db, wopts)
		require.NoError(t, err)
		col, err := collect.New(collect.Options{
			Accounts: []collect.Client{acc}, Output: out.Output, Posts: collect.StoreReader{DB: c.db}, Recovery: collect.StoreReader{DB: c.db},
			State:   collect.StateOptions{Dir: filepath.Join(dir, fmt.Sprintf("state-%d", i)), CheckpointInterval: time.Second},
			Privacy: collect.Privacy{HashKey: []byte("an-end-to-end-test-hash-key")}, Clock: clk, RateClock: clock.Real{}, Watch: true,
			Scope: scope, Run: run,
			Rates: collect.Rates{Limits: map[string]budget.Limit{}, DefaultLimit: budget.Limit{Rate: -1, Burst: 1}},
		})
		require.NoError(t, err)
		outs, cols = append(outs, out), append(cols, col)
	}
	rctx, rcancel := context.WithCancel(context.Background())
	done := make(chan error, len(cols))
	for _, col := range cols {
		go func() {
			_, err := col.Run(rctx)
			done <- err
		}()
	}
	idle := func() {
		ictx, icancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer icancel()
		for _, col := range cols {
			require.NoError(t, col.WaitIdle(ictx))
		}
	}
	began := time.Now()
	idle()
	steps := 0
	for at := start; at.Before(end); {
		at = at.Add(step)
		if at.After(end) {
			at = end
		}
		srv.SetWorldTime(at, 1e-9)
		clk.Set(at)
		idle()
		steps++
		if spec.afterStep != nil {
			spec.afterStep(steps)
		}
	}
	rcancel()
	for range cols {
		require.NoError(t, <-done)
	}
	cctx, ccancel := context.WithTimeout(context.Background(), time.Minute)
	defer ccancel()
	for _, out := range outs {
		require.NoError(t, out.Close(cctx))
	}
	t.Logf("collected %s of world time in %d steps: %s", end.Sub(start), steps, time.Since(began).Round(time.Second))

	ids, err := store.Select[struct {
		ChannelID uint64 `ch:"channel_id"`
	}](context.Background(), c.db, "SELECT DISTINCT channel_id FROM "+c.db.Table(schema.TableChannelSnapshots)+" ORDER BY channel_id")
	require.NoError(t, err)
	for _, r := range ids {
		c.channels = append(c.channels, int64(r.ChannelID))
	}
	return c
}

// registry writes what a researcher would have recorded about the world: its events (an
// attack on a community, a takedown on another platform, the accounts each takedown
// suspended) into the events registry, and
// each channel's community into communities, as `tgsim registry` exports them.
func (c *collected) registry(t *testing.T, tr *world.Truth) {
	t.Helper()
	ctx := context.Background()
	names := map[int]string{}
	cw, err := store.NewWriter[schema.Community](c.db, schema.TableCommunities, c.wopts)
	require.NoError(t, err)
	for _, cm := range tr.Communities {
		names[cm.ID] = cm.Name
		for _, id := range cm.Channels {
			require.NoError(t, cw.Write(ctx, schema.Community{Community: cm.Name, Platform: "telegram", ChannelID: uint64(id), Source: "import", AddedAt: c.start, Version: 1}))
		}
	}
	require.NoError(t, cw.Close(ctx))
	ew, err := store.NewWriter[schema.Event](c.db, schema.TableEvents, c.wopts)
	require.NoError(t, err)
	for _, e := range tr.WorldEvents {
		row := schema.Event{EventID: fmt.Sprintf("world-%d", e.Index), EventAt: e.At, Kind: e.Kind, Title: e.Name, Origin: "import", Source: "simulated world", Version: 1}
		switch e.Kind {
		case world.EventAttack:
			row.Platform, row.TargetKind = "telegram", "community"
			row.Targets = []string{names[*e.Community]}
			for _, id := range e.Channels {
				row.TargetChannelIDs = append(row.TargetChannelIDs, uint64(id))
			}
		case world.EventTakedown:
			row.Platform, row.TargetKind = e.Platform, "platform"
			if e.Community != nil {
				row.TargetKind, row.Targets = "community", []string{names[*e.Community]}
			}
		}
		require.NoError(t, ew.Write(ctx, row))
	}
	// The accounts each takedown suspended, as `tgsim registry` lists them.
	for _, su := range tr.Suspensions() {
		require.NoError(t, ew.Write(ctx, schema.Event{EventID: fmt.Sprintf("world-%d-suspensions", su.EventIndex), EventAt: su.At, Kind: world.EventSuspension,
			Platform: su.Platform, TargetKind: "account", Targets: su.Handles, Title: "accounts suspended in " + su.Event, Origin: "import", Source: "simulated world", Version: 1}))
	}
	require.NoError(t, ew.Close(ctx))
}

// tidewatchBinary builds cmd/tidewatch once per test process and returns its path.
var tidewatchBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "e2e-tidewatch-")
	if err != nil {
		return "", err
	}
	mod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "tidewatch"), "./cmd/tidewatch")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(mod)))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/tidewatch: %v: %s", err, out)
	}
	return filepath.Join(dir, "tidewatch"), nil
})

// analyzeAll runs `tidewatch analyze all` over the collected period, configured with the
// store's addresses and database (and clickhouse.cluster when collected into a cluster),
// and returns its standard output.
func (c *collected) analyzeAll(t *testing.T) string {
	t.Helper()
	bin, err := tidewatchBinary()
	require.NoError(t, err)
	dir := t.TempDir()
	cfg := fmt.Sprintf("data_dir: .\nclickhouse:\n  addr: [%s]\n  database: %s\n", strings.Join(c.addrs, ", "), c.ch.Database)
	if c.cluster != nil {
		cfg += "  cluster: " + c.cluster.Name + "\n"
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tidewatch.yaml"), []byte(cfg), 0o600))
	cmd := exec.Command(bin, "analyze", "all", "--from", c.start.Format(time.RFC3339), "--to", c.end.Format(time.RFC3339))
	cmd.Dir = dir
	cmd.Env = tidewatchEnv()
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "tidewatch analyze all: %s", stderr.String())
	return stdout.String()
}

// tidewatchEnv is the test process's environment without TIDEWATCH_* variables, so that
// only the written configuration speaks to the command.
func tidewatchEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TIDEWATCH_") {
			env = append(env, kv)
		}
	}
	return env
}
