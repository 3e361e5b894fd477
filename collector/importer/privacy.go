package importer

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/fnv"
	"strings"
)

// MinHashKey is the shortest privacy key accepted: a short key could be guessed, and then every
// hashed person could be found again by hashing candidate ids.
const MinHashKey = 16

// ErrNoHashKey is returned when persons would have to be hashed and no key is configured.
var ErrNoHashKey = errors.New("privacy.hash_key is not set: persons are stored only as keyed hashes, so importing needs a key")

// Hasher turns persons into keyed hashes: hex of HMAC-SHA256(key, platform ":" id) cut to 128
// bits. Without the key the hash cannot be reversed by hashing candidate ids, and with the same
// key the same person gets the same hash in every import and every collection run, so
// analyses can still count and connect a person's appearances.
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

// Person is the keyed hash of the person with this id on this platform. Ids are compared as
// given; handles should be passed as "@" + the lowercased handle so they cannot collide with
// numeric ids. A Hasher is not safe for concurrent use.
func (h *Hasher) Person(platform, id string) string {
	h.mac.Reset()
	h.buf = append(h.buf[:0], platform...)
	h.buf = append(h.buf, ':')
	h.buf = append(h.buf, id...)
	h.mac.Write(h.buf)
	sum := h.mac.Sum(h.buf[:0])
	return hex.EncodeToString(sum[:16])
}

// Handle is the keyed hash of a person known only by a handle.
func (h *Hasher) Handle(platform, handle string) string {
	return h.Person(platform, "@"+strings.ToLower(strings.TrimPrefix(handle, "@")))
}

// TextHash is the 64-bit FNV-1a hash of a text, stored in posts.text_hash so that identical
// texts can be found (copy-paste campaigns) even when the text itself is not stored.
func TextHash(s string) uint64 {
	if s == "" {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}
