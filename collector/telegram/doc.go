// Package telegram is tidewatch's Telegram client: the only package that imports
// gotd's client. It logs accounts in, keeps their sessions on disk, makes single
// RPC calls, and returns plain Go types and this package's own errors, so that
// the collection engine never sees a tg object or a Telegram error string.
//
// One [Account] is one connected account ([Dial], then [Account.Login] once).
// Each call method is exactly one RPC; the engine's scheduler decides when and on
// which account. A flood wait comes back as a [*FloodWaitError] at once: nothing
// here sleeps or retries, because only the scheduler can hand the work to an
// account that is free.
//
// Secrets (the phone, the api hash, the session) never appear in log lines or
// errors; session files are named by a keyed hash of the phone.
package telegram
