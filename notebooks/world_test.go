package notebooks_test

import (
	"context"
	"crypto/rsa"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/analysis/bursts"
	"github.com/tidewatch/tidewatch/analysis/engagement"
	"github.com/tidewatch/tidewatch/analysis/growth"
	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/migration"
	"github.com/tidewatch/tidewatch/analysis/network"
	"github.com/tidewatch/tidewatch/analysis/takedowns"
	"github.com/tidewatch/tidewatch/collector/collect"
	"github.com/tidewatch/tidewatch/collector/collect/budget"
	"github.com/tidewatch/tidewatch/collector/collect/clock"
	"github.com/tidewatch/tidewatch/collector/collect/discovery"
	"github.com/tidewatch/tidewatch/collector/telegram"
	"github.com/tidewatch/tidewatch/collector/tgsim"
	"github.com/tidewatch/tidewatch/collector/tgsim/truthdb"
	"github.com/tidewatch/tidewatch/collector/tgsim/world"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/store"
)

// The world the notebooks are executed on: DefaultSpec's 60 days (a Twitter takedown on
// day 20, an attack on one community on day 40), few channels and a coarse clock step so
// that the collection takes seconds, not minutes.
const (
	worldChannels = 40
	worldSeed     = 13
	collectStep   = 4 * time.Hour
)

type codePrompt struct{}

func (codePrompt) Code(context.Context) (string, error)     { return "22222", nil }
func (codePrompt) Password(context.Context) (string, error) { return "", telegram.ErrPasswordRequired }

// loaded is a migrated throwaway server holding a collected world, its registry and one run
// of every analysis job; loadTruth adds the world's truth.
type loaded struct {
	ch         *chtest.Server
	db         *store.DB
	start, end time.Time
	truth      *world.Truth
	wopts      store.WriterOptions
}

// loadWorld collects a small simulated world over MTProto into a fresh server (every
// channel with a username at the start as a seed, discovery one step deep), imports its
// events and community labels as a researcher keeps them, and runs the analysis jobs over
// the whole period. Its truth is not loaded yet: see loadTruth.
func loadWorld(t *testing.T) *loaded {
	t.Helper()
	w, err := world.Generate(world.DefaultSpec(worldChannels), worldSeed)
	require.NoError(t, err)
	start, end := w.Start(), w.End()
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
	acc, err := telegram.Dial(dctx, telegram.Options{
		APIID: 17, APIHash: "0123456789abcdef0123456789abcdef", Phone: "+9996621013", Label: "notebooks",
		SessionDir: filepath.Join(dir, "sessions"), DC: co.DC, DCAddr: co.Addr, PublicKeys: []*rsa.PublicKey{co.Key},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = acc.Close() })
	require.NoError(t, acc.Login(dctx, codePrompt{}))

	l := &loaded{ch: chtest.Migrated(t), start: start, end: end}
	l.db, err = store.Open(dctx, store.Options{Addr: []string{l.ch.Addr()}, Database: l.ch.Database})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.db.Close() })
	wopts := store.WriterOptions{SpoolDir: filepath.Join(dir, "spool"), FlushInterval: 200 * time.Millisecond}

	var seeds []string
	for _, id := range w.ChannelIDs() {
		hash, _ := w.AccessHash(id)
		if v, err := w.Channel(id, hash, start); err == nil && v.Username != "" {
			seeds = append(seeds, v.Username)
		}
	}
	out, err := collect.OpenOutput(l.db, wopts)
	require.NoError(t, err)
	clk := clock.NewFake(start)
	col, err := collect.New(collect.Options{
		Accounts: []collect.Client{acc}, Output: out.Output, Posts: collect.StoreReader{DB: l.db}, Recovery: collect.StoreReader{DB: l.db},
		State:   collect.StateOptions{Dir: filepath.Join(dir, "state"), CheckpointInterval: time.Second},
		Privacy: collect.Privacy{HashKey: []byte("a-notebooks-test-hash-key")}, Clock: clk, RateClock: clock.Real{}, Watch: true,
		Scope: collect.Scope{Seeds: seeds, Rules: discovery.Rules{MaxDepth: 1, MinReferences: 2, Via: discovery.AllRules}},
		Rates: collect.Rates{Limits: map[string]budget.Limit{}, DefaultLimit: budget.Limit{Rate: -1, Burst: 1}},
	})
	require.NoError(t, err)
	rctx, rcancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := col.Run(rctx)
		done <- err
	}()
	idle := func() {
		ictx, icancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer icancel()
		require.NoError(t, col.WaitIdle(ictx))
	}
	began := time.Now()
	idle()
	for at := start; at.Before(end); {
		if at = at.Add(collectStep); at.After(end) {
			at = end
		}
		srv.SetWorldTime(at, 1e-9)
		clk.Set(at)
		idle()
	}
	rcancel()
	require.NoError(t, <-done)
	cctx, ccancel := context.WithTimeout(context.Background(), time.Minute)
	defer ccancel()
	require.NoError(t, out.Close(cctx))
	t.Logf("collected %s of world time: %s", end.Sub(start), time.Since(began).Round(time.Second))

	type idRow struct {
		ChannelID uint64 `ch:"channel_id"`
	}
	ids, err := store.Select[idRow](context.Background(), l.db, "SELECT DISTINCT channel_id FROM "+l.db.Table(schema.TableChannelSnapshots)+" ORDER BY channel_id")
	require.NoError(t, err)
	var channels []int64
	for _, r := range ids {
		channels = append(channels, int64(r.ChannelID))
	}
	tr, err := w.Truth(world.TruthOptions{Until: end, Channels: channels})
	require.NoError(t, err)
	l.truth, l.wopts = tr, wopts
	l.registry(t, tr, wopts)
	l.analyze(t, wopts)
	return l
}

// loadTruth writes the world's truth into the truth_* tables under the collection's run id,
// as `tgsim load-truth` does.
func (l *loaded) loadTruth(t *testing.T) {
	t.Helper()
	type runRow struct {
		RunID string `ch:"run_id"`
	}
	runs, err := store.Select[runRow](context.Background(), l.db, "SELECT run_id FROM "+l.db.Table(schema.TableRuns)+" FINAL WHERE job = 'collect' ORDER BY started_at DESC LIMIT 1")
	require.NoError(t, err)
	require.Len(t, runs, 1, "the collection's run")
	_, err = truthdb.LoadWith(context.Background(), l.db, l.truth, runs[0].RunID, l.wopts)
	require.NoError(t, err)
}

// registry writes what a researcher would have recorded about the world, as `tgsim
// registry` exports it: its events (the attack on a community, the takedown on another
// platform, the accounts each takedown suspended) and each channel's community.
func (l *loaded) registry(t *testing.T, tr *world.Truth, wopts store.WriterOptions) {
	t.Helper()
	ctx := context.Background()
	names := map[int]string{}
	cw, err := store.NewWriter[schema.Community](l.db, schema.TableCommunities, wopts)
	require.NoError(t, err)
	for _, cm := range tr.Communities {
		names[cm.ID] = cm.Name
		for _, id := range cm.Channels {
			require.NoError(t, cw.Write(ctx, schema.Community{Community: cm.Name, Platform: "telegram", ChannelID: uint64(id), Source: "import", AddedAt: l.start, Version: 1}))
		}
	}
	require.NoError(t, cw.Close(ctx))
	ew, err := store.NewWriter[schema.Event](l.db, schema.TableEvents, wopts)
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
	for _, su := range tr.Suspensions() {
		require.NoError(t, ew.Write(ctx, schema.Event{EventID: fmt.Sprintf("world-%d-suspensions", su.EventIndex), EventAt: su.At, Kind: world.EventSuspension,
			Platform: su.Platform, TargetKind: "account", Targets: su.Handles, Title: "accounts suspended in " + su.Event, Origin: "import", Source: "simulated world", Version: 1}))
	}
	require.NoError(t, ew.Close(ctx))
}

// analyze runs every analysis job over the collected period, as `tidewatch analyze all`
// does, and requires each run to end ok.
func (l *loaded) analyze(t *testing.T, wopts store.WriterOptions) {
	t.Helper()
	ctx := context.Background()
	p := job.Params{From: l.start, To: l.end, Scope: job.Scope{Kind: job.ScopePlatform}}
	m := job.Meta{CodeVersion: "notebooks-test", Writer: wopts}
	status := func(name, got string, err error) {
		t.Helper()
		require.NoError(t, err, name)
		require.Equal(t, job.StatusOK, got, name)
	}
	g, err := growth.Run(ctx, l.db, growth.Options{Params: p, Meta: m})
	status("growth", g.Status, err)
	e, err := engagement.Run(ctx, l.db, engagement.Options{Params: p, Meta: m})
	status("engagement", e.Status, err)
	b, err := bursts.Run(ctx, l.db, bursts.Options{Params: p, Meta: m})
	status("bursts", b.Status, err)
	td, err := takedowns.Run(ctx, l.db, takedowns.Options{Params: p, Meta: m})
	status("takedowns", td.Status, err)
	mg, err := migration.Run(ctx, l.db, migration.Options{Params: p, Meta: m})
	status("migration", mg.Status, err)
	n, err := network.Run(ctx, l.db, network.Options{Params: p, Meta: m})
	status("network", n.Status, err)
}
