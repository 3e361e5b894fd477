package links

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func TestClassify(t *testing.T) {
	cases := []struct {
		url  string
		want Platform
		conf Confidence
	}{
		{"https://twitter.com/jack", PlatformTwitter, ConfidenceHigh},
		{"https://x.com/jack", PlatformTwitter, ConfidenceHigh},
		{"https://mobile.twitter.com/jack", PlatformTwitter, ConfidenceHigh},
		{"https://mobile.x.com/jack", PlatformTwitter, ConfidenceHigh},
		{"https://t.co/abc", PlatformTwitter, ConfidenceHigh},
		{"https://fxtwitter.com/a/status/1", PlatformTwitter, ConfidenceHigh},
		{"https://vxtwitter.com/a/status/1", PlatformTwitter, ConfidenceHigh},
		{"https://nitter.net/a", PlatformTwitter, ConfidenceHigh},
		{"https://nitter.poast.org/a", PlatformTwitter, ConfidenceMedium},
		{"https://nitter.it/a", PlatformTwitter, ConfidenceMedium},
		{"https://facebook.com/x", PlatformFacebook, ConfidenceHigh},
		{"https://www.facebook.com/x", PlatformFacebook, ConfidenceHigh},
		{"https://m.facebook.com/x", PlatformFacebook, ConfidenceHigh},
		{"https://fb.com/x", PlatformFacebook, ConfidenceHigh},
		{"https://fb.me/x", PlatformFacebook, ConfidenceHigh},
		{"https://fb.watch/x", PlatformFacebook, ConfidenceHigh},
		{"https://m.me/x", PlatformFacebook, ConfidenceHigh},
		{"https://instagram.com/x", PlatformInstagram, ConfidenceHigh},
		{"https://www.instagram.com/x", PlatformInstagram, ConfidenceHigh},
		{"https://threads.net/@x", PlatformThreads, ConfidenceHigh},
		{"https://youtube.com/watch?v=x", PlatformYouTube, ConfidenceHigh},
		{"https://www.youtube.com/watch?v=x", PlatformYouTube, ConfidenceHigh},
		{"https://m.youtube.com/watch?v=x", PlatformYouTube, ConfidenceHigh},
		{"https://youtu.be/x", PlatformYouTube, ConfidenceHigh},
		{"https://www.tiktok.com/@x", PlatformTikTok, ConfidenceHigh},
		{"https://vm.tiktok.com/x", PlatformTikTok, ConfidenceHigh},
		{"https://t.me/x", PlatformTelegram, ConfidenceHigh},
		{"https://telegram.me/x", PlatformTelegram, ConfidenceHigh},
		{"https://telegram.dog/x", PlatformTelegram, ConfidenceHigh},
		{"https://name.t.me/", PlatformTelegram, ConfidenceHigh},
		{"https://telegra.ph/x", PlatformTelegraph, ConfidenceHigh},
		{"https://bsky.app/profile/a.bsky.social", PlatformBluesky, ConfidenceHigh},
		{"https://a.bsky.social/", PlatformBluesky, ConfidenceHigh},
		{"https://mastodon.social/@a", PlatformMastodon, ConfidenceHigh},
		{"https://mastodon.online/@a", PlatformMastodon, ConfidenceHigh},
		{"https://mstdn.social/@a", PlatformMastodon, ConfidenceHigh},
		{"https://mastodon.social/about", PlatformMastodon, ConfidenceHigh},
		{"https://social.example.org/@a", PlatformMastodon, ConfidenceLow},
		{"https://social.example.org/@a/110", PlatformMastodon, ConfidenceLow},
		{"https://social.example.org/@a@mastodon.social", PlatformMastodon, ConfidenceLow},
		{"https://social.example.org/about", PlatformWeb, ConfidenceNone},
		{"https://social.example.org/x/@a", PlatformWeb, ConfidenceNone},
		{"https://medium.com/@writer", PlatformWeb, ConfidenceHigh},
		{"https://writer.substack.com/@a", PlatformWeb, ConfidenceHigh},
		{"https://www.tiktok.com/@x", PlatformTikTok, ConfidenceHigh},
		{"http://10.0.0.1/@admin", PlatformWeb, ConfidenceNone},
		{"https://vk.com/x", PlatformVK, ConfidenceHigh},
		{"https://vk.ru/x", PlatformVK, ConfidenceHigh},
		{"https://vkontakte.ru/x", PlatformVK, ConfidenceHigh},
		{"https://m.vk.com/x", PlatformVK, ConfidenceHigh},
		{"https://ok.ru/x", PlatformOK, ConfidenceHigh},
		{"https://gab.com/x", PlatformGab, ConfidenceHigh},
		{"https://gab.ai/x", PlatformGab, ConfidenceHigh},
		{"https://rumble.com/x", PlatformRumble, ConfidenceHigh},
		{"https://truthsocial.com/@x", PlatformTruthSocial, ConfidenceHigh},
		{"https://gettr.com/user/x", PlatformGettr, ConfidenceHigh},
		{"https://parler.com/x", PlatformParler, ConfidenceHigh},
		{"https://odysee.com/@x", PlatformOdysee, ConfidenceHigh},
		{"https://lbry.tv/@x", PlatformOdysee, ConfidenceHigh},
		{"https://www.bitchute.com/video/x", PlatformBitChute, ConfidenceHigh},
		{"https://www.minds.com/x", PlatformMinds, ConfidenceHigh},
		{"https://www.reddit.com/r/x", PlatformReddit, ConfidenceHigh},
		{"https://redd.it/x", PlatformReddit, ConfidenceHigh},
		{"https://boards.4chan.org/pol/", PlatformImageboard, ConfidenceHigh},
		{"https://8kun.top/x", PlatformImageboard, ConfidenceHigh},
		{"https://discord.gg/x", PlatformDiscord, ConfidenceHigh},
		{"https://discord.com/invite/x", PlatformDiscord, ConfidenceHigh},
		{"https://chat.whatsapp.com/x", PlatformWhatsApp, ConfidenceHigh},
		{"https://wa.me/1", PlatformWhatsApp, ConfidenceHigh},
		{"https://signal.group/x", PlatformSignal, ConfidenceHigh},
		{"https://archive.org/details/x", PlatformArchive, ConfidenceHigh},
		{"https://web.archive.org/web/1/x", PlatformArchive, ConfidenceHigh},
		{"https://archive.today/x", PlatformArchive, ConfidenceHigh},
		{"https://archive.ph/x", PlatformArchive, ConfidenceHigh},
		{"https://archive.is/x", PlatformArchive, ConfidenceHigh},
		{"https://ghostarchive.org/x", PlatformArchive, ConfidenceHigh},
		{"https://mega.nz/x", PlatformFileSharing, ConfidenceHigh},
		{"https://www.mediafire.com/x", PlatformFileSharing, ConfidenceHigh},
		{"https://www.dropbox.com/x", PlatformFileSharing, ConfidenceHigh},
		{"https://drive.google.com/x", PlatformFileSharing, ConfidenceHigh},
		{"https://docs.google.com/x", PlatformFileSharing, ConfidenceHigh},
		{"https://anonfiles.com/x", PlatformFileSharing, ConfidenceHigh},
		{"https://gofile.io/x", PlatformFileSharing, ConfidenceHigh},
		{"https://pixeldrain.com/x", PlatformFileSharing, ConfidenceHigh},
		{"https://files.catbox.moe/x", PlatformFileSharing, ConfidenceHigh},
		{"https://pastebin.com/x", PlatformPastebin, ConfidenceHigh},
		{"https://justpaste.it/x", PlatformPastebin, ConfidenceHigh},
		{"https://www.google.com/x", PlatformWeb, ConfidenceHigh},
		{"https://bit.ly/x", PlatformWeb, ConfidenceHigh},
		{"https://www.nytimes.com/x", PlatformWeb, ConfidenceNone},
		{"https://notx.com/x", PlatformWeb, ConfidenceNone},
		{"https://x.com.evil.example/x", PlatformWeb, ConfidenceNone},
		{"https://twitter.com.example.org/x", PlatformWeb, ConfidenceNone},
		{"https://mytwitter.com/x", PlatformWeb, ConfidenceNone},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			u, err := Normalize(c.url)
			require.NoError(t, err)
			got := ClassifyDetail(u)
			require.Equal(t, c.want, got.Platform)
			require.Equal(t, c.conf, got.Confidence)
			require.Equal(t, c.want, Classify(u))
		})
	}
	require.Equal(t, PlatformWeb, Classify(URL{}))
}

// TestClassifyGolden runs every URL of testdata/classify_urls.txt through
// Normalize and ClassifyDetail; the result is the reviewed picture of the
// platform table. Regenerate with -update after changing platforms.txt.
func TestClassifyGolden(t *testing.T) {
	f, err := os.Open("testdata/classify_urls.txt")
	require.NoError(t, err)
	defer f.Close()
	var b strings.Builder
	b.WriteString("# input\tnormalized\tdomain\tplatform\tconfidence\trule\tshortener\n")
	rules := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		u, err := Normalize(line)
		require.NoError(t, err, line)
		c := ClassifyDetail(u)
		rules[c.Rule] = true
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\t%v\n", line, u, u.Domain, c.Platform, c.Confidence, c.Rule, u.IsShortener)
	}
	require.NoError(t, sc.Err())
	const golden = "testdata/classify.golden"
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), b.String(), "run go test -run TestClassifyGolden -update and review the diff")

	// Every row of the table is exercised by the golden input.
	for _, r := range defaultTable.rows {
		if r.pattern != "*" {
			require.True(t, rules[r.pattern], "no URL in testdata/classify_urls.txt is classified by row %q", r.pattern)
		}
	}
}

func TestPlatformsDocumented(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	for _, p := range Platforms() {
		require.Contains(t, string(readme), "`"+string(p)+"`", "README.md does not describe platform %q", p)
	}
	used := map[Platform]bool{}
	for _, r := range defaultTable.rows {
		used[r.platform] = true
	}
	for _, p := range Platforms() {
		if p != PlatformWeb {
			require.True(t, used[p], "platform %q has no row in platforms.txt", p)
		}
	}
}

func TestParseTable(t *testing.T) {
	good := "# comment\n*  -  strip=utm_*\nexample.com  web  shortener strip=a,b unwrap=/go?to confidence=medium\nnitter.*  twitter\n"
	tb, err := parseTable(good)
	require.NoError(t, err)
	require.Len(t, tb.rows, 3)
	r := tb.match("sub.example.com")
	require.NotNil(t, r)
	require.True(t, r.shortener)
	require.Equal(t, ConfidenceMedium, r.confidence)
	require.Equal(t, []unwrapRule{{path: "/go", param: "to"}}, r.unwraps)
	require.Equal(t, PlatformTwitter, tb.match("nitter.example.org").platform)
	require.Nil(t, tb.match("example.org"))
	require.Len(t, tb.chain("a.example.com"), 2)

	bad := map[string]string{
		"example.com":                           "want PATTERN PLATFORM",
		"example.com  myspace":                  `unknown platform "myspace"`,
		"example.com  web  bogus":               `unknown flag "bogus"`,
		"example.com  web\nexample.com  vk":     `duplicate pattern "example.com"`,
		"a.*  web\na.*  vk":                     `duplicate pattern "a.*"`,
		"Example.com  web":                      "lowercase host",
		"example.com/x  web":                    "lowercase host",
		"*  web":                                "the * row takes platform -",
		"*  -\n*  -":                            "second * row",
		"example.com  web  strip=A":             "lowercase",
		"example.com  web  strip=a,,b":          "non-empty",
		"example.com  web  unwrap=go":           "unwrap wants",
		"example.com  web  unwrap=go?x":         "unwrap wants",
		"example.com  web  confidence=certain":  "confidence must be",
		"example.com  web  unwrap=/go?":         "unwrap wants",
		"ok.com web\nexample.com  web  strip=":  "line 2",
		"# c\n\nexample.com  web  confidence=x": "line 3",
	}
	for in, want := range bad {
		_, err := parseTable(in)
		require.Error(t, err, in)
		require.Contains(t, err.Error(), want, in)
	}
}

func TestConfidence(t *testing.T) {
	require.Equal(t, "none", ConfidenceNone.String())
	require.Equal(t, "low", ConfidenceLow.String())
	require.Equal(t, "medium", ConfidenceMedium.String())
	require.Equal(t, "high", ConfidenceHigh.String())
	require.Less(t, ConfidenceLow.Score(), ConfidenceMedium.Score())
	require.Less(t, ConfidenceMedium.Score(), ConfidenceHigh.Score())
	require.Zero(t, ConfidenceNone.Score())
	require.Len(t, Platforms(), len(allPlatforms))
}
