package tgsim

import (
	"context"
	"testing"
	"time"

	"github.com/gotd/td/telegram"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/stretchr/testify/require"
)

// step is one call to the limiter: after advancing the clock by after, a
// call of method answers want ("" = allowed).
type step struct {
	after  time.Duration
	method string
	want   string
}

func TestLimiter(t *testing.T) {
	const resolve, history = "contacts.resolveUsername", "messages.getHistory"
	base := Limits{
		Methods: map[string]Budget{
			resolve: {Rate: 0.1, Burst: 1},
			history: {Rate: 1, Burst: 3},
		},
		Grace:    time.Second,
		BanAfter: 3,
	}
	for _, tc := range []struct {
		name   string
		limits func(Limits) Limits
		steps  []step
	}{
		{"burst then the wait for one token", nil, []step{
			{0, history, ""}, {0, history, ""}, {0, history, ""},
			{0, history, "FLOOD_WAIT_1"},
			{time.Second, history, ""},
			{0, history, "FLOOD_WAIT_1"},
		}},
		{"methods have separate budgets", nil, []step{
			{0, resolve, ""}, {0, resolve, "FLOOD_WAIT_10"},
			{0, history, ""},
		}},
		{"methods without a budget are free", func(l Limits) Limits { return l }, []step{
			{0, "help.getNearestDc", ""}, {0, "help.getNearestDc", ""}, {0, "help.getNearestDc", ""}, {0, "help.getNearestDc", ""},
		}},
		{"the star budget covers unlisted methods", func(l Limits) Limits {
			l.Methods["*"] = Budget{Rate: 1, Burst: 1}
			return l
		}, []step{
			{0, "channels.getFullChannel", ""}, {0, "channels.getFullChannel", "FLOOD_WAIT_1"},
		}},
		{"resolve waits escalate", nil, []step{
			{0, resolve, ""}, {0, resolve, "FLOOD_WAIT_10"},
			{10 * time.Second, resolve, ""}, {0, resolve, "FLOOD_WAIT_20"},
			{20 * time.Second, resolve, ""}, {0, resolve, "FLOOD_WAIT_40"},
			{40 * time.Second, resolve, ""}, {0, resolve, "FLOOD_WAIT_80"},
		}},
		{"escalation starts over after a quiet time", nil, []step{
			{0, resolve, ""}, {0, resolve, "FLOOD_WAIT_10"},
			{10 * time.Second, resolve, ""}, {0, resolve, "FLOOD_WAIT_20"},
			{time.Hour, resolve, ""}, {0, resolve, "FLOOD_WAIT_10"},
		}},
		{"waits are capped", func(l Limits) Limits {
			l.MaxWait = 15 * time.Second
			return l
		}, []step{
			{0, resolve, ""}, {0, resolve, "FLOOD_WAIT_10"},
			{10 * time.Second, resolve, ""}, {0, resolve, "FLOOD_WAIT_15"},
		}},
		{"calls in flight when the wait is issued are forgiven", nil, []step{
			{0, resolve, ""}, {0, resolve, "FLOOD_WAIT_10"},
			{100 * time.Millisecond, resolve, "FLOOD_WAIT_10"},
			{100 * time.Millisecond, resolve, "FLOOD_WAIT_10"},
			{100 * time.Millisecond, resolve, "FLOOD_WAIT_10"},
			{100 * time.Millisecond, resolve, "FLOOD_WAIT_10"},
		}},
		{"calling during the wait gets the account banned", nil, []step{
			{0, resolve, ""}, {0, resolve, "FLOOD_WAIT_10"},
			{2 * time.Second, resolve, "FLOOD_WAIT_8"},
			{time.Second, resolve, "FLOOD_WAIT_7"},
			{time.Second, resolve, "USER_DEACTIVATED_BAN"},
			{time.Hour, history, "USER_DEACTIVATED_BAN"},
		}},
		{"no ban when disabled", func(l Limits) Limits {
			l.BanAfter = -1
			return l
		}, []step{
			{0, resolve, ""}, {0, resolve, "FLOOD_WAIT_10"},
			{2 * time.Second, resolve, "FLOOD_WAIT_8"}, {time.Second, resolve, "FLOOD_WAIT_7"},
			{time.Second, resolve, "FLOOD_WAIT_6"}, {time.Second, resolve, "FLOOD_WAIT_5"},
		}},
		{"off", func(l Limits) Limits {
			l.Off = true
			return l
		}, []step{
			{0, resolve, ""}, {0, resolve, ""}, {0, resolve, ""}, {0, resolve, ""},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := base
			l.Methods = map[string]Budget{}
			for k, v := range base.Methods {
				l.Methods[k] = v
			}
			if tc.limits != nil {
				l = tc.limits(l)
			}
			require.NoError(t, l.Validate())
			lm := newLimiter(l)
			now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			for i, st := range tc.steps {
				now = now.Add(st.after)
				err := lm.allow("9996621234", st.method, now)
				if st.want == "" {
					require.NoError(t, err, "step %d", i)
					continue
				}
				require.Error(t, err, "step %d", i)
				rpc, ok := tgerr.As(err)
				require.True(t, ok)
				require.Equal(t, st.want, rpc.Message, "step %d", i)
			}
		})
	}
}

func TestLimitsValidate(t *testing.T) {
	for _, tc := range []struct {
		l    Limits
		want string
	}{
		{Limits{Methods: map[string]Budget{"m": {Rate: -1, Burst: 1}}}, `limits: method "m": rate -1: want a finite number >= 0`},
		{Limits{Methods: map[string]Budget{"m": {Rate: 1, Burst: 0}}}, `limits: method "m": burst 0: want >= 1`},
		{Limits{EscalationFactor: 0.5}, "limits: escalation_factor 0.5: want >= 1"},
		{Limits{Grace: -time.Second}, "limits: durations must not be negative"},
	} {
		require.EqualError(t, tc.l.Validate(), tc.want)
	}
	require.NoError(t, Limits{}.Validate())
}

// Over the wire: the gotd client sees FLOOD_WAIT_X as a flood wait it can
// honour, and an account that keeps calling through its waits is banned
// for good, on every method and at the next login.
func TestFloodWaitAndBanOverTheWire(t *testing.T) {
	fake := newFakeReal()
	w := mustWorld(t)
	s := startSim(t, Options{
		World: w,
		Clock: Clock{Start: testTime(w), Real: fake.Now},
		Limits: Limits{
			Methods:  map[string]Budget{"messages.getHistory": {Rate: 0.5, Burst: 2}},
			BanAfter: 3,
			Grace:    time.Millisecond,
		},
	})
	ref := activeRefs(t, w, testTime(w))[0]
	withClient(t, s, clientConfig(t, s, testPhone), func(ctx context.Context, api *tg.Client, _ *telegram.Client) {
		page := func() error {
			_, err := api.MessagesGetHistory(ctx, &tg.MessagesGetHistoryRequest{
				Peer: &tg.InputPeerChannel{ChannelID: ref.ID, AccessHash: ref.Hash}, Limit: 10,
			})
			return err
		}
		require.NoError(t, page())
		require.NoError(t, page())
		err := page()
		wait, ok := tgerr.AsFloodWait(err)
		require.True(t, ok, "%v", err)
		require.Equal(t, 2*time.Second, wait)

		// Honouring the wait works.
		fake.Advance(wait)
		require.NoError(t, page())

		// Ignoring it does not.
		for i := range 4 {
			fake.Advance(10 * time.Millisecond)
			err = page()
			if i < 3 {
				_, ok := tgerr.AsFloodWait(err)
				require.True(t, ok, "call %d during the wait: %v", i, err)
			}
		}
		requireRPCError(t, err, 401, "USER_DEACTIVATED_BAN")
		require.True(t, s.Banned(testPhone))
		_, err = api.ContactsResolveUsername(ctx, &tg.ContactsResolveUsernameRequest{Username: "whatever"})
		requireRPCError(t, err, 401, "USER_DEACTIVATED_BAN")
	})
	// A new key cannot log the banned phone in again.
	withClient(t, s, clientConfig(t, s, ""), func(ctx context.Context, api *tg.Client, _ *telegram.Client) {
		_, err := api.AuthSendCode(ctx, &tg.AuthSendCodeRequest{PhoneNumber: testPhone, APIID: 1, APIHash: "h"})
		requireRPCError(t, err, 400, "PHONE_NUMBER_BANNED")
	})
	require.Equal(t, 2, s.Stats().Errors["USER_DEACTIVATED_BAN"])
}
