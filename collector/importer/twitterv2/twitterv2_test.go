package twitterv2_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/importer"
	"github.com/tidewatch/tidewatch/collector/importer/importertest"
	"github.com/tidewatch/tidewatch/collector/importer/twitterv2"
)

// goodSamples are the real twarc2 files without broken lines.
var goodSamples = []string{
	"cashtags", "edited", "flat_truncated", "geo_tweets", "many_urls", "media_tweet",
	"mentions_tweet", "quoted_edit", "two_tweets", "verified_type",
}

func sample(name string) string { return filepath.Join("testdata", "twarc-csv_"+name+".jsonl") }

func TestGolden(t *testing.T) {
	for _, name := range goodSamples {
		t.Run(name, func(t *testing.T) {
			sink, sum, err := importertest.Import(t, twitterv2.Format, []string{sample(name)}, nil)
			require.NoError(t, err)
			require.Zero(t, sum.Rejected)
			importertest.Golden(t, name, sink.Sorted())
		})
	}
}

func TestBrokenLine(t *testing.T) {
	file := sample("streaming_output_with_error")
	_, _, err := importertest.Import(t, twitterv2.Format, []string{file}, nil)
	var verr *importer.ValidationError
	require.ErrorAs(t, err, &verr)
	require.Len(t, verr.Errors, 1)
	require.Equal(t, file+`:8: line: expected a JSON object (invalid JSON at byte 44: unexpected end of JSON input), got "{\"data\": {\"author_id\": \"1021159080151404544\""`, verr.Errors[0].Error())

	var rejects bytes.Buffer
	sink, sum, err := importertest.Import(t, twitterv2.Format, []string{file}, &importer.Options{Rejects: &rejects})
	require.NoError(t, err)
	require.EqualValues(t, 8, sum.Records)
	require.EqualValues(t, 1, sum.Rejected)
	require.Len(t, sink.Rows.Posts, 7)
	recs, err := csv.NewReader(&rejects).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 2)
	require.Equal(t, "8", recs[1][1])
	require.Equal(t, `{"data": {"author_id": "1021159080151404544"`, recs[1][3])
	importertest.Golden(t, "streaming_output_with_error", sink.Sorted())
}

func TestFieldErrors(t *testing.T) {
	lines := strings.Join([]string{
		`{"data": [{"id": "12", "author_id": "x", "created_at": "2022-01-01T00:00:00.000Z", "text": "a"}, {"id": "13", "author_id": "1", "created_at": "yesterday", "text": "b"}]}`,
		`{"data": {"id": "", "author_id": "1", "created_at": "2022-01-01T00:00:00.000Z", "text": "a", "referenced_tweets": [{"type": "retweeted", "id": "abc"}]}}`,
		`{"data": "nonsense"}`,
		`{"foo": 1}`,
		`{"data": [{"id": 5}]}`,
		`{"meta": {"result_count": 0}}`,
		``,
	}, "\n")
	rec := parseAll(t, lines)
	require.Equal(t, []string{
		`x:1: data[0].author_id: expected a numeric user id, got "x"`,
		`x:1: data[1].created_at: expected a time like 2022-08-13T20:36:51.000Z, got "yesterday"`,
		`x:2: data.id: expected a numeric tweet id, got ""`,
		`x:2: data.referenced_tweets[0].id: expected a numeric tweet id, got "abc"`,
		`x:3: data: expected a tweet or a list of tweets, got "\"nonsense\""`,
		`x:4: line: expected a twarc2 page ("data": [...]), a streaming line ("data": {...}) or a flattened tweet ("id": ...), got "{\"foo\": 1}"`,
		`x:5: data: expected a list of tweets (id should be string, not number), got "[{\"id\": 5}]"`,
	}, rec)
}

func parseAll(t *testing.T, data string) []string {
	t.Helper()
	h, err := importer.NewHasher(importertest.Key)
	require.NoError(t, err)
	env := &importer.Env{File: "x", Hasher: h, Study: importer.NewStudy()}
	p, err := twitterv2.Open(strings.NewReader(data), env)
	require.NoError(t, err)
	var out []string
	for {
		var rec importer.Record
		if err := p.Next(&rec); err != nil {
			break
		}
		for _, e := range rec.Errors {
			out = append(out, e.Error())
		}
	}
	return out
}

// TestRetweetOfAccountUnderStudy: the retweeted author is under study when the same import
// holds posts of theirs, and the retweet then points at the original in clear.
func TestRetweetOfAccountUnderStudy(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "t.jsonl")
	data := `{"data": [{"id": "1394735776701816833", "author_id": "2", "created_at": "2021-05-18T19:24:56.000Z", "text": "RT @orig: hello", "referenced_tweets": [{"type": "retweeted", "id": "1391677057810288641"}], "public_metrics": {"retweet_count": 5, "reply_count": 0, "like_count": 0, "quote_count": 0}},{"id": "1391677057810288641", "author_id": "1", "created_at": "2021-05-10T08:40:16.000Z", "text": "hello", "public_metrics": {"retweet_count": 5, "reply_count": 1, "like_count": 2, "quote_count": 0}},{"id": "1391677057810288999", "author_id": "2", "created_at": "2021-05-10T08:40:16.000Z", "text": "RT @someone: hi", "referenced_tweets": [{"type": "retweeted", "id": "1391677057810288000"}]}],"includes": {"users": [{"id": "1", "username": "orig", "name": "Orig"}, {"id": "2", "username": "fan", "name": "Fan"}], "tweets": [{"id": "1391677057810288000", "author_id": "99", "created_at": "2021-05-10T08:40:00.000Z", "text": "hi"}]}}`
	require.NoError(t, writeFile(file, data))
	sink, _, err := importertest.Import(t, twitterv2.Format, []string{file}, nil)
	require.NoError(t, err)
	posts := sink.Sorted().Posts
	require.Len(t, posts, 3)
	rt := posts[2] // channel 2, id ...833
	require.Equal(t, "retweet", rt.PostType)
	require.EqualValues(t, 1, rt.FwdChannelID)
	require.EqualValues(t, uint64(1391677057810288641), rt.FwdPostID)
	require.Empty(t, rt.FwdPersonHash)
	require.Zero(t, rt.Forwards, "a retweet's counters are the original's")
	other := posts[1]
	require.Equal(t, "retweet", other.PostType)
	require.Zero(t, other.FwdChannelID)
	require.Zero(t, other.FwdPostID, "another person's tweet id would name them")
	require.Len(t, other.FwdPersonHash, 64)
}

func TestImportTwiceIntoClickHouse(t *testing.T) {
	files := make([]string, len(goodSamples))
	for i, n := range goodSamples {
		files[i] = sample(n)
	}
	counts, db := importertest.CheckTwice(t, twitterv2.Format, files, nil)
	require.Equal(t, map[string]uint64{
		"channels": counts["channels"], "channel_snapshots": counts["channel_snapshots"], "posts": counts["posts"],
		"post_links": counts["post_links"], "account_links": counts["account_links"], "events": 0,
	}, counts)
	var posts uint64
	require.NoError(t, db.QueryRow(context.Background(), "SELECT count() FROM posts FINAL WHERE platform = 'twitter'").Scan(&posts))
	require.EqualValues(t, 38, posts)
	var edited uint64
	require.NoError(t, db.QueryRow(context.Background(),
		"SELECT post_id FROM posts FINAL WHERE platform = 'twitter' AND edited_at > toDateTime(0)").Scan(&edited))
	require.EqualValues(t, uint64(1576994746135764992), edited, "the edit lands on the post it edits")
}

func FuzzParse(f *testing.F) {
	for _, name := range append(goodSamples, "streaming_output_with_error") {
		data := importertest.ReadFile(f, sample(name))
		if len(data) > 8000 {
			data = data[:8000]
		}
		f.Add(data)
	}
	f.Add([]byte(`{"data": [{"id": "1", "author_id": "2", "created_at": "2022-01-01T00:00:00Z", "edit_history_tweet_ids": ["1576994746135764992", "1"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		importertest.FuzzParser(t, twitterv2.Format, data)
	})
}

// TestAuthorWithoutUserObject: a tweet whose author is not in the line's includes still gives
// its account a channels row, one that never replaces a fuller one.
func TestAuthorWithoutUserObject(t *testing.T) {
	file := filepath.Join(t.TempDir(), "t.jsonl")
	require.NoError(t, writeFile(file, `{"data": {"id": "1377650090978992134", "author_id": "4602771083", "created_at": "2021-04-01T15:52:31.000Z", "text": "hi"}}`+"\n"))
	sink, _, err := importertest.Import(t, twitterv2.Format, []string{file}, nil)
	require.NoError(t, err)
	require.Len(t, sink.Rows.Channels, 1)
	ch := sink.Rows.Channels[0]
	require.EqualValues(t, 4602771083, ch.ChannelID)
	require.Equal(t, "4602771083", ch.ExternalID)
	require.EqualValues(t, importer.PartialIdentityVersion, ch.Version)
	require.Empty(t, sink.Rows.Snapshots)
}

// TestControlCharacters: a string that decodes to a NUL byte or another control character is
// rejected with its line and field, and nothing of the line is imported; tabs and line breaks
// are text.
func TestControlCharacters(t *testing.T) {
	lines := strings.Join([]string{
		`{"data": [{"id": "1394735776701816833", "text": "a\u0000b", "author_id": "1379899464345923590", "created_at": "2021-05-18T19:24:56.000Z"}]}`,
		`{"data": {"id": "1394735776701816834", "text": "ok", "author_id": "1379899464345923590", "created_at": "2021-05-18T19:24:56.000Z"}, "includes": {"users": [{"id": "1379899464345923590", "username": "v", "name": "\u001b[2J"}]}}`,
		`{"id": "1394735776701816835", "text": "\b", "author_id": "1379899464345923590", "created_at": "2021-05-18T19:24:56.000Z", "author": {"id": "1379899464345923590", "description": "x\u007f"}}`,
		`{"data": {"id": "1394735776701816836", "text": "two\nlines\tand a tab\r\n", "author_id": "1379899464345923590", "created_at": "2021-05-18T19:24:56.000Z"}}`,
	}, "\n")
	require.Equal(t, []string{
		`x:1: data[0].text: expected UTF-8 text without NUL bytes or control characters, got "a\x00b"`,
		`x:2: includes.users[0].name: expected UTF-8 text without NUL bytes or control characters, got "\x1b[2J"`,
		`x:3: text: expected UTF-8 text without NUL bytes or control characters, got "\b"`,
		`x:3: author.description: expected UTF-8 text without NUL bytes or control characters, got "x\x7f"`,
	}, parseAll(t, lines))

	file := filepath.Join(t.TempDir(), "t.jsonl")
	require.NoError(t, writeFile(file, lines))
	_, _, err := importertest.Import(t, twitterv2.Format, []string{file}, nil)
	var verr *importer.ValidationError
	require.ErrorAs(t, err, &verr)
	require.Len(t, verr.Errors, 4)
	var rejects bytes.Buffer
	sink, sum, err := importertest.Import(t, twitterv2.Format, []string{file}, &importer.Options{Rejects: &rejects})
	require.NoError(t, err)
	require.EqualValues(t, 3, sum.Rejected)
	require.Len(t, sink.Rows.Posts, 1)
	require.EqualValues(t, uint64(1394735776701816836), sink.Rows.Posts[0].PostID)
	require.NotZero(t, sink.Rows.Posts[0].TextLength)
}
