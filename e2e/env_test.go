package e2e

import (
	"context"
	"crypto/rsa"
	"fmt"
	"path/filepath"
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
		APIID: 17, APIHash: "0123456789abcdef0123456789abcdef", Phone: "+9996621001", Label: "e2e",
		SessionDir: filepath.Join(dir, "sessions"), DC: co.DC, DCAddr: co.Addr, PublicKeys: []*rsa.PublicKey{co.Key},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = acc.Close() })
	require.NoError(t, acc.Login(dctx, codePrompt{}))

	c := &collected{w: w, ch: chtest.Migrated(t), start: start, end: end}
	c.db, err = store.Open(dctx, store.Options{Addr: []string{c.ch.Addr()}, Database: c.ch.Database})
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
	out, err := collect.OpenOutput(c.db, c.wopts)
	require.NoError(t, err)
	clk := clock.NewFake(start)
	col, err := collect.New(collect.Options{
		Accounts: []collect.Client{acc}, Output: out.Output, Posts: collect.StoreReader{DB: c.db}, Recovery: collect.StoreReader{DB: c.db},
		StateDir: filepath.Join(dir, "state"), HashKey: []byte("an-end-to-end-test-hash-key"), Clock: clk, RateClock: clock.Real{}, Watch: true,
		CheckpointInterval: time.Second, Seeds: seeds,
		Rules:        discovery.Rules{MaxDepth: 1, MinReferences: 2, Via: discovery.AllRules},
		Limits:       map[string]budget.Limit{},
		DefaultLimit: budget.Limit{Rate: -1, Burst: 1},
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
	}
	rcancel()
	require.NoError(t, <-done)
	cctx, ccancel := context.WithTimeout(context.Background(), time.Minute)
	defer ccancel()
	require.NoError(t, out.Close(cctx))
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
