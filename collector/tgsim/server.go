package tgsim

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/gotd/td/crypto"
	"github.com/gotd/td/tgtest"
	"github.com/gotd/td/transport"

	"github.com/tidewatch/tidewatch/collector/tgsim/world"
)

// Options configure a Server. Zero fields get defaults.
type Options struct {
	// World is the synthetic Telegram served. Required.
	World *world.World
	// Clock maps real time to world time.
	Clock Clock
	// Limits are the rate limits; the zero value means Telegram-like defaults,
	// Limits{Off: true} disables them.
	Limits Limits
	// Faults are injected from the start; change them with SetFaults.
	Faults Faults
	// Logger receives the server's events; nil means silence. Phones, codes
	// and passwords are never logged.
	Logger *slog.Logger
	// Key is the server's RSA key; nil generates a 2048-bit key.
	Key *rsa.PrivateKey
	// DC is the data center id served; the client must use the same. Zero means 2.
	DC int
	// Passwords maps test phones to their 2FA passwords: signing in with such
	// a phone needs the SRP password check afterwards.
	Passwords map[string]string
	// MaxCalls is the number of most recent calls kept for Calls; zero means
	// 100,000, negative keeps none (counts are always complete).
	MaxCalls int
	// CacheBytes bounds the cache of encoded history pages; zero disables
	// it. The cache pays when clients read the same pages within one
	// CacheBucket: several collectors on one world, or repeated passes with
	// a coarse bucket.
	CacheBytes int
	// CacheBucket is the world-time resolution of answers: queries within one
	// bucket see the world as of the bucket's start, so repeated pages are
	// served from the cache. Zero means one world second.
	CacheBucket time.Duration
	// Seed seeds the fault injector.
	Seed int64
}

// Server is a simulated Telegram data center: a real MTProto server (gotd's
// tgtest) answering API calls from a synthetic World.
type Server struct {
	log    *slog.Logger
	world  *world.World
	dc     int
	key    *rsa.PrivateKey
	clock  *worldClock
	limits *limiter
	faults *injector
	rec    *recorder
	cache  *pageCache
	bucket time.Duration
	srv    *tgtest.Server

	// answers counts the goroutines sending answers.
	answers sync.WaitGroup
	// sendBufs lends tgtest the buffers answers are encrypted in (*[]byte).
	sendBufs sync.Pool

	runMu   sync.Mutex // serialises Start, Restart and Close
	life    context.Context
	mu      sync.Mutex // protects the fields below
	addr    string
	ln      *trackingListener
	stop    context.CancelFunc
	served  chan struct{}
	serveE  error
	closed  bool
	keys    map[[8]byte]*keyState
	users   map[string]*account
	session map[int64]tgtest.Session
	srpSeq  int64
}

// New creates a Server; it serves nothing until Start.
func New(opts Options) (*Server, error) {
	if opts.World == nil {
		return nil, errors.New("tgsim: Options.World is required")
	}
	if err := opts.Limits.Validate(); err != nil {
		return nil, err
	}
	if err := opts.Faults.Validate(); err != nil {
		return nil, err
	}
	if opts.Clock.Speed < 0 {
		return nil, fmt.Errorf("tgsim: clock speed %v: want >= 0", opts.Clock.Speed)
	}
	if opts.DC == 0 {
		opts.DC = 2
	}
	if opts.DC < 1 || opts.DC > 9 {
		return nil, fmt.Errorf("tgsim: dc %d: want 1..9", opts.DC)
	}
	if opts.Key == nil {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("tgsim: generate key: %w", err)
		}
		opts.Key = k
	}
	if opts.MaxCalls == 0 {
		opts.MaxCalls = 100_000
	}
	if opts.CacheBucket <= 0 {
		opts.CacheBucket = time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		log:     log,
		world:   opts.World,
		dc:      opts.DC,
		key:     opts.Key,
		clock:   newWorldClock(opts.Clock, opts.World.Start()),
		limits:  newLimiter(opts.Limits),
		faults:  newInjector(opts.Faults, opts.Seed),
		rec:     newRecorder(opts.MaxCalls),
		cache:   newPageCache(opts.CacheBytes),
		bucket:  opts.CacheBucket,
		keys:    map[[8]byte]*keyState{},
		users:   map[string]*account{},
		session: map[int64]tgtest.Session{},
	}
	for phone, pw := range opts.Passwords {
		if !s.validPhone(phone) {
			return nil, fmt.Errorf("tgsim: password for a phone that is not a test phone of dc %d", s.dc)
		}
		p, err := newSRPPassword(pw)
		if err != nil {
			return nil, err
		}
		s.account(phone).password = p
	}
	s.srv = tgtest.NewServer(tgtest.NewPrivateKey(opts.Key), tgtest.HandlerFunc(s.onMessage), tgtest.ServerOptions{
		DC:           opts.DC,
		ReadTimeout:  2 * time.Minute,
		WriteTimeout: 30 * time.Second,
	})
	return s, nil
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves until ctx ends or
// Close is called.
func (s *Server) Start(ctx context.Context, addr string) error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("tgsim: server closed")
	}
	if s.ln != nil {
		s.mu.Unlock()
		return errors.New("tgsim: already started")
	}
	s.mu.Unlock()
	s.life = ctx
	s.clock.reanchor()
	return s.listen(ctx, addr)
}

func (s *Server) listen(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	inner, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("tgsim: listen: %w", err)
	}
	ln := newTrackingListener(inner)
	serveCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan struct{})
	s.mu.Lock()
	s.addr, s.ln, s.stop, s.served, s.serveE = ln.Addr().String(), ln, cancel, served, nil
	s.mu.Unlock()
	go func() {
		defer close(served)
		err := s.srv.Serve(serveCtx, transport.ListenCodec(nil, ln))
		s.mu.Lock()
		s.serveE = err
		s.mu.Unlock()
	}()
	// The caller's context ends the server too.
	go func() {
		select {
		case <-ctx.Done():
			_ = s.Close()
		case <-served:
		}
	}()
	s.log.Info("tgsim serving", "addr", s.addr, "dc", s.dc)
	return nil
}

// halt stops serving: no listener, no connections. Auth keys, logins,
// limits and recorded calls stay.
func (s *Server) halt() error {
	s.mu.Lock()
	ln, stop, served := s.ln, s.stop, s.served
	s.ln = nil
	sessions := s.session
	s.session = map[int64]tgtest.Session{}
	s.mu.Unlock()
	if ln == nil {
		return nil
	}
	stop()
	_ = ln.Close()
	for _, sess := range sessions {
		s.srv.ForceDisconnect(sess)
	}
	ln.closeConns()
	<-served
	ctx, cancel := context.WithTimeout(context.Background(), headerTimeout)
	defer cancel()
	ln.wait(ctx)
	s.mu.Lock()
	err := s.serveE
	s.mu.Unlock()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// Close stops the server and waits for its goroutines.
func (s *Server) Close() error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	err := s.halt()
	s.answers.Wait()
	return err
}

// Restart stops serving, closing every connection, waits down, and listens
// again on the same address, as a Telegram data center restarting. Auth
// keys and logins are kept in memory, so clients reconnect with their saved
// sessions and stay logged in (Telegram does not log users out on restart).
// They do not survive the process: a new tgsim process makes clients create
// new keys and log in again.
func (s *Server) Restart(ctx context.Context, down time.Duration) error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	s.mu.Lock()
	addr, closed, running := s.addr, s.closed, s.ln != nil
	s.mu.Unlock()
	if closed || !running {
		return errors.New("tgsim: restart: server not running")
	}
	if err := s.halt(); err != nil {
		return fmt.Errorf("tgsim: restart: %w", err)
	}
	s.log.Info("tgsim restarting", "down", down)
	if down > 0 {
		t := time.NewTimer(down)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	// Another process may grab the port meanwhile; retry briefly.
	var err error
	for range 50 {
		if err = s.listen(s.life, addr); err == nil {
			return nil
		}
		t := time.NewTimer(20 * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("tgsim: restart: %w", errors.Join(err, ctx.Err()))
		}
	}
	return fmt.Errorf("tgsim: restart: %w", err)
}

// DropConnections closes every open client connection, as when Telegram's
// front ends drop them; clients reconnect. It returns how many were closed.
func (s *Server) DropConnections() int {
	s.mu.Lock()
	ln := s.ln
	sessions := s.session
	s.session = map[int64]tgtest.Session{}
	s.mu.Unlock()
	if ln == nil {
		return 0
	}
	n := ln.count()
	for _, sess := range sessions {
		s.srv.ForceDisconnect(sess)
	}
	ln.closeConns()
	s.log.Info("tgsim dropped connections", "count", n)
	return n
}

// Addr returns the address served ("127.0.0.1:port"), "" before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// DC returns the data center id served.
func (s *Server) DC() int { return s.dc }

// PublicKey returns the server's RSA public key, which clients must know.
func (s *Server) PublicKey() *rsa.PublicKey { return &s.key.PublicKey }

// PublicKeyPEM returns the public key as a PKCS1 "RSA PUBLIC KEY" PEM block,
// the form Telegram publishes and gotd and Telethon read.
func (s *Server) PublicKeyPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&s.key.PublicKey)})
}

// ClientConfig is what a gotd client needs to connect: with
// telegram.Options{DC: DC, PublicKeys: []telegram.PublicKey{{RSA: Key}},
// DCList: dcs.List{Options: []tg.DCOption{{ID: DC, IPAddress: Host, Port:
// Port, Static: true}}}, Resolver: dcs.Plain(...)} the unchanged client talks
// to the simulator.
type ClientConfig struct {
	// DC is the data center id the client must use.
	DC int
	// Addr is "host:port"; Host and Port are its parts.
	Addr string
	Host string
	Port int
	// Key is the server's public key, KeyPEM the same as PKCS1 PEM.
	Key    *rsa.PublicKey
	KeyPEM []byte
	// Fingerprint is the key's MTProto fingerprint.
	Fingerprint int64
}

// ClientOptions returns the connection data of the running server.
func (s *Server) ClientOptions() ClientConfig {
	addr := s.Addr()
	host, port := splitHostPort(addr)
	return ClientConfig{
		DC:          s.dc,
		Addr:        addr,
		Host:        host,
		Port:        port,
		Key:         s.PublicKey(),
		KeyPEM:      s.PublicKeyPEM(),
		Fingerprint: crypto.RSAFingerprint(s.PublicKey()),
	}
}

func splitHostPort(addr string) (string, int) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0
	}
	port, _ := strconv.Atoi(p)
	return host, port
}

// WorldNow returns the world time now.
func (s *Server) WorldNow() time.Time { return s.clock.Now() }

// SetWorldTime moves the world clock to t (zero keeps the time) and sets its
// speed (zero keeps the speed).
func (s *Server) SetWorldTime(t time.Time, speed float64) { s.clock.Set(t, speed) }

// SetFaults replaces the injected faults.
func (s *Server) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	s.faults.set(f)
	return nil
}

// Faults returns the injected faults.
func (s *Server) Faults() Faults { return s.faults.get() }

// SetLimits replaces the rate limits and resets every bucket (bans stay).
func (s *Server) SetLimits(l Limits) error {
	if err := l.Validate(); err != nil {
		return err
	}
	s.limits.set(l)
	return nil
}

// Limits returns the rate limits in force, with defaults filled in.
func (s *Server) Limits() Limits { return s.limits.get() }

// Calls returns the most recent recorded calls, oldest first.
func (s *Server) Calls() []Call { return s.rec.snapshot() }

// Stats returns complete call counts per method and per error.
func (s *Server) Stats() Stats { return s.rec.stats() }

// CallCount returns how many times method was called.
func (s *Server) CallCount(method string) int {
	return s.rec.stats().Methods[method]
}

// ResetCalls forgets recorded calls and counts.
func (s *Server) ResetCalls() { s.rec.reset() }

// Banned reports whether the account of phone was banned for ignoring waits.
func (s *Server) Banned(phone string) bool { return s.limits.isBanned(phone) }

// Conns returns the number of open client connections.
func (s *Server) Conns() int {
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	if ln == nil {
		return 0
	}
	return ln.count()
}
