package collect_test

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/collect"
	"github.com/tidewatch/tidewatch/collector/collect/clock"
	"github.com/tidewatch/tidewatch/collector/collect/discovery"
	"github.com/tidewatch/tidewatch/collector/tgsim"
	"github.com/tidewatch/tidewatch/collector/tgsim/world"
)

// floodViolations lists calls an account made to a method during a flood wait the server
// had given it for that method (after the server's grace for calls already in flight).
func floodViolations(calls []tgsim.Call, grace time.Duration) []string {
	type key struct{ account, method string }
	until := map[key]time.Time{}
	issued := map[key]time.Time{}
	var out []string
	for _, c := range calls {
		k := key{c.Account, c.Method}
		if u, ok := until[k]; ok && c.Time.Before(u) && c.Time.Sub(issued[k]) > grace {
			out = append(out, fmt.Sprintf("%s at %s (wait until %s)", c.Method, c.Time.Format("15:04:05.000"), u.Format("15:04:05.000")))
		}
		if secs, ok := strings.CutPrefix(c.Error, "FLOOD_WAIT_"); ok {
			n, _ := strconv.Atoi(secs)
			until[k] = c.Time.Add(time.Duration(n) * time.Second)
			issued[k] = c.Time
		}
	}
	return out
}

func TestFloodStormNoBans(t *testing.T) {
	skipShort(t)
	w, err := world.Generate(world.DefaultSpec(20), 3)
	require.NoError(t, err)
	start := w.Start().Add(12 * 24 * time.Hour)
	// Budgets far below the collector's defaults: every method floods, and resolving
	// escalates. An account that ignored the waits would be banned after 20 violations.
	limits := tgsim.Limits{Methods: map[string]tgsim.Budget{
		"contacts.resolveUsername":           {Rate: 0.3, Burst: 2},
		"messages.getHistory":                {Rate: 3, Burst: 3},
		"messages.getMessagesViews":          {Rate: 2, Burst: 2},
		"channels.getMessages":               {Rate: 1, Burst: 2},
		"channels.getFullChannel":            {Rate: 0.5, Burst: 2},
		"channels.getChannelRecommendations": {Rate: 0.2, Burst: 1},
		"*":                                  {Rate: 5, Burst: 10},
	}}
	e := newSimEnv(t, w, start, limits, 3)
	clk := clock.NewFake(start)
	seeds := seedsAt(t, w, start, 3)
	r := e.startCollector(t, clk, filepath.Join(e.dir, "state"), func(o *collect.Options) {
		o.Scope.Seeds = seeds
		o.Scope.Rules = discovery.Rules{MaxDepth: 1, MinReferences: 3, Via: discovery.AllRules}
		o.Rates.HandoffAfter = 5 * time.Second
	})
	e.step(t, clk, r, start.Add(6*time.Hour), time.Hour)
	sum := r.finish(t)

	st := e.srv.Stats()
	floods := 0
	for k, n := range st.Errors {
		if strings.HasPrefix(k, "FLOOD_WAIT_") {
			floods += n
		}
	}
	t.Logf("storm: %d calls, %d flood waits, %d seen by the collector", st.Calls, floods, sum.Floods)
	require.Positive(t, floods, "the limits produced a storm")
	require.Zero(t, st.Errors["USER_DEACTIVATED_BAN"], "no account banned")
	require.Empty(t, floodViolations(e.srv.Calls(), e.srv.Limits().Grace))

	// Every channel of the frame was still collected completely.
	require.Equal(t, "0", e.ch.Query(t, "SELECT count() FROM channel_completeness WHERE included = 1 AND (history_done = 0 OR unexplained != 0)"))
	frame := e.ch.Query(t, "SELECT count() FROM channel_completeness WHERE included = 1")
	require.NotEqual(t, "0", frame)
	var ids []int64
	for _, l := range strings.Split(e.ch.Query(t, "SELECT channel_id FROM channel_completeness WHERE included = 1"), "\n") {
		id, err := strconv.ParseInt(l, 10, 64)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	tr, err := w.Truth(world.TruthOptions{Until: start, Channels: ids})
	require.NoError(t, err)
	want := 0
	for _, p := range tr.Posts {
		if p.Deleted == nil {
			want++
		}
	}
	got, err := strconv.Atoi(e.ch.Query(t, fmt.Sprintf("SELECT count() FROM posts FINAL WHERE posted_at <= toDateTime(%d)", start.Unix())))
	require.NoError(t, err)
	require.GreaterOrEqual(t, got, want, "posts visible at the start, all stored (%d channels)", len(ids))
}
