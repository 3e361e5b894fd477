package world

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var (
	smallOnce  sync.Once
	smallWorld *World
	smallErr   error
)

// small returns the world of testdata/small.yaml with seed 7, shared by tests.
func small(t testing.TB) *World {
	t.Helper()
	smallOnce.Do(func() {
		var spec Spec
		spec, smallErr = LoadSpec("testdata/small.yaml")
		if smallErr == nil {
			smallWorld, smallErr = Generate(spec, 7)
		}
	})
	require.NoError(t, smallErr)
	return smallWorld
}

// visibleDesc is the reference list for paging: the channel's messages
// visible at t, newest first, read straight from the plan.
func visibleDesc(w *World, ch *channel, t int64) []*skel {
	h := w.history(ch)
	var out []*skel
	for i := len(h.msgs) - 1; i >= 0; i-- {
		if h.msgs[i].visible(t) {
			out = append(out, &h.msgs[i])
		}
	}
	return out
}

// busiest returns the active channel with the most messages at t.
func busiest(t testing.TB, w *World, at time.Time) *channel {
	var best *channel
	bestN := -1
	for _, ch := range w.chans {
		if ch.statusAt(at.Unix()) != StatusActive {
			continue
		}
		_, n, err := w.History(ch.id, at, HistoryQuery{Limit: 1})
		require.NoError(t, err)
		if n > bestN {
			best, bestN = ch, n
		}
	}
	require.NotNil(t, best)
	return best
}

func ids(msgs []Message) []int {
	out := make([]int, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}
