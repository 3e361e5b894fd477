package links

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProfileHandle(t *testing.T) {
	type want struct {
		p    Platform
		h    string
		isID bool
		conf Confidence
	}
	high := ConfidenceHigh
	cases := []struct {
		url  string
		want *want // nil: not a profile
	}{
		// X / Twitter.
		{"https://twitter.com/Jack", &want{PlatformTwitter, "jack", false, high}},
		{"https://x.com/jack/", &want{PlatformTwitter, "jack", false, high}},
		{"https://mobile.twitter.com/jack", &want{PlatformTwitter, "jack", false, high}},
		{"https://twitter.com/jack/media", &want{PlatformTwitter, "jack", false, high}},
		{"https://twitter.com/#!/jack", &want{PlatformTwitter, "jack", false, high}},
		{"https://x.com/i/user/12", &want{PlatformTwitter, "12", true, high}},
		{"https://nitter.net/jack", &want{PlatformTwitter, "jack", false, high}},
		{"https://nitter.poast.org/jack", &want{PlatformTwitter, "jack", false, ConfidenceMedium}},
		{"https://twitter.com/jack/status/20", nil},
		{"https://twitter.com/home", nil},
		{"https://twitter.com/intent/tweet?text=x", nil},
		{"https://twitter.com/intent/follow?screen_name=jack", nil},
		{"https://twitter.com/share?url=x", nil},
		{"https://twitter.com/search?q=x", nil},
		{"https://twitter.com/hashtag/news", nil},
		{"https://twitter.com/i/web/status/1", nil},
		{"https://x.com/explore", nil},
		{"https://twitter.com/a_name_that_is_far_too_long", nil},
		{"https://t.co/jack", nil},
		{"https://pbs.twimg.com/media", nil},
		// Instagram and Threads.
		{"https://www.instagram.com/John.Doe/", &want{PlatformInstagram, "john.doe", false, high}},
		{"https://instagram.com/_u/john_doe", &want{PlatformInstagram, "john_doe", false, high}},
		{"https://www.instagram.com/john/reels", &want{PlatformInstagram, "john", false, high}},
		{"https://instagr.am/john", &want{PlatformInstagram, "john", false, high}},
		{"https://www.instagram.com/p/Cabc123/", nil},
		{"https://www.instagram.com/reel/Cabc/", nil},
		{"https://www.instagram.com/stories/john/1/", nil},
		{"https://www.instagram.com/explore/tags/x/", nil},
		{"https://www.instagram.com/accounts/login", nil},
		{"https://www.instagram.com/john..doe", nil},
		{"https://www.instagram.com/.john", nil},
		{"https://www.threads.net/@zuck", &want{PlatformThreads, "zuck", false, high}},
		{"https://www.threads.net/@zuck/post/C1", nil},
		// Facebook.
		{"https://www.facebook.com/SomePage", &want{PlatformFacebook, "somepage", false, high}},
		{"https://m.facebook.com/some.page", &want{PlatformFacebook, "some.page", false, high}},
		{"https://web.facebook.com/somepage/about", &want{PlatformFacebook, "somepage", false, high}},
		{"https://fb.com/somepage", &want{PlatformFacebook, "somepage", false, high}},
		{"https://fb.me/somepage", &want{PlatformFacebook, "somepage", false, high}},
		{"https://www.facebook.com/profile.php?id=100012345678", &want{PlatformFacebook, "100012345678", true, high}},
		{"https://www.facebook.com/100012345678", &want{PlatformFacebook, "100012345678", true, high}},
		{"https://www.facebook.com/pages/Some-Page/123456789", &want{PlatformFacebook, "123456789", true, high}},
		{"https://www.facebook.com/pages/category/Media/Some-Page-123456789/", &want{PlatformFacebook, "123456789", true, high}},
		{"https://www.facebook.com/Some-Page-123456789", &want{PlatformFacebook, "123456789", true, high}},
		{"https://www.facebook.com/sharer.php?u=https://example.com", nil},
		{"https://www.facebook.com/sharer/sharer.php?u=x", nil},
		{"https://www.facebook.com/watch?v=1", nil},
		{"https://www.facebook.com/groups/somegroup", nil},
		{"https://www.facebook.com/events/1", nil},
		{"https://www.facebook.com/somepage/posts/1", nil},
		{"https://www.facebook.com/photo.php?fbid=1", nil},
		{"https://www.facebook.com/profile.php", nil},
		{"https://www.facebook.com/abc", nil},
		{"https://developers.facebook.com/docs", nil},
		{"https://fb.watch/abcdef", nil},
		// YouTube.
		{"https://www.youtube.com/@SomeOne", &want{PlatformYouTube, "someone", false, high}},
		{"https://m.youtube.com/@someone/videos", &want{PlatformYouTube, "someone", false, high}},
		{"https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv", &want{PlatformYouTube, "UCabcdefghijklmnopqrstuv", true, high}},
		{"https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv/featured", &want{PlatformYouTube, "UCabcdefghijklmnopqrstuv", true, high}},
		{"https://www.youtube.com/c/SomeName", &want{PlatformYouTube, "somename", false, high}},
		{"https://www.youtube.com/user/OldName", &want{PlatformYouTube, "oldname", false, high}},
		{"https://www.youtube.com/pewdiepie", &want{PlatformYouTube, "pewdiepie", false, high}},
		{"https://www.youtube.com/watch?v=dQw4w9WgXcQ", nil},
		{"https://youtu.be/dQw4w9WgXcQ", nil},
		{"https://www.youtube.com/shorts/abc", nil},
		{"https://www.youtube.com/playlist?list=x", nil},
		{"https://www.youtube.com/results?search_query=x", nil},
		{"https://www.youtube.com/channel/notanid", nil},
		{"https://www.youtube.com/c/", nil},
		{"https://music.youtube.com/@someone", nil},
		// TikTok.
		{"https://www.tiktok.com/@Some.User", &want{PlatformTikTok, "some.user", false, high}},
		{"https://www.tiktok.com/@someuser/live", &want{PlatformTikTok, "someuser", false, high}},
		{"https://www.tiktok.com/@someuser/video/7123", nil},
		{"https://vm.tiktok.com/ZMabc/", nil},
		{"https://www.tiktok.com/tag/news", nil},
		// Bluesky.
		{"https://bsky.app/profile/Alice.bsky.social", &want{PlatformBluesky, "alice.bsky.social", false, high}},
		{"https://bsky.app/profile/alice.example.com", &want{PlatformBluesky, "alice.example.com", false, high}},
		{"https://bsky.app/profile/did:plc:abcdefghijklmnopqrstuvwx", &want{PlatformBluesky, "did:plc:abcdefghijklmnopqrstuvwx", true, high}},
		{"https://alice.bsky.social", &want{PlatformBluesky, "alice.bsky.social", false, high}},
		{"https://bsky.app/profile/alice.bsky.social/post/3k", nil},
		{"https://bsky.app/profile/alice", nil},
		{"https://bsky.app/search?q=x", nil},
		// Mastodon.
		{"https://mastodon.social/@Gargron", &want{PlatformMastodon, "gargron@mastodon.social", false, high}},
		{"https://mastodon.social/@Gargron/with_replies", &want{PlatformMastodon, "gargron@mastodon.social", false, high}},
		{"https://mastodon.social/users/gargron", &want{PlatformMastodon, "gargron@mastodon.social", false, high}},
		{"https://mastodon.social/web/@gargron", &want{PlatformMastodon, "gargron@mastodon.social", false, high}},
		{"https://hachyderm.io/@user@mastodon.social", &want{PlatformMastodon, "user@mastodon.social", false, high}},
		{"https://social.example.org/@someone", &want{PlatformMastodon, "someone@social.example.org", false, ConfidenceLow}},
		{"https://mastodon.social/@Gargron/1234", nil},
		{"https://social.example.org/@someone/1234", nil},
		{"https://social.example.org/users/someone", nil},
		{"https://mastodon.social/about", nil},
		// VK, OK.
		{"https://vk.com/Durov", &want{PlatformVK, "durov", false, high}},
		{"https://m.vk.com/some.name", &want{PlatformVK, "some.name", false, high}},
		{"https://vk.com/id1", &want{PlatformVK, "id1", true, high}},
		{"https://vk.com/club123", &want{PlatformVK, "club123", true, high}},
		{"https://vk.com/public456", &want{PlatformVK, "public456", true, high}},
		{"https://vk.com/wall-1_2", nil},
		{"https://vk.com/photo1_2", nil},
		{"https://vk.com/video-1_2", nil},
		{"https://vk.com/feed", nil},
		{"https://vk.com/away.php?to=x", nil},
		{"https://vk.com/durov/x", nil},
		{"https://vk.cc/abc", nil},
		{"https://ok.ru/group/123", nil},
		// Gab, Rumble, Truth Social, Odysee, Gettr, BitChute.
		{"https://gab.com/SomeOne", &want{PlatformGab, "someone", false, high}},
		{"https://gab.com/@someone", &want{PlatformGab, "someone", false, high}},
		{"https://gab.com/someone/posts/1", nil},
		{"https://gab.com/groups/1", nil},
		{"https://gab.com/home", nil},
		{"https://rumble.com/c/SomeChannel", &want{PlatformRumble, "somechannel", false, high}},
		{"https://rumble.com/user/someone", &want{PlatformRumble, "someone", false, high}},
		{"https://rumble.com/v1abc-title.html", nil},
		{"https://truthsocial.com/@realDonaldTrump", &want{PlatformTruthSocial, "realdonaldtrump", false, high}},
		{"https://truthsocial.com/@realDonaldTrump/posts/1", nil},
		{"https://odysee.com/@SomeChannel:7", &want{PlatformOdysee, "somechannel", false, high}},
		{"https://odysee.com/@somechannel", &want{PlatformOdysee, "somechannel", false, high}},
		{"https://odysee.com/@somechannel:7/video-title:1", nil},
		{"https://gettr.com/user/someone", &want{PlatformGettr, "someone", false, high}},
		{"https://gettr.com/post/p1", nil},
		{"https://www.bitchute.com/channel/abcDEF/", &want{PlatformBitChute, "abcdef", false, high}},
		{"https://www.bitchute.com/video/abc/", nil},
		// Telegram.
		{"https://t.me/Durov", &want{PlatformTelegram, "durov", false, high}},
		{"https://t.me/s/durov", &want{PlatformTelegram, "durov", false, high}},
		{"tg://resolve?domain=durov", &want{PlatformTelegram, "durov", false, high}},
		{"https://t.me/durov/12", nil},
		{"https://t.me/+AbCdEf", nil},
		{"https://t.me/ab", nil},
		// Not platforms with profiles.
		{"https://example.com/jack", nil},
		{"https://www.reddit.com/user/x", nil},
		{"https://medium.com/@writer", nil},
		{"https://bit.ly/jack", nil},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			u, err := Normalize(c.url)
			require.NoError(t, err)
			h, ok := ProfileHandle(u)
			if c.want == nil {
				require.False(t, ok, "got %+v", h)
				return
			}
			require.True(t, ok)
			require.Equal(t, *c.want, want{h.Platform, h.Handle, h.IsID, h.Confidence})
			require.Equal(t, HandleFromURL, h.Method)
		})
	}
}

func TestNormalizeHandle(t *testing.T) {
	good := []struct {
		p          Platform
		in, out    string
		isID       bool
		comparable string
	}{
		{PlatformTwitter, "@Jack", "jack", false, ""},
		{PlatformTwitter, "a", "a", false, ""},
		{PlatformTwitter, "123abc", "123abc", false, ""},
		{PlatformInstagram, "John.Doe_1", "john.doe_1", false, ""},
		{PlatformFacebook, "Some.Page", "some.page", false, ""},
		{PlatformFacebook, "1000123", "1000123", true, ""},
		{PlatformYouTube, "@Some-One.x", "some-one.x", false, ""},
		{PlatformYouTube, "UCabcdefghijklmnopqrstuv", "UCabcdefghijklmnopqrstuv", true, ""},
		{PlatformTikTok, "some.user_1", "some.user_1", false, ""},
		{PlatformBluesky, "@Alice.BSKY.social", "alice.bsky.social", false, ""},
		{PlatformBluesky, "did:plc:abcdefghijklmnopqrstuvwx", "did:plc:abcdefghijklmnopqrstuvwx", true, ""},
		{PlatformBluesky, "did:web:example.com", "did:web:example.com", true, ""},
		{PlatformMastodon, "@User@Mastodon.Social", "user@mastodon.social", false, ""},
		{PlatformMastodon, "u.ser@пример.рф", "u.ser@xn--e1afmkfd.xn--p1ai", false, ""},
		{PlatformVK, "Durov", "durov", false, ""},
		{PlatformVK, "id123", "id123", true, ""},
		{PlatformTelegram, "@Durov", "durov", false, ""},
		{PlatformGab, "Some_One", "some_one", false, ""},
		{PlatformTruthSocial, "realDonaldTrump", "realdonaldtrump", false, ""},
		{PlatformGettr, "someone", "someone", false, ""},
		{PlatformRumble, "Some-Channel", "some-channel", false, ""},
		{PlatformOdysee, "some-channel", "some-channel", false, ""},
		{PlatformBitChute, "abcDEF", "abcdef", false, ""},
		{PlatformThreads, "zuck", "zuck", false, ""},
	}
	for _, c := range good {
		t.Run(string(c.p)+"/"+c.in, func(t *testing.T) {
			h, isID, err := NormalizeHandle(c.p, c.in)
			require.NoError(t, err)
			require.Equal(t, c.out, h)
			require.Equal(t, c.isID, isID)
			again, _, err := NormalizeHandle(c.p, h)
			require.NoError(t, err)
			require.Equal(t, h, again, "not idempotent")
		})
	}
	bad := []struct {
		p    Platform
		in   string
		text string
	}{
		{PlatformTwitter, "", "length 0"},
		{PlatformTwitter, "sixteen_chars_xx", "length 16"},
		{PlatformTwitter, "a.b", "character '.'"},
		{PlatformTwitter, "home", "a site page"},
		{PlatformInstagram, "a..b", "twice in a row"},
		{PlatformInstagram, "a.", "first or last"},
		{PlatformInstagram, "explore", "a site page"},
		{PlatformFacebook, "abcd", "length 4"},
		{PlatformFacebook, "sharer.php", "a site page"},
		{PlatformYouTube, "ab", "length 2"},
		{PlatformTikTok, "a", "length 1"},
		{PlatformBluesky, "alice", "not a domain"},
		{PlatformBluesky, "-a.example.com", "not a domain"},
		{PlatformMastodon, "user", "want user@instance"},
		{PlatformMastodon, "user@localhost", "bad instance"},
		{PlatformMastodon, ".user@mastodon.social", "first or last"},
		{PlatformVK, "wall-1_2", "not a name"},
		{PlatformVK, "123", "not a name"},
		{PlatformVK, "feed", "a site page"},
		{PlatformTelegram, "ab", "too short"},
		{PlatformGab, "home", "a site page"},
		{PlatformReddit, "someone", "no handle rules"},
		{PlatformWeb, "someone", "no handle rules"},
	}
	for _, c := range bad {
		t.Run("bad/"+string(c.p)+"/"+c.in, func(t *testing.T) {
			_, _, err := NormalizeHandle(c.p, c.in)
			require.Error(t, err)
			require.Contains(t, err.Error(), c.text)
			if c.p != PlatformTelegram {
				require.ErrorIs(t, err, ErrInvalidHandle)
			}
		})
	}
}

// hv is a compact view of a Handle for table tests.
type hv struct {
	p        Platform
	h        string
	method   HandleMethod
	conf     Confidence
	evidence string
}

func handlesView(text string, hs []Handle) []hv {
	out := []hv{}
	for _, h := range hs {
		if text[h.Start:h.End] != h.Evidence {
			panic(fmt.Sprintf("evidence %q is not text[%d:%d]", h.Evidence, h.Start, h.End))
		}
		out = append(out, hv{h.Platform, h.Handle, h.Method, h.Confidence, h.Evidence})
	}
	return out
}

func TestExtractHandles(t *testing.T) {
	const (
		url  = HandleFromURL
		lbl  = HandleFromLabel
		men  = HandleFromMention
		addr = HandleFromAddress
		hi   = ConfidenceHigh
		med  = ConfidenceMedium
		lo   = ConfidenceLow
	)
	cases := []struct {
		text string
		want []hv
	}{
		{"", nil},
		{"Just a channel about news. Contact @admin_bot", nil},
		{"Twitter: @Jack", []hv{{PlatformTwitter, "jack", lbl, med, "Twitter: @Jack"}}},
		{"twitter - @jack", []hv{{PlatformTwitter, "jack", lbl, med, "twitter - @jack"}}},
		{"TWITTER:jack", []hv{{PlatformTwitter, "jack", lbl, med, "TWITTER:jack"}}},
		{"Twitter:\n@jack", []hv{{PlatformTwitter, "jack", lbl, med, "Twitter:\n@jack"}}},
		{"IG: john.doe", []hv{{PlatformInstagram, "john.doe", lbl, med, "IG: john.doe"}}},
		{"IG: john.doe.", []hv{{PlatformInstagram, "john.doe", lbl, med, "IG: john.doe"}}},
		{"Insta: @john_doe | FB: some.page | YT: @chan_nel", []hv{
			{PlatformInstagram, "john_doe", lbl, med, "Insta: @john_doe"},
			{PlatformFacebook, "some.page", lbl, med, "FB: some.page"},
			{PlatformYouTube, "chan_nel", lbl, med, "YT: @chan_nel"},
		}},
		{"🐦 @birdy", []hv{{PlatformTwitter, "birdy", men, lo, "🐦 @birdy"}}},
		{"🐦: birdy", []hv{{PlatformTwitter, "birdy", lbl, med, "🐦: birdy"}}},
		{"𝕏 @xname", []hv{{PlatformTwitter, "xname", men, lo, "𝕏 @xname"}}},
		{"🦋 @alice.bsky.social", []hv{{PlatformBluesky, "alice.bsky.social", addr, med, "@alice.bsky.social"}}},
		{"follow us on X @xname for updates", []hv{{PlatformTwitter, "xname", men, lo, "X @xname"}}},
		{"Follow us on Twitter @tw_name!", []hv{{PlatformTwitter, "tw_name", men, lo, "Twitter @tw_name"}}},
		{"X: @xname", []hv{{PlatformTwitter, "xname", lbl, med, "X: @xname"}}},
		{"X: xname", nil},
		{"X @xname", nil},
		{"Box @name", nil},
		{"max: @name", nil},
		{"Twitter: great place to be", nil},
		{"I love twitter: it's great", nil},
		{"Twitter name", nil},
		{"Telegram: @chan_nel", []hv{{PlatformTelegram, "chan_nel", lbl, med, "Telegram: @chan_nel"}}},
		{"Телеграм: @chan_nel", []hv{{PlatformTelegram, "chan_nel", lbl, med, "Телеграм: @chan_nel"}}},
		{"Наш твиттер: @rus_name\nИнстаграм — rus.insta", []hv{
			{PlatformTwitter, "rus_name", lbl, med, "твиттер: @rus_name"},
			{PlatformInstagram, "rus.insta", lbl, med, "Инстаграм — rus.insta"},
		}},
		{"ВК: durov_vk", []hv{{PlatformVK, "durov_vk", lbl, med, "ВК: durov_vk"}}},
		{"تويتر: @arabic_name", []hv{{PlatformTwitter, "arabic_name", lbl, med, "تويتر: @arabic_name"}}},
		{"Truth Social: @someone", []hv{{PlatformTruthSocial, "someone", lbl, med, "Truth Social: @someone"}}},
		{"the truth: @someone lies", nil},
		{"Gab: @gabber, Rumble: rumbler, Gettr: @gettrer", []hv{
			{PlatformGab, "gabber", lbl, med, "Gab: @gabber"},
			{PlatformRumble, "rumbler", lbl, med, "Rumble: rumbler"},
			{PlatformGettr, "gettrer", lbl, med, "Gettr: @gettrer"},
		}},
		{"Mastodon: @user", nil},
		{"Mastodon: @user@mastodon.social", []hv{{PlatformMastodon, "user@mastodon.social", addr, med, "@user@mastodon.social"}}},
		{"find me at @someone@kolektiva.social or @x@threads.net", []hv{
			{PlatformMastodon, "someone@kolektiva.social", addr, med, "@someone@kolektiva.social"},
			{PlatformThreads, "x", addr, med, "@x@threads.net"},
		}},
		{"bsky: @alice.bsky.social", []hv{{PlatformBluesky, "alice.bsky.social", lbl, med, "bsky: @alice.bsky.social"}}},
		{"@alice.bsky.social", []hv{{PlatformBluesky, "alice.bsky.social", addr, med, "@alice.bsky.social"}}},
		{"mail bob@alice.bsky.social", nil},
		{"Bluesky: @alice", nil},
		// URLs.
		{"https://twitter.com/jack", []hv{{PlatformTwitter, "jack", url, hi, "https://twitter.com/jack"}}},
		{"Twitter: https://twitter.com/jack", []hv{{PlatformTwitter, "jack", url, hi, "https://twitter.com/jack"}}},
		{"Twitter: twitter.com/jack and Twitter: @jack", []hv{{PlatformTwitter, "jack", url, hi, "twitter.com/jack"}}},
		{"Twitter: @jack and twitter.com/jack", []hv{{PlatformTwitter, "jack", url, hi, "twitter.com/jack"}}},
		{"x.com/jack, instagram.com/jack, facebook.com/jackpage, youtube.com/@jack, tiktok.com/@jack", []hv{
			{PlatformTwitter, "jack", url, hi, "x.com/jack"},
			{PlatformInstagram, "jack", url, hi, "instagram.com/jack"},
			{PlatformFacebook, "jackpage", url, hi, "facebook.com/jackpage"},
			{PlatformYouTube, "jack", url, hi, "youtube.com/@jack"},
			{PlatformTikTok, "jack", url, hi, "tiktok.com/@jack"},
		}},
		{"Share: https://twitter.com/intent/tweet?text=x https://facebook.com/sharer.php?u=x https://youtube.com/watch?v=x twitter.com/home", nil},
		{"Our backup: t.me/backup_chan, also t.me/backup_chan/12", []hv{{PlatformTelegram, "backup_chan", url, hi, "t.me/backup_chan"}}},
		{"rumble.com/c/Chan odysee.com/@Chan:7 truthsocial.com/@chan gab.com/chan vk.com/chan bsky.app/profile/chan.bsky.social", []hv{
			{PlatformRumble, "chan", url, hi, "rumble.com/c/Chan"},
			{PlatformOdysee, "chan", url, hi, "odysee.com/@Chan:7"},
			{PlatformTruthSocial, "chan", url, hi, "truthsocial.com/@chan"},
			{PlatformGab, "chan", url, hi, "gab.com/chan"},
			{PlatformVK, "chan", url, hi, "vk.com/chan"},
			{PlatformBluesky, "chan.bsky.social", url, hi, "bsky.app/profile/chan.bsky.social"},
		}},
		{"kolektiva.media/@carol and mastodon.social/@dave", []hv{
			{PlatformMastodon, "carol@kolektiva.media", url, lo, "kolektiva.media/@carol"},
			{PlatformMastodon, "dave@mastodon.social", url, hi, "mastodon.social/@dave"},
		}},
		// The strongest evidence for one account wins; different accounts stay.
		{"🐦 @jack\nhttps://x.com/jack\nIG: jack", []hv{
			{PlatformTwitter, "jack", url, hi, "https://x.com/jack"},
			{PlatformInstagram, "jack", lbl, med, "IG: jack"},
		}},
		{"Twitter: @one Twitter: @two", []hv{
			{PlatformTwitter, "one", lbl, med, "Twitter: @one"},
			{PlatformTwitter, "two", lbl, med, "Twitter: @two"},
		}},
		// Label words inside other words or links are not labels.
		{"Twitterati: @x_y, setup: @b", nil},
		{"https://example.com/twitter: @jack", nil},
		{"email: jack@twitter.com", nil},
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			if c.want == nil {
				c.want = []hv{}
			}
			require.Equal(t, c.want, handlesView(c.text, ExtractHandles(c.text)))
		})
	}
}

func TestExtractHandlesAboutText(t *testing.T) {
	about := strings.Join([]string{
		"🇺🇸 Independent news, 24/7. Backup: @news_backup",
		"━━━━━━━━━━━━━━",
		"🐦 Twitter: @IndieNews247",
		"📸 Instagram: indienews.247",
		"▶️ https://www.youtube.com/c/IndieNews247/videos",
		"🎥 Rumble: rumble.com/c/IndieNews",
		"🦋 @indienews.bsky.social",
		"🐘 @indie@mastodon.social",
		"💬 Chat: https://t.me/+AbCdEfGhIj (invite)",
		"Share: https://twitter.com/intent/tweet?url=https://t.me/indienews",
		"Ads: ads@indienews.example.com",
	}, "\n")
	got := handlesView(about, ExtractHandles(about))
	require.Equal(t, []hv{
		{PlatformTwitter, "indienews247", HandleFromLabel, ConfidenceMedium, "Twitter: @IndieNews247"},
		{PlatformInstagram, "indienews.247", HandleFromLabel, ConfidenceMedium, "Instagram: indienews.247"},
		{PlatformYouTube, "indienews247", HandleFromURL, ConfidenceHigh, "https://www.youtube.com/c/IndieNews247/videos"},
		{PlatformRumble, "indienews", HandleFromURL, ConfidenceHigh, "rumble.com/c/IndieNews"},
		{PlatformBluesky, "indienews.bsky.social", HandleFromAddress, ConfidenceMedium, "@indienews.bsky.social"},
		{PlatformMastodon, "indie@mastodon.social", HandleFromAddress, ConfidenceMedium, "@indie@mastodon.social"},
	}, got)
}
