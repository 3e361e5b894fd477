package twitterio_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/importer"
	"github.com/tidewatch/tidewatch/collector/importer/importertest"
	"github.com/tidewatch/tidewatch/collector/importer/twitterio"
	"github.com/tidewatch/tidewatch/schema"
)

func td(name string) string { return filepath.Join("testdata", name) }

func TestGolden(t *testing.T) {
	release := time.Date(2019, 6, 13, 0, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		files []string
		opts  *importer.Options
	}{
		"iran_2019":       {[]string{td("iran_2019_users.csv"), td("iran_2019_tweets.csv")}, nil},
		"iran_2019_users": {[]string{td("iran_2019_users.csv")}, &importer.Options{ObservedAt: release}},
		"venezuela_30col": {[]string{td("venezuela_2019_tweets_30col.csv")}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			sink, sum, err := importertest.Import(t, twitterio.Format, tc.files, tc.opts)
			require.NoError(t, err)
			require.Zero(t, sum.Rejected)
			importertest.Golden(t, name, sink.Sorted())
		})
	}
}

// TestPersonsAndAccountsUnderStudy: a retweet of an account of the release points at it in
// clear; a retweet of, a reply to and a mention of anyone else are keyed hashes.
func TestPersonsAndAccountsUnderStudy(t *testing.T) {
	sink, _, err := importertest.Import(t, twitterio.Format, []string{td("iran_2019_tweets.csv")}, nil)
	require.NoError(t, err)
	byID := map[uint64]schema.Post{}
	for _, p := range sink.Rows.Posts {
		byID[p.PostID] = p
	}
	rt := byID[709540022334455667]
	require.Equal(t, "retweet", rt.PostType)
	require.EqualValues(t, uint64(712345678901234560), rt.FwdChannelID)
	require.EqualValues(t, uint64(709532011123456789), rt.FwdPostID)
	require.Equal(t, []string{"712345678901234560"}, rt.Mentions)

	other := byID[871300000000000001]
	require.Equal(t, "retweet", other.PostType)
	require.Zero(t, other.FwdChannelID)
	require.Zero(t, other.FwdPostID)
	require.Len(t, other.FwdPersonHash, 64)
	require.Len(t, other.Mentions, 1)
	require.NotEqual(t, "55443322", other.Mentions[0])

	reply := byID[871234567890123456]
	require.Equal(t, "reply", reply.PostType)
	require.Zero(t, reply.ReplyToPostID, "the replied tweet is another person's")
	require.Equal(t, schema.AccountID("1c1f0e9d8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d"), reply.ChannelID)
	require.NotZero(t, reply.ChannelID&(1<<63), "hashed user ids get the top bit")

	require.Equal(t, "quote", byID[871299999999999999].PostType)
}

func TestBadRows(t *testing.T) {
	file := td("bad_tweets.csv")
	_, _, err := importertest.Import(t, twitterio.Format, []string{file}, nil)
	var verr *importer.ValidationError
	require.ErrorAs(t, err, &verr)
	var got []string
	for _, e := range verr.Errors {
		got = append(got, e.Error())
	}
	require.Equal(t, []string{
		file + `:4: like_count: expected a whole number like 12 or 12.0, got "1.5"`,
		file + `:6: is_retweet: expected True or False, got "maybe"`,
		file + `:8: tweetid: expected a numeric tweet id, got "7095320x"`,
		file + `:10: tweet_time: expected a time like 2016-03-14 01:31, got "14/03/2016"`,
	}, got)
	require.Equal(t, 4, verr.Records)
}

func TestHeaderErrors(t *testing.T) {
	for name, tc := range map[string]struct{ data, want string }{
		"no userid":     {"tweetid,tweet_time\n1,2\n", `x.csv:1: header: expected a users or tweets file of an information-operations release (a userid column), got "tweetid,tweet_time"`},
		"no tweet_time": {"tweetid,userid\n1,2\n", `x.csv:1: header: expected a tweet_time column in a tweets file, got "tweetid,userid"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := twitterio.Open(strings.NewReader(tc.data), &importer.Env{File: "x.csv"})
			require.EqualError(t, err, tc.want)
		})
	}
}

func TestImportTwiceIntoClickHouse(t *testing.T) {
	counts, _ := importertest.CheckTwice(t, twitterio.Format,
		[]string{td("iran_2019_users.csv"), td("iran_2019_tweets.csv"), td("venezuela_2019_tweets_30col.csv")}, nil)
	require.Equal(t, map[string]uint64{
		"channels": 4, "channel_snapshots": 0, "posts": 6, "post_links": counts["post_links"], "account_links": counts["account_links"], "events": 0,
	}, counts)
	require.NotZero(t, counts["post_links"])
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"iran_2019_users.csv", "iran_2019_tweets.csv", "venezuela_2019_tweets_30col.csv", "bad_tweets.csv"} {
		f.Add(importertest.ReadFile(f, td(name)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		importertest.FuzzParser(t, twitterio.Format, data)
	})
}
