package telegram_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gotd/td/tgerr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/telegram"
)

const testAPIHash = "0123456789abcdef0123456789abcdef"

// prompt answers a login from code and records what it was asked.
type prompt struct {
	code, password string
	mu             sync.Mutex
	asked          []string
}

func (p *prompt) Code(context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, "code")
	return p.code, nil
}

func (p *prompt) Password(context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, "password")
	if p.password == "" {
		return "", telegram.ErrPasswordRequired
	}
	return p.password, nil
}

func (p *prompt) questions() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.asked)
}

func options(f *fakeTelegram, dir, phone, label string) telegram.Options {
	return telegram.Options{
		APIID: 17, APIHash: testAPIHash,
		Phone: phone, Label: label,
		SessionDir: dir,
		DC:         f.dc, DCAddr: f.addr,
		PublicKeys: []*rsa.PublicKey{f.pub},
	}
}

func dial(t *testing.T, opts telegram.Options) *telegram.Account {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	acc, err := telegram.Dial(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, acc.Close()) })
	return acc
}

func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test against an MTProto server")
	}
}

func TestLogin(t *testing.T) {
	skipShort(t)
	f := startFakeTelegram(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "sessions")

	t.Run("test phone", func(t *testing.T) {
		acc := dial(t, options(f, dir, "+999 66 2 1234", "acc1"))
		require.Equal(t, "acc1", acc.Label())
		p := &prompt{code: "22222"}
		require.NoError(t, acc.Login(ctx, p))
		require.Equal(t, []string{"code"}, p.questions())
		require.Equal(t, 1, f.count("auth.signIn"))

		_, err := acc.ResolveUsername(ctx, "tidepool")
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
		keys, codes := f.authKeys(), f.count("auth.sendCode")
		acc := dial(t, options(f, dir, "9996621234", "acc1"))
		p := &prompt{}
		require.NoError(t, acc.Login(ctx, p), "a stored session is already logged in")
		require.Empty(t, p.questions())

		byLabel := dial(t, options(f, dir, "", "acc1"))
		_, err := byLabel.ResolveUsername(ctx, "tidepool")
		require.NoError(t, err)

		require.Equal(t, keys, f.authKeys(), "no new auth key")
		require.Equal(t, codes, f.count("auth.sendCode"), "no new login")
	})

	t.Run("label taken", func(t *testing.T) {
		_, err := telegram.Dial(ctx, options(f, dir, "9996625555", "acc1"))
		require.ErrorContains(t, err, `label "acc1" is already used`)
		_, err = telegram.Dial(ctx, options(f, dir, "", "nosuch"))
		require.ErrorIs(t, err, telegram.ErrAuthRequired)
		_, err = telegram.Dial(ctx, options(f, dir, "12ab", "acc9"))
		require.ErrorIs(t, err, telegram.ErrPhoneInvalid)
	})

	t.Run("wrong code", func(t *testing.T) {
		acc := dial(t, options(f, t.TempDir(), "9996621235", "acc2"))
		err := acc.Login(ctx, &prompt{code: "11111"})
		require.ErrorIs(t, err, telegram.ErrPhoneCodeInvalid)
		_, err = acc.ResolveUsername(ctx, "tidepool")
		require.ErrorIs(t, err, telegram.ErrAuthRequired)
	})

	t.Run("2FA password", func(t *testing.T) {
		acc := dial(t, options(f, t.TempDir(), twoFAPhone, "acc3"))
		err := acc.Login(ctx, &prompt{code: "22222"})
		require.ErrorIs(t, err, telegram.ErrPasswordRequired)
		err = acc.Login(ctx, &prompt{code: "22222", password: "wrong"})
		require.ErrorIs(t, err, telegram.ErrPasswordInvalid)
		p := &prompt{code: "22222", password: twoFAPassword}
		require.NoError(t, acc.Login(ctx, p))
		require.Equal(t, []string{"code", "password"}, p.questions())
		_, err = acc.ResolveUsername(ctx, "tidepool")
		require.NoError(t, err)
	})

	t.Run("wrong server key", func(t *testing.T) {
		other, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		opts := options(f, t.TempDir(), "9996621236", "acc4")
		opts.PublicKeys = []*rsa.PublicKey{&other.PublicKey}
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		_, err = telegram.Dial(ctx, opts)
		require.ErrorContains(t, err, "public key")
	})

	t.Run("nothing listening", func(t *testing.T) {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		require.NoError(t, err)
		opts := options(f, t.TempDir(), "9996621237", "acc5")
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
	f := startFakeTelegram(t)
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	opts := options(f, t.TempDir(), "9996622000", "collector")
	opts.Registerer = reg
	acc := dial(t, opts)
	require.NoError(t, acc.Login(ctx, &prompt{code: "22222"}))

	pool := telegram.Peer{ChannelID: poolID, AccessHash: accessHash(poolID), Username: "tidepool"}
	locked := telegram.Peer{ChannelID: lockedID, AccessHash: accessHash(lockedID)}

	t.Run("server time", func(t *testing.T) {
		now, err := acc.ServerTime(ctx)
		require.NoError(t, err)
		require.Equal(t, f.now, now)
	})

	t.Run("resolve", func(t *testing.T) {
		p, err := acc.ResolveUsername(ctx, "@tidepool")
		require.NoError(t, err)
		require.Equal(t, pool, p)
	})

	t.Run("channels", func(t *testing.T) {
		infos, err := acc.GetChannels(ctx, []telegram.Peer{pool, locked, {ChannelID: sourceID, AccessHash: accessHash(sourceID)}})
		require.NoError(t, err)
		require.Len(t, infos, 3)
		require.Equal(t, "Tide Pool", infos[0].Title)
		require.Equal(t, "tidepool", infos[0].Username)
		require.True(t, infos[0].Broadcast)
		require.True(t, infos[1].Forbidden)
		require.Equal(t, "Locked", infos[1].Title)
		require.True(t, infos[2].Verified)
		require.Equal(t, []string{"ios:porn"}, infos[2].RestrictionReasons)
	})

	t.Run("full channel", func(t *testing.T) {
		full, err := acc.GetFullChannel(ctx, pool)
		require.NoError(t, err)
		require.Equal(t, "Tides. Also on x.com/tidepool", full.About)
		require.Equal(t, 1234, full.Subscribers)
		require.Equal(t, int64(poolID+5000), full.LinkedChatID)
		require.Equal(t, 99, full.PinnedMsgID)
		require.Equal(t, pool, full.Peer)
		require.Equal(t, "Tide Pool", full.Title)
	})

	t.Run("history paging", func(t *testing.T) {
		var got []telegram.Message
		q := telegram.HistoryQuery{}
		for {
			page, err := acc.GetHistory(ctx, pool, q)
			require.NoError(t, err)
			require.Equal(t, poolLastID-len(poolDeleted), page.Count)
			if len(page.Messages) == 0 {
				break
			}
			require.LessOrEqual(t, len(page.Messages), telegram.MaxHistoryLimit)
			got = append(got, page.Messages...)
			q.OffsetID = page.Messages[len(page.Messages)-1].ID
		}
		require.Len(t, got, poolLastID-len(poolDeleted))
		byID := map[int]telegram.Message{}
		for i, m := range got {
			if i > 0 {
				require.Less(t, m.ID, got[i-1].ID, "newest first, no repeats")
			}
			byID[m.ID] = m
		}
		for _, id := range poolDeleted {
			require.NotContains(t, byID, id)
		}

		first := byID[1]
		require.True(t, first.Service)
		require.Equal(t, "channel_create", first.Action)

		require.Equal(t, "Hidden Person", byID[77].FwdFromName)
		require.Zero(t, byID[77].FwdChannelID)

		fwd := byID[26]
		require.Equal(t, int64(sourceID), fwd.FwdChannelID)
		require.Equal(t, 2, fwd.FwdPostID)
		require.False(t, fwd.FwdDate.IsZero())
		require.Len(t, fwd.Mentioned, 1)
		require.Equal(t, accessHash(sourceID), fwd.Mentioned[0].AccessHash)

		for _, id := range []int{20, 21, 22} {
			require.Equal(t, int64(555), byID[id].GroupedID)
			require.Equal(t, "photo", byID[id].Media)
		}
		require.Equal(t, "", byID[23].Media)

		m := byID[14]
		require.Equal(t, "post 14 https://example.org/14 #tide", m.Text)
		require.Equal(t, []telegram.Entity{
			{Type: "url", Offset: 8, Length: 22},
			{Type: "hashtag", Offset: 31, Length: 5},
			{Type: "text_url", Offset: 0, Length: 4, URL: "https://t.me/sourcechan/14"},
		}, m.Entities)
		require.Equal(t, 140, m.Views)
		require.Equal(t, 4, m.Forwards)
		require.Equal(t, 2, m.Replies)
		require.Equal(t, []telegram.Reaction{{Emoji: "👍", Count: 3}, {Emoji: "❤", Count: 2}}, m.Reactions)
		require.Equal(t, 5, m.ReactionsTotal())
		require.Equal(t, 99, byID[100].ReplyTo)
		require.False(t, byID[poolLastID].EditDate.IsZero())
		require.Equal(t, time.Unix(int64(poolDate(14)), 0).UTC(), m.Date)
	})

	t.Run("history window", func(t *testing.T) {
		page, err := acc.GetHistory(ctx, pool, telegram.HistoryQuery{MinID: 195, MaxID: 205, Limit: 500})
		require.NoError(t, err)
		var ids []int
		for _, m := range page.Messages {
			ids = append(ids, m.ID)
		}
		require.Equal(t, []int{204, 203, 202, 201, 199, 198, 197, 196}, ids)
		require.Equal(t, []int64{poolID}, channelIDs(page.Chats))
	})

	t.Run("views", func(t *testing.T) {
		c, err := acc.GetMessagesViews(ctx, pool, []int{5, 10, 250})
		require.NoError(t, err)
		require.Equal(t, []telegram.Counters{
			{ID: 5, Views: 50, Forwards: 0, Replies: 2},
			{ID: 10},
			{ID: 250, Views: 2500, Forwards: 0, Replies: 1},
		}, c)
	})

	t.Run("messages with deleted ids", func(t *testing.T) {
		msgs, err := acc.GetMessages(ctx, pool, []int{9, 10, 11, 13, 9999})
		require.NoError(t, err)
		require.Len(t, msgs, 5)
		require.Equal(t, 9, msgs[0].ID)
		require.Nil(t, msgs[1])
		require.Nil(t, msgs[2])
		require.Equal(t, 13, msgs[3].ID)
		require.Equal(t, "Source", msgs[3].Mentioned[0].Title)
		require.Nil(t, msgs[4])
	})

	t.Run("recommendations", func(t *testing.T) {
		recs, err := acc.GetRecommendations(ctx, pool)
		require.NoError(t, err)
		require.Equal(t, []int64{sourceID, similarID}, channelIDs(recs))
		require.Equal(t, "similarchan", recs[1].Username)
	})

	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			inject *tgerr.Error // injected on the call's method, or nil
			call   func() error
			want   error
		}{
			{"not occupied", nil, func() error { _, err := acc.ResolveUsername(ctx, "nobodyhere"); return err }, telegram.ErrUsernameNotOccupied},
			{"invalid username", nil, func() error { _, err := acc.ResolveUsername(ctx, "a-b"); return err }, telegram.ErrUsernameInvalid},
			{"empty username", nil, func() error { _, err := acc.ResolveUsername(ctx, "@"); return err }, telegram.ErrUsernameInvalid},
			{"a bot", nil, func() error { _, err := acc.ResolveUsername(ctx, "somebot"); return err }, telegram.ErrNotChannel},
			{"private", nil, func() error { _, err := acc.GetFullChannel(ctx, locked); return err }, telegram.ErrChannelPrivate},
			{"private history", nil, func() error { _, err := acc.GetHistory(ctx, locked, telegram.HistoryQuery{}); return err }, telegram.ErrChannelPrivate},
			{"wrong access hash", nil, func() error {
				_, err := acc.GetFullChannel(ctx, telegram.Peer{ChannelID: poolID, AccessHash: 1})
				return err
			}, telegram.ErrChannelInvalid},
			{"auth key unregistered", tgerr.New(401, "AUTH_KEY_UNREGISTERED"), func() error { _, err := acc.GetHistory(ctx, pool, telegram.HistoryQuery{}); return err }, telegram.ErrAuthRequired},
			{"session revoked", tgerr.New(401, "SESSION_REVOKED"), func() error { _, err := acc.GetHistory(ctx, pool, telegram.HistoryQuery{}); return err }, telegram.ErrAuthRequired},
			{"banned", tgerr.New(401, "USER_DEACTIVATED_BAN"), func() error { _, err := acc.GetHistory(ctx, pool, telegram.HistoryQuery{}); return err }, telegram.ErrAccountBanned},
			{"deactivated", tgerr.New(401, "USER_DEACTIVATED"), func() error { _, err := acc.GetChannels(ctx, []telegram.Peer{pool}); return err }, telegram.ErrAccountBanned},
			{"internal", tgerr.New(500, "INTERNAL"), func() error { _, err := acc.GetMessagesViews(ctx, pool, []int{5}); return err }, telegram.ErrTransient},
			{"timeout", tgerr.New(-503, "TIMEOUT"), func() error { _, err := acc.GetMessages(ctx, pool, []int{5}); return err }, telegram.ErrTransient},
			{"channel private on resolve", tgerr.New(400, "CHANNEL_PRIVATE"), func() error { _, err := acc.ResolveUsername(ctx, "tidepool"); return err }, telegram.ErrChannelPrivate},
			{"invalid on recommendations", tgerr.New(400, "CHANNEL_INVALID"), func() error { _, err := acc.GetRecommendations(ctx, pool); return err }, telegram.ErrChannelInvalid},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.inject != nil {
					f.injectError(methodOf(tc.name), tc.inject)
				}
				err := tc.call()
				require.ErrorIs(t, err, tc.want)
			})
		}
	})

	t.Run("flood wait", func(t *testing.T) {
		for _, tc := range []struct {
			err    *tgerr.Error
			method string
			call   func() error
			wait   time.Duration
		}{
			{tgerr.New(420, "FLOOD_WAIT_7"), telegram.MethodGetHistory, func() error { _, err := acc.GetHistory(ctx, pool, telegram.HistoryQuery{}); return err }, 7 * time.Second},
			{tgerr.New(420, "FLOOD_PREMIUM_WAIT_3"), telegram.MethodResolveUsername, func() error { _, err := acc.ResolveUsername(ctx, "tidepool"); return err }, 3 * time.Second},
			{tgerr.New(420, "FLOOD_WAIT_86400"), telegram.MethodGetMessagesViews, func() error { _, err := acc.GetMessagesViews(ctx, pool, []int{1}); return err }, 24 * time.Hour},
		} {
			f.injectError(tc.method, tc.err)
			start := time.Now()
			err := tc.call()
			require.Less(t, time.Since(start), 2*time.Second, "a flood wait is returned, never slept on")
			fw, ok := errorAs[*telegram.FloodWaitError](err)
			require.True(t, ok, "got %v", err)
			require.Equal(t, &telegram.FloodWaitError{Method: tc.method, Wait: tc.wait}, fw)
			require.Equal(t, 1.0, callsMetric(reg, t, "collector", tc.method, "flood_wait"))
		}
		require.Equal(t, 7.0, waitedMetric(reg, t, "collector", telegram.MethodGetHistory))
		require.Positive(t, callsMetric(reg, t, "collector", telegram.MethodGetHistory, "ok"))
	})

	t.Run("closed", func(t *testing.T) {
		require.NoError(t, acc.Close())
		require.NoError(t, acc.Close(), "Close twice is fine")
		_, err := acc.ResolveUsername(ctx, "tidepool")
		require.ErrorIs(t, err, telegram.ErrClosed)
	})
}

// methodOf names the method the "errors" table's cases call.
func methodOf(name string) string {
	switch name {
	case "deactivated":
		return telegram.MethodGetChannels
	case "internal":
		return telegram.MethodGetMessagesViews
	case "timeout":
		return telegram.MethodGetMessages
	case "channel private on resolve":
		return telegram.MethodResolveUsername
	case "invalid on recommendations":
		return telegram.MethodGetRecommendations
	}
	return telegram.MethodGetHistory
}

func channelIDs(infos []telegram.ChannelInfo) []int64 {
	var ids []int64
	for _, i := range infos {
		ids = append(ids, i.ChannelID)
	}
	return ids
}

// callsMetric finds tidewatch_telegram_calls_total for the labels.
func callsMetric(reg *prometheus.Registry, t *testing.T, account, method, result string) float64 {
	return metricWith(reg, t, "tidewatch_telegram_calls_total", map[string]string{"account": account, "method": method, "result": result})
}

func waitedMetric(reg *prometheus.Registry, t *testing.T, account, method string) float64 {
	return metricWith(reg, t, "tidewatch_telegram_flood_wait_seconds_total", map[string]string{"account": account, "method": method})
}

// metricWith returns the value of the counter name with labels.
func metricWith(reg *prometheus.Registry, t *testing.T, name string, labels map[string]string) float64 {
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

// TestSecretsNeverLogged logs in and collects with every log line captured and
// checks that neither the phone nor the api hash shows up in a line, an error or
// a file name.
func TestSecretsNeverLogged(t *testing.T) {
	skipShort(t)
	f := startFakeTelegram(t)
	ctx := context.Background()
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(&lockedWriter{w: &logs, mu: &logMu}, &slog.HandlerOptions{Level: slog.LevelDebug}))

	const phone = "+99966 2 4242"
	dir := t.TempDir()
	opts := options(f, dir, phone, "secretive")
	opts.Logger = logger
	var errs []error
	acc := dial(t, opts)
	errs = append(errs, acc.Login(ctx, &prompt{code: "11111"}))
	require.NoError(t, acc.Login(ctx, &prompt{code: "22222"}))

	pool, err := acc.ResolveUsername(ctx, "tidepool")
	require.NoError(t, err)
	_, err = acc.GetHistory(ctx, pool, telegram.HistoryQuery{})
	require.NoError(t, err)
	_, err = acc.ResolveUsername(ctx, "nobodyhere")
	errs = append(errs, err)
	f.injectError(telegram.MethodGetHistory, tgerr.New(420, "FLOOD_WAIT_5"))
	_, err = acc.GetHistory(ctx, pool, telegram.HistoryQuery{})
	errs = append(errs, err)
	_, err = telegram.Dial(ctx, options(f, dir, "+99966 2 4343", "secretive"))
	errs = append(errs, err)
	_, err = telegram.Dial(ctx, options(f, dir, "+99966 2 42x2", "other"))
	errs = append(errs, err)
	require.NoError(t, acc.Close())

	sessions, err := telegram.ListSessions(dir)
	require.NoError(t, err)
	require.Len(t, sessions, 1)

	logMu.Lock()
	text := logs.String()
	logMu.Unlock()
	require.Contains(t, text, `"account":"secretive"`, "the test must see log lines to mean anything")
	for _, err := range errs {
		require.Error(t, err)
		text += "\n" + err.Error()
	}
	text += "\n" + sessions[0].Path + "\n" + sessions[0].ID
	for _, secret := range []string{"9996624242", "99966 2 4242", "9996624343", "99966 2 4343", "42x2", testAPIHash} {
		require.NotContains(t, text, secret)
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
