// Package testclient drives the real gotd Telegram client against the
// simulator, in the tests' own process or in a child process. It exists for
// the simulator's tests and benchmark; the collector has its own client.
package testclient

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/gotd/td/session"
	"github.com/gotd/td/telegram"
	"github.com/gotd/td/telegram/auth"
	"github.com/gotd/td/telegram/dcs"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/transport"
)

// Config says where the simulator is and how to log in.
type Config struct {
	// Addr is the simulator's "host:port".
	Addr string `json:"addr"`
	// KeyPEM is its PKCS1 "RSA PUBLIC KEY" PEM.
	KeyPEM string `json:"key_pem"`
	// DC is the data center id served (default 2).
	DC int `json:"dc"`
	// Session is the session file; "" keeps the session in memory.
	Session string `json:"session"`
	// Phone is the test phone to log in with; Password its 2FA password.
	Phone    string `json:"phone"`
	Password string `json:"password,omitempty"`
}

// ParseKey reads a PKCS1 "RSA PUBLIC KEY" PEM block.
func ParseKey(pemData []byte) (*rsa.PublicKey, error) {
	b, _ := pem.Decode(pemData)
	if b == nil || b.Type != "RSA PUBLIC KEY" {
		return nil, errors.New("no RSA PUBLIC KEY block")
	}
	return x509.ParsePKCS1PublicKey(b.Bytes)
}

// Options builds the gotd client options: the production client with only
// the DC address and the server key changed.
func Options(cfg Config) (telegram.Options, error) {
	key, err := ParseKey([]byte(cfg.KeyPEM))
	if err != nil {
		return telegram.Options{}, err
	}
	host, p, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return telegram.Options{}, fmt.Errorf("addr: %w", err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return telegram.Options{}, fmt.Errorf("addr port: %w", err)
	}
	dc := cfg.DC
	if dc == 0 {
		dc = 2
	}
	opts := telegram.Options{
		PublicKeys: []telegram.PublicKey{{RSA: key}},
		DC:         dc,
		DCList: dcs.List{Options: []tg.DCOption{
			{ID: dc, IPAddress: host, Port: port, Static: true},
		}},
		Resolver:  dcs.Plain(dcs.PlainOptions{Protocol: transport.Intermediate}),
		NoUpdates: true,
	}
	if cfg.Session != "" {
		opts.SessionStorage = &session.FileStorage{Path: cfg.Session}
	}
	return opts, nil
}

// New creates a client for cfg.
func New(cfg Config) (*telegram.Client, error) {
	opts, err := Options(cfg)
	if err != nil {
		return nil, err
	}
	return telegram.NewClient(17349, "tgsim-test-app", opts), nil
}

// passwordAuth is the test authenticator plus a 2FA password.
type passwordAuth struct {
	auth.UserAuthenticator
	password string
}

func (p passwordAuth) Password(context.Context) (string, error) {
	if p.password == "" {
		return "", auth.ErrPasswordNotProvided
	}
	return p.password, nil
}

// Login signs the client in with the test phone unless it already is.
func Login(ctx context.Context, c *telegram.Client, cfg Config) error {
	dc := cfg.DC
	if dc == 0 {
		dc = 2
	}
	a := passwordAuth{UserAuthenticator: auth.TestUser(cfg.Phone, dc), password: cfg.Password}
	return c.Auth().IfNecessary(ctx, auth.NewFlow(a, auth.SendCodeOptions{}))
}

// Run connects, logs in and runs f with the API client.
func Run(ctx context.Context, cfg Config, f func(ctx context.Context, api *tg.Client) error) error {
	c, err := New(cfg)
	if err != nil {
		return err
	}
	return c.Run(ctx, func(ctx context.Context) error {
		if err := Login(ctx, c, cfg); err != nil {
			return fmt.Errorf("login: %w", err)
		}
		return f(ctx, c.API())
	})
}

// Deadline bounds a child run so a hung client never hangs a test.
func Deadline() time.Duration {
	if s := os.Getenv("TGSIM_CLIENT_TIMEOUT"); s != "" {
		if d, err := time.ParseDuration(s); err == nil {
			return d
		}
	}
	return 5 * time.Minute
}
