package tgsim

import (
	"context"
	"testing"

	"github.com/gotd/td/telegram"
	"github.com/gotd/td/telegram/auth"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/tgsim/internal/testclient"
)

func requireRPCError(t *testing.T, err error, code int, typ string) {
	t.Helper()
	require.Error(t, err)
	rpc, ok := tgerr.As(err)
	require.True(t, ok, "not an RPC error: %v", err)
	require.Equal(t, code, rpc.Code, rpc.Message)
	require.Equal(t, typ, rpc.Message)
}

func TestLoginWithTestPhones(t *testing.T) {
	s := startSim(t, Options{Limits: Limits{Off: true}})
	cfg := clientConfig(t, s, "")
	withClient(t, s, cfg, func(ctx context.Context, api *tg.Client, _ *telegram.Client) {
		// Before login every API method says the key is not authorized.
		_, err := api.UsersGetUsers(ctx, []tg.InputUserClass{&tg.InputUserSelf{}})
		requireRPCError(t, err, 401, "AUTH_KEY_UNREGISTERED")
		_, err = api.ContactsResolveUsername(ctx, &tg.ContactsResolveUsernameRequest{Username: "anything"})
		requireRPCError(t, err, 401, "AUTH_KEY_UNREGISTERED")

		for _, phone := range []string{"15551234567", "9996631234", "99966212", "+99966x1234", ""} {
			_, err := api.AuthSendCode(ctx, &tg.AuthSendCodeRequest{PhoneNumber: phone, APIID: 1, APIHash: "h"})
			requireRPCError(t, err, 400, "PHONE_NUMBER_INVALID")
		}

		sent, err := api.AuthSendCode(ctx, &tg.AuthSendCodeRequest{PhoneNumber: "+" + testPhone, APIID: 1, APIHash: "h"})
		require.NoError(t, err)
		code, ok := sent.(*tg.AuthSentCode)
		require.True(t, ok)
		require.Equal(t, 5, code.Type.(*tg.AuthSentCodeTypeApp).Length)

		signIn := func(c, hash string) error {
			_, err := api.AuthSignIn(ctx, &tg.AuthSignInRequest{PhoneNumber: testPhone, PhoneCodeHash: hash, PhoneCode: c})
			return err
		}
		requireRPCError(t, signIn("11111", code.PhoneCodeHash), 400, "PHONE_CODE_INVALID")
		requireRPCError(t, signIn("22222", "not-the-hash"), 400, "PHONE_CODE_EXPIRED")
		require.NoError(t, signIn("22222", code.PhoneCodeHash))
		// A code is good once.
		requireRPCError(t, signIn("22222", code.PhoneCodeHash), 400, "PHONE_CODE_EXPIRED")

		users, err := api.UsersGetUsers(ctx, []tg.InputUserClass{&tg.InputUserSelf{}})
		require.NoError(t, err)
		require.Len(t, users, 1)
		self := users[0].(*tg.User)
		require.True(t, self.Self)
		require.Equal(t, testPhone, self.Phone)
	})

	// The saved session stays logged in: a new client does not sign in again.
	cfg.Phone = testPhone
	withClient(t, s, cfg, func(ctx context.Context, api *tg.Client, c *telegram.Client) {
		st, err := c.Auth().Status(ctx)
		require.NoError(t, err)
		require.True(t, st.Authorized)
	})
	require.Equal(t, 4, s.CallCount("auth.signIn"), "the second client signed in from its saved session")
}

func TestLoginWithTwoFactorPassword(t *testing.T) {
	const phone, password = "9996625555", "correct horse battery staple"
	s := startSim(t, Options{Passwords: map[string]string{phone: password}})

	cfg := clientConfig(t, s, phone)
	cfg.Password = "wrong"
	c, err := testclient.New(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err = c.Run(ctx, func(ctx context.Context) error { return testclient.Login(ctx, c, cfg) })
	require.ErrorIs(t, err, auth.ErrPasswordInvalid)
	require.Equal(t, 1, s.Stats().Errors["PASSWORD_HASH_INVALID"])

	cfg = clientConfig(t, s, phone)
	cfg.Password = password
	withClient(t, s, cfg, func(ctx context.Context, api *tg.Client, _ *telegram.Client) {
		users, err := api.UsersGetUsers(ctx, []tg.InputUserClass{&tg.InputUserSelf{}})
		require.NoError(t, err)
		require.Equal(t, phone, users[0].(*tg.User).Phone)
	})
	require.Equal(t, 2, s.CallCount("auth.checkPassword"))
	require.Equal(t, 2, s.Stats().Errors["SESSION_PASSWORD_NEEDED"])
}
