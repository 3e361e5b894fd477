package telegram

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gotd/td/telegram/auth"
	"github.com/gotd/td/tgerr"
)

// Telegram's errors become these sentinels at this boundary, so that the engine can
// decide with errors.Is without knowing Telegram's error strings. The wrapping error
// names the method and Telegram's error type.
var (
	// ErrChannelPrivate: the channel exists but is private, or this account was
	// banned from it (CHANNEL_PRIVATE).
	ErrChannelPrivate = errors.New("channel private")
	// ErrChannelInvalid: the channel id or access hash is not valid for this
	// account, or the channel is gone (CHANNEL_INVALID, CHANNEL_ID_INVALID).
	ErrChannelInvalid = errors.New("channel invalid")
	// ErrUsernameNotOccupied: nobody holds the username (USERNAME_NOT_OCCUPIED).
	ErrUsernameNotOccupied = errors.New("username not occupied")
	// ErrUsernameInvalid: the username cannot exist (USERNAME_INVALID).
	ErrUsernameInvalid = errors.New("username invalid")
	// ErrNotChannel: a username resolved to a user or a bot, not a channel.
	ErrNotChannel = errors.New("not a channel")
	// ErrAuthRequired: the account is not logged in, its session was revoked or
	// expired, or no session is stored for it (AUTH_KEY_UNREGISTERED,
	// SESSION_REVOKED, SESSION_EXPIRED, other 401 errors). `tidewatch login` fixes it.
	ErrAuthRequired = errors.New("account not logged in")
	// ErrAccountBanned: Telegram deactivated the account or banned its phone
	// (USER_DEACTIVATED, USER_DEACTIVATED_BAN, PHONE_NUMBER_BANNED).
	ErrAccountBanned = errors.New("account banned")
	// ErrPhoneCodeInvalid: the login code was wrong, empty or expired
	// (PHONE_CODE_INVALID, PHONE_CODE_EMPTY, PHONE_CODE_EXPIRED).
	ErrPhoneCodeInvalid = errors.New("login code invalid")
	// ErrPhoneInvalid: Telegram does not accept the phone number (PHONE_NUMBER_INVALID).
	ErrPhoneInvalid = errors.New("phone number invalid")
	// ErrPhoneUnregistered: the phone has no Telegram account; tidewatch never signs up.
	ErrPhoneUnregistered = errors.New("phone number has no Telegram account")
	// ErrPasswordRequired: the account has a 2FA password and none was given
	// (SESSION_PASSWORD_NEEDED).
	ErrPasswordRequired = errors.New("2FA password required")
	// ErrPasswordInvalid: the 2FA password was wrong (PASSWORD_HASH_INVALID).
	ErrPasswordInvalid = errors.New("2FA password invalid")
	// ErrTransient wraps errors worth retrying later on any account: Telegram's
	// INTERNAL and TIMEOUT errors (5xx, -503) and lost connections.
	ErrTransient = errors.New("transient")
	// ErrClosed: the Account was closed or its connection ended for good.
	ErrClosed = errors.New("account closed")
)

// FloodWaitError is returned for FLOOD_WAIT_X and FLOOD_PREMIUM_WAIT_X: the
// scheduler parks (account, method) for Wait and hands the work to another
// account. This package never sleeps on it: retrying early is what gets accounts
// banned, and only the scheduler knows what else there is to do meanwhile.
type FloodWaitError struct {
	// Method is the RPC that was refused, one of the Method* constants.
	Method string
	// Wait is how long Telegram asked this account to leave Method alone.
	Wait time.Duration
}

func (e *FloodWaitError) Error() string {
	return fmt.Sprintf("%s: flood wait %s", e.Method, e.Wait)
}

// sentinelOf maps a Telegram RPC error to our sentinel, or nil when it has none.
func sentinelOf(rpc *tgerr.Error) error {
	switch rpc.Type {
	case "CHANNEL_PRIVATE":
		return ErrChannelPrivate
	case "CHANNEL_INVALID", "CHANNEL_ID_INVALID":
		return ErrChannelInvalid
	case "USERNAME_NOT_OCCUPIED":
		return ErrUsernameNotOccupied
	case "USERNAME_INVALID":
		return ErrUsernameInvalid
	case "USER_DEACTIVATED", "USER_DEACTIVATED_BAN", "PHONE_NUMBER_BANNED":
		return ErrAccountBanned
	case "PHONE_CODE_INVALID", "PHONE_CODE_EMPTY", "PHONE_CODE_EXPIRED":
		return ErrPhoneCodeInvalid
	case "PHONE_NUMBER_INVALID":
		return ErrPhoneInvalid
	case "PHONE_NUMBER_UNOCCUPIED":
		return ErrPhoneUnregistered
	case "SESSION_PASSWORD_NEEDED":
		return ErrPasswordRequired
	case "PASSWORD_HASH_INVALID":
		return ErrPasswordInvalid
	case "INTERNAL", "TIMEOUT", "RPC_CALL_FAIL", "RPC_MCGET_FAIL", "MSG_WAIT_FAILED", "MSG_WAIT_TIMEOUT":
		return ErrTransient
	}
	switch {
	case rpc.Code == 401:
		return ErrAuthRequired
	case rpc.Code >= 500, rpc.Code == -503:
		return ErrTransient
	}
	return nil
}

// mapError turns whatever gotd returned for method into our errors. Secrets
// cannot leak through it: Telegram's error strings are fixed upper-case names,
// and everything else is wrapped from gotd's transport, which never sees the
// phone or the api hash in a form it would print.
func mapError(method string, err error) error {
	if err == nil {
		return nil
	}
	if d, ok := tgerr.AsFloodWait(err); ok {
		return &FloodWaitError{Method: method, Wait: d}
	}
	if rpc, ok := tgerr.As(err); ok {
		if s := sentinelOf(rpc); s != nil {
			return fmt.Errorf("%s: %w (%s)", method, s, rpc.Type)
		}
		return fmt.Errorf("%s: rpc error %d: %s", method, rpc.Code, rpc.Type)
	}
	switch {
	case errors.Is(err, ErrClosed), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", method, err)
	case errors.Is(err, auth.ErrPasswordAuthNeeded), errors.Is(err, auth.ErrPasswordNotProvided):
		return fmt.Errorf("%s: %w", method, ErrPasswordRequired)
	case errors.Is(err, auth.ErrPasswordInvalid): // gotd's name for PASSWORD_HASH_INVALID
		return fmt.Errorf("%s: %w", method, ErrPasswordInvalid)
	case errors.Is(err, &auth.SignUpRequired{}), errors.Is(err, ErrPhoneUnregistered):
		return fmt.Errorf("%s: %w", method, ErrPhoneUnregistered)
	}
	// Anything else came from below the RPC layer: a dropped connection, a
	// reconnect in progress, an exhausted resend. Another try later may work.
	return fmt.Errorf("%s: %w: %w", method, ErrTransient, err)
}
