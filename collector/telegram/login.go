package telegram

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gotd/td/telegram/auth"
	"github.com/gotd/td/tg"
)

// Prompt supplies what a login asks for: the CLI asks on the terminal, tests
// answer from code. Returning ErrPasswordRequired from Password says that no
// password can be given (a non-interactive login).
type Prompt interface {
	// Code returns the login code Telegram sent to the account's devices.
	Code(ctx context.Context) (string, error)
	// Password returns the account's 2FA password; it is asked for only when
	// the account has one.
	Password(ctx context.Context) (string, error)
}

// Login logs the account in with the phone code flow (and the 2FA password when
// the account has one). It is a no-op when the stored session is already logged
// in. It never signs up: a phone without a Telegram account gives
// ErrPhoneUnregistered.
func (a *Account) Login(ctx context.Context, prompt Prompt) error {
	if a.life.Err() != nil {
		return a.closedError("login")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(a.life, cancel)()

	status, err := a.client.Auth().Status(ctx)
	if err != nil {
		return mapError("login", err)
	}
	if status.Authorized {
		a.log.Info("already logged in")
		return a.markLoggedIn()
	}
	if a.digits == "" {
		return fmt.Errorf("login: %w: the phone number is needed to log in", ErrAuthRequired)
	}
	ua := &userAuth{phone: a.digits, prompt: prompt}
	err = auth.NewFlow(ua, auth.SendCodeOptions{}).Run(ctx, a.client.Auth())
	if ua.promptErr != nil {
		// The prompt's own error (the terminal closed, no password available) is
		// returned as is: it is not Telegram's.
		return fmt.Errorf("login: %w", ua.promptErr)
	}
	if err != nil {
		return mapError("login", err)
	}
	a.log.Info("logged in")
	return a.markLoggedIn()
}

// markLoggedIn records in the session file that a login was confirmed, which
// `tidewatch accounts list` shows.
func (a *Account) markLoggedIn() error {
	return a.storage.update(func(f *sessionFile) { f.LoggedIn = time.Now().UTC() })
}

// userAuth adapts a Prompt to gotd's auth.UserAuthenticator.
type userAuth struct {
	phone     string
	prompt    Prompt
	promptErr error
}

func (u *userAuth) Phone(context.Context) (string, error) { return u.phone, nil }

func (u *userAuth) Code(ctx context.Context, _ *tg.AuthSentCode) (string, error) {
	code, err := u.prompt.Code(ctx)
	if err != nil {
		u.promptErr = err
		return "", err
	}
	return strings.Join(strings.Fields(code), ""), nil
}

func (u *userAuth) Password(ctx context.Context) (string, error) {
	pw, err := u.prompt.Password(ctx)
	if err != nil {
		u.promptErr = err
		return "", err
	}
	return pw, nil
}

// AcceptTermsOfService is asked only on sign up, which tidewatch does not do.
func (u *userAuth) AcceptTermsOfService(context.Context, tg.HelpTermsOfService) error {
	return ErrPhoneUnregistered
}

// SignUp is refused: tidewatch logs in to existing accounts only.
func (u *userAuth) SignUp(context.Context) (auth.UserInfo, error) {
	return auth.UserInfo{}, ErrPhoneUnregistered
}
