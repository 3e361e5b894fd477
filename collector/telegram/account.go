package telegram

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/gotd/log/logslog"
	"github.com/gotd/td/exchange"
	"github.com/gotd/td/telegram"
	"github.com/gotd/td/telegram/dcs"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/transport"
	"github.com/prometheus/client_golang/prometheus"
)

// Options configure one account's connection. Zero fields get defaults.
type Options struct {
	// APIID and APIHash identify the app (https://my.telegram.org). Both are
	// required; APIHash is a secret and never logged.
	APIID   int
	APIHash string
	// Phone is the account's number in international form; a secret, never
	// logged. It is needed to log in; without it, Dial uses the session stored
	// under Label, which must then exist.
	Phone string
	// Label names the account in logs and metrics ("acc1"). Default: "acct-"
	// and the start of the session file's id.
	Label string
	// SessionDir holds the session files (required). It is created with mode
	// 0700; each file has mode 0600.
	SessionDir string
	// DC is the data center to connect to first. Default 2.
	DC int
	// DCAddr is a host:port replacing the data center's address (the simulator);
	// "" means Telegram's production data centers.
	DCAddr string
	// PublicKeys are the server's RSA keys; nil means Telegram's own.
	PublicKeys []*rsa.PublicKey
	// Logger receives this package's log lines and gotd's warnings; nil = silent.
	Logger *slog.Logger
	// Registerer receives the call metrics (tidewatch_telegram_*); nil = none.
	// Accounts sharing a Registerer share the collectors.
	Registerer prometheus.Registerer
}

// Account is one connected account. Its methods are safe for concurrent use.
type Account struct {
	label   string
	digits  string // the phone's digits, "" when dialled by label; secret
	log     *slog.Logger
	client  *telegram.Client
	api     *tg.Client
	storage *fileStorage

	life context.Context // ends when Close is called or the connection ends for good
	stop context.CancelFunc
	done chan struct{} // closed when the client's Run has returned
	err  error         // Run's error; read after done

	closeOnce sync.Once
	closeErr  error
}

// Dial connects to Telegram (or the simulator) and returns once the connection
// is up; it does not log in. The connection runs in a goroutine owned by the
// Account until Close. A stored session is reused, which avoids creating a new
// auth key (about a second of CPU, and Telegram limits how often it may happen).
func Dial(ctx context.Context, opts Options) (*Account, error) {
	if opts.APIID <= 0 || opts.APIHash == "" {
		return nil, errors.New("telegram: api_id and api_hash are required")
	}
	if opts.SessionDir == "" {
		return nil, errors.New("telegram: a session folder is required")
	}
	var digits string
	if opts.Phone != "" {
		d, ok := NormalizePhone(opts.Phone)
		if !ok {
			return nil, fmt.Errorf("telegram: %w", ErrPhoneInvalid)
		}
		digits = d
	}
	label := opts.Label
	switch {
	case label == "" && digits == "":
		return nil, errors.New("telegram: a phone or the label of a stored session is required")
	case label == "":
		label = "acct-" + sessionID(opts.APIID, opts.APIHash, digits)[:8]
	case !ValidLabel(label):
		return nil, fmt.Errorf("telegram: invalid account label %q (letters, digits, '_', '.', '-')", label)
	}
	if opts.DC == 0 {
		opts.DC = 2
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("account", label)

	if err := ensureSessionDir(opts.SessionDir); err != nil {
		return nil, err
	}
	path, err := findSession(opts.SessionDir, opts.APIID, opts.APIHash, digits, label)
	if err != nil {
		return nil, err
	}
	storage := &fileStorage{path: path, label: label}
	_, statErr := os.Stat(path)
	restored := statErr == nil
	if restored {
		// Keep the label in the file current: `tidewatch login --label` may rename.
		if err := storage.update(func(*sessionFile) {}); err != nil {
			return nil, err
		}
	} else if !errors.Is(statErr, fs.ErrNotExist) {
		return nil, fmt.Errorf("session: %w", statErr)
	}

	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("telegram metrics: %w", err)
	}
	copts := telegram.Options{
		DC:             opts.DC,
		SessionStorage: storage,
		NoUpdates:      true,
		Logger:         logslog.New(slog.New(minLevel{logger.With("component", "gotd").Handler(), slog.LevelWarn})),
	}
	if m != nil {
		copts.Middlewares = []telegram.Middleware{metricsMiddleware{m: m, account: label}}
	}
	for _, k := range opts.PublicKeys {
		copts.PublicKeys = append(copts.PublicKeys, telegram.PublicKey{RSA: k})
	}
	if opts.DCAddr != "" {
		host, portText, err := net.SplitHostPort(opts.DCAddr)
		port, perr := strconv.Atoi(portText)
		if err != nil || perr != nil || host == "" {
			return nil, fmt.Errorf("telegram: dc address %q is not host:port", opts.DCAddr)
		}
		copts.DCList = dcs.List{Options: []tg.DCOption{{ID: opts.DC, IPAddress: host, Port: port, Static: true}}}
		copts.Resolver = dcs.Plain(dcs.PlainOptions{Protocol: transport.Intermediate})
	}

	client := telegram.NewClient(opts.APIID, opts.APIHash, copts)
	life, stop := context.WithCancel(context.Background())
	a := &Account{
		label:   label,
		digits:  digits,
		log:     logger,
		client:  client,
		api:     client.API(),
		storage: storage,
		life:    life,
		stop:    stop,
		done:    make(chan struct{}),
	}
	ready := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(a.done)
		defer stop() // calls in flight end with ErrClosed instead of hanging
		a.err = client.Run(life, func(ctx context.Context) error {
			close(ready)
			<-ctx.Done()
			return nil
		})
		if a.err != nil && life.Err() == nil {
			logger.Warn("connection ended", "err", mapError("connection", a.err))
		}
	}()

	select {
	case <-ready:
		logger.Info("connected", "session", map[bool]string{true: "restored", false: "new"}[restored],
			"took", time.Since(start).Round(time.Millisecond))
		return a, nil
	case <-a.done:
		return nil, connectError(a.err)
	case <-ctx.Done():
		stop()
		<-a.done
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("connect: %w: %w", ErrTransient, ctx.Err())
		}
		return nil, fmt.Errorf("connect: %w", ctx.Err())
	}
}

// connectError explains why the connection ended before it was up.
func connectError(err error) error {
	switch {
	case err == nil:
		return fmt.Errorf("connect: %w", ErrClosed)
	case errors.Is(err, exchange.ErrKeyFingerprintNotFound):
		return fmt.Errorf("connect: the server's key is not the configured public key: %w", err)
	}
	return mapError("connect", err)
}

// Label returns the account's label.
func (a *Account) Label() string { return a.label }

// Close ends the connection and waits for it. The session stays stored.
func (a *Account) Close() error {
	a.closeOnce.Do(func() {
		a.stop()
		<-a.done
		if a.err != nil && !errors.Is(a.err, context.Canceled) {
			a.closeErr = fmt.Errorf("close %s: %w", a.label, a.err)
		}
		a.log.Debug("closed")
	})
	return a.closeErr
}

// call runs one RPC under ctx, ends it when the Account closes, and maps its
// error to this package's errors.
func (a *Account) call(ctx context.Context, method string, rpc func(ctx context.Context) error) error {
	if a.life.Err() != nil {
		return a.closedError(method)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(a.life, cancel)()
	err := rpc(ctx)
	if err != nil && a.life.Err() != nil && ctx.Err() != nil {
		return a.closedError(method)
	}
	return mapError(method, err)
}

// closedError is ErrClosed, joined with the reason when the connection ended by
// itself (a revoked session gives ErrAuthRequired as well).
func (a *Account) closedError(method string) error {
	select {
	case <-a.done:
		if a.err != nil && !errors.Is(a.err, context.Canceled) {
			return fmt.Errorf("%s: %w: %w", method, ErrClosed, mapError("connection", a.err))
		}
	default:
	}
	return fmt.Errorf("%s: %w", method, ErrClosed)
}

// ServerTime returns Telegram's current time (help.getConfig's date). Against
// the simulator it is the simulated world's clock, which the engine follows.
func (a *Account) ServerTime(ctx context.Context) (time.Time, error) {
	var cfg *tg.Config
	err := a.call(ctx, MethodGetConfig, func(ctx context.Context) (err error) {
		cfg, err = a.api.HelpGetConfig(ctx)
		return err
	})
	if err != nil {
		return time.Time{}, err
	}
	return unixTime(cfg.Date), nil
}

// minLevel drops records below a level: gotd's info and debug lines are about
// its internals and would drown ours.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(attrs), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}
