package tgsim

import (
	"context"
	"testing"
	"time"

	"github.com/gotd/td/telegram"
	"github.com/gotd/td/tg"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// After Close, nothing of the server (nor of a client that has stopped) is
// left running, including after drops and a restart.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	w := mustWorld(t)
	s, err := New(Options{World: w, Clock: frozen(testTime(w)), Limits: Limits{Off: true}, Faults: Faults{Latency: 1}})
	require.NoError(t, err)
	require.NoError(t, s.Start(context.Background(), "127.0.0.1:0"))
	withClient(t, s, clientConfig(t, s, testPhone), func(ctx context.Context, api *tg.Client, _ *telegram.Client) {
		_, err := api.HelpGetConfig(ctx)
		require.NoError(t, err)
		s.DropConnections()
		require.NoError(t, s.Restart(ctx, 0))
		require.Eventually(t, func() bool {
			_, err := api.UsersGetUsers(ctx, []tg.InputUserClass{&tg.InputUserSelf{}})
			return err == nil
		}, 10*time.Second, 50*time.Millisecond)
	})
	require.NoError(t, s.Close())
	require.Error(t, s.Start(context.Background(), "127.0.0.1:0"), "a closed server does not start again")
	require.NoError(t, s.Close(), "Close is idempotent")
}

// The context given to Start ends the server too.
func TestStartContextStopsServer(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	w := mustWorld(t)
	s, err := New(Options{World: w})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, s.Start(ctx, "127.0.0.1:0"))
	cancel()
	require.Eventually(t, func() bool { return s.Restart(context.Background(), 0) != nil }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, s.Close())
}
