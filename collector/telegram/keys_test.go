package telegram

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParsePublicKeys(t *testing.T) {
	k1, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	k2, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	pkix, err := x509.MarshalPKIXPublicKey(&k2.PublicKey)
	require.NoError(t, err)
	both := append(
		pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k1.PublicKey)}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})...)
	keys, err := ParsePublicKeys(both)
	require.NoError(t, err)
	require.Len(t, keys, 2)
	require.True(t, k1.PublicKey.Equal(keys[0]))
	require.True(t, k2.PublicKey.Equal(keys[1]))

	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ecDER, err := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"empty":       {nil, "no PEM public key found"},
		"not PEM":     {[]byte("hello"), "no PEM public key found"},
		"private key": {pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k1)}), `PEM block 1: "RSA PRIVATE KEY", not a public key`},
		"not RSA":     {pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER}), "public key 1: *ecdsa.PublicKey, not RSA"},
		"bad bytes":   {pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: []byte{1, 2}}), "public key 1: "},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePublicKeys(tc.data)
			require.ErrorContains(t, err, tc.want)
		})
	}
}
