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
}
