package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tidewatch/tidewatch/collector/tgsim"
)

type serveOptions struct {
	world      worldFlags
	listen     string
	dc         int
	speed      float64
	start      string
	keyFile    string
	keyOut     string
	addrOut    string
	noLimits   bool
	limitsFile string
	faults     tgsim.Faults
	control    string
	controlOut string
	passwords  string
	quiet      bool
}

func newServeCmd(stdout, stderr io.Writer) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve a synthetic world over MTProto on loopback until SIGINT or SIGTERM",
		Long: `serve generates the world and serves it as Telegram data center 2 on
--listen. It writes its RSA public key (PKCS1 "RSA PUBLIC KEY" PEM) to
--key-out and prints its address on stdout (and writes it to --addr-out).

Clients log in with test phones 99966XYYYY (X = the DC id) and the code
XXXXX. The world clock starts at --start and runs --speed world seconds per
real second; clients see world time in help.getConfig's date and in message
dates. Rate limits are Telegram-like by default (FLOOD_WAIT_X, escalating
waits for contacts.resolveUsername, USER_DEACTIVATED_BAN for accounts that
call on through their waits); --no-limits turns them off and --limits FILE
replaces them (JSON, the tgsim.Limits fields), for example
  {"methods": {"messages.getHistory": {"rate": 5, "burst": 20},
               "contacts.resolveUsername": {"rate": 0.2, "burst": 5}},
   "ban_after": 10, "grace": "2s", "max_wait": "1h"}
(methods not listed there are not limited unless "*" is).

--control ADDR serves a control endpoint (JSON over HTTP) to inject faults
while running: GET /stats, GET /calls, GET|POST /faults, GET|POST /limits,
GET|POST /clock, POST /drop, POST /restart?down=2s. A restart through the
endpoint keeps auth keys and logins; restarting the process loses them
(clients then create new keys and log in again). --key FILE keeps the server
key across process restarts.`,
		Example: `  # Serve 300 channels, one world day per real second, on a free port
  tgsim serve --channels 300 --seed 7 --speed 86400 --key-out sim.pem --addr-out sim.addr

  # Full speed for benchmarks: no rate limits, a fixed key, a control endpoint
  tgsim serve --spec world.yaml --no-limits --key sim.key --key-out sim.pem \
      --listen 127.0.0.1:4430 --control 127.0.0.1:4431

  # Drop every client connection, then restart with 2 s of downtime
  curl -X POST 127.0.0.1:4431/drop
  curl -X POST '127.0.0.1:4431/restart?down=2s'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serve(cmd.Context(), o, stdout, stderr)
		},
	}
	f := cmd.Flags()
	o.world.add(f)
	f.StringVar(&o.listen, "listen", "127.0.0.1:0", "`address` to serve MTProto on")
	f.IntVar(&o.dc, "dc", 2, "data center id served (the client's DC must match)")
	f.Float64Var(&o.speed, "speed", 1, "world seconds per real second (86400: a world day per second)")
	f.StringVar(&o.start, "start", "", "world `time` at start: RFC3339 or a duration after the world's start such as 30d (default: the world's start)")
	f.StringVar(&o.keyFile, "key", "", "RSA private key `file` (PEM); created if missing, so restarts keep the public key (default: a new key per run)")
	f.StringVar(&o.keyOut, "key-out", "", "write the public key PEM to `file`")
	f.StringVar(&o.addrOut, "addr-out", "", "write the listening address to `file`")
	f.BoolVar(&o.noLimits, "no-limits", false, "disable rate limits (full-speed benchmarks)")
	f.StringVar(&o.limitsFile, "limits", "", "rate limits `file` (JSON tgsim.Limits)")
	f.DurationVar(&o.faults.Latency, "latency", 0, "latency added to every answer")
	f.DurationVar(&o.faults.Jitter, "jitter", 0, "random extra latency, up to this")
	f.Float64Var(&o.faults.InternalRate, "internal-rate", 0, "fraction of calls answered 500 INTERNAL")
	f.Float64Var(&o.faults.TimeoutRate, "timeout-rate", 0, "fraction of calls answered -503 TIMEOUT")
	f.Float64Var(&o.faults.DropRate, "drop-rate", 0, "fraction of calls whose connection is dropped")
	f.StringVar(&o.control, "control", "", "serve the control endpoint on this loopback `address`")
	f.StringVar(&o.controlOut, "control-out", "", "write the control endpoint's address to `file`")
	f.StringVar(&o.passwords, "passwords", "", "`file` of phone:password lines: test phones with a 2FA password")
	f.BoolVar(&o.quiet, "quiet", false, "log warnings and errors only")
	return cmd
}

func serve(ctx context.Context, o serveOptions, stdout, stderr io.Writer) error {
	level := slog.LevelInfo
	if o.quiet {
		level = slog.LevelWarn
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if err := loopbackOnly(o.listen); err != nil {
		return &usageError{fmt.Errorf("--listen: %w", err)}
	}
	if o.control != "" {
		if err := loopbackOnly(o.control); err != nil {
			return &usageError{fmt.Errorf("--control: %w", err)}
		}
	}
	if o.speed <= 0 {
		return &usageError{fmt.Errorf("--speed %v: want > 0", o.speed)}
	}
	w, err := o.world.generate()
	if err != nil {
		return err
	}
	opts := tgsim.Options{
		World:  w,
		DC:     o.dc,
		Clock:  tgsim.Clock{Speed: o.speed},
		Faults: o.faults,
		Logger: log,
	}
	if o.start != "" {
		if opts.Clock.Start, err = worldTime(w, o.start); err != nil {
			return &usageError{fmt.Errorf("--start %w", err)}
		}
	}
	switch {
	case o.noLimits && o.limitsFile != "":
		return &usageError{errors.New("--no-limits and --limits exclude each other")}
	case o.noLimits:
		opts.Limits = tgsim.Limits{Off: true}
	case o.limitsFile != "":
		data, err := os.ReadFile(o.limitsFile)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, &opts.Limits); err != nil {
			return fmt.Errorf("%s: %w", o.limitsFile, err)
		}
	}
	if o.keyFile != "" {
		if opts.Key, err = loadOrCreateKey(o.keyFile); err != nil {
			return err
		}
	}
	if o.passwords != "" {
		if opts.Passwords, err = readPasswords(o.passwords); err != nil {
			return err
		}
	}
	sim, err := tgsim.New(opts)
	if err != nil {
		return err
	}
	if err := sim.Start(ctx, o.listen); err != nil {
		return err
	}
	if o.keyOut != "" {
		if err := os.WriteFile(o.keyOut, sim.PublicKeyPEM(), 0o644); err != nil {
			return errors.Join(err, sim.Close())
		}
	}
	if o.addrOut != "" {
		if err := os.WriteFile(o.addrOut, []byte(sim.Addr()+"\n"), 0o644); err != nil {
			return errors.Join(err, sim.Close())
		}
	}
	var ctl *http.Server
	ctlDone := make(chan error, 1)
	if o.control != "" {
		ln, err := net.Listen("tcp", o.control)
		if err != nil {
			return errors.Join(fmt.Errorf("control: %w", err), sim.Close())
		}
		if o.controlOut != "" {
			if err := os.WriteFile(o.controlOut, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
				return errors.Join(err, ln.Close(), sim.Close())
			}
		}
		ctl = &http.Server{Handler: sim.ControlHandler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { ctlDone <- ctl.Serve(ln) }()
		log.Info("tgsim control endpoint", "addr", ln.Addr().String())
	}
	fmt.Fprintln(stdout, sim.Addr())
	log.Info("tgsim world", "channels", len(w.ChannelIDs()), "world_start", w.Start(), "world_end", w.End(), "world_now", sim.WorldNow(), "speed", o.speed)

	<-ctx.Done()
	log.Info("tgsim stopping")
	var errs []error
	if ctl != nil {
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, ctl.Shutdown(shutdown))
		cancel()
		if err := <-ctlDone; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	errs = append(errs, sim.Close())
	st := sim.Stats()
	log.Info("tgsim stopped", "calls", st.Calls)
	return errors.Join(errs...)
}

// loopbackOnly refuses addresses other machines could reach: the simulator
// has test logins and an unauthenticated control endpoint.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address", addr)
	}
	return nil
}

// loadOrCreateKey reads a PEM RSA private key, creating it when the file
// does not exist.
func loadOrCreateKey(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		block := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
		if err := os.WriteFile(path, block, 0o600); err != nil {
			return nil, err
		}
		return k, nil
	}
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "RSA PRIVATE KEY" {
		return nil, fmt.Errorf("%s: no RSA PRIVATE KEY block", path)
	}
	k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// readPasswords reads phone:password lines (# comments allowed).
func readPasswords(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		phone, pw, ok := strings.Cut(line, ":")
		if !ok || phone == "" || pw == "" {
			return nil, fmt.Errorf("%s:%d: want phone:password", path, n)
		}
		out[strings.TrimSpace(phone)] = pw
	}
	return out, sc.Err()
}
