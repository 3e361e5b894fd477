package collect

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/collect/clock"
	"github.com/tidewatch/tidewatch/collector/telegram"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/privacy"
)

// TestRowsHashAsPrivacy checks that the collector hashes forwarded persons, invite links and
// texts through package privacy, whose golden test pins the formulas: the importers use the
// same package, so a Telegram user gets one hash whichever way it was read.
func TestRowsHashAsPrivacy(t *testing.T) {
	clk := clock.NewFake(t0)
	c := newTest(t, newFakeTG(clk), clk, t.TempDir(), &sink{}, nil)
	h, err := privacy.NewHasher(testKey)
	require.NoError(t, err)

	const text = "join t.me/+AbCdEf123"
	byUser := c.rows.messageRows(100, "alpha", &telegram.Message{ID: 5, Date: t0, Text: text, FwdUserID: 42}, nil, t0)
	require.Equal(t, h.Person(schema.PlatformTelegram, "42"), byUser.post.FwdPersonHash)
	require.Equal(t, privacy.TextHash(text), byUser.post.TextHash)
	require.Len(t, byUser.links, 1)
	require.Equal(t, "invite", byUser.links[0].LinkKind)
	require.Equal(t, h.Invite("AbCdEf123"), byUser.links[0].URL)

	byName := c.rows.messageRows(100, "alpha", &telegram.Message{ID: 6, Date: t0, FwdFromName: "Jane Doe"}, nil, t0)
	require.Equal(t, h.Name(schema.PlatformTelegram, "Jane Doe"), byName.post.FwdPersonHash)
	require.Zero(t, byName.post.TextHash, "the empty text hashes to 0")

	none := c.rows.messageRows(100, "alpha", &telegram.Message{ID: 7, Date: t0, Text: "plain"}, nil, t0)
	require.Empty(t, none.post.FwdPersonHash, "no forward, no person")
}
