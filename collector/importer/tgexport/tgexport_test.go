package tgexport_test

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/importer"
	"github.com/tidewatch/tidewatch/collector/importer/importertest"
	"github.com/tidewatch/tidewatch/collector/importer/tgexport"
	"github.com/tidewatch/tidewatch/schema"
)

func td(name string) string { return filepath.Join("testdata", name) }

func TestGolden(t *testing.T) {
	for _, name := range []string{"old_layout_tg2md", "current_layout"} {
		t.Run(name, func(t *testing.T) {
			sink, sum, err := importertest.Import(t, tgexport.Format, []string{td(name + ".json")}, nil)
			require.NoError(t, err)
			require.Zero(t, sum.Rejected)
			importertest.Golden(t, name, sink.Sorted())
		})
	}
}

func TestCurrentLayout(t *testing.T) {
	sink, _, err := importertest.Import(t, tgexport.Format, []string{td("current_layout.json")}, nil)
	require.NoError(t, err)
	byID := map[uint64]schema.Post{}
	for _, p := range sink.Rows.Posts {
		byID[p.PostID] = p
	}
	require.Len(t, byID, 10)
	require.Equal(t, schema.KindService, byID[1].Kind)
	require.Equal(t, "create_channel", byID[1].ServiceAction)
	require.EqualValues(t, 131, byID[2].Reactions, "emoji and paid reactions are counted")
	require.Equal(t, []string{"news"}, byID[2].Hashtags)
	require.Equal(t, []string{"openwatch_chat"}, byID[2].Mentions)
	require.EqualValues(t, 1700000001, byID[5].FwdChannelID)
	require.Equal(t, time.Date(2023, 2, 2, 18, 45, 10, 0, time.UTC), byID[5].EditedAt)
	require.Equal(t, "photo", byID[5].MediaType)
	require.Len(t, byID[6].FwdPersonHash, 64, "a forward from a user is a keyed hash")
	require.Zero(t, byID[6].FwdChannelID)
	require.Len(t, byID[7].FwdPersonHash, 64, "a forward from a hidden name is a keyed hash")
	require.Equal(t, "video", byID[7].MediaType)
	require.EqualValues(t, 5, byID[8].ReplyToPostID)
	require.Equal(t, "poll", byID[8].PostType)
	require.Equal(t, "sticker", byID[10].MediaType)

	var urls []string
	for _, l := range sink.Rows.PostLinks {
		urls = append(urls, l.URL+" "+l.LinkKind+" "+l.DestPlatform)
	}
	require.ElementsMatch(t, []string{
		"https://x.com/openwatch_en url twitter",
		"https://t.me/openwatch_chat mention telegram",
		"https://fieldreports.example.org/2023/02/02/ground url web",
		"https://t.me/openwatch_backup url telegram",
		urls[findPrefix(urls, "tg-invite:")],
		"https://bsky.app/profile/openwatch.bsky.social url bluesky",
	}, urls)
	require.True(t, strings.HasSuffix(urls[findPrefix(urls, "tg-invite:")], " invite telegram"))
	require.NotContains(t, strings.Join(urls, " "), "AbCdEfGhIjKlMnOp", "an invite's secret is never stored")

	require.Len(t, sink.Rows.Channels, 1)
	ch := sink.Rows.Channels[0]
	require.Equal(t, "Open Watch 🔭", ch.Title)
	require.Equal(t, "channel", ch.Kind)
	require.EqualValues(t, 1807654321, ch.ChannelID)
	require.Equal(t, time.Unix(1675242000, 0).UTC(), ch.FirstSeenAt)
	require.Equal(t, time.Unix(1675677600, 0).UTC(), ch.LastSeenAt)
}

func findPrefix(ss []string, p string) int {
	for i, s := range ss {
		if strings.HasPrefix(s, p) {
			return i
		}
	}
	return -1
}

// TestOldLayoutLocalTimes: old exports write local times; --tz reads them in a zone.
func TestOldLayoutLocalTimes(t *testing.T) {
	loc := time.FixedZone("UTC+3", 3*3600)
	sink, _, err := importertest.Import(t, tgexport.Format, []string{td("old_layout_tg2md.json")}, &importer.Options{Location: loc})
	require.NoError(t, err)
	for _, p := range sink.Rows.Posts {
		if p.PostID == 2 {
			require.Equal(t, time.Date(2020, 11, 12, 9, 54, 7, 0, time.UTC), p.PostedAt)
			return
		}
	}
	t.Fatal("post 2 missing")
}

func TestBadMessages(t *testing.T) {
	file := td("bad_messages.json")
	_, _, err := importertest.Import(t, tgexport.Format, []string{file}, nil)
	var verr *importer.ValidationError
	require.ErrorAs(t, err, &verr)
	var got []string
	for _, e := range verr.Errors {
		got = append(got, e.Error())
	}
	require.Equal(t, []string{
		file + `:75: id: expected a positive message id, got "\"x\""`,
		file + `:81: date: expected a time like 2020-11-12T12:53:52, got "yesterday"`,
		file + `:87: text: expected a string or a list of text parts, got "{\n    \"not\": \"text\"\n   }"`,
		file + `:95: type: expected message or service, got "mystery"`,
	}, got)

	var rejects bytes.Buffer
	sink, sum, err := importertest.Import(t, tgexport.Format, []string{file}, &importer.Options{Rejects: &rejects})
	require.NoError(t, err)
	require.EqualValues(t, 4, sum.Rejected)
	require.Len(t, sink.Rows.Posts, 1)
	recs, err := csv.NewReader(&rejects).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 5)
	require.True(t, strings.HasPrefix(recs[1][3], "{\n   \"id\": \"x\""), recs[1][3])
}

func TestFatal(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct{ data, want string }{
		"personal chat": {`{"name": "Bob", "type": "personal_chat", "id": 5, "messages": []}`,
			`x.json:1: type: expected a channel or public supergroup export (public_channel, private_channel, public_supergroup), got "personal_chat"`},
		"whole account": {`{"about": "x", "chats": {"list": []}}`,
			`x.json:1: chats: expected the export of one channel (result.json with name, type, id and messages), got "an export of a whole account"`},
		"messages first": {`{"messages": [], "type": "public_channel", "id": 1}`,
			`x.json:1: messages: expected the chat's type and id before its messages, got "messages first"`},
		"not json": {`hello`, `x.json:1: export: expected a JSON object (result.json of a Telegram Desktop export), got "invalid character 'h' looking for beginning of value"`},
		"empty":    {``, `x.json:1: export: expected a Telegram Desktop export (result.json), got "an empty file"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tgexport.Open(strings.NewReader(tc.data), &importer.Env{File: "x.json"})
			require.EqualError(t, err, tc.want)
		})
	}
	// Broken JSON in the middle of the messages ends the import: nothing after it can be trusted.
	broken := filepath.Join(dir, "broken.json")
	data, err := os.ReadFile(td("current_layout.json"))
	require.NoError(t, err)
	cut := bytes.Index(data, []byte(`"id": 6`))
	require.NoError(t, os.WriteFile(broken, append(data[:cut:cut], []byte("\"id\": ]]")...), 0o644))
	var rejects bytes.Buffer
	_, _, err = importertest.Import(t, tgexport.Format, []string{broken}, &importer.Options{Rejects: &rejects})
	require.ErrorIs(t, err, importer.ErrFatal)
	require.Contains(t, err.Error(), broken+":")
}

func TestImportTwiceIntoClickHouse(t *testing.T) {
	counts, _ := importertest.CheckTwice(t, tgexport.Format, []string{td("old_layout_tg2md.json"), td("current_layout.json")}, nil)
	require.Equal(t, map[string]uint64{
		"channels": 2, "channel_snapshots": 0, "posts": 29, "post_links": 8, "account_links": counts["account_links"], "events": 0,
	}, counts)
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"old_layout_tg2md.json", "current_layout.json", "bad_messages.json"} {
		f.Add(importertest.ReadFile(f, td(name)))
	}
	f.Add([]byte(`{"type":"public_channel","id":1,"messages":[{"id":1,"type":"message","date":"2020-01-01T00:00:00","text":["a",{"type":"link","text":"x.com/a"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		importertest.FuzzParser(t, tgexport.Format, data)
	})
}

// TestControlCharacters: a string of a message that decodes to a NUL byte or another control
// character rejects the message, naming its line and field; in the header it ends the import.
// Tabs and line breaks are text.
func TestControlCharacters(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "result.json")
	data := `{"name": "Open Watch", "type": "public_channel", "id": 1807654321, "messages": [
 {"id": 1, "type": "message", "date_unixtime": "1675242312", "text": "a\u0000b"},
 {"id": 2, "type": "message", "date_unixtime": "1675242313", "text": ["x", {"type": "link", "text": "\u001b]8;;https://evil.example\u0007"}]},
 {"id": 3, "type": "message", "date_unixtime": "1675242314", "from": "\b", "text_entities": [{"type": "plain", "text": "fine"}]},
 {"id": 4, "type": "message", "date_unixtime": "1675242315", "text": "two\nlines\tand a tab"}
]}`
	require.NoError(t, os.WriteFile(file, []byte(data), 0o644))
	_, _, err := importertest.Import(t, tgexport.Format, []string{file}, nil)
	var verr *importer.ValidationError
	require.ErrorAs(t, err, &verr)
	var got []string
	for _, e := range verr.Errors {
		got = append(got, e.Error())
	}
	require.Equal(t, []string{
		file + `:2: text: expected UTF-8 text without NUL bytes or control characters, got "a\x00b"`,
		file + `:3: text[1].text: expected UTF-8 text without NUL bytes or control characters, got "\x1b]8;;https://evil.example\a"`,
		file + `:4: from: expected UTF-8 text without NUL bytes or control characters, got "\b"`,
	}, got)
	var rejects bytes.Buffer
	sink, sum, err := importertest.Import(t, tgexport.Format, []string{file}, &importer.Options{Rejects: &rejects})
	require.NoError(t, err)
	require.EqualValues(t, 3, sum.Rejected)
	require.Len(t, sink.Rows.Posts, 1)
	require.EqualValues(t, 4, sink.Rows.Posts[0].PostID)

	for name, tc := range map[string]struct{ data, want string }{
		"name": {`{"name": "Open\u0000Watch", "type": "public_channel", "id": 1, "messages": []}`,
			`x.json:1: name: expected UTF-8 text without NUL bytes or control characters, got "Open\x00Watch"`},
		"skipped field": {`{"about": {"lines": ["ok", "\u001b[31m"]}, "type": "public_channel", "id": 1, "messages": []}`,
			`x.json:1: about.lines[1]: expected UTF-8 text without NUL bytes or control characters, got "\x1b[31m"`},
		"key": {`{"a\u0000": 1, "type": "public_channel", "id": 1, "messages": []}`,
			`x.json:1: "a\x00": expected UTF-8 text without NUL bytes or control characters, got "a\x00"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tgexport.Open(strings.NewReader(tc.data), &importer.Env{File: "x.json"})
			require.EqualError(t, err, tc.want)
		})
	}
}
