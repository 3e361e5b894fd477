package telegram_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/telegram"
	"github.com/tidewatch/tidewatch/collector/tgsim"
	"github.com/tidewatch/tidewatch/collector/tgsim/world"
)

func TestLogin(t *testing.T) {
	skipShort(t)
	s := startSim(t, tgsim.Options{Limits: tgsim.Limits{Off: true}})
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "sessions")

	t.Run("test phone", func(t *testing.T) {
		acc := dial(t, options(s, dir, "+999 66 2 1234", "acc1"))
		require.Equal(t, "acc1", acc.Label())
		p := &prompt{code: "22222"}
		require.NoError(t, acc.Login(ctx, p))
		require.Equal(t, []string{"code"}, p.questions())
		require.Equal(t, 1, s.CallCount("auth.signIn"))

		_, err := acc.ResolveUsername(ctx, findSubjects(t, mustWorld(t), simTime(mustWorld(t))).pool.Username)
		require.NoError(t, err)

		st, err := os.Stat(dir)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o700), st.Mode().Perm())
		sessions, err := telegram.ListSessions(dir)
		require.NoError(t, err)
		require.Len(t, sessions, 1)
		require.Equal(t, "acc1", sessions[0].Label)
		require.False(t, sessions[0].LoggedIn.IsZero())
		require.NotContains(t, sessions[0].Path, "1234")
		st, err = os.Stat(sessions[0].Path)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	})

	t.Run("session reuse", func(t *testing.T) {
		keys, codes := authKeys(s), s.CallCount("auth.sendCode")
		acc := dial(t, options(s, dir, "9996621234", "acc1"))
		p := &prompt{}
		require.NoError(t, acc.Login(ctx, p), "a stored session is already logged in")
		require.Empty(t, p.questions())

		byLabel := dial(t, options(s, dir, "", "acc1"))
		now, err := byLabel.ServerTime(ctx)
		require.NoError(t, err)
		require.Equal(t, simTime(mustWorld(t)), now)

		require.Equal(t, keys, authKeys(s), "no new auth key")
		require.Equal(t, codes, s.CallCount("auth.sendCode"), "no new login")
	})

	t.Run("label taken, no session, bad phone", func(t *testing.T) {
		_, err := telegram.Dial(ctx, options(s, dir, "9996625555", "acc1"))
		require.ErrorContains(t, err, `label "acc1" is already used`)
		_, err = telegram.Dial(ctx, options(s, dir, "", "nosuch"))
		require.ErrorIs(t, err, telegram.ErrAuthRequired)
		_, err = telegram.Dial(ctx, options(s, dir, "12ab", "acc9"))
		require.ErrorIs(t, err, telegram.ErrPhoneInvalid)
	})

	t.Run("wrong code, then the right one", func(t *testing.T) {
		acc := dial(t, options(s, t.TempDir(), "9996621235", "acc2"))
		err := acc.Login(ctx, &prompt{code: "11111"})
		require.ErrorIs(t, err, telegram.ErrPhoneCodeInvalid)
		_, err = acc.ServerTime(ctx) // help.getConfig needs no login
		require.NoError(t, err)
		_, err = acc.GetChannels(ctx, []telegram.Peer{{ChannelID: 1}})
		require.ErrorIs(t, err, telegram.ErrAuthRequired)
		require.NoError(t, acc.Login(ctx, &prompt{code: "22222"}))
	})

	t.Run("2FA password", func(t *testing.T) {
		acc := dial(t, options(s, t.TempDir(), twoFAPhone, "acc3"))
		err := acc.Login(ctx, &prompt{code: "22222"})
		require.ErrorIs(t, err, telegram.ErrPasswordRequired)
		err = acc.Login(ctx, &prompt{code: "22222", password: "wrong"})
		require.ErrorIs(t, err, telegram.ErrPasswordInvalid)
		p := &prompt{code: "22222", password: twoFAPassword}
		require.NoError(t, acc.Login(ctx, p))
		require.Equal(t, []string{"code", "password"}, p.questions())
		require.NoError(t, acc.Login(ctx, &prompt{}), "now a no-op")
	})

	t.Run("wrong server key", func(t *testing.T) {
		other, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		opts := options(s, t.TempDir(), "9996621236", "acc4")
		opts.PublicKeys = []*rsa.PublicKey{&other.PublicKey}
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		_, err = telegram.Dial(ctx, opts)
		require.ErrorContains(t, err, "public key")
	})

	t.Run("nothing listening", func(t *testing.T) {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		require.NoError(t, err)
		opts := options(s, t.TempDir(), "9996621237", "acc5")
		opts.DCAddr = l.Addr().String()
		require.NoError(t, l.Close())
		ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		_, err = telegram.Dial(ctx, opts)
		require.ErrorIs(t, err, telegram.ErrTransient)
	})
}

func TestCalls(t *testing.T) {
	skipShort(t)
	w := mustWorld(t)
	at := simTime(w)
	sub := findSubjects(t, w, at)
	s := startSim(t, tgsim.Options{World: w, Limits: tgsim.Limits{Off: true}})
	ctx := context.Background()
	opts := options(s, t.TempDir(), "9996622000", "collector")
	opts.Registerer = prometheus.NewRegistry()
	acc := dial(t, opts)
	require.NoError(t, acc.Login(ctx, &prompt{code: "22222"}))
	pool := peerOf(sub.pool)

	t.Run("server time", func(t *testing.T) {
		now, err := acc.ServerTime(ctx)
		require.NoError(t, err)
		require.Equal(t, at, now)
	})

	t.Run("resolve", func(t *testing.T) {
		before := s.CallCount(telegram.MethodResolveUsername)
		p, err := acc.ResolveUsername(ctx, "@"+sub.pool.Username)
		require.NoError(t, err)
		require.Equal(t, pool, p)
		require.Equal(t, before+1, s.CallCount(telegram.MethodResolveUsername), "one call, no retries")
	})

	t.Run("channels", func(t *testing.T) {
		infos, err := acc.GetChannels(ctx, []telegram.Peer{pool, peerOf(sub.gone), peerOf(sub.other)})
		require.NoError(t, err)
		require.Equal(t, []int64{sub.pool.ID, sub.gone.ID, sub.other.ID}, channelIDs(infos))
		got := infos[0]
		require.Equal(t, pool, got.Peer)
		require.Equal(t, sub.pool.Title, got.Title)
		require.Equal(t, sub.pool.Username, got.Username)
		require.Equal(t, sub.pool.Verified, got.Verified)
		require.Equal(t, sub.pool.Scam, got.Scam)
		require.Equal(t, sub.pool.Fake, got.Fake)
		require.Equal(t, sub.pool.Restricted, got.Restricted)
		require.Equal(t, sub.pool.Created.Truncate(time.Second).UTC(), got.Date)
		require.True(t, got.Broadcast)
		require.False(t, got.Forbidden)
		require.True(t, infos[1].Forbidden)
		require.Equal(t, sub.gone.Title, infos[1].Title)
		require.Equal(t, sub.other.Username, infos[2].Username)
	})

	t.Run("full channel", func(t *testing.T) {
		full, err := acc.GetFullChannel(ctx, pool)
		require.NoError(t, err)
		require.Equal(t, sub.pool.About, full.About)
		require.Equal(t, sub.pool.Subscribers, full.Subscribers)
		require.Equal(t, sub.pool.LinkedChatID, full.LinkedChatID)
		require.Equal(t, sub.pool.PinnedMsgID, full.PinnedMsgID)
		require.Equal(t, pool, full.Peer)
		require.Equal(t, sub.pool.Title, full.Title)
	})

	t.Run("history paging", func(t *testing.T) {
		var (
			all      []telegram.Message
			q        telegram.HistoryQuery
			channels int
			people   int
		)
		for {
			page, err := acc.GetHistory(ctx, pool, q)
			require.NoError(t, err)
			want, count, err := w.History(sub.pool.ID, at, world.HistoryQuery{OffsetID: q.OffsetID, Limit: 100})
			require.NoError(t, err)
			require.Equal(t, count, page.Count, "the true total")
			require.Len(t, page.Messages, len(want))
			for i := range want {
				require.Equal(t, wantMessage(want[i]), withoutMentioned(page.Messages)[i])
				if f := want[i].Fwd; f != nil && f.ChannelID != 0 {
					channels++
					m := page.Messages[i]
					require.Len(t, m.Mentioned, 1, "the source comes with the page")
					hash, _ := w.AccessHash(f.ChannelID)
					require.Equal(t, telegram.Peer{ChannelID: f.ChannelID, AccessHash: hash, Username: m.Mentioned[0].Username}, m.Mentioned[0].Peer)
					require.Contains(t, channelIDs(page.Chats), f.ChannelID)
				}
				if f := want[i].Fwd; f != nil && f.FromName != "" {
					people++
				}
			}
			if len(page.Messages) == 0 {
				break
			}
			require.Equal(t, sub.pool.ID, page.Chats[0].ChannelID)
			all = append(all, page.Messages...)
			q.OffsetID = page.Messages[len(page.Messages)-1].ID
		}
		require.Len(t, all, sub.poolCount)
		require.Positive(t, channels, "the history has forwards from channels")
		require.Positive(t, people, "and from hidden persons")
		require.Equal(t, 1, all[len(all)-1].ID)
		require.Equal(t, "channel_create", all[len(all)-1].Action)
		require.Less(t, len(all), all[0].ID, "deleted messages leave gaps")
	})

	t.Run("history windows", func(t *testing.T) {
		top, _, err := w.History(sub.pool.ID, at, world.HistoryQuery{Limit: 100})
		require.NoError(t, err)
		for _, q := range []telegram.HistoryQuery{
			{MinID: top[30].ID, Limit: 10},
			{OffsetID: top[50].ID, AddOffset: -5, Limit: 10},
			{OffsetID: top[20].ID, MaxID: top[22].ID, Limit: 5},
			{OffsetDate: top[40].Date, Limit: 3},
			{Limit: 500},
		} {
			page, err := acc.GetHistory(ctx, pool, q)
			require.NoError(t, err)
			wq := world.HistoryQuery{OffsetID: q.OffsetID, OffsetDate: q.OffsetDate, AddOffset: q.AddOffset, Limit: min(q.Limit, 100), MaxID: q.MaxID, MinID: q.MinID}
			want, _, err := w.History(sub.pool.ID, at, wq)
			require.NoError(t, err)
			require.NotEmpty(t, want)
			require.Len(t, page.Messages, len(want), "%+v", q)
			for i := range want {
				require.Equal(t, want[i].ID, page.Messages[i].ID)
			}
		}
	})

	// ids of the pool: the newest, a service message, and ids deleted or never used.
	gaps := missingIDs(t, w, sub.pool.ID, at)
	require.NotEmpty(t, gaps)
	ids := []int{sub.poolCountTop(t, w, at), 1, gaps[0], 2, 1 << 30}

	t.Run("views", func(t *testing.T) {
		got, err := acc.GetMessagesViews(ctx, pool, ids)
		require.NoError(t, err)
		want, err := w.MessagesByID(sub.pool.ID, at, ids)
		require.NoError(t, err)
		require.Len(t, got, len(ids))
		for i, id := range ids {
			c := telegram.Counters{ID: id}
			if m := want[i]; m != nil && !m.Service {
				c.Views, c.Forwards, c.Replies = m.Views, m.Forwards, m.Replies
			}
			require.Equal(t, c, got[i])
		}
		require.Positive(t, got[0].Views)
	})

	t.Run("messages with deleted ids", func(t *testing.T) {
		got, err := acc.GetMessages(ctx, pool, ids)
		require.NoError(t, err)
		want, err := w.MessagesByID(sub.pool.ID, at, ids)
		require.NoError(t, err)
		require.Len(t, got, len(ids))
		for i := range ids {
			if want[i] == nil {
				require.Nil(t, got[i], "id %d", ids[i])
				continue
			}
			m := *got[i]
			m.Mentioned = nil
			require.Equal(t, wantMessage(*want[i]), m)
		}
		require.Nil(t, got[2])
		require.Nil(t, got[4])
	})

	t.Run("recommendations", func(t *testing.T) {
		got, err := acc.GetRecommendations(ctx, pool)
		require.NoError(t, err)
		want, err := w.Recommendations(sub.pool.ID, at)
		require.NoError(t, err)
		require.NotEmpty(t, want)
		require.Equal(t, want, channelIDs(got))
		for _, info := range got {
			hash, _ := w.AccessHash(info.ChannelID)
			require.Equal(t, hash, info.AccessHash)
			require.NotEmpty(t, info.Username)
		}
	})

	t.Run("errors", func(t *testing.T) {
		wrongHash := pool
		wrongHash.AccessHash++
		for _, tc := range []struct {
			name string
			call func() error
			want error
		}{
			{"not occupied", func() error { _, err := acc.ResolveUsername(ctx, "nobody_is_called_this"); return err }, telegram.ErrUsernameNotOccupied},
			{"invalid username", func() error { _, err := acc.ResolveUsername(ctx, "a-b"); return err }, telegram.ErrUsernameInvalid},
			{"empty username", func() error { _, err := acc.ResolveUsername(ctx, "@"); return err }, telegram.ErrUsernameInvalid},
			{"gone: full channel", func() error { _, err := acc.GetFullChannel(ctx, peerOf(sub.gone)); return err }, telegram.ErrChannelPrivate},
			{"gone: history", func() error { _, err := acc.GetHistory(ctx, peerOf(sub.gone), telegram.HistoryQuery{}); return err }, telegram.ErrChannelPrivate},
			{"gone: recommendations", func() error { _, err := acc.GetRecommendations(ctx, peerOf(sub.gone)); return err }, telegram.ErrChannelPrivate},
			{"wrong access hash", func() error { _, err := acc.GetFullChannel(ctx, wrongHash); return err }, telegram.ErrChannelInvalid},
			{"wrong access hash: messages", func() error { _, err := acc.GetMessages(ctx, wrongHash, []int{1}); return err }, telegram.ErrChannelInvalid},
		} {
			t.Run(tc.name, func(t *testing.T) {
				require.ErrorIs(t, tc.call(), tc.want)
			})
		}
	})

	t.Run("transient faults", func(t *testing.T) {
		for _, f := range []tgsim.Faults{{InternalRate: 1}, {TimeoutRate: 1}} {
			require.NoError(t, s.SetFaults(f))
			_, err := acc.GetHistory(ctx, pool, telegram.HistoryQuery{Limit: 1})
			require.ErrorIs(t, err, telegram.ErrTransient, "%+v", f)
		}
		require.NoError(t, s.SetFaults(tgsim.Faults{}))

		// A dropped connection fails the call in flight at most (transient), and
		// the client dials again under the same key.
		keys := authKeys(s)
		require.Positive(t, s.DropConnections())
		_, err := acc.GetHistory(ctx, pool, telegram.HistoryQuery{Limit: 1})
		if err != nil {
			require.ErrorIs(t, err, telegram.ErrTransient)
		}
		require.Eventually(t, func() bool {
			_, err := acc.GetHistory(ctx, pool, telegram.HistoryQuery{Limit: 1})
			return err == nil
		}, 30*time.Second, 50*time.Millisecond)
		require.Equal(t, keys, authKeys(s))
	})

	t.Run("closed", func(t *testing.T) {
		require.NoError(t, acc.Close())
		require.NoError(t, acc.Close(), "Close twice is fine")
		_, err := acc.ResolveUsername(ctx, sub.pool.Username)
		require.ErrorIs(t, err, telegram.ErrClosed)
	})
}

// poolCountTop returns the newest message id of the pool channel.
func (s subjects) poolCountTop(t *testing.T, w *world.World, at time.Time) int {
	t.Helper()
	msgs, _, err := w.History(s.pool.ID, at, world.HistoryQuery{Limit: 1})
	require.NoError(t, err)
	return msgs[0].ID
}

// missingIDs returns ids below a channel's newest that its history lacks.
func missingIDs(t *testing.T, w *world.World, id int64, at time.Time) []int {
	t.Helper()
	msgs, _, err := w.History(id, at, world.HistoryQuery{Limit: 100})
	require.NoError(t, err)
	var gaps []int
	for i := 1; i < len(msgs); i++ {
		for g := msgs[i-1].ID - 1; g > msgs[i].ID; g-- {
			gaps = append(gaps, g)
		}
	}
	return gaps
}

// TestFloodWaitAndBan drives one account into a flood wait, which comes back at
// once as a FloodWaitError, and then, by ignoring it, into the simulator's ban.
func TestFloodWaitAndBan(t *testing.T) {
	skipShort(t)
	w := mustWorld(t)
	sub := findSubjects(t, w, simTime(w))
	s := startSim(t, tgsim.Options{World: w, Limits: tgsim.Limits{
		Methods: map[string]tgsim.Budget{
			telegram.MethodGetHistory: {Rate: 0.01, Burst: 2},
			"*":                       {Rate: 100, Burst: 100},
		},
		BanAfter: 3,
		Grace:    time.Millisecond,
	}})
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	opts := options(s, t.TempDir(), "9996623000", "flooder")
	opts.Registerer = reg
	acc := dial(t, opts)
	require.NoError(t, acc.Login(ctx, &prompt{code: "22222"}))
	pool := peerOf(sub.pool)

	for range 2 {
		_, err := acc.GetHistory(ctx, pool, telegram.HistoryQuery{Limit: 1})
		require.NoError(t, err)
	}
	start := time.Now()
	_, err := acc.GetHistory(ctx, pool, telegram.HistoryQuery{Limit: 1})
	require.Less(t, time.Since(start), 2*time.Second, "a flood wait is returned, never slept on")
	fw, ok := errorAs[*telegram.FloodWaitError](err)
	require.True(t, ok, "got %v", err)
	require.Equal(t, telegram.MethodGetHistory, fw.Method)
	require.GreaterOrEqual(t, fw.Wait, 10*time.Second)
	require.Equal(t, 1.0, counterValue(t, reg, "tidewatch_telegram_calls_total",
		map[string]string{"account": "flooder", "method": telegram.MethodGetHistory, "result": "flood_wait"}))
	require.Equal(t, fw.Wait.Seconds(), counterValue(t, reg, "tidewatch_telegram_flood_wait_seconds_total",
		map[string]string{"account": "flooder", "method": telegram.MethodGetHistory}))
	require.Equal(t, 2.0, counterValue(t, reg, "tidewatch_telegram_calls_total",
		map[string]string{"account": "flooder", "method": telegram.MethodGetHistory, "result": "ok"}))

	// Other methods are not parked.
	_, err = acc.GetFullChannel(ctx, pool)
	require.NoError(t, err)

	// Calling on during the wait is what gets accounts banned.
	var last error
	for range 10 {
		_, last = acc.GetHistory(ctx, pool, telegram.HistoryQuery{Limit: 1})
		if !isFloodWait(last) {
			break
		}
	}
	require.ErrorIs(t, last, telegram.ErrAccountBanned)
	_, err = acc.GetFullChannel(ctx, pool)
	require.ErrorIs(t, err, telegram.ErrAccountBanned)
}

func isFloodWait(err error) bool {
	_, ok := errorAs[*telegram.FloodWaitError](err)
	return ok
}

// TestServerForgetsSession: a new simulator process has forgotten every auth
// key, as Telegram has when it revokes a session; the account's calls then say
// that it must log in again, and a new login works.
func TestServerForgetsSession(t *testing.T) {
	skipShort(t)
	w := mustWorld(t)
	sub := findSubjects(t, w, simTime(w))
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	clock := tgsim.Clock{Start: simTime(w), Speed: 1e-9}
	first, err := tgsim.New(tgsim.Options{World: w, Key: key, Clock: clock, Limits: tgsim.Limits{Off: true}})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, first.Start(ctx, "127.0.0.1:0"))
	opts := options(first, t.TempDir(), "9996624000", "forgotten")
	acc := dial(t, opts)
	require.NoError(t, acc.Login(ctx, &prompt{code: "22222"}))
	require.NoError(t, first.Close())

	second := startSimAt(t, tgsim.Options{World: w, Key: key, Clock: clock, Limits: tgsim.Limits{Off: true}}, first.Addr())
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	// The call in flight when the connection broke fails as transient; the
	// engine tries again, and the reconnected client learns it is logged out.
	for {
		_, err = acc.GetFullChannel(ctx, peerOf(sub.pool))
		if !errors.Is(err, telegram.ErrTransient) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	require.ErrorIs(t, err, telegram.ErrAuthRequired)
	require.NoError(t, acc.Login(ctx, &prompt{code: "22222"}))
	_, err = acc.GetFullChannel(ctx, peerOf(sub.pool))
	require.NoError(t, err)
	require.Equal(t, 1, second.CallCount("auth.signIn"))
}

// TestSecretsNeverLogged logs in and collects with every log line captured and
// checks that neither the phone nor the api hash shows up in a line, an error or
// a file name.
func TestSecretsNeverLogged(t *testing.T) {
	skipShort(t)
	w := mustWorld(t)
	sub := findSubjects(t, w, simTime(w))
	s := startSim(t, tgsim.Options{World: w, Limits: tgsim.Limits{Off: true}})
	ctx := context.Background()
	var logs lockedBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	const phone = "+99966 2 4242"
	dir := t.TempDir()
	opts := options(s, dir, phone, "secretive")
	opts.Logger = logger
	opts.Registerer = prometheus.NewRegistry()
	var errs []error
	acc := dial(t, opts)
	errs = append(errs, acc.Login(ctx, &prompt{code: "11111"}))
	require.NoError(t, acc.Login(ctx, &prompt{code: "22222"}))

	pool, err := acc.ResolveUsername(ctx, sub.pool.Username)
	require.NoError(t, err)
	page, err := acc.GetHistory(ctx, pool, telegram.HistoryQuery{})
	require.NoError(t, err)
	_, err = acc.GetMessagesViews(ctx, pool, []int{page.Messages[0].ID})
	require.NoError(t, err)
	_, err = acc.ResolveUsername(ctx, "nobody_is_called_this")
	errs = append(errs, err)
	require.NoError(t, s.SetFaults(tgsim.Faults{InternalRate: 1}))
	_, err = acc.GetHistory(ctx, pool, telegram.HistoryQuery{})
	errs = append(errs, err)
	require.NoError(t, s.SetFaults(tgsim.Faults{}))
	_, err = telegram.Dial(ctx, options(s, dir, "+99966 2 4343", "secretive"))
	errs = append(errs, err)
	_, err = telegram.Dial(ctx, options(s, dir, "+99966 2 42x2", "other"))
	errs = append(errs, err)
	require.NoError(t, acc.Close())

	sessions, err := telegram.ListSessions(dir)
	require.NoError(t, err)
	require.Len(t, sessions, 1)

	text := logs.String()
	require.Contains(t, text, `"account":"secretive"`, "the test must see log lines to mean anything")
	require.Contains(t, text, `"msg":"logged in"`)
	for _, err := range errs {
		require.Error(t, err)
		text += "\n" + err.Error()
	}
	text += "\n" + sessions[0].Path + "\n" + sessions[0].ID
	for _, secret := range []string{"9996624242", "99966 2 4242", "9996624343", "99966 2 4343", "42x2", testAPIHash} {
		require.NotContains(t, text, secret)
	}
}

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// counterValue returns the value of the counter name with exactly labels.
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, fam := range families {
		if fam.GetName() != name {
			continue
		}
	metrics:
		for _, m := range fam.GetMetric() {
			for _, lp := range m.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no sample %s%v", name, labels)
	return 0
}

// errorAs is errors.As returning the target.
func errorAs[T error](err error) (T, bool) {
	var target T
	ok := errors.As(err, &target)
	return target, ok
}

// BenchmarkGetHistory pages the longest history of the test world through
// Account (RPC, decoding and conversion to plain types), limits off, with one
// and with four callers sharing the account.
func BenchmarkGetHistory(b *testing.B) {
	w := mustWorld(b)
	at := simTime(w)
	var pool world.ChannelView
	best := 0
	for _, id := range w.ChannelIDs() {
		hash, _ := w.AccessHash(id)
		v, err := w.Channel(id, hash, at)
		if err != nil {
			continue
		}
		if _, n, err := w.History(id, at, world.HistoryQuery{Limit: 1}); err == nil && n > best {
			pool, best = v, n
		}
	}
	s := startSim(b, tgsim.Options{World: w, Limits: tgsim.Limits{Off: true}})
	ctx := context.Background()
	acc, err := telegram.Dial(ctx, options(s, b.TempDir(), "9996625000", "bench"))
	require.NoError(b, err)
	b.Cleanup(func() { require.NoError(b, acc.Close()) })
	require.NoError(b, acc.Login(ctx, &prompt{code: "22222"}))
	peer := peerOf(pool)

	for _, workers := range []int{1, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			var pages, msgs atomic.Int64
			start := time.Now()
			for b.Loop() {
				// Each worker pages the whole history once.
				var wg sync.WaitGroup
				for range workers {
					wg.Go(func() {
						q := telegram.HistoryQuery{}
						for {
							page, err := acc.GetHistory(ctx, peer, q)
							if err != nil {
								b.Error(err)
								return
							}
							if len(page.Messages) == 0 {
								return
							}
							pages.Add(1)
							msgs.Add(int64(len(page.Messages)))
							q.OffsetID = page.Messages[len(page.Messages)-1].ID
						}
					})
				}
				wg.Wait()
			}
			secs := time.Since(start).Seconds()
			b.ReportMetric(float64(pages.Load())/secs, "pages/s")
			b.ReportMetric(float64(msgs.Load())/secs, "msgs/s")
		})
	}
}
