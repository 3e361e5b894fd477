package tgsim

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gotd/td/telegram"
	"github.com/gotd/td/tg"
	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/tgsim/internal/testclient"
	"github.com/tidewatch/tidewatch/collector/tgsim/world"
)

func TestMain(m *testing.M) {
	// The end-to-end tests re-run this test binary as the client process.
	if testclient.IsChild() {
		os.Exit(testclient.Main())
	}
	os.Exit(m.Run())
}

const testPhone = "9996621234"

// testWorld is a small world shared by the tests (generation is
// deterministic, and the world is safe for concurrent use).
var testWorld = sync.OnceValues(func() (*world.World, error) {
	return world.Generate(world.DefaultSpec(20), 7)
})

func mustWorld(t testing.TB) *world.World {
	t.Helper()
	w, err := testWorld()
	require.NoError(t, err)
	return w
}

// testTime is the frozen world time of most tests: 45 days into the period,
// after the takedown and the attack of DefaultSpec.
func testTime(w *world.World) time.Time { return w.Start().Add(45 * 24 * time.Hour) }

// frozen is a clock that keeps the world at t for the length of a test.
func frozen(t time.Time) Clock { return Clock{Start: t, Speed: 1e-9} }

// fakeReal is a controllable source of real time for the rate limits.
type fakeReal struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeReal() *fakeReal { return &fakeReal{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (f *fakeReal) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeReal) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// testKey is one server key for all tests: generating 2048-bit keys is slow.
var testKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// startSim starts a simulator on a free loopback port for the test.
func startSim(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.World == nil {
		opts.World = mustWorld(t)
	}
	if opts.Key == nil {
		k, err := testKey()
		require.NoError(t, err)
		opts.Key = k
	}
	if opts.Clock.Start.IsZero() && opts.Clock.Speed == 0 {
		opts.Clock = frozen(testTime(opts.World))
	}
	s, err := New(opts)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, s.Start(ctx, "127.0.0.1:0"))
	t.Cleanup(func() {
		cancel()
		require.NoError(t, s.Close())
	})
	return s
}

// clientConfig is the configuration of a test client of s, with its
// session in a temporary folder.
func clientConfig(t testing.TB, s *Server, phone string) testclient.Config {
	t.Helper()
	co := s.ClientOptions()
	return testclient.Config{
		Addr:    co.Addr,
		KeyPEM:  string(co.KeyPEM),
		DC:      co.DC,
		Session: filepath.Join(t.TempDir(), "session.json"),
		Phone:   phone,
	}
}

// withClient runs f on the test's goroutine with a gotd client of s in this
// process, logged in when cfg has a phone. The client stops when f returns.
func withClient(t testing.TB, s *Server, cfg testclient.Config, f func(ctx context.Context, api *tg.Client, c *telegram.Client)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := testclient.New(cfg)
	require.NoError(t, err)
	ready, done, stopped := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		stopped <- c.Run(ctx, func(ctx context.Context) error {
			if cfg.Phone != "" {
				if err := testclient.Login(ctx, c, cfg); err != nil {
					return err
				}
			}
			close(ready)
			select {
			case <-done:
			case <-ctx.Done():
			}
			return nil
		})
	}()
	select {
	case <-ready:
	case err := <-stopped:
		require.NoError(t, err)
		t.Fatal("client stopped before it was ready")
	}
	defer func() {
		close(done)
		require.NoError(t, <-stopped)
	}()
	f(ctx, c.API(), c)
}
