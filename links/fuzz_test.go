package links

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/require"
)

// normalizeSeeds are inputs that reach every branch of Normalize.
var normalizeSeeds = []string{
	"", " ", "example.com", "https://example.com/", "HTTP://EXAMPLE.COM:80/a/../b/?b=2&a=1#x",
	"//example.com", `https:\\example.com\a`, "https:/example.com", "example.com:8080/x", "localhost:80",
	"mailto:a@b.c", "javascript:alert(1)", "tg://resolve?domain=durov&post=1", "tg://join?invite=x",
	"tg://privatepost?channel=1&post=2", "tg://msg_url?url=x", "tg://proxy?server=a", "tg://user?id=1",
	"tg:resolve?domain=a;b", "https://пример.рф/путь?q=мир", "https://xn--e1afmkfd.xn--p1ai/",
	"https://ｅｘａｍｐｌｅ．ｃｏｍ/", "https://例え。テスト/", "https://[2001:db8::1]:8080/", "http://1.2.3.4/",
	"https://1.2.3.999/", "https://a..b/", "https://%41.com/", "https://user:pw@host.com/",
	"https://twitter.com/#!/jack?x=1", "https://example.com/%7e%2F%zz%", "https://example.com/a b\"<>",
	"https://l.facebook.com/l.php?u=https%3A%2F%2Fvk.com%2Faway.php%3Fto%3Dhttps%253A%252F%252Fx.org",
	"https://www.youtube.com/attribution_link?u=%2Fwatch%3Fv%3Dx", "https://www.google.com/url?q=//x.org",
	"https://example.com/?utm_source=x&__cft__[0]=y&a", "https://t.me/+AbC", "https://t.me/c/1/2/3",
	"https://durov.t.me/5", "https://example.com:0/", "https://example.com:65536/", "https://xn--/",
	"https://example.com/./../.", "https://exa\tmple.com/\n", "\x00https://example.com\x7f",
	"https://example.com/\xff\xfe", "https://\xff.com/", "https://a.com?#", "?", "#", "/", "@", ":",
}

func FuzzNormalize(f *testing.F) {
	for _, s := range normalizeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := Normalize(raw)
		if err != nil {
			require.Equal(t, URL{}, u)
			return
		}
		s := u.String()
		require.NotEmpty(t, s)
		require.True(t, u.Scheme == "http" || u.Scheme == "https", u.Scheme)
		require.True(t, isASCII(s), "non-ASCII in %q", s)
		require.Equal(t, strings.ToLower(u.Host), u.Host)
		require.True(t, strings.HasPrefix(u.Path, "/"), u.Path)
		require.NotEmpty(t, u.Domain)
		require.True(t, strings.HasSuffix(strings.Trim(u.Host, "[]"), u.Domain), "%q not under %q", u.Domain, u.Host)

		again, err := Normalize(s)
		require.NoError(t, err, "normalized form %q does not normalize", s)
		require.Equal(t, u, again, "not idempotent: %q", raw)

		// The result is a URL the standard library reads back the same.
		p, err := url.Parse(s)
		require.NoError(t, err, s)
		require.Equal(t, u.Scheme, p.Scheme)
		require.Equal(t, strings.Trim(u.Host, "[]"), p.Hostname())

		// Everything downstream accepts any normalized URL.
		Classify(u)
		_, _ = ParseTelegram(u)
		_, _ = ProfileHandle(u)
	})
}

// utf16Ref converts a UTF-16 span the slow, obvious way.
func utf16Ref(text string, off, n int) (int, int, bool) {
	if off < 0 || n < 0 {
		return 0, 0, false
	}
	units := 0
	start, end := -1, -1
	for i, r := range text {
		if units == off {
			start = i
		}
		if units == off+n {
			end = i
		}
		units += len(utf16.Encode([]rune{r}))
	}
	if units == off {
		start = len(text)
	}
	if units == off+n {
		end = len(text)
	}
	return start, end, start >= 0 && end >= 0
}

func FuzzExtract(f *testing.F) {
	f.Add("see https://example.com/a, example.org/b) and @name #tag", "url", 4, 21, "text_url", 0, 3, "https://t.me/x")
	f.Add("🔥🔥 𝐁𝐨𝐥𝐝 текст example.org/x и t.me/chan_nel 🇺🇦", "url", 15, 13, "mention", 1, 5, "")
	f.Add("(https://en.wikipedia.org/wiki/Foo_(bar)) «t.me/+AbC»", "text_link", 0, 1, "hashtag", 2, 3, "example.com")
	f.Add("a@b.com @user@mastodon.social #1 #a1 ＠x ＃y readme.md/x", "email", 0, 7, "bold", 0, 0, "")
	f.Add("网址：https://example.com/a。谢谢 пример.рф", "url", 3, 21, "url", 100, 5, "")
	f.Add("\xff\xfe http://[::1]/ x.com:80/a?b#c", "url", 3, 14, "text_url", 1, 0, "tg://resolve?domain=abcd")
	f.Add("", "url", 0, 0, "", 0, 0, "")
	f.Fuzz(func(t *testing.T, text, typ1 string, off1, len1 int, typ2 string, off2, len2 int, href string) {
		entities := []Entity{
			{Type: typ1, Offset: off1, Length: len1, URL: href},
			{Type: typ2, Offset: off2, Length: len2, URL: href},
		}
		// The offset index agrees with a reference conversion.
		idx := newUTF16Index(text, entities)
		for _, e := range entities {
			s, end, ok := idx.span(e.Offset, e.Length)
			rs, re, rok := utf16Ref(text, e.Offset, e.Length)
			require.Equal(t, rok, ok, "span(%d,%d) of %q", e.Offset, e.Length, text)
			if ok {
				require.Equal(t, [2]int{rs, re}, [2]int{s, end})
			}
		}

		ex := ExtractAll(text, entities)
		boundary := map[int]bool{len(text): true} // where Go's decoding starts a character
		for i := range text {
			boundary[i] = true
		}
		inText := func(s, e int) {
			require.True(t, 0 <= s && s <= e && e <= len(text), "span %d-%d outside %d bytes", s, e, len(text))
			require.True(t, boundary[s], "span starts inside a character")
			require.True(t, boundary[e], "span ends inside a character")
		}
		seen := map[string]bool{}
		var linkSpans []span
		for _, l := range ex.Links {
			inText(l.Start, l.End)
			key := l.URL.String()
			require.False(t, seen[key], "duplicate %q", key)
			seen[key] = true
			again, err := Normalize(key)
			require.NoError(t, err)
			require.Equal(t, l.URL, again)
			require.Equal(t, Classify(l.URL), l.Platform)
			if l.Source != SourceTextURL {
				require.Equal(t, text[l.Start:l.End], l.Raw)
				linkSpans = append(linkSpans, span{l.Start, l.End})
			}
		}
		for _, m := range ex.Mentions {
			inText(m.Start, m.End)
			sp := text[m.Start:m.End]
			require.True(t, strings.HasPrefix(sp, "@") || strings.HasPrefix(sp, "＠"), sp)
			require.Equal(t, strings.ToLower(m.Name), m.Username)
			if m.Source == SourceText {
				require.False(t, overlaps(linkSpans, m.Start, m.End), "mention %q inside a link", sp)
			}
		}
		for _, h := range ex.Hashtags {
			inText(h.Start, h.End)
			sp := text[h.Start:h.End]
			require.True(t, strings.HasPrefix(sp, "#") || strings.HasPrefix(sp, "＃"), sp)
			if h.Source == SourceText {
				require.False(t, overlaps(linkSpans, h.Start, h.End), "hashtag %q inside a link", sp)
			}
		}
	})
}

func FuzzParseSeed(f *testing.F) {
	for _, s := range []string{"@durov", "durov", "t.me/durov", "https://t.me/s/durov", "https://t.me/durov/123",
		"tg://resolve?domain=durov", "t.me/+abc", "https://t.me/c/1/2", "@", "@ab", "1abc", "a__b", "ab_",
		"https://example.com/x", "mailto:x", "\ufeff @x_y_z # c", "t.me/addstickers/x", "durov.t.me"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		seed, err := ParseSeed(s)
		if err == nil {
			n, err := NormalizeUsername(seed.Username)
			require.NoError(t, err)
			require.Equal(t, seed.Username, n)
			again, err := ParseSeed("@" + seed.Username)
			require.NoError(t, err)
			require.Equal(t, seed.Username, again.Username)
			require.Equal(t, strings.TrimSpace(strings.TrimPrefix(s, "\ufeff")), seed.Input)
		} else {
			require.Equal(t, Seed{}, seed)
			require.NotEmpty(t, err.Error())
		}
		// The same text as a file: every line is a seed or a numbered error.
		seeds, bad := ParseSeedFile(strings.NewReader(s))
		lines := strings.Count(s, "\n") + 1
		for _, e := range bad {
			require.True(t, e.Line >= 1 && e.Line <= lines+1, "line %d of %d", e.Line, lines)
		}
		require.LessOrEqual(t, len(seeds)+len(bad), lines+1)
	})
}

func FuzzExtractHandles(f *testing.F) {
	for _, s := range []string{
		"Twitter: @jack | IG: john.doe\nfollow us on X @xname 🐦 @birdy",
		"https://www.youtube.com/@SomeOne/videos facebook.com/profile.php?id=1 bsky.app/profile/did:plc:abcdefghijklmnopqrstuvwx",
		"@bob@mastodon.social social.example.org/@carol @dave.bsky.social t.me/s/Chan_nel vk.com/id1",
		"Телеграм: @chan_nel تويتر: @x 𝕏 @y 🦋: alice.bsky.social",
		"FB: some.page. Rumble: x, Gab:@g\n\nTruth Social - @t",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		seen := map[string]bool{}
		for _, h := range ExtractHandles(text) {
			require.True(t, 0 <= h.Start && h.Start <= h.End && h.End <= len(text))
			require.Equal(t, text[h.Start:h.End], h.Evidence)
			require.NotEmpty(t, h.Handle)
			require.NotEqual(t, ConfidenceNone, h.Confidence)
			key := string(h.Platform) + " " + h.Handle
			require.False(t, seen[key], "duplicate %s", key)
			seen[key] = true
		}
	})
}
