package crowdtangle_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/importer"
	"github.com/tidewatch/tidewatch/collector/importer/crowdtangle"
	"github.com/tidewatch/tidewatch/collector/importer/importertest"
)

func TestGolden(t *testing.T) {
	for _, name := range []string{"facebook_2021_41col", "facebook_2021_39col", "facebook_2020_31col", "instagram"} {
		t.Run(name, func(t *testing.T) {
			sink, sum, err := importertest.Import(t, crowdtangle.Format, []string{filepath.Join("testdata", name+".csv")}, nil)
			require.NoError(t, err)
			require.Zero(t, sum.Rejected)
			importertest.Golden(t, name, sink.Sorted())
		})
	}
}

func TestBadRowsImportNothing(t *testing.T) {
	file := filepath.Join("testdata", "facebook_bad_rows.csv")
	sink, _, err := importertest.Import(t, crowdtangle.Format, []string{file}, nil)
	var verr *importer.ValidationError
	require.ErrorAs(t, err, &verr)
	require.Equal(t, []string{
		file + `:5: Likes: expected a whole number like 1234, 1,234 or 1.234, got "1,5"`,
		file + `:8: Post Created: expected a time like 2021-07-05 18:02:45 BRT, got "2021-07-05 18:02:45 XYZ"`,
		file + `:11: record: expected 41 fields as in the header, got "4 fields"`,
		file + `:12: Facebook Id: expected a numeric Facebook id, got ""`,
	}, errorLines(verr))
	require.Empty(t, sink.Rows.Posts)
	require.Empty(t, sink.Runs, "nothing is written, not even a run")
}

func TestRejects(t *testing.T) {
	file := filepath.Join("testdata", "facebook_bad_rows.csv")
	var rejects bytes.Buffer
	sink, sum, err := importertest.Import(t, crowdtangle.Format, []string{file}, &importer.Options{Rejects: &rejects})
	require.NoError(t, err)
	require.EqualValues(t, 5, sum.Records)
	require.EqualValues(t, 4, sum.Rejected)
	require.Len(t, sink.Rows.Posts, 1)
	recs, err := csv.NewReader(&rejects).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 5)
	require.Equal(t, []string{"file", "line", "errors", "record"}, recs[0])
	require.Equal(t, []string{file, "11", `record: expected 41 fields as in the header, got "4 fields"`, "Rio Diário,riodiario,100064512345678,short row"}, recs[3])
	require.True(t, strings.HasPrefix(recs[1][3], "Rio Diário,riodiario,100064512345678,"))
	require.Len(t, sink.Runs, 2)
	require.Equal(t, "ok", sink.Runs[1].Status)
}

func TestDryRun(t *testing.T) {
	sink, sum, err := importertest.Import(t, crowdtangle.Format, []string{filepath.Join("testdata", "facebook_2021_41col.csv")}, &importer.Options{DryRun: true})
	require.NoError(t, err)
	require.Empty(t, sink.Rows.Posts)
	require.Empty(t, sink.Runs)
	require.EqualValues(t, 3, sum.Records)
	require.EqualValues(t, 3, sum.Rows["posts"])
	require.EqualValues(t, 2, sum.Rows["channels"])
	require.EqualValues(t, 2, sum.Rows["channel_snapshots"])
}

func TestHeaderErrors(t *testing.T) {
	for name, tc := range map[string]struct{ data, want string }{
		"empty":      {"", `x.csv:1: header: expected a CrowdTangle header (Page Name,User Name,Facebook Id,...), got "an empty file"`},
		"not ct":     {"a,b,c\n1,2,3\n", `x.csv:1: header: expected a CrowdTangle header with a "Facebook Id" column (Facebook) or "User Name" and "Followers at Posting" (Instagram), got "a,b,c"`},
		"no created": {"Facebook Id,URL\n1,x\n", `x.csv:1: header: expected the columns "Post Created" (or "Created"), got "Facebook Id,URL"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := crowdtangle.Open(strings.NewReader(tc.data), &importer.Env{File: "x.csv"})
			require.EqualError(t, err, tc.want)
		})
	}
}

func TestPostID(t *testing.T) {
	for _, tc := range []struct {
		platform, url string
		want          uint64
	}{
		{"facebook", "https://www.facebook.com/100064512345678/posts/4512345678901234", 4512345678901234},
		{"facebook", "https://www.facebook.com/riodiario/videos/987654321098765/", 987654321098765},
		{"facebook", "https://www.facebook.com/permalink.php?story_fbid=10158000000000002&id=1500000000123", 10158000000000002},
		{"facebook", "https://www.facebook.com/groups/200000111222333/permalink/333444555666777/", 333444555666777},
		{"facebook", "https://www.facebook.com/riodiario/photos/a.123/456/", 456},
		{"instagram", "https://www.instagram.com/p/B/", 1},
		{"instagram", "https://www.instagram.com/p/BA/", 64},
		{"instagram", "https://www.instagram.com/reel/CQ_abc123Xy/", 2611922544501683698},
	} {
		require.Equal(t, tc.want, crowdtangle.PostID(tc.platform, tc.url), tc.url)
	}
	// Anything else: a stable hash with the top bit set.
	h := crowdtangle.PostID("facebook", "https://www.facebook.com/riodiario/")
	require.Equal(t, h, crowdtangle.PostID("facebook", "https://www.facebook.com/riodiario/"))
	require.NotZero(t, h&(1<<63))
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"facebook_2021_41col", "facebook_2020_31col", "instagram", "facebook_bad_rows"} {
		f.Add(importertest.ReadFile(f, filepath.Join("testdata", name+".csv")))
	}
	f.Add([]byte("Facebook Id,Post Created,URL,Likes\n1,2021-01-01 00:00:00 UTC,https://facebook.com/1/posts/2,\"1,\"\"2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		importertest.FuzzParser(t, crowdtangle.Format, data)
	})
}

func errorLines(v *importer.ValidationError) []string {
	out := make([]string, len(v.Errors))
	for i, e := range v.Errors {
		out[i] = e.Error()
	}
	return out
}

func TestImportTwiceIntoClickHouse(t *testing.T) {
	files := []string{
		filepath.Join("testdata", "facebook_2021_41col.csv"),
		filepath.Join("testdata", "facebook_2021_39col.csv"),
		filepath.Join("testdata", "facebook_2020_31col.csv"),
		filepath.Join("testdata", "instagram.csv"),
	}
	counts, db := importertest.CheckTwice(t, crowdtangle.Format, files, nil)
	require.Equal(t, map[string]uint64{
		"channels": 5, "channel_snapshots": 7, "posts": 8, "post_links": 6, "account_links": 4, "events": 0,
	}, counts)
	var followers uint64
	require.NoError(t, db.QueryRow(context.Background(),
		"SELECT subscribers FROM channel_snapshots FINAL WHERE platform = 'facebook' AND channel_id = 1500000000123 AND snapshot_at = toDateTime('2021-03-14 14:30:00', 'UTC')").Scan(&followers))
	require.EqualValues(t, 2104600, followers)
}
