package links

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNormalizeHostIDNA(t *testing.T) {
	cases := []struct{ in, want string }{
		// Labels from the samples of RFC 3492 section 7.1 that are valid IDNA
		// labels, and labels seen in links.
		{"\u4ed6\u4eec\u4e3a\u4ec0\u4e48\u4e0d\u8bf4\u4e2d\u6587", "xn--ihqwcrb4cv8a8dqg056pqjye"},
		{"\u043f\u043e\u0447\u0435\u043c\u0443\u0436\u0435\u043e\u043d\u0438\u043d\u0435\u0433\u043e\u0432\u043e\u0440\u044f\u0442\u043f\u043e\u0440\u0443\u0441\u0441\u043a\u0438", "xn--b1abfaaepdrnnbgefbadotcwatmq2g4l"},
		{"\u05dc\u05de\u05d4\u05d4\u05dd\u05e4\u05e9\u05d5\u05d8\u05dc\u05d0\u05de\u05d3\u05d1\u05e8\u05d9\u05dd\u05e2\u05d1\u05e8\u05d9\u05ea", "xn--4dbcagdahymbxekheh6e0a7fei0b"},
		{"3\u5e74b\u7d44\u91d1\u516b\u5148\u751f", "xn--3b-ww4c5e180e575a65lsy2b"},
		{"\u3072\u3068\u3064\u5c4b\u6839\u306e\u4e0b2", "xn--2-u9tlzr9756bt3uc0v"},
		{"\u305d\u306e\u30b9\u30d4\u30fc\u30c9\u3067", "xn--d9juau41awczczp"},
		{"пример.рф", "xn--e1afmkfd.xn--p1ai"},
		{"президент.рф", "xn--d1abbgf6aiiy.xn--p1ai"},
		{"bücher.de", "xn--bcher-kva.de"},
		{"mañana.com", "xn--maana-pta.com"},
		{"☃.net", "xn--n3h.net"},
		{"💩.la", "xn--ls8h.la"},
		// Composed and decomposed characters are one host (NFC).
		{"caf\u00e9.fr", "xn--caf-dma.fr"},
		{"cafe\u0301.fr", "xn--caf-dma.fr"},
		{"u\u0308.com", "xn--tda.com"},
		// Uppercase, in any script.
		{"CAF\u00c9.FR", "xn--caf-dma.fr"},
		{"CAFE\u0301.FR", "xn--caf-dma.fr"},
		{"ПРИМЕР.РФ", "xn--e1afmkfd.xn--p1ai"},
		{"XN--CAF-DMA.FR", "xn--caf-dma.fr"},
		{"Example.COM", "example.com"},
		// Full-width letters and dots, ideographic and halfwidth full stops.
		{"ｅｘａｍｐｌｅ．ｃｏｍ", "example.com"},
		{"ＥＸＡＭＰＬＥ.com", "example.com"},
		{"例え。テスト", "xn--r8jz45g.xn--zckzah"},
		{"ｃａｆé｡ｆｒ", "xn--caf-dma.fr"},
		// Other compatibility forms (NFKC), and characters IDNA ignores.
		{"ⓔxample.com", "example.com"},
		{"exa\u00admple.com", "example.com"},
		{"exa\u200bmple.com", "example.com"},
		// Nontransitional: ß is kept, not mapped to ss.
		{"straße.de", "xn--strae-oqa.de"},
		{"faß.de", "xn--fa-hia.de"},
		// Mixed scripts are valid IDNA and stay apart from the lookalike: a
		// Cyrillic "а" in paypal is another host.
		{"p\u0430ypal.com", "xn--pypal-4ve.com"},
		{"пример.com", "xn--e1afmkfd.com"},
		{"abcабв.com", "xn--abc-8cdfg.com"},
		// Trailing dot, ASCII or full-width.
		{"example.com.", "example.com"},
		{"caf\u00e9.fr.", "xn--caf-dma.fr"},
		{"example.com。", "example.com"},
		// ASCII that browsers accept and STD3 would not.
		{"some_sub.example.com", "some_sub.example.com"},
		{"r3---sn-abc.googlevideo.com", "r3---sn-abc.googlevideo.com"},
		{"-x.example.com", "-x.example.com"},
		// IPv4, also in full-width digits.
		{"１２７．０．０．１", "127.0.0.1"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, _, err := normalizeHostName(c.in)
			require.NoError(t, err)
			require.Equal(t, c.want, got)
			again, _, err := normalizeHostName(got)
			require.NoError(t, err, "the ASCII form is a host")
			require.Equal(t, got, again)
		})
	}

	// Through Normalize, composed and decomposed forms are one URL.
	composed, err := Normalize("https://caf\u00e9.fr/menu")
	require.NoError(t, err)
	decomposed, err := Normalize("https://CAFE\u0301.fr./menu")
	require.NoError(t, err)
	require.Equal(t, composed, decomposed)
	require.Equal(t, "https://xn--caf-dma.fr/menu", composed.String())
}

// TestNormalizeHostInvalid pins what happens to labels that are not valid
// IDNA: the host is rejected with ErrInvalidHost naming it and the reason, as
// every other host that cannot be parsed is; it is never kept as written.
func TestNormalizeHostInvalid(t *testing.T) {
	cases := []struct{ in, message string }{
		{"xn--zz-9999.com", `bad Punycode label "xn--zz-9999"`},
		{"xn--.com", `bad Punycode label "xn--"`},
		{"a.xn--", `bad Punycode label "xn--"`},
		{"xn--abc-.com", `bad Punycode label "xn--abc-"`}, // decodes to ASCII
		{"XN--ZZ-9999.com", `bad Punycode label "xn--zz-9999"`},
		{"xn--cafe-yvc.fr", "invalid label \"cafe\u0301\""}, // decomposed é in Punycode: not NFC
		{"\u0301a.com", `invalid label`},                    // starts with a combining mark
		{"ab\u2488.com", `disallowed rune U+2488`},          // "⒈" would hide a dot
		{"\ufffd.com", `disallowed rune U+FFFD`},
		{"a\u200db.com", `invalid label`},      // zero-width joiner out of context
		{"1\u05d0.co.il", `invalid label`},     // Bidi rule: RTL label starting with a digit
		{"abc\u05d0.com", `invalid label`},     // Bidi rule: LTR and RTL in one label
		{"\u00ad.com", "empty label"},          // only ignored characters
		{"exa\u3000mple.com", `character ' '`}, // ideographic space maps to a space
		{"ex\uff0aample.com", `character '*'`}, // full-width asterisk
		{"exa mple.com", `character ' '`},
		{"\xff.com", "not UTF-8"},
		{"例え。。テスト", "empty label"},
		{"。example.com", "empty label"},
		{"．", "empty"},
		{"ｅｘａｍｐｌｅ．１２３", "numeric top-level label"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			_, _, err := normalizeHostName(c.in)
			require.ErrorIs(t, err, ErrInvalidHost)
			require.ErrorContains(t, err, c.message)
			require.ErrorContains(t, err, strconv.Quote(c.in), "the error names the host as written")
			_, err = Normalize("https://" + c.in + "/")
			require.ErrorIs(t, err, ErrInvalidHost)
		})
	}
}

// TestHostProfileASCII checks the shortcut normalizeHostName takes for ASCII
// hosts without Punycode labels: lowercasing gives what the IDNA profile
// gives.
func TestHostProfileASCII(t *testing.T) {
	for _, h := range []string{"example.com", "EXAMPLE.Com", "some_sub.Example.com", "r3---sn-abc.googlevideo.com",
		"-x-.example.com", "a b.com", "x*y.com", "127.0.0.1", "foo.onion", "ABC-def_0.co.uk"} {
		want, err := hostProfile.ToASCII(h)
		require.NoError(t, err, h)
		require.Equal(t, want, strings.ToLower(h), h)
	}
}

func TestNormalize(t *testing.T) {
	cases := []struct {
		in, want, domain string
	}{
		// Scheme.
		{"example.com", "https://example.com/", "example.com"},
		{"example.com/path", "https://example.com/path", "example.com"},
		{"www.example.com", "https://www.example.com/", "example.com"},
		{"//example.com/x", "https://example.com/x", "example.com"},
		{"http://example.com", "http://example.com/", "example.com"},
		{"HTTP://EXAMPLE.COM/A", "http://example.com/A", "example.com"},
		{"hTTpS://Example.Com", "https://example.com/", "example.com"},
		{"https:/example.com/a", "https://example.com/a", "example.com"},
		{"https:example.com", "https://example.com/", "example.com"},
		{`https:\\example.com\a\b`, "https://example.com/a/b", "example.com"},
		{"  https://example.com/  ", "https://example.com/", "example.com"},
		{"https://exa\nmple.com/a\tb", "https://example.com/ab", "example.com"},
		{"example.com:8080/x", "https://example.com:8080/x", "example.com"},
		// Host.
		{"https://WWW.EXAMPLE.COM.", "https://www.example.com/", "example.com"},
		{"https://user:secret@example.com/", "https://example.com/", "example.com"},
		{"https://@example.com/", "https://example.com/", "example.com"},
		{"https://пример.рф/", "https://xn--e1afmkfd.xn--p1ai/", "xn--e1afmkfd.xn--p1ai"},
		{"https://ПРИМЕР.РФ/", "https://xn--e1afmkfd.xn--p1ai/", "xn--e1afmkfd.xn--p1ai"},
		{"https://xn--e1afmkfd.xn--p1ai/", "https://xn--e1afmkfd.xn--p1ai/", "xn--e1afmkfd.xn--p1ai"},
		{"https://XN--E1AFMKFD.XN--P1AI/", "https://xn--e1afmkfd.xn--p1ai/", "xn--e1afmkfd.xn--p1ai"},
		{"https://bücher.de/", "https://xn--bcher-kva.de/", "xn--bcher-kva.de"},
		{"https://例え。テスト/", "https://xn--r8jz45g.xn--zckzah/", "xn--r8jz45g.xn--zckzah"},
		{"https://ｅｘａｍｐｌｅ．ｃｏｍ/", "https://example.com/", "example.com"},
		{"https://ex%61mple.com/", "https://example.com/", "example.com"},
		{"https://a.b.c.example.co.uk/", "https://a.b.c.example.co.uk/", "example.co.uk"},
		{"https://foo.blogspot.com/", "https://foo.blogspot.com/", "foo.blogspot.com"},
		{"https://user.github.io/repo", "https://user.github.io/repo", "user.github.io"},
		{"https://github.io/", "https://github.io/", "github.io"},
		{"https://co.uk/", "https://co.uk/", "co.uk"},
		{"https://some_sub.example.com/", "https://some_sub.example.com/", "example.com"},
		{"https://foo.onion/x", "https://foo.onion/x", "foo.onion"},
		{"https://name.unknowntld/", "https://name.unknowntld/", "name.unknowntld"},
		// IP hosts.
		{"http://127.0.0.1/", "http://127.0.0.1/", "127.0.0.1"},
		{"http://192.168.1.1:8080/admin", "http://192.168.1.1:8080/admin", "192.168.1.1"},
		{"http://[2001:DB8::1]/", "http://[2001:db8::1]/", "2001:db8::1"},
		{"http://[2001:db8:0:0:0:0:0:1]:80/x", "http://[2001:db8::1]/x", "2001:db8::1"},
		{"https://[::1]:8443", "https://[::1]:8443/", "::1"},
		// Ports.
		{"http://example.com:80/", "http://example.com/", "example.com"},
		{"https://example.com:443/", "https://example.com/", "example.com"},
		{"http://example.com:443/", "http://example.com:443/", "example.com"},
		{"https://example.com:80/", "https://example.com:80/", "example.com"},
		{"https://example.com:0443/", "https://example.com/", "example.com"},
		{"https://example.com:/", "https://example.com/", "example.com"},
		// Paths.
		{"https://example.com/a/", "https://example.com/a", "example.com"},
		{"https://example.com/a//", "https://example.com/a", "example.com"},
		{"https://example.com///", "https://example.com/", "example.com"},
		{"https://example.com/a/./b/../c", "https://example.com/a/c", "example.com"},
		{"https://example.com/../../a", "https://example.com/a", "example.com"},
		{"https://example.com/a/b/..", "https://example.com/a", "example.com"},
		{"https://example.com/%7Euser/%41", "https://example.com/~user/A", "example.com"},
		{"https://example.com/a%2fb", "https://example.com/a%2Fb", "example.com"},
		{"https://example.com/a b", "https://example.com/a%20b", "example.com"},
		{"https://example.com/путь", "https://example.com/%D0%BF%D1%83%D1%82%D1%8C", "example.com"},
		{"https://example.com/%d0%bf", "https://example.com/%D0%BF", "example.com"},
		{"https://example.com/100%", "https://example.com/100%25", "example.com"},
		{"https://example.com/%zz", "https://example.com/%25zz", "example.com"},
		{"https://example.com/a\"b<c>", "https://example.com/a%22b%3Cc%3E", "example.com"},
		{"https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)", "wikipedia.org"},
		{"https://example.com/@user", "https://example.com/@user", "example.com"},
		{"https://example.com/a%2E%2E/b", "https://example.com/a../b", "example.com"},
		// Fragments.
		{"https://example.com/a#section", "https://example.com/a", "example.com"},
		{"https://example.com/#", "https://example.com/", "example.com"},
		{"https://twitter.com/#!/jack", "https://twitter.com/jack", "twitter.com"},
		{"https://twitter.com/#!/jack/status/20", "https://twitter.com/jack/status/20", "twitter.com"},
		{"https://example.com/page#!/other", "https://example.com/page", "example.com"},
		// Queries.
		{"https://example.com/?", "https://example.com/", "example.com"},
		{"https://example.com/?&&", "https://example.com/", "example.com"},
		{"https://example.com/?b=2&a=1", "https://example.com/?a=1&b=2", "example.com"},
		{"https://example.com/?a=2&b=1&a=1", "https://example.com/?a=2&a=1&b=1", "example.com"},
		{"https://example.com/?flag&a=", "https://example.com/?a=&flag", "example.com"},
		{"https://example.com/?q=a+b&x=%2b", "https://example.com/?q=a+b&x=%2B", "example.com"},
		{"https://example.com/?q=%61%26", "https://example.com/?q=a%26", "example.com"},
		{"https://example.com/?q=мир", "https://example.com/?q=%D0%BC%D0%B8%D1%80", "example.com"},
		{"https://example.com/?url=https://x.org/?a=b", "https://example.com/?url=https://x.org/?a=b", "example.com"},
		// Tracking parameters.
		{"https://example.com/a?utm_source=tg&utm_medium=social&id=5", "https://example.com/a?id=5", "example.com"},
		{"https://example.com/a?UTM_Campaign=x", "https://example.com/a", "example.com"},
		{"https://example.com/a?utm%5Fsource=x", "https://example.com/a", "example.com"},
		{"https://example.com/?fbclid=IwAR0abc&gclid=xyz&p=1", "https://example.com/?p=1", "example.com"},
		{"https://example.com/?yclid=1&ysclid=2&msclkid=3", "https://example.com/", "example.com"},
		{"https://example.com/?si=keep", "https://example.com/?si=keep", "example.com"},
		{"https://example.com/?s=keep&t=keep", "https://example.com/?s=keep&t=keep", "example.com"},
		{"https://twitter.com/jack/status/20?s=20&t=AbC", "https://twitter.com/jack/status/20", "twitter.com"},
		{"https://x.com/jack/status/20?s=46", "https://x.com/jack/status/20", "x.com"},
		{"https://mobile.twitter.com/jack?ref_src=twsrc%5Etfw", "https://mobile.twitter.com/jack", "twitter.com"},
		{"https://www.youtube.com/watch?v=dQw4w9WgXcQ&si=abc&feature=share", "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube.com"},
		{"https://m.youtube.com/watch?v=dQw4w9WgXcQ&pp=ygU", "https://m.youtube.com/watch?v=dQw4w9WgXcQ", "youtube.com"},
		{"https://youtu.be/dQw4w9WgXcQ?si=abc&t=42", "https://youtu.be/dQw4w9WgXcQ?t=42", "youtu.be"},
		{"https://www.instagram.com/p/Cabc123/?igshid=MzRlODBiNWFlZA==", "https://www.instagram.com/p/Cabc123", "instagram.com"},
		{"https://www.instagram.com/reel/Cabc/?igsh=abc&img_index=2", "https://www.instagram.com/reel/Cabc?img_index=2", "instagram.com"},
		{"https://www.facebook.com/page/posts/1?__cft__[0]=AZ&__tn__=%2CO%2CP-R&mibextid=Zxz2", "https://www.facebook.com/page/posts/1", "facebook.com"},
		{"https://www.tiktok.com/@user/video/123?is_from_webapp=1&sender_device=pc&lang=en", "https://www.tiktok.com/@user/video/123?lang=en", "tiktok.com"},
		{"https://www.reddit.com/r/x/comments/1/y/?share_id=abc&utm_content=2", "https://www.reddit.com/r/x/comments/1/y", "reddit.com"},
		{"https://open.spotify.com/track/1?si=abc", "https://open.spotify.com/track/1?si=abc", "spotify.com"},
		{"https://www.google.com/search?q=tidewatch&ved=0ahUK&ei=x", "https://www.google.com/search?q=tidewatch", "google.com"},
		// Redirect wrappers.
		{"https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.org%2Fx%3Fa%3D1&h=AT0", "https://example.org/x?a=1", "example.org"},
		{"https://lm.facebook.com/l.php?u=https%3A%2F%2Fnews.example.org%2F%3Ffbclid%3Dabc", "https://news.example.org/", "example.org"},
		{"https://vk.com/away.php?to=https%3A%2F%2Fexample.org%2Fa&cc_key=", "https://example.org/a", "example.org"},
		{"https://m.vk.com/away.php?to=http%3A%2F%2Fexample.org", "http://example.org/", "example.org"},
		{"https://www.google.com/url?q=https://example.org/a&sa=D&usg=AOv", "https://example.org/a", "example.org"},
		{"https://www.google.com/url?url=https%3A%2F%2Fexample.org%2F", "https://example.org/", "example.org"},
		{"https://www.youtube.com/redirect?event=video_description&q=https%3A%2F%2Fexample.org%2Fx", "https://example.org/x", "example.org"},
		{"https://www.youtube.com/attribution_link?a=x&u=%2Fwatch%3Fv%3DdQw4w9WgXcQ%26feature%3Dshare", "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube.com"},
		{"https://l.instagram.com/?u=https%3A%2F%2Fexample.org%2F&e=AT", "https://example.org/", "example.org"},
		{"https://out.reddit.com/t3_abc?url=https%3A%2F%2Fexample.org%2Fz&token=x", "https://example.org/z", "example.org"},
		{"https://ok.ru/dk?cmd=logExternal&st.cmd=outLinkWarning&st.rfn=https%3A%2F%2Fexample.org%2F", "https://example.org/", "example.org"},
		{"https://steamcommunity.com/linkfilter/?url=https://example.org/", "https://example.org/", "example.org"},
		{"https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fexample.org%2Fa&data=05", "https://example.org/a", "example.org"},
		{"https://l.facebook.com/l.php?u=https%3A%2F%2Fvk.com%2Faway.php%3Fto%3Dhttps%253A%252F%252Fexample.org%252F", "https://example.org/", "example.org"},
		// A wrapper without a usable target stays as it is.
		{"https://l.facebook.com/l.php?u=not-a-url", "https://l.facebook.com/l.php?u=not-a-url", "facebook.com"},
		{"https://vk.com/away.php?to=mailto%3Aa%40b.c", "https://vk.com/away.php?to=mailto%3Aa%40b.c", "vk.com"},
		{"https://vk.com/away.php", "https://vk.com/away.php", "vk.com"},
		{"https://vk.com/durov?to=https%3A%2F%2Fexample.org", "https://vk.com/durov?to=https%3A%2F%2Fexample.org", "vk.com"},
		// tg:// deep links.
		{"tg://resolve?domain=durov", "https://t.me/durov", "t.me"},
		{"tg://resolve?domain=durov&post=12", "https://t.me/durov/12", "t.me"},
		{"TG://resolve?domain=somebot&start=ref1", "https://t.me/somebot?start=ref1", "t.me"},
		{"tg:resolve?domain=durov", "https://t.me/durov", "t.me"},
		{"tg://join?invite=AbCdEf123", "https://t.me/+AbCdEf123", "t.me"},
		{"tg://addstickers?set=Animals", "https://t.me/addstickers/Animals", "t.me"},
		{"tg://addemoji?set=Flags", "https://t.me/addemoji/Flags", "t.me"},
		{"tg://privatepost?channel=1234567&post=89", "https://t.me/c/1234567/89", "t.me"},
		{"tg://msg_url?url=https%3A%2F%2Fexample.org", "https://t.me/share/url?url=https%3A%2F%2Fexample.org", "t.me"},
		{"tg://proxy?server=1.2.3.4&port=443&secret=ab", "https://t.me/proxy?port=443&secret=ab&server=1.2.3.4", "t.me"},
		{"tg://addlist?slug=AbC", "https://t.me/addlist/AbC", "t.me"},
		{"tg://boost?domain=durov", "https://t.me/boost/durov", "t.me"},
		// Telegram and other platforms.
		{"t.me/durov", "https://t.me/durov", "t.me"},
		{"https://t.me/s/durov/", "https://t.me/s/durov", "t.me"},
		{"https://T.ME/Durov/123?single", "https://t.me/Durov/123?single", "t.me"},
		{"t.me/+AbCdEf", "https://t.me/+AbCdEf", "t.me"},
		{"https://telegram.me/joinchat/AAAAAEkk2WdoDrB4-Q8-gg", "https://telegram.me/joinchat/AAAAAEkk2WdoDrB4-Q8-gg", "telegram.me"},
		{"https://bit.ly/3abcDEF", "https://bit.ly/3abcDEF", "bit.ly"},
		{"https://t.co/AbCdEf123", "https://t.co/AbCdEf123", "t.co"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			u, err := Normalize(c.in)
			require.NoError(t, err)
			require.Equal(t, c.want, u.String())
			require.Equal(t, c.domain, u.Domain)
			again, err := Normalize(u.String())
			require.NoError(t, err, "normalizing the normalized form")
			require.Equal(t, u, again, "normalize is not idempotent")
		})
	}
}

func TestNormalizeErrors(t *testing.T) {
	cases := []struct {
		in      string
		err     error
		message string
	}{
		{"", ErrEmptyURL, "empty URL"},
		{"   \t\n", ErrEmptyURL, "empty URL"},
		{"mailto:someone@example.com", ErrUnsupportedScheme, `"mailto"`},
		{"javascript:alert(1)", ErrUnsupportedScheme, `"javascript"`},
		{"ftp://example.com/file", ErrUnsupportedScheme, `"ftp"`},
		{"data:text/html,hi", ErrUnsupportedScheme, `"data"`},
		{"magnet:?xt=urn:btih:abc", ErrUnsupportedScheme, `"magnet"`},
		{"file:///etc/passwd", ErrUnsupportedScheme, `"file"`},
		{"tg://user?id=12345", ErrUnsupportedScheme, "tg://user"},
		{"tg://settings", ErrUnsupportedScheme, "tg://settings"},
		{"tg://resolve", ErrUnsupportedScheme, "tg://resolve"},
		{"https://", ErrInvalidHost, "empty"},
		{"https:///path", ErrNoRegisteredDomain, `"path"`}, // as browsers read it: host "path"
		{"https://user@/x", ErrInvalidHost, "empty"},
		{"https://a..b.com/", ErrInvalidHost, "empty label"},
		{"https://.example.com/", ErrInvalidHost, "empty label"},
		{"https://exa mple.com/", ErrInvalidHost, "character"},
		{"https://exa*mple.com/", ErrInvalidHost, "character"},
		{"https://example.123/", ErrInvalidHost, "numeric"},
		{"https://1.2.3.256/", ErrInvalidHost, "numeric"},
		{"https://01.2.3.4/", ErrInvalidHost, "numeric"},
		{"https://[2001:db8::1/", ErrInvalidHost, "unclosed"},
		{"https://[1.2.3.4]/", ErrInvalidHost, "IPv6"},
		{"https://[fe80::1%25eth0]/", ErrInvalidHost, "IPv6"},
		{"https://[::1]x/", ErrInvalidHost, ""},
		{"https://xn--zz-9999.com/", ErrInvalidHost, "Punycode"},
		{"https://xn--99999999999999.com/", ErrInvalidHost, "Punycode"},
		{"https://xn--ab-.com/", ErrInvalidHost, "Punycode"},
		{"https://%zz.com/", ErrInvalidHost, "percent"},
		{"https://" + strings.Repeat("a", 64) + ".com/", ErrInvalidHost, "63"},
		{"https://" + strings.Repeat("abcdefghi.", 26) + "com/", ErrInvalidHost, "253"},
		{"https://example.com:99999/", ErrInvalidPort, "99999"},
		{"https://example.com:0/", ErrInvalidPort, ""},
		{"https://example.com:8o/", ErrInvalidPort, "8o"},
		{"https://localhost/", ErrNoRegisteredDomain, "localhost"},
		{"localhost:8080", ErrNoRegisteredDomain, "localhost"},
		{"http://intranet/page", ErrNoRegisteredDomain, "intranet"},
		{"https://com/", ErrNoRegisteredDomain, "com"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			_, err := Normalize(c.in)
			require.ErrorIs(t, err, c.err)
			require.Contains(t, err.Error(), c.message)
		})
	}
}

func TestNormalizeRedirectLoop(t *testing.T) {
	// Nine nested wrappers: past the limit, an error rather than a URL that
	// a second normalization would unwrap further.
	inner := "https://example.org/"
	for range 9 {
		inner = "https://vk.com/away.php?to=" + strings.NewReplacer("%", "%25", "&", "%26", "?", "%3F", "=", "%3D").Replace(inner)
	}
	_, err := Normalize(inner)
	require.ErrorIs(t, err, ErrRedirectLoop)
}

func TestNormalizeShortener(t *testing.T) {
	for _, s := range []string{"https://bit.ly/x", "https://t.co/x", "https://goo.gl/maps/x", "https://maps.app.goo.gl/x",
		"https://tinyurl.com/x", "https://ow.ly/x", "https://buff.ly/x", "https://is.gd/x", "https://fb.me/x",
		"https://vm.tiktok.com/ZM123/", "https://clck.ru/x", "https://vk.cc/x", "https://amzn.to/x"} {
		u, err := Normalize(s)
		require.NoError(t, err)
		require.True(t, u.IsShortener, s)
	}
	for _, s := range []string{"https://youtu.be/x", "https://www.tiktok.com/@a", "https://example.com/", "https://t.me/x", "http://1.2.3.4/"} {
		u, err := Normalize(s)
		require.NoError(t, err)
		require.False(t, u.IsShortener, s)
	}
}

func TestSiteHostAndQuery(t *testing.T) {
	cases := map[string]string{
		"https://www.example.com/":      "example.com",
		"https://m.facebook.com/":       "facebook.com",
		"https://mobile.twitter.com/":   "twitter.com",
		"https://www.m.youtube.com/":    "youtube.com",
		"https://m.me/page":             "m.me",
		"https://www.co.uk/":            "www.co.uk",
		"https://www.t.me/durov":        "t.me",
		"https://mbasic.facebook.com/":  "mbasic.facebook.com",
		"http://192.168.0.1/":           "192.168.0.1",
		"https://www.blogspot.com/":     "www.blogspot.com",
		"https://www.foo.blogspot.com/": "foo.blogspot.com",
	}
	for in, want := range cases {
		u, err := Normalize(in)
		require.NoError(t, err)
		require.Equal(t, want, u.SiteHost(), in)
	}
	u, err := Normalize("https://example.com/?a=1&b=x%20y&c=%E2%9C%93&d")
	require.NoError(t, err)
	require.Equal(t, "1", u.Query("a"))
	require.Equal(t, "x y", u.Query("b"))
	require.Equal(t, "✓", u.Query("c"))
	require.Equal(t, "", u.Query("d"))
	require.Equal(t, "", u.Query("zz"))
	require.Equal(t, "", URL{}.String())
}
