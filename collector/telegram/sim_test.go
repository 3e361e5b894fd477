package telegram_test

import (
	"context"
	"crypto/rsa"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/telegram"
	"github.com/tidewatch/tidewatch/collector/tgsim"
	"github.com/tidewatch/tidewatch/collector/tgsim/world"
)

// The integration tests run the real gotd client against the project's
// simulated Telegram (collector/tgsim) serving a small synthetic world, and
// compare what this package returns with what the world says.

const testAPIHash = "0123456789abcdef0123456789abcdef"

// twoFAPhone is the test phone whose account has a 2FA password.
const (
	twoFAPhone    = "9996629999"
	twoFAPassword = "correct horse"
)

// simWorld is one small world for the whole test binary: generation is
// deterministic and the world is safe for concurrent use.
var simWorld = sync.OnceValues(func() (*world.World, error) {
	return world.Generate(world.DefaultSpec(20), 7)
})

func mustWorld(t testing.TB) *world.World {
	t.Helper()
	w, err := simWorld()
	require.NoError(t, err)
	return w
}

// simTime is the frozen world time of the tests: 45 days in, after the
// default spec's takedown and attack, so that some channels are gone.
func simTime(w *world.World) time.Time { return w.Start().Add(45 * 24 * time.Hour) }

// startSim serves the test world on a free loopback port until the test ends,
// with the world clock frozen at simTime.
func startSim(t testing.TB, opts tgsim.Options) *tgsim.Server {
	t.Helper()
	if opts.World == nil {
		opts.World = mustWorld(t)
	}
	if opts.Clock.Start.IsZero() {
		opts.Clock = tgsim.Clock{Start: simTime(opts.World), Speed: 1e-9}
	}
	if opts.Passwords == nil {
		opts.Passwords = map[string]string{twoFAPhone: twoFAPassword}
	}
	return startSimAt(t, opts, "127.0.0.1:0")
}

// startSimAt is startSim on a given address.
func startSimAt(t testing.TB, opts tgsim.Options, addr string) *tgsim.Server {
	t.Helper()
	s, err := tgsim.New(opts)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, s.Start(ctx, addr))
	t.Cleanup(func() {
		cancel()
		require.NoError(t, s.Close())
	})
	return s
}

// options are an account's options for the simulator s.
func options(s *tgsim.Server, dir, phone, label string) telegram.Options {
	co := s.ClientOptions()
	return telegram.Options{
		APIID: 17, APIHash: testAPIHash,
		Phone: phone, Label: label,
		SessionDir: dir,
		DC:         co.DC, DCAddr: co.Addr,
		PublicKeys: []*rsa.PublicKey{co.Key},
	}
}

// dial connects an account for the test and closes it when the test ends.
func dial(t *testing.T, opts telegram.Options) *telegram.Account {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	acc, err := telegram.Dial(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, acc.Close()) })
	return acc
}

// authKeys counts the distinct auth keys that called s.
func authKeys(s *tgsim.Server) int {
	keys := map[string]bool{}
	for _, c := range s.Calls() {
		keys[c.AuthKey] = true
	}
	return len(keys)
}

func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test against the simulated Telegram")
	}
}

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
	return append([]string(nil), p.asked...)
}

// subjects are the channels of the test world the call tests use.
type subjects struct {
	// pool is the readable channel with the longest history.
	pool      world.ChannelView
	poolCount int
	// gone is a channel that was readable once and no longer is.
	gone world.ChannelView
	// other is another readable channel with a username.
	other world.ChannelView
}

func findSubjects(t *testing.T, w *world.World, at time.Time) subjects {
	t.Helper()
	var s subjects
	for _, id := range w.ChannelIDs() {
		hash, ok := w.AccessHash(id)
		require.True(t, ok)
		v, err := w.Channel(id, hash, at)
		switch {
		case err != nil && v.Status != 0 && v.Status != world.StatusActive:
			if s.gone.ID == 0 {
				s.gone = v
			}
		case err != nil:
		case v.Username != "":
			_, n, err := w.History(id, at, world.HistoryQuery{Limit: 1})
			require.NoError(t, err)
			if n > s.poolCount {
				if s.pool.ID != 0 {
					s.other = s.pool
				}
				s.pool, s.poolCount = v, n
			} else if s.other.ID == 0 {
				s.other = v
			}
		}
	}
	require.NotZero(t, s.pool.ID)
	require.NotZero(t, s.gone.ID, "the test world has a channel that went away")
	require.NotZero(t, s.other.ID)
	require.Greater(t, s.poolCount, 250, "several pages of history")
	return s
}

func peerOf(v world.ChannelView) telegram.Peer {
	return telegram.Peer{ChannelID: v.ID, AccessHash: v.AccessHash, Username: v.Username}
}

// serviceActions are Telegram's names of the world's service actions.
var serviceActions = map[string]string{
	world.ActionChannelCreate: "channel_create",
	world.ActionTitleChanged:  "chat_edit_title",
	world.ActionPhotoChanged:  "chat_edit_photo",
	world.ActionPin:           "pin_message",
}

// wantMessage is what Account should return for a world message, without
// Mentioned (checked on its own).
func wantMessage(m world.Message) telegram.Message {
	utc := func(t time.Time) time.Time {
		if t.IsZero() {
			return time.Time{}
		}
		return t.Truncate(time.Second).UTC()
	}
	out := telegram.Message{ID: m.ID, Date: utc(m.Date), ReplyTo: m.ReplyTo}
	if m.Service {
		out.Service = true
		out.Action = serviceActions[m.Action]
		if m.Action == world.ActionChannelCreate || m.Action == world.ActionTitleChanged {
			out.Text = m.Text
		}
		return out
	}
	out.EditDate = utc(m.EditDate)
	out.Text = m.Text
	out.GroupedID = m.GroupedID
	out.Media = m.Media
	out.Views, out.Forwards, out.Replies = m.Views, m.Forwards, m.Replies
	for _, e := range m.Entities {
		out.Entities = append(out.Entities, telegram.Entity{Type: e.Type, Offset: e.Offset, Length: e.Length, URL: e.URL})
	}
	for _, r := range m.Reactions {
		out.Reactions = append(out.Reactions, telegram.Reaction{Emoji: r.Emoji, Count: r.Count})
	}
	if f := m.Fwd; f != nil {
		out.FwdChannelID, out.FwdPostID, out.FwdFromName, out.FwdDate = f.ChannelID, f.PostID, f.FromName, utc(f.Date)
	}
	return out
}

// withoutMentioned copies msgs with Mentioned cleared.
func withoutMentioned(msgs []telegram.Message) []telegram.Message {
	out := make([]telegram.Message, len(msgs))
	for i, m := range msgs {
		m.Mentioned = nil
		out[i] = m
	}
	return out
}

func channelIDs(infos []telegram.ChannelInfo) []int64 {
	var ids []int64
	for _, i := range infos {
		ids = append(ids, i.ChannelID)
	}
	return ids
}
