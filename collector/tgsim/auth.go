package tgsim

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
)

// codeLength is the length of the login codes the simulator "sends".
const codeLength = 5

// keyState is what the server knows about one auth key. It lives in memory
// only, as long as the Server (restarts keep it).
type keyState struct {
	layer     int
	apiID     int
	phone     string            // logged-in phone, "" before login
	codes     map[string]string // phone_code_hash -> phone, codes sent
	pwPhone   string            // phone waiting for its 2FA password
	challenge *srpChallenge     // the last account.getPassword answer
}

// account is a test user.
type account struct {
	phone    string
	id       int64
	hash     int64
	password *srpPassword // nil: no 2FA
}

// keyInfo runs f on the state of an auth key, creating it if needed.
func (s *Server) keyInfo(id [8]byte, f func(*keyState)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys[id]
	if k == nil {
		k = &keyState{codes: map[string]string{}}
		s.keys[id] = k
	}
	f(k)
}

// phoneOf returns the phone logged in on an auth key, "" if none.
func (s *Server) phoneOf(id [8]byte) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := s.keys[id]; k != nil {
		return k.phone
	}
	return ""
}

// account returns the test user of phone, creating it on first use. Every
// test phone has an account: Telegram's test DCs sign such phones in.
func (s *Server) account(phone string) *account {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accountLocked(phone)
}

func (s *Server) accountLocked(phone string) *account {
	a := s.users[phone]
	if a == nil {
		// Ids derive from the phone without revealing it: ids may be logged.
		h := fnv.New64a()
		h.Write([]byte("tgsim user " + phone))
		sum := h.Sum64()
		a = &account{phone: phone, id: int64(sum>>34) + 1_000_000, hash: int64(sum >> 1)}
		s.users[phone] = a
	}
	return a
}

// normalizePhone strips the formatting clients may add.
func normalizePhone(p string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '+', ' ', '-', '(', ')':
			return -1
		}
		return r
	}, p)
}

// validPhone reports whether p is a test phone of this DC: 99966XYYYY with X
// the DC id, as on Telegram's test servers.
func (s *Server) validPhone(p string) bool {
	p = normalizePhone(p)
	if len(p) != 10 || !strings.HasPrefix(p, "99966") || p[5] != byte('0'+s.dc) {
		return false
	}
	for _, r := range p {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (s *Server) selfUser(a *account) *tg.User {
	u := &tg.User{
		Self:       true,
		ID:         a.id,
		AccessHash: a.hash,
		FirstName:  "Test",
		LastName:   "User " + a.phone[len(a.phone)-4:],
		Phone:      a.phone,
		Status:     &tg.UserStatusOnline{Expires: int(s.WorldNow().Add(5 * time.Minute).Unix())},
	}
	return u
}

func (s *Server) helpGetConfig(_ context.Context, c *callCtx) (bin.Encoder, string, error) {
	now := s.WorldNow()
	host, port := splitHostPort(s.Addr())
	cfg := &tg.Config{
		Date:    int(now.Unix()),
		Expires: int(now.Add(time.Hour).Unix()),
		ThisDC:  s.dc,
		DCOptions: []tg.DCOption{
			{ID: s.dc, IPAddress: host, Port: port, Static: true},
		},
		DCTxtDomainName:         "tgsim.invalid",
		ChatSizeMax:             200,
		MegagroupSizeMax:        200000,
		ForwardedCountMax:       100,
		OnlineUpdatePeriodMs:    210000,
		OfflineBlurTimeoutMs:    5000,
		OfflineIdleTimeoutMs:    30000,
		OnlineCloudTimeoutMs:    300000,
		NotifyCloudDelayMs:      30000,
		NotifyDefaultDelayMs:    1500,
		PushChatPeriodMs:        60000,
		PushChatLimit:           2,
		EditTimeLimit:           172800,
		RevokeTimeLimit:         2147483647,
		RevokePmTimeLimit:       2147483647,
		RatingEDecay:            2419200,
		StickersRecentLimit:     200,
		ChannelsReadMediaPeriod: 604800,
		CallReceiveTimeoutMs:    20000,
		CallRingTimeoutMs:       90000,
		CallConnectTimeoutMs:    30000,
		CallPacketTimeoutMs:     10000,
		MeURLPrefix:             "https://t.me/",
		CaptionLengthMax:        1024,
		MessageLengthMax:        4096,
		WebfileDCID:             s.dc,
	}
	return cfg, "date=" + now.UTC().Format(time.RFC3339), nil
}

func (s *Server) usersGetUsers(req *tg.UsersGetUsersRequest) func(context.Context, *callCtx) (bin.Encoder, string, error) {
	return func(_ context.Context, c *callCtx) (bin.Encoder, string, error) {
		if s.limits.isBanned(c.phone) {
			return nil, "", errBanned()
		}
		a := s.account(c.phone)
		var out tg.UserClassVector
		for _, in := range req.ID {
			switch u := in.(type) {
			case *tg.InputUserSelf:
				out.Elems = append(out.Elems, s.selfUser(a))
			case *tg.InputUser:
				if u.UserID == a.id {
					out.Elems = append(out.Elems, s.selfUser(a))
				}
			}
		}
		return &out, fmt.Sprintf("%d users", len(out.Elems)), nil
	}
}

func (s *Server) authSendCode(req *tg.AuthSendCodeRequest) func(context.Context, *callCtx) (bin.Encoder, string, error) {
	return func(_ context.Context, c *callCtx) (bin.Encoder, string, error) {
		phone := normalizePhone(req.PhoneNumber)
		if phone == "" {
			return nil, "", tgerr.New(400, "PHONE_NUMBER_INVALID")
		}
		if !s.validPhone(phone) {
			return nil, "", tgerr.New(400, "PHONE_NUMBER_INVALID")
		}
		if req.APIID == 0 || req.APIHash == "" {
			return nil, "", tgerr.New(400, "API_ID_INVALID")
		}
		if s.limits.isBanned(phone) {
			return nil, "", tgerr.New(400, "PHONE_NUMBER_BANNED")
		}
		var raw [16]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return nil, "", err
		}
		hash := hex.EncodeToString(raw[:])
		s.keyInfo(c.keyID, func(k *keyState) { k.codes[hash] = phone })
		return &tg.AuthSentCode{
			Type:          &tg.AuthSentCodeTypeApp{Length: codeLength},
			PhoneCodeHash: hash,
			Timeout:       120,
		}, "code sent", nil
	}
}

func (s *Server) authSignIn(req *tg.AuthSignInRequest) func(context.Context, *callCtx) (bin.Encoder, string, error) {
	return func(_ context.Context, c *callCtx) (bin.Encoder, string, error) {
		phone := normalizePhone(req.PhoneNumber)
		if !s.validPhone(phone) {
			return nil, "", tgerr.New(400, "PHONE_NUMBER_INVALID")
		}
		if req.PhoneCodeHash == "" {
			return nil, "", tgerr.New(400, "PHONE_CODE_HASH_EMPTY")
		}
		code, ok := req.GetPhoneCode()
		if !ok || code == "" {
			return nil, "", tgerr.New(400, "PHONE_CODE_EMPTY")
		}
		var sentTo string
		s.keyInfo(c.keyID, func(k *keyState) { sentTo = k.codes[req.PhoneCodeHash] })
		if sentTo != phone {
			return nil, "", tgerr.New(400, "PHONE_CODE_EXPIRED")
		}
		if code != strings.Repeat(strconv.Itoa(s.dc), codeLength) {
			return nil, "", tgerr.New(400, "PHONE_CODE_INVALID")
		}
		if s.limits.isBanned(phone) {
			return nil, "", tgerr.New(400, "PHONE_NUMBER_BANNED")
		}
		a := s.account(phone)
		if a.password != nil {
			s.keyInfo(c.keyID, func(k *keyState) {
				delete(k.codes, req.PhoneCodeHash)
				k.pwPhone = phone
			})
			return nil, "", tgerr.New(401, "SESSION_PASSWORD_NEEDED")
		}
		s.keyInfo(c.keyID, func(k *keyState) {
			delete(k.codes, req.PhoneCodeHash)
			k.phone = phone
		})
		s.log.Info("tgsim login", "user_id", a.id)
		return &tg.AuthAuthorization{User: s.selfUser(a)}, "signed in", nil
	}
}

func (s *Server) accountGetPassword(_ context.Context, c *callCtx) (bin.Encoder, string, error) {
	var phone string
	s.keyInfo(c.keyID, func(k *keyState) {
		phone = k.pwPhone
		if phone == "" {
			phone = k.phone
		}
	})
	if phone == "" {
		return nil, "", tgerr.New(401, "AUTH_KEY_UNREGISTERED")
	}
	a := s.account(phone)
	secure := make([]byte, 32)
	if _, err := rand.Read(secure); err != nil {
		return nil, "", err
	}
	out := &tg.AccountPassword{
		NewAlgo: &tg.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow{
			Salt1: secure[:8], Salt2: secure[8:24], G: srpG, P: pad256(srpPrime),
		},
		NewSecureAlgo: &tg.SecurePasswordKdfAlgoUnknown{},
		SecureRandom:  secure,
	}
	if a.password == nil {
		return out, "no password", nil
	}
	s.mu.Lock()
	s.srpSeq++
	id := s.srpSeq<<16 | int64(binary.LittleEndian.Uint16(secure[24:]))
	s.mu.Unlock()
	ch, err := a.password.challenge(id)
	if err != nil {
		return nil, "", err
	}
	s.keyInfo(c.keyID, func(k *keyState) { k.challenge = ch })
	out.HasPassword = true
	out.CurrentAlgo = a.password.algo()
	out.SRPB = ch.gb
	out.SRPID = ch.id
	return out, "password", nil
}

func (s *Server) authCheckPassword(req *tg.AuthCheckPasswordRequest) func(context.Context, *callCtx) (bin.Encoder, string, error) {
	return func(_ context.Context, c *callCtx) (bin.Encoder, string, error) {
		in, ok := req.Password.(*tg.InputCheckPasswordSRP)
		if !ok {
			return nil, "", tgerr.New(400, "PASSWORD_HASH_INVALID")
		}
		var (
			phone string
			ch    *srpChallenge
		)
		s.keyInfo(c.keyID, func(k *keyState) { phone, ch = k.pwPhone, k.challenge })
		if phone == "" {
			return nil, "", tgerr.New(401, "AUTH_KEY_UNREGISTERED")
		}
		if ch == nil || ch.id != in.SRPID {
			return nil, "", tgerr.New(400, "SRP_ID_INVALID")
		}
		a := s.account(phone)
		if a.password == nil || !a.password.verify(ch, in.A, in.M1) {
			return nil, "", tgerr.New(400, "PASSWORD_HASH_INVALID")
		}
		s.keyInfo(c.keyID, func(k *keyState) {
			k.phone, k.pwPhone, k.challenge = phone, "", nil
		})
		s.log.Info("tgsim login with password", "user_id", a.id)
		return &tg.AuthAuthorization{User: s.selfUser(a)}, "signed in", nil
	}
}

func (s *Server) authLogOut(_ context.Context, c *callCtx) (bin.Encoder, string, error) {
	s.keyInfo(c.keyID, func(k *keyState) { k.phone = "" })
	return &tg.AuthLoggedOut{}, "logged out", nil
}
