package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/takedowns"
	"github.com/tidewatch/tidewatch/collector/tgsim/world"
)

// TestLifetimesRecovered collects a world whose channels go private, are banned or deleted
// often (most of them within its 60 days), runs the takedowns job and checks the median
// lifetime against the world's own.
func TestLifetimesRecovered(t *testing.T) {
	if testing.Short() {
		t.Skip("collects a simulated world into ClickHouse")
	}
	spec := world.DefaultSpec(60)
	spec.Channels = 40
	spec.Lifecycle.Private, spec.Lifecycle.Bans, spec.Lifecycle.Deletions = 0.25, 0.35, 0.2
	w, err := world.Generate(spec, 5)
	require.NoError(t, err)
	start, end := w.Start(), w.End()
	c := collectWorld(t, w, start, end, 2*time.Hour)
	tr, err := w.Truth(world.TruthOptions{Until: end, Channels: c.channels})
	require.NoError(t, err)
	c.registry(t, tr)
	sum, err := takedowns.Run(context.Background(), c.db, takedowns.Options{
		Params: job.Params{From: start, To: end, Scope: job.Scope{Kind: job.ScopePlatform}},
		Meta:   job.Meta{CodeVersion: "e2e", Writer: c.wopts},
	})
	require.NoError(t, err)
	require.Equal(t, job.StatusOK, sum.Status)
	checkTakedowns(t, c, tr, sum)
	checkRespawns(t, c, tr, sum)
}

// checkRespawns: the candidate reincarnations against the planted ones whose channels were
// both collected: precision and recall of at least 0.9.
func checkRespawns(t *testing.T, c *collected, tr *world.Truth, sum takedowns.Summary) {
	stored := map[int64]bool{}
	for _, id := range c.channels {
		stored[id] = true
	}
	planted := map[[2]uint64]bool{}
	for _, r := range tr.Reincarnations {
		if stored[r.Channel] && stored[r.Predecessor] {
			planted[[2]uint64{uint64(r.Predecessor), uint64(r.Channel)}] = true
		}
	}
	right := 0
	for _, r := range sum.Respawns {
		ok := planted[[2]uint64{r.PredecessorID, r.ChannelID}]
		if ok {
			right++
		}
		t.Logf("respawn %d -> %d: lag %.0f h, title %.2f, handle %.2f, sources %.2f, score %.2f, recovery %.2f, planted %v",
			r.PredecessorID, r.ChannelID, r.LagHours, r.TitleSimilarity, r.HandleSimilarity, r.SourceOverlap, r.Score, r.Recovery, ok)
	}
	t.Logf("respawns: %d found, %d of them planted; %d planted with both channels collected", len(sum.Respawns), right, len(planted))
	require.GreaterOrEqual(t, len(planted), 3, "the world must plant reincarnations the collector finds")
	require.GreaterOrEqual(t, float64(right), 0.9*float64(len(sum.Respawns)), "precision")
	require.GreaterOrEqual(t, float64(right), 0.9*float64(len(planted)), "recall")
}
