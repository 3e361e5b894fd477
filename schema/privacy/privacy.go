// Package privacy computes the hashes that stand in the tables for what is not stored in
// clear: persons (Telegram users, authors and forwarded accounts of other platforms), the
// secrets of invite links, and post texts.
//
// It is the one place these formulas live. The Telegram collector and every importer hash
// through it, so a person seen in a collected channel and in an imported export gets the
// same hash and the rows join; changing any output here would split the stored data into
// hashes from before and after the change.
package privacy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"sync"
)

// MinKeyLen is the shortest key accepted, in bytes: a short key could be guessed, and then
// every hashed person could be found again by hashing candidate ids.
const MinKeyLen = 16

// telegram is the platform whose persons are hashed without a platform prefix (the form the
// collector wrote first); it equals schema.PlatformTelegram.
const telegram = "telegram"

// Hasher computes keyed hashes under one key: hex of HMAC-SHA256(key, kind NUL value).
// Without the key a hash cannot be reversed by hashing candidate values; with it, a person's
// appearances can still be counted and connected. A Hasher is safe for concurrent use.
type Hasher struct {
	key  []byte
	pool sync.Pool // of *macState
}

// macState is one reusable HMAC with its scratch buffer.
type macState struct {
	mac hash.Hash
	buf []byte
}

// NewHasher returns a Hasher for key, which must be at least [MinKeyLen] bytes. The key is
// copied.
func NewHasher(key []byte) (*Hasher, error) {
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("privacy: hash key of %d bytes: expected at least %d", len(key), MinKeyLen)
	}
	h := &Hasher{key: append([]byte(nil), key...)}
	h.pool.New = func() any { return &macState{mac: hmac.New(sha256.New, h.key)} }
	return h, nil
}

// Keyed is the keyed hash of value under kind ("person", "invite"): 64 hex digits of
// HMAC-SHA256(key, kind + "\x00" + value). An empty value has a hash like any other; callers
// that store "" for an unknown value check for it first.
func (h *Hasher) Keyed(kind, value string) string {
	s := h.pool.Get().(*macState)
	s.mac.Reset()
	s.buf = append(s.buf[:0], kind...)
	s.buf = append(s.buf, 0)
	s.buf = append(s.buf, value...)
	s.mac.Write(s.buf)
	out := hex.EncodeToString(s.mac.Sum(s.buf[:0]))
	h.pool.Put(s)
	return out
}

// Person is the keyed hash of the person with this id on this platform. Telegram user ids
// are hashed as "id:<id>"; persons of other platforms as "<platform>:id:<id>", so equal ids
// of two platforms never collide.
func (h *Hasher) Person(platform, id string) string {
	if platform == telegram {
		return h.Keyed("person", "id:"+id)
	}
	return h.Keyed("person", platform+":id:"+id)
}

// Name is the keyed hash of a person known only by a display name: on Telegram, a forward
// from a user who hides their account (hashed as the name itself); elsewhere
// "<platform>:name:<name>".
func (h *Hasher) Name(platform, name string) string {
	if platform == telegram {
		return h.Keyed("person", name)
	}
	return h.Keyed("person", platform+":name:"+name)
}

// Handle is the keyed hash of a person known only by a handle, hashed as
// "<platform>:@<handle>" with the handle lowercased and without a leading "@", so "@Foo" and
// "foo" are one person.
func (h *Hasher) Handle(platform, handle string) string {
	return h.Keyed("person", platform+":@"+strings.ToLower(strings.TrimPrefix(handle, "@")))
}

// Invite is the stored form of a Telegram invite link: its secret grants access to a
// possibly private chat, so only "tg-invite:" and the first 32 hex digits of its keyed hash
// are kept.
func (h *Hasher) Invite(secret string) string {
	return "tg-invite:" + h.Keyed("invite", secret)[:32]
}

// TextHash is the unkeyed 64-bit hash of a text stored in posts.text_hash: the first 8 bytes
// of its SHA-256, big-endian, and 0 for the empty text. Texts are public, so no key is
// needed; equal hashes find copies of a text (copy-paste campaigns) across channels and
// platforms even when the text itself is not stored.
func TextHash(s string) uint64 {
	if s == "" {
		return 0
	}
	sum := sha256.Sum256([]byte(s))
	return binary.BigEndian.Uint64(sum[:8])
}
