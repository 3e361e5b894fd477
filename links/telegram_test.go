package links

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseTelegram(t *testing.T) {
	cases := []struct {
		url  string
		want TelegramLink
	}{
		{"t.me/durov", TelegramLink{Kind: TelegramChannel, Username: "durov"}},
		{"https://t.me/Durov/", TelegramLink{Kind: TelegramChannel, Username: "durov"}},
		{"https://www.t.me/durov", TelegramLink{Kind: TelegramChannel, Username: "durov"}},
		{"http://telegram.me/durov", TelegramLink{Kind: TelegramChannel, Username: "durov"}},
		{"https://telegram.dog/durov", TelegramLink{Kind: TelegramChannel, Username: "durov"}},
		{"https://durov.t.me", TelegramLink{Kind: TelegramChannel, Username: "durov"}},
		{"https://durov.t.me/42", TelegramLink{Kind: TelegramPost, Username: "durov", PostID: 42}},
		{"https://t.me/some_bot?start=ref_123", TelegramLink{Kind: TelegramChannel, Username: "some_bot"}},
		{"tg://resolve?domain=durov", TelegramLink{Kind: TelegramChannel, Username: "durov"}},
		{"https://t.me/s/durov", TelegramLink{Kind: TelegramPreview, Username: "durov", Preview: true}},
		{"https://t.me/s/durov?before=100", TelegramLink{Kind: TelegramPreview, Username: "durov", Preview: true}},
		{"https://t.me/durov/123", TelegramLink{Kind: TelegramPost, Username: "durov", PostID: 123}},
		{"https://t.me/durov/123?single", TelegramLink{Kind: TelegramPost, Username: "durov", PostID: 123}},
		{"https://t.me/durov/123?comment=5", TelegramLink{Kind: TelegramPost, Username: "durov", PostID: 123}},
		{"https://t.me/s/durov/123", TelegramLink{Kind: TelegramPost, Username: "durov", PostID: 123, Preview: true}},
		{"https://t.me/forum_chat/7/123", TelegramLink{Kind: TelegramPost, Username: "forum_chat", ThreadID: 7, PostID: 123}},
		{"tg://resolve?domain=durov&post=9", TelegramLink{Kind: TelegramPost, Username: "durov", PostID: 9}},
		{"https://t.me/c/1234567890/55", TelegramLink{Kind: TelegramPrivatePost, ChannelID: 1234567890, PostID: 55}},
		{"https://t.me/c/1234567890/3/55", TelegramLink{Kind: TelegramPrivatePost, ChannelID: 1234567890, ThreadID: 3, PostID: 55}},
		{"tg://privatepost?channel=1234567890&post=55", TelegramLink{Kind: TelegramPrivatePost, ChannelID: 1234567890, PostID: 55}},
		{"https://t.me/c/1234567890", TelegramLink{Kind: TelegramOther}},
		{"https://t.me/c/abc/1", TelegramLink{Kind: TelegramOther}},
		{"https://t.me/c/1/2/3/4", TelegramLink{Kind: TelegramOther}},
		{"https://t.me/+AbCdEf_-123", TelegramLink{Kind: TelegramInvite, IsInvite: true, InviteHash: "AbCdEf_-123"}},
		{"https://t.me/%2BAbCdEf", TelegramLink{Kind: TelegramInvite, IsInvite: true, InviteHash: "AbCdEf"}},
		{"tg://join?invite=AbCdEf", TelegramLink{Kind: TelegramInvite, IsInvite: true, InviteHash: "AbCdEf"}},
		{"https://t.me/joinchat/AAAAAEkk2WdoDrB4-Q8-gg", TelegramLink{Kind: TelegramInvite, IsInvite: true, InviteHash: "AAAAAEkk2WdoDrB4-Q8-gg"}},
		{"https://telegram.me/joinchat/AbC", TelegramLink{Kind: TelegramInvite, IsInvite: true, InviteHash: "AbC"}},
		{"https://t.me/JoinChat/AbC", TelegramLink{Kind: TelegramInvite, IsInvite: true, InviteHash: "AbC"}},
		{"https://t.me/joinchat", TelegramLink{Kind: TelegramOther}},
		{"https://t.me/+", TelegramLink{Kind: TelegramOther}},
		{"https://t.me/+447911123456", TelegramLink{Kind: TelegramOther}},
		{"https://t.me/addlist/AbCdEf", TelegramLink{Kind: TelegramFolder, IsInvite: true, InviteHash: "AbCdEf"}},
		{"https://t.me/addstickers/Animals", TelegramLink{Kind: TelegramStickers, StickerSet: "Animals"}},
		{"https://t.me/addemoji/Flags", TelegramLink{Kind: TelegramStickers, StickerSet: "Flags"}},
		{"https://t.me/addstickers", TelegramLink{Kind: TelegramOther}},
		{"https://t.me/share/url?url=https%3A%2F%2Fexample.org&text=hi", TelegramLink{Kind: TelegramShare, TargetURL: "https://example.org"}},
		{"https://t.me/share?url=example.org", TelegramLink{Kind: TelegramShare, TargetURL: "example.org"}},
		{"https://t.me/iv?url=https%3A%2F%2Fexample.org%2Fa&rhash=abc", TelegramLink{Kind: TelegramInstantView, TargetURL: "https://example.org/a"}},
		{"https://t.me/proxy?server=1.2.3.4&port=443&secret=ee", TelegramLink{Kind: TelegramProxy}},
		{"https://t.me/socks?server=1.2.3.4&port=1080", TelegramLink{Kind: TelegramProxy}},
		{"https://t.me/boost/durov", TelegramLink{Kind: TelegramBoost, Username: "durov"}},
		{"https://t.me/boost?c=1234", TelegramLink{Kind: TelegramBoost}},
		{"https://t.me/", TelegramLink{Kind: TelegramOther}},
		{"https://t.me/login/abc", TelegramLink{Kind: TelegramOther}},
		{"https://t.me/setlanguage/de", TelegramLink{Kind: TelegramOther}},
		{"https://t.me/contact/abcdef", TelegramLink{Kind: TelegramOther}},
		{"https://t.me/m/AbCdEf", TelegramLink{Kind: TelegramOther}},
		{"https://t.me/$AbCdEf", TelegramLink{Kind: TelegramOther}},
		{"https://t.me/durov/app", TelegramLink{Kind: TelegramOther, Username: "durov"}},
		{"https://t.me/durov/0", TelegramLink{Kind: TelegramOther, Username: "durov"}},
		{"https://telegram.org/blog", TelegramLink{Kind: TelegramOther}},
		{"https://core.telegram.org/api", TelegramLink{Kind: TelegramOther}},
		{"https://telesco.pe/durov/77", TelegramLink{Kind: TelegramPost, Username: "durov", PostID: 77}},
		{"https://t.me/abcd", TelegramLink{Kind: TelegramChannel, Username: "abcd"}},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			u, err := Normalize(c.url)
			require.NoError(t, err)
			got, err := ParseTelegram(u)
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
}

func TestParseTelegramErrors(t *testing.T) {
	cases := []struct {
		url  string
		err  error
		text string
	}{
		{"https://example.com/durov", ErrNotTelegram, `"example.com"`},
		{"https://t.co/durov", ErrNotTelegram, "t.co"},
		{"https://telegra.ph/x", ErrNotTelegram, "telegra.ph"},
		{"https://a.b.t.me/", ErrNotTelegram, "a.b.t.me"},
		{"https://t.me/ab", ErrInvalidUsername, "too short"},
		{"https://t.me/1channel", ErrInvalidUsername, "starts with a digit"},
		{"https://t.me/some-channel", ErrInvalidUsername, "character '-'"},
		{"https://t.me/s/x", ErrInvalidUsername, "too short"},
		{"https://t.me/s", ErrInvalidUsername, "missing"},
		{"https://t.me/boost/1x", ErrInvalidUsername, "digit"},
		{"https://t.me/channel_/1", ErrInvalidUsername, "ends with an underscore"},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			u, err := Normalize(c.url)
			require.NoError(t, err)
			_, err = ParseTelegram(u)
			require.ErrorIs(t, err, c.err)
			require.Contains(t, err.Error(), c.text)
		})
	}
}

func TestNormalizeUsername(t *testing.T) {
	good := map[string]string{
		"durov": "durov", "Durov": "durov", "DUROV": "durov", "abcd": "abcd",
		"a_b_c_d": "a_b_c_d", "channel123": "channel123", "x1234": "x1234",
		strings.Repeat("a", 32): strings.Repeat("a", 32),
	}
	for in, want := range good {
		got, err := NormalizeUsername(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got)
	}
	bad := map[string]string{
		"":                      "empty",
		"abc":                   "too short (3 characters",
		"a":                     "too short",
		strings.Repeat("a", 33): "too long (33 characters, at most 32)",
		"1abcde":                "starts with a digit",
		"_abcde":                "starts with an underscore",
		"abcde_":                "ends with an underscore",
		"ab__cd":                "two underscores in a row",
		"ab-cd":                 "character '-' at position 3",
		"ab.cd":                 "character '.' at position 3",
		"канал":                 "character 'к' at position 1",
		"abc de":                "character ' ' at position 4",
		"@abcde":                "character '@' at position 1",
	}
	for in, want := range bad {
		_, err := NormalizeUsername(in)
		require.ErrorIs(t, err, ErrInvalidUsername, in)
		require.Contains(t, err.Error(), want, in)
	}
}

func TestParseSeed(t *testing.T) {
	good := []struct {
		in   string
		user string
		post int64
	}{
		{"@durov", "durov", 0},
		{"@Durov", "durov", 0},
		{"durov", "durov", 0},
		{"  durov  ", "durov", 0},
		{"\ufeffdurov", "durov", 0},
		{"t.me/durov", "durov", 0},
		{"t.me/Durov/", "durov", 0},
		{"https://t.me/durov", "durov", 0},
		{"http://t.me/durov", "durov", 0},
		{"https://www.t.me/durov", "durov", 0},
		{"https://t.me/s/durov", "durov", 0},
		{"t.me/s/durov", "durov", 0},
		{"https://t.me/durov/123", "durov", 123},
		{"https://t.me/s/durov/123", "durov", 123},
		{"https://telegram.me/durov", "durov", 0},
		{"telegram.dog/durov", "durov", 0},
		{"https://durov.t.me/", "durov", 0},
		{"tg://resolve?domain=durov", "durov", 0},
		{"https://t.me/durov?utm_source=x", "durov", 0},
	}
	for _, c := range good {
		t.Run(c.in, func(t *testing.T) {
			s, err := ParseSeed(c.in)
			require.NoError(t, err)
			require.Equal(t, c.user, s.Username)
			require.Equal(t, c.post, s.PostID)
			require.Equal(t, strings.TrimSpace(strings.TrimPrefix(c.in, "\ufeff")), s.Input)
		})
	}
	bad := []struct {
		in   string
		err  error
		text string
	}{
		{"", ErrEmptySeed, "empty seed"},
		{"   ", ErrEmptySeed, "empty seed"},
		{"@", ErrInvalidUsername, `seed "@": invalid Telegram username: empty`},
		{"@ab", ErrInvalidUsername, "too short"},
		{"ab", ErrInvalidUsername, "too short"},
		{"@1channel", ErrInvalidUsername, "starts with a digit"},
		{"@some-channel", ErrInvalidUsername, "character '-' at position 5"},
		{"some channel", ErrInvalidUsername, "character ' '"},
		{"@канал", ErrInvalidUsername, "character 'к'"},
		{"@durov,", ErrInvalidUsername, "character ','"},
		{"t.me/+AbCdEf", ErrInviteSeed, "cannot be seeds"},
		{"https://t.me/joinchat/AbCdEf", ErrInviteSeed, "cannot be seeds"},
		{"https://t.me/addlist/AbC", ErrInviteSeed, "cannot be seeds"},
		{"https://t.me/c/12345/6", ErrSeedNotChannel, "give its username"},
		{"https://t.me/addstickers/Animals", ErrSeedNotChannel, "stickers"},
		{"https://t.me/", ErrSeedNotChannel, "other"},
		{"https://t.me/durov/app", ErrSeedNotChannel, "other"},
		{"https://example.com/durov", ErrNotTelegram, `host "example.com"`},
		{"https://twitter.com/durov", ErrNotTelegram, "twitter.com"},
		{"durov.example", ErrNotTelegram, "durov.example"},
		{"t.me/ab", ErrInvalidUsername, "too short"},
		{"https://t.me/1abc", ErrInvalidUsername, "starts with a digit"},
		{"mailto:durov@example.com", ErrUnsupportedScheme, "mailto"},
		{"http://localhost/durov", ErrNoRegisteredDomain, "localhost"},
		{"tg://user?id=1", ErrUnsupportedScheme, "tg://user"},
	}
	for _, c := range bad {
		t.Run(c.in, func(t *testing.T) {
			_, err := ParseSeed(c.in)
			require.ErrorIs(t, err, c.err)
			require.Contains(t, err.Error(), c.text)
			if strings.TrimSpace(c.in) != "" {
				require.Contains(t, err.Error(), fmt.Sprintf("%q", strings.TrimSpace(c.in)), "the error names the input")
			}
		})
	}
}

func TestParseSeedFile(t *testing.T) {
	in := "\ufeff# seeds for the spring study\n" +
		"@durov\n" +
		"\n" +
		"   \n" +
		"t.me/telegram   # the official channel\n" +
		"https://t.me/s/durov\n" + // duplicate of line 2
		"@ab\n" +
		"https://t.me/+AbCdEf\n" +
		"\t# indented comment\n" +
		"https://t.me/some_news/42\r\n" +
		"not a seed!\n" +
		"tg://resolve?domain=Another_One\n" +
		"https://t.me/durov#anchor\n" + // '#' without a space is part of the URL
		"https://example.com/x"
	seeds, bad := ParseSeedFile(strings.NewReader(in))
	var users []string
	for _, s := range seeds {
		users = append(users, s.Username)
	}
	require.Equal(t, []string{"durov", "telegram", "some_news", "another_one"}, users)
	require.Equal(t, int64(42), seeds[2].PostID)
	require.Equal(t, "t.me/telegram", seeds[1].Input)
	var lines []int
	for _, e := range bad {
		lines = append(lines, e.Line)
		require.Contains(t, e.Error(), fmt.Sprintf("line %d: ", e.Line))
	}
	require.Equal(t, []int{7, 8, 11, 14}, lines)
	require.ErrorIs(t, bad[0], ErrInvalidUsername)
	require.ErrorIs(t, bad[1], ErrInviteSeed)
	require.ErrorIs(t, bad[2], ErrInvalidUsername)
	require.ErrorIs(t, bad[3], ErrNotTelegram)
	require.Equal(t, "not a seed!", bad[2].Text)

	seeds, bad = ParseSeedFile(strings.NewReader(""))
	require.Empty(t, seeds)
	require.Empty(t, bad)

	// A line longer than any seed ends the file with a read error.
	seeds, bad = ParseSeedFile(strings.NewReader("@durov\n" + strings.Repeat("x", maxSeedLine+1) + "\n@other_one\n"))
	require.Len(t, seeds, 1)
	require.Len(t, bad, 1)
	require.Equal(t, 2, bad[0].Line)
	require.Contains(t, bad[0].Error(), "read:")

	// A failing reader.
	seeds, bad = ParseSeedFile(&failingReader{data: "@durov\n@telegram\n"})
	require.Len(t, seeds, 2)
	require.Len(t, bad, 1)
	require.ErrorIs(t, bad[0], errDisk)
	require.Equal(t, 3, bad[0].Line)
}

var errDisk = errors.New("disk on fire")

type failingReader struct{ data string }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, errDisk
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}
