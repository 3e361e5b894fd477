package accountlink_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/links/accountlink"
	"github.com/tidewatch/tidewatch/schema"
)

var (
	t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	t1 = t0.Add(30 * 24 * time.Hour)
)

func TestCombine(t *testing.T) {
	ev := func(kind string, w float64) accountlink.Evidence { return accountlink.Evidence{Kind: kind, Weight: w} }
	require.Equal(t, 0.9, accountlink.Combine([]accountlink.Evidence{ev(accountlink.HandleInAbout, 0.9)}))
	require.Equal(t, 0.935, accountlink.Combine([]accountlink.Evidence{ev(accountlink.HandleInAbout, 0.9), ev(accountlink.SameHandle, 0.35)}))
	require.Equal(t, 0.9, accountlink.Combine([]accountlink.Evidence{ev(accountlink.HandleInAbout, 0.6), ev(accountlink.HandleInAbout, 0.9)}), "one weight per kind: the strongest")
	require.Equal(t, 1.0, accountlink.Combine([]accountlink.Evidence{ev(accountlink.Manual, 1), ev(accountlink.SameHandle, 0.35)}))
	require.Equal(t, 0.0, accountlink.Combine(nil))
	require.InDelta(t, 0.1, accountlink.PostsWeight(1), 1e-9)
	require.InDelta(t, 0.336, accountlink.PostsWeight(5), 1e-3)
	require.Less(t, accountlink.PostsWeight(1000), 0.5+1e-9)
	require.Equal(t, 0.15, accountlink.SameHandleWeight("abc", true))
	require.Equal(t, 0.6, accountlink.SameHandleWeight("rybar_force", true))
	require.Equal(t, 0.35, accountlink.SameHandleWeight("rybar_force", false))
}

func TestIDAndDecisionVersion(t *testing.T) {
	id := accountlink.ID("telegram", 1, "twitter", "Rybar")
	require.Len(t, id, 12)
	require.Equal(t, id, accountlink.ID("telegram", 1, "twitter", "rybar"))
	require.NotEqual(t, id, accountlink.ID("telegram", 2, "twitter", "rybar"))
	d := accountlink.DecisionVersion(t0)
	require.True(t, accountlink.IsDecided(d))
	require.False(t, accountlink.IsDecided(schema.Version(t1.AddDate(50, 0, 0))), "no proposal's time reaches a decision")
	require.Greater(t, accountlink.DecisionVersion(t1), d)
}

func TestAboutLinks(t *testing.T) {
	ls := accountlink.AboutLinks(accountlink.Account{Platform: "telegram", ChannelID: 7, About: "News. X: @OpenWatch_en | t.me/other | instagram.com/openwatch | youtube.com/@openwatch", FirstSeen: t0, LastSeen: t1})
	var got []string
	for _, l := range ls {
		got = append(got, l.To.Platform+":"+l.To.Handle+" "+l.To.URL)
		rows := l.Rows()
		require.Len(t, rows, 1)
		require.Equal(t, accountlink.HandleInAbout, rows[0].Evidence)
		require.Equal(t, accountlink.Proposed, rows[0].Status)
		require.Equal(t, schema.Version(t1), rows[0].Version)
		require.Equal(t, t0, rows[0].FirstSeenAt)
	}
	require.ElementsMatch(t, []string{
		"twitter:openwatch_en https://x.com/openwatch_en",
		"instagram:openwatch https://www.instagram.com/openwatch",
		"youtube:openwatch https://www.youtube.com/@openwatch",
	}, got, "t.me/other is the account's own platform: a mention, not a cross-platform link")
}

func TestParseAccountRef(t *testing.T) {
	for in, want := range map[string]accountlink.AccountRef{
		"telegram:@Rybar":             {Platform: "telegram", Handle: "rybar"},
		"Twitter:rybar_force":         {Platform: "twitter", Handle: "rybar_force"},
		"telegram:id:1326223284":      {Platform: "telegram", ChannelID: 1326223284},
		"mastodon:@a@mastodon.social": {Platform: "mastodon", Handle: "a@mastodon.social"},
		"gettr:SomeOne":               {Platform: "gettr", Handle: "someone"},
	} {
		got, err := accountlink.ParseAccountRef(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"rybar", "telegram:", "telegram:id:x", ":x", "telegram:a b"} {
		_, err := accountlink.ParseAccountRef(in)
		require.Error(t, err, in)
	}
}
