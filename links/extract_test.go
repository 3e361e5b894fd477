package links

import (
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/require"
)

// u16 returns the UTF-16 offset and length of the first occurrence of sub in
// text, as Telegram would give them.
func u16(t testing.TB, text, sub string) (int, int) {
	t.Helper()
	i := strings.Index(text, sub)
	require.GreaterOrEqual(t, i, 0, "%q not in %q", sub, text)
	return len(utf16.Encode([]rune(text[:i]))), len(utf16.Encode([]rune(sub)))
}

func ent(t testing.TB, typ, text, sub, href string) Entity {
	off, n := u16(t, text, sub)
	return Entity{Type: typ, Offset: off, Length: n, URL: href}
}

// found is a compact view of a Link for table tests.
type found struct {
	span, url string
	source    Source
}

func view(text string, ls []Link) []found {
	out := []found{}
	for _, l := range ls {
		out = append(out, found{text[l.Start:l.End], l.URL.String(), l.Source})
	}
	return out
}

func TestExtractPlainText(t *testing.T) {
	cases := []struct {
		text string
		want []found // span and normalized URL; source is always text here
	}{
		{"", nil},
		{"no links here, just words. And numbers 3.14 and v1.2.3", nil},
		{"see https://example.com/a", []found{{"https://example.com/a", "https://example.com/a", ""}}},
		{"see http://example.com.", []found{{"http://example.com", "http://example.com/", ""}}},
		{"HTTPS://EXAMPLE.COM/X!", []found{{"HTTPS://EXAMPLE.COM/X", "https://example.com/X", ""}}},
		{"example.com", []found{{"example.com", "https://example.com/", ""}}},
		{"go to example.com/path?x=1&y=2.", []found{{"example.com/path?x=1&y=2", "https://example.com/path?x=1&y=2", ""}}},
		{"www.bbc.co.uk/news, www.x.com;", []found{{"www.bbc.co.uk/news", "https://www.bbc.co.uk/news", ""}, {"www.x.com", "https://www.x.com/", ""}}},
		{"(see example.com/a)", []found{{"example.com/a", "https://example.com/a", ""}}},
		{"(https://en.wikipedia.org/wiki/Foo_(bar))", []found{{"https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)", ""}}},
		{"[link](https://example.com/x)", []found{{"https://example.com/x", "https://example.com/x", ""}}},
		{"«https://example.com/цитата»", []found{{"https://example.com/цитата", "https://example.com/%D1%86%D0%B8%D1%82%D0%B0%D1%82%D0%B0", ""}}},
		{"\"https://example.com/q\"", []found{{"https://example.com/q", "https://example.com/q", ""}}},
		{"<https://example.com/a>", []found{{"https://example.com/a", "https://example.com/a", ""}}},
		{"https://example.com/a...", []found{{"https://example.com/a", "https://example.com/a", ""}}},
		{"https://example.com/a…", []found{{"https://example.com/a", "https://example.com/a", ""}}},
		{"https://example.com/?q=a!?", []found{{"https://example.com/?q=a", "https://example.com/?q=a", ""}}},
		{"https://example.com/a/", []found{{"https://example.com/a/", "https://example.com/a", ""}}},
		{"https://example.com/a-", []found{{"https://example.com/a-", "https://example.com/a-", ""}}},
		{"https://example.com/?a=", []found{{"https://example.com/?a=", "https://example.com/?a=", ""}}},
		{"https://example.com/a:", []found{{"https://example.com/a", "https://example.com/a", ""}}},
		{"https://example.com/a'", []found{{"https://example.com/a", "https://example.com/a", ""}}},
		{"https://example.com/a👍", []found{{"https://example.com/a", "https://example.com/a", ""}}},
		{"👍https://example.com/a 👍", []found{{"https://example.com/a", "https://example.com/a", ""}}},
		{"Ссылка:https://example.com/a", []found{{"https://example.com/a", "https://example.com/a", ""}}},
		{"Сайт:example.com", []found{{"example.com", "https://example.com/", ""}}},
		{"сайт пример.рф и президент.рф/news", []found{{"пример.рф", "https://xn--e1afmkfd.xn--p1ai/", ""}, {"президент.рф/news", "https://xn--d1abbgf6aiiy.xn--p1ai/news", ""}}},
		{"two:https://a.com/1,https://b.org/2", []found{{"https://a.com/1,https://b.org/2", "https://a.com/1,https://b.org/2", ""}}},
		{"a.com b.org", []found{{"a.com", "https://a.com/", ""}, {"b.org", "https://b.org/", ""}}},
		{"t.me/durov t.me/s/durov/12", []found{{"t.me/durov", "https://t.me/durov", ""}, {"t.me/s/durov/12", "https://t.me/s/durov/12", ""}}},
		{"join t.me/+AbCdEf123!", []found{{"t.me/+AbCdEf123", "https://t.me/+AbCdEf123", ""}}},
		{"tg://resolve?domain=durov.", []found{{"tg://resolve?domain=durov", "https://t.me/durov", ""}}},
		{"example.com:8080/x and example.com:notaport", []found{{"example.com:8080/x", "https://example.com:8080/x", ""}, {"example.com", "https://example.com/", ""}}},
		{"http://192.168.0.1/admin but not 192.168.0.1", []found{{"http://192.168.0.1/admin", "http://192.168.0.1/admin", ""}}},
		{"http://[2001:db8::1]/x", []found{{"http://[2001:db8::1]/x", "http://[2001:db8::1]/x", ""}}},
		{"https://example.com/a|b", []found{{"https://example.com/a", "https://example.com/a", ""}}},
		{"https://example.com/a\u200bb", []found{{"https://example.com/a", "https://example.com/a", ""}}},
		{"https://example.com/a\u00a0b", []found{{"https://example.com/a", "https://example.com/a", ""}}},
		{"网址：https://example.com/a。谢谢", []found{{"https://example.com/a", "https://example.com/a", ""}}},
		{"https://example.com/a#frag and #tag", []found{{"https://example.com/a#frag", "https://example.com/a", ""}}},
		{"same https://example.com/a and example.com/a/ and EXAMPLE.com/a#x", []found{{"https://example.com/a", "https://example.com/a", ""}}},
		{"http://example.com and https://example.com differ", []found{{"http://example.com", "http://example.com/", ""}, {"https://example.com", "https://example.com/", ""}}},
		{"utm: https://e.com/?utm_source=tg and https://e.com/", []found{{"https://e.com/?utm_source=tg", "https://e.com/", ""}}},
		// Not links.
		{"e.g. this, i.e. that, a.m. p.m. U.S.", nil},
		{"node.js and vue.js are frameworks", nil},
		{"readme.md setup.py archive.zip video.mov", nil},
		{"but readme.md/x is one", []found{{"readme.md/x", "https://readme.md/x", ""}}},
		{"mail me: someone@example.com or first.last@mail.example.org", nil},
		{"@someone.example.com is odd", nil},
		{"file at /var/www/example.com/index.html", nil},
		{"localhost:8080 and http://localhost/", nil},
		{"mailto:a@b.com javascript:alert(1)", nil},
		{"https:// nothing", nil},
		{"price $example.com", nil},
		{"word.unknowntld and host.-bad.com", nil},
		{"#example.com", nil},
		{"a.b", nil},
		{"xn--.com", nil},
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			got := Extract(c.text, nil)
			want := []found{}
			for _, w := range c.want {
				w.source = SourceText
				want = append(want, w)
			}
			require.Equal(t, want, view(c.text, got))
			for _, l := range got {
				require.Equal(t, Classify(l.URL), l.Platform)
				require.Equal(t, c.text[l.Start:l.End], l.Raw)
			}
		})
	}
}

func TestExtractEntities(t *testing.T) {
	t.Run("url entity and plain text agree", func(t *testing.T) {
		text := "Read https://example.com/a now"
		got := Extract(text, []Entity{ent(t, "url", text, "https://example.com/a", "")})
		require.Equal(t, []found{{"https://example.com/a", "https://example.com/a", SourceEntity}}, view(text, got))
	})
	t.Run("text_url is the hidden target", func(t *testing.T) {
		text := "Click here or there"
		got := Extract(text, []Entity{
			ent(t, "text_url", text, "here", "https://Example.com/Target?utm_source=x"),
			ent(t, "text_link", text, "there", "https://t.me/durov"),
		})
		require.Equal(t, []found{
			{"here", "https://example.com/Target", SourceTextURL},
			{"there", "https://t.me/durov", SourceTextURL},
		}, view(text, got))
		require.Equal(t, "https://Example.com/Target?utm_source=x", got[0].Raw)
		require.Equal(t, PlatformTelegram, got[1].Platform)
	})
	t.Run("emoji and non-BMP text before entities", func(t *testing.T) {
		text := "🔥🔥 𝐁𝐨𝐥𝐝 👨‍👩‍👧 текст example.org/x и t.me/chan_nel 🇺🇦"
		es := []Entity{
			ent(t, "url", text, "example.org/x", ""),
			ent(t, "url", text, "t.me/chan_nel", ""),
		}
		// The emoji are surrogate pairs: byte, rune and UTF-16 offsets all differ.
		require.NotEqual(t, strings.Index(text, "example"), es[0].Offset)
		require.NotEqual(t, len([]rune(text[:strings.Index(text, "example")])), es[0].Offset)
		got := Extract(text, es)
		require.Equal(t, []found{
			{"example.org/x", "https://example.org/x", SourceEntity},
			{"t.me/chan_nel", "https://t.me/chan_nel", SourceEntity},
		}, view(text, got))
	})
	t.Run("entity text_url over an emoji anchor", func(t *testing.T) {
		text := "a 👉 b"
		got := Extract(text, []Entity{ent(t, "text_url", text, "👉", "example.com")})
		require.Equal(t, []found{{"👉", "https://example.com/", SourceTextURL}}, view(text, got))
	})
	t.Run("entities missed by Telegram are found in plain text", func(t *testing.T) {
		text := "https://a.example.com and b.example.org/x"
		got := Extract(text, []Entity{ent(t, "url", text, "https://a.example.com", "")})
		require.Equal(t, []found{
			{"https://a.example.com", "https://a.example.com/", SourceEntity},
			{"b.example.org/x", "https://b.example.org/x", SourceText},
		}, view(text, got))
	})
	t.Run("duplicates across sources keep the first", func(t *testing.T) {
		text := "link and https://example.com/x and example.com/x/"
		got := Extract(text, []Entity{ent(t, "text_url", text, "link", "https://example.com/x?fbclid=1")})
		require.Equal(t, []found{{"link", "https://example.com/x", SourceTextURL}}, view(text, got))
	})
	t.Run("bad entities are ignored", func(t *testing.T) {
		text := "😀 https://example.com"
		got := Extract(text, []Entity{
			{Type: "url", Offset: 1, Length: 5},    // starts inside the surrogate pair
			{Type: "url", Offset: -1, Length: 3},   // negative
			{Type: "url", Offset: 3, Length: 1000}, // past the end
			{Type: "url", Offset: 1000, Length: 0}, // past the end
			{Type: "text_url", Offset: 0, Length: 2, URL: "mailto:x@y.z"},
			{Type: "text_url", Offset: 0, Length: 2, URL: ""},
			{Type: "bold", Offset: 0, Length: 2},
		})
		require.Equal(t, []found{{"https://example.com", "https://example.com/", SourceText}}, view(text, got))
	})
	t.Run("url entity that does not normalize is dropped", func(t *testing.T) {
		text := "see localhost:3000"
		got := Extract(text, []Entity{ent(t, "url", text, "localhost:3000", "")})
		require.Empty(t, got)
	})
	t.Run("email entity hides its domain", func(t *testing.T) {
		text := "write to press@example.com"
		got := Extract(text, []Entity{ent(t, "email", text, "press@example.com", "")})
		require.Empty(t, got)
	})
	t.Run("TL and export spellings", func(t *testing.T) {
		text := "x example.com y"
		for _, typ := range []string{"url", "link", "messageEntityUrl", "textEntityTypeUrl", "URL"} {
			got := Extract(text, []Entity{ent(t, typ, text, "example.com", "")})
			require.Equal(t, []found{{"example.com", "https://example.com/", SourceEntity}}, view(text, got), typ)
		}
		for _, typ := range []string{"text_url", "text_link", "messageEntityTextUrl", "textEntityTypeTextUrl", "TextLink"} {
			got := Extract(text, []Entity{ent(t, typ, text, "y", "https://t.me/x_channel")})
			require.Equal(t, "https://t.me/x_channel", got[len(got)-1].URL.String(), typ)
			require.Equal(t, SourceTextURL, got[len(got)-1].Source, typ)
		}
	})
}

func TestEntityTypeOf(t *testing.T) {
	cases := map[string]EntityType{
		"url": EntityURL, "link": EntityURL, "messageEntityUrl": EntityURL, "textEntityTypeUrl": EntityURL,
		"text_url": EntityTextURL, "text_link": EntityTextURL, "messageEntityTextUrl": EntityTextURL,
		"mention": EntityMention, "messageEntityMention": EntityMention,
		"hashtag": EntityHashtag, "messageEntityHashtag": EntityHashtag,
		"email": EntityEmail, "messageEntityEmail": EntityEmail, "emailAddress": EntityEmail,
		"cashtag": EntityCashtag, "bot_command": EntityBotCmd, "phone_number": EntityPhone,
		"mention_name": EntityUserLink, "text_mention": EntityUserLink, "messageEntityMentionName": EntityUserLink,
		"bold": EntityOther, "italic": EntityOther, "pre": EntityOther, "custom_emoji": EntityOther, "": EntityOther,
	}
	for in, want := range cases {
		require.Equal(t, want, EntityTypeOf(in), in)
	}
}

func TestExtractMentions(t *testing.T) {
	type m struct{ span, user, instance string }
	cases := []struct {
		text string
		want []m
	}{
		{"hi @durov and @Some_Channel!", []m{{"@durov", "durov", ""}, {"@Some_Channel", "some_channel", ""}}},
		{"@start of text", []m{{"@start", "start", ""}}},
		{"(@paren) [@bracket] «@quoted»", []m{{"@paren", "paren", ""}, {"@bracket", "bracket", ""}, {"@quoted", "quoted", ""}}},
		{"a@b.com foo@bar", nil},
		{"email first.last@example.com", nil},
		{"@@double @ alone @", nil},
		{"@" + strings.Repeat("a", 33) + " is too long, @" + strings.Repeat("b", 32) + " is not", []m{{"@" + strings.Repeat("b", 32), strings.Repeat("b", 32), ""}}},
		{"follow @user@mastodon.social and @other@Hachyderm.IO.", []m{{"@user@mastodon.social", "user", "mastodon.social"}, {"@other@Hachyderm.IO", "other", "hachyderm.io"}}},
		{"@user@notadomain stays a mention", []m{{"@user", "user", ""}}},
		{"dup @Name and @name", []m{{"@Name", "name", ""}}},
		{"inside https://mastodon.social/@user no", nil},
		{"inside t.me/s/@x no", nil},
		{"full width ＠durov", []m{{"＠durov", "durov", ""}}},
		{"Привет @канал and @ok_name", []m{{"@ok_name", "ok_name", ""}}},
		{"@name.bsky.social", []m{{"@name", "name", ""}}},
		{"x_@nope a.@nope2", nil},
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			got := []m{}
			for _, x := range ExtractMentions(c.text, nil) {
				require.Equal(t, SourceText, x.Source)
				got = append(got, m{c.text[x.Start:x.End], x.Username, x.Instance})
			}
			if c.want == nil {
				c.want = []m{}
			}
			require.Equal(t, c.want, got)
		})
	}
	t.Run("entities", func(t *testing.T) {
		text := "🙂 @durov and @Second and @third"
		got := ExtractMentions(text, []Entity{
			ent(t, "mention", text, "@durov", ""),
			ent(t, "messageEntityMention", text, "@Second", ""),
			ent(t, "mention", text, "and", ""), // not a mention span: ignored
		})
		require.Len(t, got, 3)
		require.Equal(t, Mention{Name: "durov", Username: "durov", Source: SourceEntity, Start: 5, End: 11}, got[0])
		require.Equal(t, "second", got[1].Username)
		require.Equal(t, SourceEntity, got[1].Source)
		require.Equal(t, "third", got[2].Username)
		require.Equal(t, SourceText, got[2].Source)
	})
}

func TestExtractHashtags(t *testing.T) {
	cases := []struct {
		text string
		want []string // spans
	}{
		{"#news and #News2024 #новости #أخبار #日本", []string{"#news", "#News2024", "#новости", "#أخبار", "#日本"}},
		{"#1 #2024 #_ not tags", []string{}},
		{"#1st is", []string{"#1st"}},
		{"a#b c#d &#39; ##double", []string{}},
		{"(#paren) #end.", []string{"#paren", "#end"}},
		{"https://example.com/#section #real", []string{"#real"}},
		{"#tag_with_underscore #tag-dash", []string{"#tag_with_underscore", "#tag"}},
		{"＃fullwidth", []string{"＃fullwidth"}},
		{"#café #Café", []string{"#café"}},
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			got := []string{}
			for _, h := range ExtractHashtags(c.text, nil) {
				require.Equal(t, strings.ToLower(h.Tag), h.Normalized)
				got = append(got, c.text[h.Start:h.End])
			}
			require.Equal(t, c.want, got)
		})
	}
	t.Run("entities", func(t *testing.T) {
		text := "👨‍👩‍👧 #семья #Two"
		got := ExtractHashtags(text, []Entity{ent(t, "hashtag", text, "#семья", "")})
		require.Equal(t, []Hashtag{
			{Tag: "семья", Normalized: "семья", Source: SourceEntity, Start: strings.Index(text, "#"), End: strings.Index(text, " #Two")},
			{Tag: "Two", Normalized: "two", Source: SourceText, Start: strings.Index(text, "#Two"), End: len(text)},
		}, got)
	})
}

func TestExtractAllPost(t *testing.T) {
	text := "⚡️ BREAKING: read https://www.example-news.com/2024/01/story?utm_source=telegram " +
		"(mirror: archive.ph/AbCd). Video: youtu.be/dQw4w9WgXcQ?si=x. Join @backup_channel or " +
		"t.me/+AbCdEfGhIjK. Contact: press@example-news.com #breaking #news 🇺🇦"
	ex := ExtractAll(text, nil)
	var urls []string
	var plats []Platform
	for _, l := range ex.Links {
		urls = append(urls, l.URL.String())
		plats = append(plats, l.Platform)
	}
	require.Equal(t, []string{
		"https://www.example-news.com/2024/01/story",
		"https://archive.ph/AbCd",
		"https://youtu.be/dQw4w9WgXcQ",
		"https://t.me/+AbCdEfGhIjK",
	}, urls)
	require.Equal(t, []Platform{PlatformWeb, PlatformArchive, PlatformYouTube, PlatformTelegram}, plats)
	require.Len(t, ex.Mentions, 1)
	require.Equal(t, "backup_channel", ex.Mentions[0].Username)
	require.Len(t, ex.Hashtags, 2)
}

func TestCodePointsToUTF16(t *testing.T) {
	text := "a😀b𝐁c"
	cases := []struct {
		start, end, off, n int
		ok                 bool
	}{
		{0, 1, 0, 1, true},
		{1, 2, 1, 2, true},
		{2, 3, 3, 1, true},
		{3, 4, 4, 2, true},
		{4, 5, 6, 1, true},
		{0, 5, 0, 7, true},
		{5, 5, 7, 0, true},
		{2, 2, 3, 0, true},
		{0, 6, 0, 0, false},
		{-1, 2, 0, 0, false},
		{3, 2, 0, 0, false},
	}
	for _, c := range cases {
		off, n, ok := CodePointsToUTF16(text, c.start, c.end)
		require.Equal(t, c.ok, ok, "%d-%d", c.start, c.end)
		if ok {
			require.Equal(t, [2]int{c.off, c.n}, [2]int{off, n}, "%d-%d", c.start, c.end)
		}
	}
	// The converted span selects the same text through an entity.
	tweet := "🔥 new: https://t.co/AbC"
	off, n, ok := CodePointsToUTF16(tweet, 7, 7+len("https://t.co/AbC"))
	require.True(t, ok)
	got := Extract(tweet, []Entity{{Type: "text_url", Offset: off, Length: n, URL: "https://example.com/full"}})
	require.Equal(t, []found{{"https://t.co/AbC", "https://example.com/full", SourceTextURL}}, view(tweet, got))
}

func TestUTF16IndexInvalidUTF8(t *testing.T) {
	text := "a\xffb https://example.com"
	idx := newUTF16Index(text, []Entity{{Offset: 4, Length: 19}})
	s, e, ok := idx.span(4, 19)
	require.True(t, ok)
	require.Equal(t, "https://example.com", text[s:e])
	require.Equal(t, []found{{"https://example.com", "https://example.com/", SourceText}}, view(text, Extract(text, nil)))
}

// BenchmarkExtract measures a typical 500-character channel post: Cyrillic
// text, emoji, three links, a mention and hashtags, with Telegram's entities.
func BenchmarkExtract(b *testing.B) {
	text := "⚡️Срочно! Власти объявили о новых мерах. Подробности в нашем материале: " +
		"https://www.example-news.ru/politics/2024/05/12/measures?utm_source=telegram&utm_medium=channel 👈\n\n" +
		"Видео с места событий смотрите на YouTube: youtu.be/dQw4w9WgXcQ, а также в резервном канале @backup_news. " +
		"Архив: archive.ph/AbCd12 🔥🔥\n\nПодписывайтесь на наш Twitter — x.com/examplenews и делитесь с друзьями! " +
		"#новости #политика #срочно Our English edition is available too, please share widely with everyone you know."
	entities := []Entity{
		ent(b, "url", text, "https://www.example-news.ru/politics/2024/05/12/measures?utm_source=telegram&utm_medium=channel", ""),
		ent(b, "url", text, "youtu.be/dQw4w9WgXcQ", ""),
		ent(b, "mention", text, "@backup_news", ""),
		ent(b, "url", text, "archive.ph/AbCd12", ""),
		ent(b, "url", text, "x.com/examplenews", ""),
		ent(b, "hashtag", text, "#новости", ""),
		ent(b, "hashtag", text, "#политика", ""),
		ent(b, "hashtag", text, "#срочно", ""),
	}
	if n := len([]rune(text)); n < 450 || n > 550 {
		b.Fatalf("post has %d characters, want about 500", n)
	}
	if got := len(Extract(text, entities)); got != 4 {
		b.Fatalf("got %d links, want 4", got)
	}
	b.Run("entities", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ExtractAll(text, entities)
		}
	})
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ExtractAll(text, nil)
		}
	})
	b.Run("links-only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Extract(text, entities)
		}
	})
}

func TestUTF16Len(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"", 0},
		{"hello, world", 12},
		{"😀 hi", 5},
		{"日本語", 3},
		{"e\u0301", 2},
		{"a\xffb", 3}, // an invalid byte counts as U+FFFD, one unit
	} {
		require.Equal(t, tc.want, UTF16Len(tc.in), "UTF16Len(%q)", tc.in)
	}
}
