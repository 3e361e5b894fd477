package privacy

import (
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/schema"
)

// goldenKey keys the golden hashes below. The outputs were taken from the collector and
// importer code that wrote the stored data: a change here means stored hashes no longer join
// new ones, so the expectations must not be regenerated to make a change pass.
const goldenKey = "0123456789abcdef"

func TestGolden(t *testing.T) {
	h, err := NewHasher([]byte(goldenKey))
	require.NoError(t, err)
	for _, c := range []struct{ name, got, want string }{
		{"keyed person id:123", h.Keyed("person", "id:123"), "109d957ed4d25203f0dc30edc360a3936b40a1ec2ab2da2cc56a43ec3952e2c0"},
		{"keyed person empty", h.Keyed("person", ""), "ed69b08142d349073e77c9af7a618c054a6386cc987172926ebd4f325443dfa3"},
		{"keyed invite é", h.Keyed("invite", "é"), "133175ac821096cbd7aa86d76109e9e70f18b07980f3669f92ad282cb9115210"},
		{"telegram user", h.Person(schema.PlatformTelegram, "123"), "109d957ed4d25203f0dc30edc360a3936b40a1ec2ab2da2cc56a43ec3952e2c0"},
		{"twitter user", h.Person(schema.PlatformTwitter, "123"), "18c6865e072a90a515a7affdddeb161623eafdc5d18d47adec985c47783d2ad9"},
		{"telegram hidden forward", h.Name(schema.PlatformTelegram, "Jane Doe"), "3013d3e2ebf8fcfdfe5dc9d5dd9e8bb90c0bb0903336e1852c776762a2733fce"},
		{"twitter display name", h.Name(schema.PlatformTwitter, "Jane Doe"), "7ab69e709aab700e6f332a0bbfde117403a1c1e8cf3750668012cd07a2b80df9"},
		{"twitter handle", h.Handle(schema.PlatformTwitter, "@Foo"), "ced12a1088c759dac7b4fc0e578b7e07959b9f2863ac03756a82abe153f2e57f"},
		{"invite", h.Invite("AbCd"), "tg-invite:fd033fad0d45441edfcc59ddcc91921e"},
	} {
		require.Equal(t, c.want, c.got, c.name)
	}

	h2, err := NewHasher([]byte("another key, 16+ bytes"))
	require.NoError(t, err)
	require.Equal(t, "356b8588933929683c16a7f98a461f50b28aab99b30c842d6e664c943722a16c", h2.Person(schema.PlatformTelegram, "123"))

	require.Equal(t, uint64(3238736544897475342), TextHash("hello"))
	require.Equal(t, uint64(0x2cf24dba5fb0a30e), TextHash("hello"), "the first 8 bytes of SHA-256, big-endian")
	require.Equal(t, uint64(5943627730263115754), TextHash("привет мир"))
	require.Equal(t, uint64(0), TextHash(""))
}

func TestHasherForms(t *testing.T) {
	h, err := NewHasher([]byte(goldenKey))
	require.NoError(t, err)
	require.Equal(t, telegram, schema.PlatformTelegram)
	require.Equal(t, h.Handle("twitter", "@Foo"), h.Handle("twitter", "foo"))
	require.NotEqual(t, h.Person("twitter", "123"), h.Person("vk", "123"), "equal ids of two platforms do not collide")
	require.NotEqual(t, h.Person("twitter", "123"), h.Handle("twitter", "123"))
	require.Len(t, h.Invite(""), len("tg-invite:")+32)

	// The key is copied: changing the caller's slice changes nothing.
	key := []byte(goldenKey)
	h3, err := NewHasher(key)
	require.NoError(t, err)
	key[0] = 'X'
	require.Equal(t, h.Person("telegram", "123"), h3.Person("telegram", "123"))
}

func TestNewHasherShortKey(t *testing.T) {
	_, err := NewHasher(nil)
	require.EqualError(t, err, "privacy: hash key of 0 bytes: expected at least 16")
	_, err = NewHasher([]byte(strings.Repeat("k", MinKeyLen-1)))
	require.EqualError(t, err, "privacy: hash key of 15 bytes: expected at least 16")
	_, err = NewHasher([]byte(strings.Repeat("k", MinKeyLen)))
	require.NoError(t, err)
}

func TestHasherConcurrent(t *testing.T) {
	h, err := NewHasher([]byte(goldenKey))
	require.NoError(t, err)
	want := h.Person("telegram", "123")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if got := h.Person("telegram", "123"); got != want {
					t.Errorf("concurrent hash %s, want %s", got, want)
					return
				}
				_ = h.Name("twitter", "someone else")
			}
		})
	}
	wg.Wait()
}
