package accountlink

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParseAccountRef: a reference parses or its error quotes the input; a parsed reference
// printed and parsed again is the same reference.
func FuzzParseAccountRef(f *testing.F) {
	for _, s := range []string{"telegram:@rybar", "twitter:Rybar_Force", "telegram:id:1326223284", "instagram:john.doe",
		"bluesky:alice.bsky.social", "mastodon:@bob@mastodon.social", "youtube:@SomeOne", "vk:id1", "myspace:tom",
		"telegram:id:0", "telegram:id:x", ":x", "telegram:", "x:a b", "TELEGRAM:@Durov", "telegram:\u202eabc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := ParseAccountRef(s)
		if err != nil {
			require.Equal(t, AccountRef{}, ref)
			require.True(t, strings.HasPrefix(err.Error(), "account "), err.Error())
			return
		}
		require.NotEmpty(t, ref.Platform)
		require.True(t, ref.Handle != "" || ref.ChannelID != 0, "%+v", ref)
		again, err := ParseAccountRef(ref.String())
		require.NoError(t, err, "%q from %q", ref.String(), s)
		require.Equal(t, ref, again, "%q from %q", ref.String(), s)
	})
}
