package importer

import (
	"errors"
	"fmt"

	"github.com/tidewatch/tidewatch/schema/privacy"
)

// MinHashKey is the shortest privacy key accepted: a short key could be guessed, and then every
// hashed person could be found again by hashing candidate ids.
const MinHashKey = privacy.MinKeyLen

// ErrNoHashKey is returned when persons would have to be hashed and no key is configured.
var ErrNoHashKey = errors.New("privacy.hash_key is not set: persons are stored only as keyed hashes, so importing needs a key")

// NewHasher makes the Hasher of an import from privacy.hash_key, which must be at least
// [MinHashKey] bytes. Persons are hashed as the Telegram collector hashes them (see package
// schema/privacy), so a Telegram user forwarded in a collected channel and in an imported
// export gets the same hash.
func NewHasher(key []byte) (*privacy.Hasher, error) {
	if len(key) == 0 {
		return nil, ErrNoHashKey
	}
	if len(key) < MinHashKey {
		return nil, fmt.Errorf("privacy.hash_key: expected at least %d bytes, got %d", MinHashKey, len(key))
	}
	return privacy.NewHasher(key)
}
