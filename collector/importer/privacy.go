package importer

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
)

// MinHashKey is the shortest privacy key accepted: a short key could be guessed, and then every
// hashed person could be found again by hashing candidate ids.
const MinHashKey = 16

// ErrNoHashKey is returned when persons would have to be hashed and no key is configured.
var ErrNoHashKey = errors.New("privacy.hash_key is not set: persons are stored only as keyed hashes, so importing needs a key")

// Hasher turns persons into keyed hashes: hex of HMAC-SHA256(key, kind NUL value), the form
// the Telegram collector uses, so a Telegram user forwarded in a collected channel and in an
// imported export gets the same hash. Without the key the hash cannot be reversed by hashing
// candidate ids; with it, a person's appearances can still be counted and connected.
//
// Values: Telegram user ids are "id:<id>" and hidden forward names the name itself (as the
// collector writes them); persons of other platforms are "<platform>:id:<id>" and
// "<platform>:@<lowercased handle>", so equal ids of two platforms never collide.
type Hasher struct {
	mac hash.Hash
	buf []byte
}

// NewHasher makes a Hasher; the key must be at least [MinHashKey] bytes.
func NewHasher(key []byte) (*Hasher, error) {
	if len(key) == 0 {
		return nil, ErrNoHashKey
	}
	if len(key) < MinHashKey {
		return nil, fmt.Errorf("privacy.hash_key: expected at least %d bytes, got %d", MinHashKey, len(key))
	}
	return &Hasher{mac: hmac.New(sha256.New, key)}, nil
}

// Keyed is the keyed hash of value under kind ("person", "invite"). A Hasher is not safe for
// concurrent use.
func (h *Hasher) Keyed(kind, value string) string {
	h.mac.Reset()
	h.buf = append(h.buf[:0], kind...)
	h.buf = append(h.buf, 0)
	h.buf = append(h.buf, value...)
	h.mac.Write(h.buf)
	return hex.EncodeToString(h.mac.Sum(h.buf[:0]))
}

// Person is the keyed hash of the person with this id on this platform.
func (h *Hasher) Person(platform, id string) string {
	if platform == "telegram" {
		return h.Keyed("person", "id:"+id)
	}
	return h.Keyed("person", platform+":id:"+id)
}

// Name is the keyed hash of a person known only by a display name (a Telegram forward from a
// user who hides their account).
func (h *Hasher) Name(platform, name string) string {
	if platform == "telegram" {
		return h.Keyed("person", name)
	}
	return h.Keyed("person", platform+":name:"+name)
}

// Handle is the keyed hash of a person known only by a handle.
func (h *Hasher) Handle(platform, handle string) string {
	return h.Keyed("person", platform+":@"+strings.ToLower(strings.TrimPrefix(handle, "@")))
}

// Invite is the stored form of a Telegram invite link: its secret grants access to a possibly
// private chat, so only a keyed hash of it is kept (as the collector keeps it).
func (h *Hasher) Invite(secret string) string {
	return "tg-invite:" + h.Keyed("invite", secret)[:32]
}

// TextHash is a 64-bit hash of a text (the first 8 bytes of its SHA-256, as the collector
// computes it), stored in posts.text_hash so identical texts can be found (copy-paste
// campaigns) even when the text itself is not stored.
func TextHash(s string) uint64 {
	if s == "" {
		return 0
	}
	sum := sha256.Sum256([]byte(s))
	return binary.BigEndian.Uint64(sum[:8])
}
