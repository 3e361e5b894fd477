package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/tidewatch/tidewatch/cmd/tidewatch/internal/config"
	"github.com/tidewatch/tidewatch/collector/telegram"
)

// telegramFlags are the keys the Telegram commands take as flags: where
// Telegram (or the simulator) is and where sessions live. The api hash is a
// secret and has no flag.
var telegramFlags = []string{
	"telegram.api_id",
	"telegram.dc",
	"telegram.dc_addr",
	"telegram.public_key_file",
	"telegram.sessions_dir",
}

// connectTimeout bounds connecting to Telegram: gotd retries an unreachable
// address until its context ends.
const connectTimeout = time.Minute

// telegramOptions are the client options of one account from the telegram
// section: the app, the data center (or the simulator and its key) and the
// session folder. Phone and Label are the caller's.
func telegramOptions(env *cmdEnv, phone, label string) (telegram.Options, error) {
	t := env.Config.Telegram
	if t.APIID == 0 || t.APIHash == "" {
		return telegram.Options{}, errors.New("telegram.api_id and telegram.api_hash are not configured " +
			"(get them at https://my.telegram.org; set TIDEWATCH_TELEGRAM_API_HASH in the environment)")
	}
	opts := telegram.Options{
		APIID:      t.APIID,
		APIHash:    t.APIHash.Value(),
		Phone:      phone,
		Label:      label,
		SessionDir: t.SessionsDir,
		DC:         t.DC,
		DCAddr:     t.DCAddr,
		Logger:     env.Log,
	}
	if t.PublicKeyFile != "" {
		data, err := os.ReadFile(t.PublicKeyFile)
		if err != nil {
			return telegram.Options{}, fmt.Errorf("telegram.public_key_file: %w", err)
		}
		keys, err := telegram.ParsePublicKeys(data)
		if err != nil {
			return telegram.Options{}, fmt.Errorf("telegram.public_key_file %s: %w", t.PublicKeyFile, err)
		}
		opts.PublicKeys = keys
	}
	return opts, nil
}

// dialAccount connects one account, with a friendlier error for an address
// that does not answer.
func dialAccount(ctx context.Context, opts telegram.Options) (*telegram.Account, error) {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	acc, err := telegram.Dial(ctx, opts)
	if errors.Is(err, telegram.ErrTransient) && ctx.Err() != nil {
		where := "Telegram"
		if opts.DCAddr != "" {
			where = opts.DCAddr
		}
		return nil, fmt.Errorf("no answer from %s within %s: %w", where, connectTimeout, err)
	}
	return acc, err
}

type loginOptions struct {
	Env   *cmdEnv
	Phone string
	Label string
	Code  string
	// In answers the questions (the terminal); Terminal is its descriptor when
	// it is one, for reading the password without echo, else -1.
	In       io.Reader
	Terminal int
}

func newLoginCmd(a *app) *cobra.Command {
	var opts loginOptions
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log a Telegram account in and keep its session",
		Long: `Log a Telegram account in with its phone number: Telegram sends a code to the
account's other devices, which this command asks for (or takes from --code),
followed by the 2FA password when the account has one (read without echo on a
terminal). The session is stored under telegram.sessions_dir with mode 0600, in
a file named by a keyed hash of the phone; the phone itself is not stored and
is needed only here. From then on the account is known by its --label, in
'tidewatch accounts list', in telegram.accounts and in logs and metrics.

Logging in again with a stored, still valid session changes nothing. The
simulator (tgsim) takes the test phones +99966XYYYY, where X is its data center
(telegram.dc), with the code X repeated five times.`,
		Example: `  # Log in; the code and the 2FA password are asked on the terminal
  TIDEWATCH_TELEGRAM_API_HASH=... tidewatch login --phone +44 20 7946 0958 --label main

  # A test account of the simulator, without questions
  tidewatch login --phone +9996621234 --label demo --code 22222`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := a.load(cmd)
			if err != nil {
				return err
			}
			opts.Env = env
			opts.In, opts.Terminal = os.Stdin, -1
			if fd := int(os.Stdin.Fd()); term.IsTerminal(fd) {
				opts.Terminal = fd
			}
			return loginRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Phone, "phone", "", "the account's phone number in international format (asked when missing)")
	f.StringVar(&opts.Label, "label", "", "the account's name in tidewatch (default: acct- and a hash)")
	f.StringVar(&opts.Code, "code", "", "the login code, for scripts and the simulator (asked when missing)")
	config.AddFlag(f, telegramFlags...)
	return cmd
}

func loginRun(ctx context.Context, opts loginOptions) error {
	if opts.Label != "" && !telegram.ValidLabel(opts.Label) {
		return &usageError{fmt.Errorf("--label %q: use letters, digits, '_', '.' and '-' (at most 64)", opts.Label)}
	}
	ask := &termPrompt{in: bufio.NewReader(opts.In), out: opts.Env.Stderr, fd: opts.Terminal, code: opts.Code}
	phone := opts.Phone
	if phone == "" && !hasSession(opts.Env, opts.Label) {
		var err error
		if phone, err = ask.line(ctx, "Phone number (international format): "); err != nil {
			return fmt.Errorf("phone number: %w", err)
		}
		if phone == "" {
			return &usageError{errors.New("a phone number is needed: give --phone")}
		}
	}
	topts, err := telegramOptions(opts.Env, phone, opts.Label)
	if err != nil {
		return err
	}
	acc, err := dialAccount(ctx, topts)
	if err != nil {
		return err
	}
	err = acc.Login(ctx, ask)
	err = errors.Join(err, acc.Close())
	switch {
	case errors.Is(err, telegram.ErrAuthRequired) && phone == "":
		return fmt.Errorf("the session of %s is logged out: log in again with --phone and --label %s", acc.Label(), acc.Label())
	case errors.Is(err, telegram.ErrPasswordRequired):
		return fmt.Errorf("%w: run 'tidewatch login' on a terminal to type it", err)
	case err != nil:
		return err
	}
	fmt.Fprintf(opts.Env.Stdout, "%s is logged in\n", acc.Label())
	return nil
}

// hasSession reports whether a session is stored under label.
func hasSession(env *cmdEnv, label string) bool {
	if label == "" {
		return false
	}
	sessions, err := telegram.ListSessions(env.Config.Telegram.SessionsDir)
	if err != nil {
		return false
	}
	for _, s := range sessions {
		if s.Label == label {
			return true
		}
	}
	return false
}

// termPrompt asks for the login code and the 2FA password on the terminal, or
// reads them from piped input.
type termPrompt struct {
	in   *bufio.Reader
	out  io.Writer
	fd   int    // the terminal's descriptor, -1 when in is not a terminal
	code string // given with --code
}

// Code implements telegram.Prompt.
func (p *termPrompt) Code(ctx context.Context) (string, error) {
	if p.code != "" {
		return p.code, nil
	}
	code, err := p.line(ctx, "Login code (sent to your Telegram apps): ")
	if err != nil {
		return "", fmt.Errorf("login code: %w", err)
	}
	return code, nil
}

// Password implements telegram.Prompt. On a terminal it is read without echo;
// piped input gives it as a line; without either there is none.
func (p *termPrompt) Password(ctx context.Context) (string, error) {
	if p.fd < 0 {
		pw, err := p.line(ctx, "")
		if errors.Is(err, io.EOF) || (err == nil && pw == "") {
			return "", telegram.ErrPasswordRequired
		}
		return pw, err
	}
	fmt.Fprint(p.out, "2FA password: ")
	state, err := term.GetState(p.fd)
	if err != nil {
		return "", fmt.Errorf("2FA password: %w", err)
	}
	type answer struct {
		pw  []byte
		err error
	}
	got := make(chan answer, 1)
	// A read of the terminal cannot be interrupted: on Ctrl-C the reader is
	// left behind, the terminal's echo is restored, and the process exits.
	go func() {
		pw, err := term.ReadPassword(p.fd)
		got <- answer{pw, err}
	}()
	select {
	case a := <-got:
		fmt.Fprintln(p.out)
		if a.err != nil {
			return "", fmt.Errorf("2FA password: %w", a.err)
		}
		return string(a.pw), nil
	case <-ctx.Done():
		fmt.Fprintln(p.out)
		return "", errors.Join(ctx.Err(), term.Restore(p.fd, state))
	}
}

// line asks question and reads one line of input, trimmed.
func (p *termPrompt) line(ctx context.Context, question string) (string, error) {
	if question != "" {
		fmt.Fprint(p.out, question)
	}
	type answer struct {
		s   string
		err error
	}
	got := make(chan answer, 1)
	// As in Password: a blocked read is left behind on Ctrl-C.
	go func() {
		s, err := p.in.ReadString('\n')
		if err == io.EOF && s != "" {
			err = nil
		}
		got <- answer{strings.TrimSpace(s), err}
	}()
	select {
	case a := <-got:
		return a.s, a.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
