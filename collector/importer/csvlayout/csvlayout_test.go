package csvlayout_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/importer"
	"github.com/tidewatch/tidewatch/collector/importer/csvlayout"
	"github.com/tidewatch/tidewatch/collector/importer/importertest"
	"github.com/tidewatch/tidewatch/links/accountlink"
)

func td(name string) string { return filepath.Join("testdata", name) }

var formats = map[string]importer.Format{
	"accounts": csvlayout.Accounts, "posts": csvlayout.Posts, "events": csvlayout.Events, "links": csvlayout.Links,
}

func TestGolden(t *testing.T) {
	for name, f := range formats {
		t.Run(name, func(t *testing.T) {
			sink, sum, err := importertest.Import(t, f, []string{td(name + ".csv")}, nil)
			require.NoError(t, err)
			require.Zero(t, sum.Rejected)
			importertest.Golden(t, name, sink.Sorted())
		})
	}
}

func TestPostsDetails(t *testing.T) {
	sink, _, err := importertest.Import(t, csvlayout.Posts, []string{td("posts.csv")}, nil)
	require.NoError(t, err)
	byID := map[uint64]int{}
	for i, p := range sink.Rows.Posts {
		byID[p.PostID] = i
	}
	p101 := sink.Rows.Posts[byID[101]]
	require.EqualValues(t, 12004, p101.Views)
	require.Equal(t, []string{"bridge"}, p101.Hashtags)
	require.Equal(t, []string{"fieldreports"}, p101.Mentions, "Telegram mentions are kept, as the collector keeps them")
	require.EqualValues(t, 2, p101.LinkCount)
	p102 := sink.Rows.Posts[byID[102]]
	require.EqualValues(t, 1700000001, p102.FwdChannelID)
	require.EqualValues(t, 5520, p102.FwdPostID)
	require.Equal(t, "photo", p102.PostType)
	p103 := sink.Rows.Posts[byID[103]]
	require.Len(t, p103.FwdPersonHash, 64)
	require.EqualValues(t, 101, p103.ReplyToPostID)
	require.EqualValues(t, 1, sink.Rows.Posts[byID[104]].Deleted)
}

func TestLinksDecisions(t *testing.T) {
	sink, _, err := importertest.Import(t, csvlayout.Links, []string{td("links.csv")}, nil)
	require.NoError(t, err)
	rows := sink.Sorted().AccountLinks
	require.Len(t, rows, 3)
	for _, r := range rows {
		require.Equal(t, r.Status != accountlink.Proposed, accountlink.IsDecided(r.Version), "%+v", r)
	}
}

func TestBadRows(t *testing.T) {
	file := td("bad_posts.csv")
	_, _, err := importertest.Import(t, csvlayout.Posts, []string{file}, nil)
	var verr *importer.ValidationError
	require.ErrorAs(t, err, &verr)
	var got []string
	for _, e := range verr.Errors {
		got = append(got, e.Error())
	}
	require.Equal(t, []string{
		file + `:3: platform: expected a lowercase platform name like telegram, twitter, facebook, got "Telegram Channel"`,
		file + `:4: account_id: expected the account's id on its platform, got ""`,
		file + `:5: posted_at: expected a time like 2024-05-01T12:00:00Z, got "yesterday"`,
		file + `:5: views: expected a whole number like 1234, got "1.5"`,
		file + `:6: fwd_person: expected either fwd_account_id (an account) or fwd_person (a person), not both, got "5512345678"`,
		file + `:7: deleted: expected true or false, got "perhaps"`,
	}, got)
}

func TestHeaderErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		f          importer.Format
		data, want string
	}{
		"unknown and missing": {csvlayout.Accounts, "platform,accountid,observed_at\n",
			`x.csv:1: header: expected the accounts columns platform,account_id,observed_at,handle,name,about,kind,status,followers,created_at,verified (unknown column "accountid"; missing column "account_id"), got "platform,accountid,observed_at"`},
		"twice": {csvlayout.Events, "event_at,kind,source,kind\n",
			`x.csv:1: header: expected the events columns event_at,kind,source,end_at,platform,target_kind,targets,target_channel_ids,title,note (column "kind" twice), got "event_at,kind,source,kind"`},
		"empty": {csvlayout.Links, "",
			`x.csv:1: header: expected the links header (from_platform,from_account_id,to_platform,to_handle,to_account_id,to_url,evidence,evidence_text,confidence,status,decided_by,observed_at), got "an empty file"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tc.f.Open(strings.NewReader(tc.data), &importer.Env{File: "x.csv"})
			require.EqualError(t, err, tc.want)
		})
	}
}

func TestEventErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "ev.csv")
	require.NoError(t, writeFile(file, "event_at,kind,source,end_at,platform\n2019-11-21T09:00:00Z,Take Down,,2019-11-20T00:00:00Z,Telegram!\n"))
	_, _, err := importertest.Import(t, csvlayout.Events, []string{file}, nil)
	var verr *importer.ValidationError
	require.ErrorAs(t, err, &verr)
	var got []string
	for _, e := range verr.Errors {
		got = append(got, e.Reason())
	}
	require.Equal(t, []string{
		`end_at: expected a time after the event's start, got "2019-11-20T00:00:00Z"`,
		`platform: expected a lowercase platform name like telegram or twitter, got "telegram!"`,
		`kind: expected a lowercase kind like takedown, suspension, ban, deplatforming, attack, policy_change, got "take down"`,
		`source: expected a citation or URL saying where the event is documented, got ""`,
	}, got)
}

func TestImportTwiceIntoClickHouse(t *testing.T) {
	db := importertest.ClickHouse(t)
	for _, name := range []string{"accounts", "posts", "events", "links"} {
		importertest.ImportInto(t, db, formats[name], []string{td(name + ".csv")}, nil)
	}
	first := importertest.Count(t, db, true, importertest.DataTables...)
	require.Equal(t, map[string]uint64{
		"channels": 3, "channel_snapshots": 3, "posts": 5, "post_links": first["post_links"], "account_links": first["account_links"], "events": 3,
	}, first)
	for _, name := range []string{"accounts", "posts", "events", "links"} {
		importertest.ImportInto(t, db, formats[name], []string{td(name + ".csv")}, nil)
	}
	require.Equal(t, first, importertest.Count(t, db, true, importertest.DataTables...))
	for _, tb := range importertest.DataTables {
		importertest.Exec(t, db, "OPTIMIZE TABLE "+tb+" FINAL")
	}
	require.Equal(t, first, importertest.Count(t, db, false, importertest.DataTables...))
}

func FuzzParse(f *testing.F) {
	for name := range formats {
		f.Add(name, importertest.ReadFile(f, td(name+".csv")))
	}
	f.Add("posts", importertest.ReadFile(f, td("bad_posts.csv")))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		format, ok := formats[name]
		if !ok {
			format = csvlayout.Posts
		}
		importertest.FuzzParser(t, format, data)
	})
}
