package collect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/collect/clock"
	"github.com/tidewatch/tidewatch/collector/collect/discovery"
	"github.com/tidewatch/tidewatch/collector/collect/state"
	"github.com/tidewatch/tidewatch/collector/telegram"
	"github.com/tidewatch/tidewatch/schema"
)

// The references of the provenance tests: seed alpha (100) forwards a post of channel 500,
// whose chat info names it @echo, and seed gamma (300) mentions @echo by name only.
var (
	forwardOfEcho = ref{id: 500, rule: discovery.RuleForward, info: &telegram.ChannelInfo{Peer: telegram.Peer{ChannelID: 500, AccessHash: 5}, Username: "echo"}}
	mentionOfEcho = ref{username: "echo", rule: discovery.RuleMention}
)

// openForRefs opens a collector on the state in dir with the seeds alpha and gamma in it,
// as a run does before its first call.
func openForRefs(t *testing.T, dir string) (*Collector, *sink) {
	t.Helper()
	clk := clock.NewFake(t0)
	out := &sink{}
	c := newTest(t, newFakeTG(clk), clk, dir, out, func(o *Options) {
		o.Scope.Seeds = []string{"alpha", "gamma"}
		o.Scope.Rules = discovery.Rules{MaxDepth: 1, MinReferences: 2, Via: discovery.AllRules}
	})
	require.NoError(t, c.open(context.Background()))
	t.Cleanup(func() { require.NoError(t, c.ckpt.store.Close()) })
	for _, s := range []struct {
		id   int64
		name string
	}{{100, "alpha"}, {300, "gamma"}} {
		if c.frame.channels[s.id] == nil {
			c.frame.channels[s.id] = &state.Channel{ID: s.id, Username: s.name, Seed: true, Included: true, Home: "acc1"}
			c.frame.names.set(s.name, s.id)
			delete(c.frame.pending, s.name)
		}
	}
	return c, out
}

// provenance renders the discovery rows a checkpoint writes now, keyed as the table is,
// without their version: what a channel's provenance says.
func provenance(t *testing.T, c *Collector, out *sink) []string {
	t.Helper()
	j, err := c.capture(context.Background())
	require.NoError(t, err)
	require.NoError(t, c.save(context.Background(), j))
	latest := map[string]schema.Discovery{}
	for _, r := range out.discovery.all() {
		k := fmt.Sprintf("%d via %d %s", r.ChannelID, r.ViaChannelID, r.Rule)
		if r.Version >= latest[k].Version {
			latest[k] = r
		}
	}
	var rows []string
	for k, r := range latest {
		if r.ChannelID >= 1<<63 {
			k = "@" + r.Username + k[len(fmt.Sprint(r.ChannelID)):]
		}
		rows = append(rows, fmt.Sprintf("%s: depth %d, %d references, reason %q", k, r.Depth, r.References, r.Reason))
	}
	slices.Sort(rows)
	return rows
}

// TestProvenanceDoesNotDependOnTheOrderOfPages: the pages a restarted collector applies
// again (their progress was not checkpointed) finish in another order than they did before
// the crash. A mention of @echo applied before the forward that makes channel 500 known as
// echo must still give 500 its mention row, as it does when the forward comes first:
// otherwise the reference stays with the pending username (one reference never gets it
// resolved) and the restarted collector's discovery table lacks 500's row via gamma.
func TestProvenanceDoesNotDependOnTheOrderOfPages(t *testing.T) {
	want := []string{
		"500 via 100 forward: depth 1, 1 references, reason \"\"",
		"500 via 300 mention: depth 1, 1 references, reason \"\"",
	}
	for name, order := range map[string][]struct {
		from int64
		r    ref
	}{
		"uninterrupted": {{100, forwardOfEcho}, {300, mentionOfEcho}},
		"after restart": {{300, mentionOfEcho}, {100, forwardOfEcho}},
	} {
		t.Run(name, func(t *testing.T) {
			c, out := openForRefs(t, t.TempDir())
			for _, o := range order {
				c.addRefs(c.frame.channels[o.from], c.pool.accounts[0], []ref{o.r}, t0)
			}
			require.Equal(t, want, provenance(t, c, out))
			require.Empty(t, c.frame.pending)
		})
	}
}

// TestRestartClaimsPendingReferences: the crash point where a checkpoint holds the mention
// counted against the pending username echo and channel 500 already known by that name
// (the state a collector without the claim left behind). The restarted collector moves the
// reference onto the channel before it looks at anything else, and the next checkpoint
// writes the row and drops the pending username for good.
func TestRestartClaimsPendingReferences(t *testing.T) {
	dir := t.TempDir()
	st, _, err := state.Open(dir)
	require.NoError(t, err)
	require.NoError(t, st.Append(state.Batch{
		Channels: []*state.Channel{
			{ID: 100, Username: "alpha", Seed: true, Included: true, Home: "acc1"},
			{ID: 300, Username: "gamma", Seed: true, Included: true, Home: "acc1"},
			{ID: 500, Username: "echo", Home: "acc1", DiscoveredAt: state.At(t0), Refs: []state.Ref{{Via: 100, Rule: discovery.RuleForward, N: 1, Depth: 1}}},
		},
		Pending: []*state.Pending{{Username: "echo", DiscoveredAt: t0, Refs: []state.Ref{{Via: 300, Rule: discovery.RuleMention, N: 1, Depth: 1}}}},
	}))
	require.NoError(t, st.Close())

	c, out := openForRefs(t, dir)
	require.Empty(t, c.frame.pending)
	require.ElementsMatch(t, []state.Ref{
		{Via: 100, Rule: discovery.RuleForward, N: 1, Depth: 1},
		{Via: 300, Rule: discovery.RuleMention, N: 1, Depth: 1},
	}, c.frame.channels[500].Refs)
	rows := provenance(t, c, out)
	require.Contains(t, rows, "500 via 300 mention: depth 1, 1 references, reason \"\"")

	// Restarted again: the pending username is gone from the state, nothing is counted twice.
	require.NoError(t, c.ckpt.store.Close())
	st, snap, err := state.Open(dir)
	require.NoError(t, err)
	require.NoError(t, st.Close())
	require.Empty(t, snap.Pending)
	require.Len(t, snap.Channels[500].Refs, 2)
	c.ckpt.store, _, err = state.Open(dir) // for the cleanup's Close
	require.NoError(t, err)
}

// failingWrites is a Writer whose writes fail.
type failingWrites[T any] struct{ err error }

func (w failingWrites[T]) Write(context.Context, ...T) error { return w.err }
func (w failingWrites[T]) Flush(context.Context) error       { return nil }

// TestProvenanceWrittenAfterAFailedCapture: a checkpoint that cannot hand its provenance rows
// to the writer fails, and the channels it covered stay dirty; the next checkpoint must write
// their rows before it saves them, not save them as if the rows were stored.
func TestProvenanceWrittenAfterAFailedCapture(t *testing.T) {
	c, out := openForRefs(t, t.TempDir())
	c.addRefs(c.frame.channels[100], c.pool.accounts[0], []ref{forwardOfEcho}, t0)
	c.out.Discovery = failingWrites[schema.Discovery]{err: errors.New("writer closed")}
	_, err := c.capture(context.Background())
	require.Error(t, err)
	c.out.Discovery = &out.discovery
	require.Equal(t, []string{"500 via 100 forward: depth 1, 1 references, reason \"references 1 < 2\""}, provenance(t, c, out))
}
