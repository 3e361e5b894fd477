package tgsim

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"math/big"

	"golang.org/x/crypto/pbkdf2"

	"github.com/gotd/td/tg"
)

// The server side of Telegram's SRP 2FA check
// (https://core.telegram.org/api/srp), the counterpart of gotd's crypto/srp.

// srpPrime is the 2048-bit safe prime Telegram serves with g = 3.
var srpPrime = func() *big.Int {
	b, err := hex.DecodeString("C71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F" +
		"48198A0AA7C14058229493D22530F4DBFA336F6E0AC925139543AED44CCE7C37" +
		"20FD51F69458705AC68CD4FE6B6B13ABDC9746512969328454F18FAF8C595F64" +
		"2477FE96BB2A941D5BCD1D4AC8CC49880708FA9B378E3C4F3A9060BEE67CF9A4" +
		"A4A695811051907E162753B56B0F6B410DBA74D8A84B2A14B3144E0EF1284754" +
		"FD17ED950D5965B4B9DD46582DB1178D169C6BC465B0D6FF9CA3928FEF5B9AE4" +
		"E418FC15E83EBEA0F87FA9FF5EED70050DED2849F47BF959D956850CE929851F" +
		"0D8115F635B105EE2E4E15D04B2454BF6F4FADF034B10403119CD8E3B92FCC5B")
	if err != nil {
		panic(err)
	}
	return new(big.Int).SetBytes(b)
}()

const srpG = 3

// srpPassword is a stored 2FA password: its salts and verifier v = g^x mod p.
type srpPassword struct {
	salt1, salt2 []byte
	v            *big.Int
}

// srpChallenge is one account.getPassword answer awaiting auth.checkPassword.
type srpChallenge struct {
	id int64
	b  *big.Int // server secret
	gb []byte   // g_b = srp_B, padded to 256 bytes
}

func sha(data ...[]byte) []byte {
	h := sha256.New()
	for _, d := range data {
		h.Write(d)
	}
	return h.Sum(nil)
}

func pad256(i *big.Int) []byte {
	var b [256]byte
	i.FillBytes(b[:])
	return b[:]
}

// newSRPPassword derives the verifier of password with fresh salts.
func newSRPPassword(password string) (*srpPassword, error) {
	salt1, salt2 := make([]byte, 40), make([]byte, 16)
	if _, err := rand.Read(salt1); err != nil {
		return nil, fmt.Errorf("srp salt: %w", err)
	}
	if _, err := rand.Read(salt2); err != nil {
		return nil, fmt.Errorf("srp salt: %w", err)
	}
	sh := func(data, salt []byte) []byte { return sha(salt, data, salt) }
	ph1 := sh(sh([]byte(password), salt1), salt2)
	x := new(big.Int).SetBytes(sh(pbkdf2.Key(ph1, salt1, 100000, 64, sha512.New), salt2))
	v := new(big.Int).Exp(big.NewInt(srpG), x, srpPrime)
	return &srpPassword{salt1: salt1, salt2: salt2, v: v}, nil
}

func (p *srpPassword) algo() *tg.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow {
	return &tg.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow{
		Salt1: p.salt1,
		Salt2: p.salt2,
		G:     srpG,
		P:     pad256(srpPrime),
	}
}

// challenge makes B = k*v + g^b mod p for a new random b.
func (p *srpPassword) challenge(id int64) (*srpChallenge, error) {
	bb := make([]byte, 256)
	if _, err := rand.Read(bb); err != nil {
		return nil, fmt.Errorf("srp random: %w", err)
	}
	b := new(big.Int).SetBytes(bb)
	g := big.NewInt(srpG)
	k := new(big.Int).SetBytes(sha(pad256(srpPrime), pad256(g)))
	gb := new(big.Int).Exp(g, b, srpPrime)
	kv := new(big.Int).Mul(k, p.v)
	gb.Add(gb, kv).Mod(gb, srpPrime)
	return &srpChallenge{id: id, b: b, gb: pad256(gb)}, nil
}

// verify checks the client's A and M1 against the challenge.
func (p *srpPassword) verify(c *srpChallenge, a, m1 []byte) bool {
	A := new(big.Int).SetBytes(a)
	if A.Sign() <= 0 || A.Cmp(srpPrime) >= 0 {
		return false
	}
	ga := pad256(A)
	u := new(big.Int).SetBytes(sha(ga, c.gb))
	// S = (A * v^u)^b mod p
	s := new(big.Int).Exp(p.v, u, srpPrime)
	s.Mul(s, A).Mod(s, srpPrime)
	s.Exp(s, c.b, srpPrime)
	ka := sha(pad256(s))
	hp, hg := sha(pad256(srpPrime)), sha(pad256(big.NewInt(srpG)))
	x := make([]byte, len(hp))
	for i := range hp {
		x[i] = hp[i] ^ hg[i]
	}
	want := sha(x, sha(p.salt1), sha(p.salt2), ga, c.gb, ka)
	return bytes.Equal(want, m1)
}
