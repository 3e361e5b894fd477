package world

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Every suspended account a channel names lands in the list of the takedown before it,
// and nothing else does.
func TestSuspensionsListTheSuspendedAccounts(t *testing.T) {
	w, err := Generate(DefaultSpec(120), 3)
	require.NoError(t, err)
	tr, err := w.Truth(TruthOptions{NoPosts: true, Until: w.End()})
	require.NoError(t, err)
	sus := tr.Suspensions()
	require.Len(t, sus, 1, "one twitter takedown")
	su := sus[0]
	require.Equal(t, "twitter", su.Platform)
	require.Equal(t, "twitter takedown", su.Event)
	want := map[string]bool{}
	for _, a := range tr.Accounts {
		if a.Suspended != nil {
			require.Equal(t, "twitter", a.Platform)
			require.False(t, a.Suspended.Before(su.At))
			require.Less(t, a.Suspended.Sub(su.At), 30*24*time.Hour)
			want[a.Handle] = true
		}
	}
	require.Len(t, su.Handles, len(want))
	for _, h := range su.Handles {
		require.True(t, want[h], h)
	}
	require.NotEmpty(t, su.Channels)
}
