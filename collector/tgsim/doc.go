// Package tgsim is a simulated Telegram: a real MTProto server (gotd's
// tgtest) that serves a synthetic world of public channels (package
// collector/tgsim/world) to the unchanged gotd client. The collector's
// tests, benchmarks and demo run against it.
//
// # Starting a simulator
//
// A test starts one on a free loopback port and builds the client options
// from ClientOptions; only the DC address and the server key differ from a
// production client:
//
//	w, _ := world.Generate(world.DefaultSpec(200), 7)
//	sim, _ := tgsim.New(tgsim.Options{World: w, Clock: tgsim.Clock{Speed: 86400}})
//	_ = sim.Start(ctx, "127.0.0.1:0")
//	defer sim.Close()
//	co := sim.ClientOptions()
//	client := telegram.NewClient(appID, appHash, telegram.Options{
//		PublicKeys:     []telegram.PublicKey{{RSA: co.Key}},
//		DC:             co.DC,
//		DCList:         dcs.List{Options: []tg.DCOption{{ID: co.DC, IPAddress: co.Host, Port: co.Port, Static: true}}},
//		Resolver:       dcs.Plain(dcs.PlainOptions{Protocol: transport.Intermediate}),
//		SessionStorage: &session.FileStorage{Path: sessionFile},
//	})
//
// The command cmd/tgsim serves the same from another process and writes
// the key (PKCS1 "RSA PUBLIC KEY" PEM) and the address to files.
//
// Clients log in as on Telegram's test servers: phones 99966XYYYY where X
// is the DC id (2 by default) and the code is X repeated five times
// (gotd's auth.TestUser does this). Options.Passwords gives phones a 2FA
// password, checked with SRP (account.getPassword, auth.checkPassword).
// Before login, API methods answer 401 AUTH_KEY_UNREGISTERED. The client's
// DC id must equal the server's, or gotd retries until its context ends;
// the obfuscated transport is not understood (tgtest detects abridged,
// intermediate, padded intermediate and full framing).
//
// # Methods
//
// help.getConfig (DC options pointing at the server, date = world time),
// help.getNearestDc, users.getUsers (self), updates.getState and
// updates.getDifference (nothing ever changes for the test accounts),
// auth.sendCode, auth.signIn, auth.checkPassword, account.getPassword,
// auth.logOut, contacts.resolveUsername,
// channels.getChannels, channels.getFullChannel, messages.getHistory,
// messages.getMessagesViews, channels.getMessages and
// channels.getChannelRecommendations answer from the world with Telegram's
// semantics and errors (USERNAME_NOT_OCCUPIED, USERNAME_INVALID,
// CHANNEL_PRIVATE, CHANNEL_INVALID, PEER_ID_INVALID, PHONE_CODE_INVALID,
// PHONE_NUMBER_INVALID, ...). channels.getParticipants answers
// CHAT_ADMIN_REQUIRED, every other known method 400 METHOD_NOT_SUPPORTED and
// an unknown constructor INPUT_METHOD_INVALID_<id>. Every call is recorded
// (Calls, Stats, CallCount) with its auth key, account, layer, api_id, key
// parameters and result, so tests can assert what a client did.
//
// # World time
//
// Clock maps real time to world time at Speed world seconds per real
// second. Message dates, counters and help.getConfig's date follow it, which
// is how a client follows the simulator's clock, as it would Telegram's.
// MTProto's own message ids and time checks use real time, so any speed
// works. Answers see the world as of the start of the current CacheBucket
// (one world second by default); with Options.CacheBytes, history pages
// asked for again within a bucket come from a cache of encoded pages.
//
// # Rate limits
//
// Limits are per account (the logged-in phone, or the auth key before
// login) and per method: token buckets in real time (DefaultBudgets), with
// 420 FLOOD_WAIT_X when a bucket is empty. Waits for
// contacts.resolveUsername escalate (doubling) with repeated over-use until
// a quiet EscalationReset. An account that calls a method again during its
// wait (after a Grace for calls already in flight) BanAfter times is banned:
// 401 USER_DEACTIVATED_BAN on every call, PHONE_NUMBER_BANNED at the next
// login. Limits{Off: true} disables all of it for full-speed benchmarks.
//
// # Faults
//
// SetFaults adds latency and answers a fraction of calls 500 INTERNAL or
// -503 TIMEOUT, or drops their connection; DropConnections closes every
// client connection; Restart stops serving and listens again on the same
// address. Auth keys and logins live in the Server's memory, so they
// survive Restart (Telegram does not log users out when it restarts) but
// not a new process. gotd reconnects by itself; a call made before it has
// noticed a dropped connection fails with a transport error, as against
// Telegram. ControlHandler exposes all of this over HTTP for another
// process.
package tgsim
