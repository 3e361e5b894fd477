package telegram

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// ParsePublicKeys reads the RSA public keys of a PEM file, as the simulator
// writes its key: PKCS #1 ("RSA PUBLIC KEY", Telegram's own format) or PKIX
// ("PUBLIC KEY") blocks, one or more.
func ParsePublicKeys(data []byte) ([]*rsa.PublicKey, error) {
	var keys []*rsa.PublicKey
	for n := 1; ; n++ {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		switch block.Type {
		case "RSA PUBLIC KEY":
			k, err := x509.ParsePKCS1PublicKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("public key %d: %w", n, err)
			}
			keys = append(keys, k)
		case "PUBLIC KEY":
			k, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("public key %d: %w", n, err)
			}
			rk, ok := k.(*rsa.PublicKey)
			if !ok {
				return nil, fmt.Errorf("public key %d: %T, not RSA", n, k)
			}
			keys = append(keys, rk)
		default:
			return nil, fmt.Errorf("PEM block %d: %q, not a public key", n, block.Type)
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("no PEM public key found")
	}
	return keys, nil
}
