package tgsim

import (
	"context"
	"testing"
	"time"

	"github.com/gotd/td/telegram"
	"github.com/gotd/td/tg"
	"github.com/stretchr/testify/require"
)

func TestFaults(t *testing.T) {
	w := mustWorld(t)
	s := startSim(t, Options{World: w, Limits: Limits{Off: true}})
	ref := activeRefs(t, w, testTime(w))[0]
	withClient(t, s, clientConfig(t, s, testPhone), func(ctx context.Context, api *tg.Client, _ *telegram.Client) {
		page := func(ctx context.Context) error {
			_, err := api.MessagesGetHistory(ctx, &tg.MessagesGetHistoryRequest{
				Peer: &tg.InputPeerChannel{ChannelID: ref.ID, AccessHash: ref.Hash}, Limit: 10,
			})
			return err
		}
		keyOf := func() string {
			calls := s.Calls()
			return calls[len(calls)-1].AuthKey
		}
		require.NoError(t, page(ctx))
		key := keyOf()

		t.Run("latency", func(t *testing.T) {
			require.NoError(t, s.SetFaults(Faults{Latency: 300 * time.Millisecond, Jitter: 50 * time.Millisecond}))
			start := time.Now()
			require.NoError(t, page(ctx))
			require.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
			require.NoError(t, s.SetFaults(Faults{}))
		})

		t.Run("internal errors and timeouts", func(t *testing.T) {
			require.NoError(t, s.SetFaults(Faults{InternalRate: 1}))
			requireRPCError(t, page(ctx), 500, "INTERNAL")
			// Connection setup is never failed on purpose.
			_, err := api.HelpGetConfig(ctx)
			require.NoError(t, err)
			require.NoError(t, s.SetFaults(Faults{TimeoutRate: 1}))
			requireRPCError(t, page(ctx), -503, "TIMEOUT")
			require.NoError(t, s.SetFaults(Faults{InternalRate: 0.5, TimeoutRate: 0.25}))
			failed := 0
			for range 200 {
				if page(ctx) != nil {
					failed++
				}
			}
			require.InDelta(t, 150, failed, 30)
			require.NoError(t, s.SetFaults(Faults{}))
		})

		t.Run("dropped connections", func(t *testing.T) {
			require.GreaterOrEqual(t, s.DropConnections(), 1)
			// A call made before the client notices the drop fails with a
			// transport error, as against Telegram; the client reconnects.
			start := time.Now()
			var failures []error
			require.Eventually(t, func() bool {
				err := page(ctx)
				if err != nil {
					failures = append(failures, err)
				}
				return err == nil
			}, 15*time.Second, 50*time.Millisecond)
			require.LessOrEqual(t, len(failures), 3, "%v", failures)
			t.Logf("answered again %v after the drop, %d calls failed", time.Since(start), len(failures))
			require.Equal(t, key, keyOf(), "the client reconnects with its key")
		})

		t.Run("connection dropped mid-request", func(t *testing.T) {
			require.NoError(t, s.SetFaults(Faults{DropRate: 1}))
			done := make(chan error, 1)
			go func() { done <- page(ctx) }()
			require.Eventually(t, func() bool { return s.Stats().Errors["connection dropped"] > 0 }, 10*time.Second, 10*time.Millisecond)
			require.NoError(t, s.SetFaults(Faults{}))
			select {
			case err := <-done:
				// gotd either resends on the new connection or reports the loss.
				t.Logf("request whose connection was dropped: %v", err)
			case <-time.After(30 * time.Second):
				t.Fatal("request neither answered nor failed after its connection was dropped")
			}
			require.NoError(t, page(ctx))
		})

		t.Run("restart", func(t *testing.T) {
			addr := s.Addr()
			signIns := s.CallCount("auth.signIn")
			require.NoError(t, s.Restart(ctx, 500*time.Millisecond))
			require.Equal(t, addr, s.Addr())
			start := time.Now()
			require.NoError(t, page(ctx))
			t.Logf("first call after the restart answered in %v", time.Since(start))
			require.Equal(t, key, keyOf(), "auth keys survive a restart")
			users, err := api.UsersGetUsers(ctx, []tg.InputUserClass{&tg.InputUserSelf{}})
			require.NoError(t, err, "still logged in")
			require.Len(t, users, 1)
			require.Equal(t, signIns, s.CallCount("auth.signIn"))
		})
	})
}

func TestFaultsValidate(t *testing.T) {
	for _, tc := range []struct {
		f    Faults
		want string
	}{
		{Faults{InternalRate: 1.5}, "faults: internal_rate 1.5: want a fraction in [0, 1]"},
		{Faults{TimeoutRate: -0.1}, "faults: timeout_rate -0.1: want a fraction in [0, 1]"},
		{Faults{InternalRate: 0.6, DropRate: 0.6}, "faults: internal_rate + timeout_rate + drop_rate > 1"},
		{Faults{Latency: -time.Second}, "faults: latency and jitter must not be negative"},
	} {
		require.EqualError(t, tc.f.Validate(), tc.want)
	}
}
