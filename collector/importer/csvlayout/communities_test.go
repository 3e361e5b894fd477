package csvlayout_test

import (
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/collector/importer"
	"github.com/tidewatch/tidewatch/collector/importer/csvlayout"
	"github.com/tidewatch/tidewatch/collector/importer/importertest"
	"github.com/tidewatch/tidewatch/schema"
)

// parseAll reads every record of a file with format f.
func parseAll(t *testing.T, f importer.Format, name string) []importer.Record {
	t.Helper()
	fh, err := os.Open(name)
	require.NoError(t, err)
	defer fh.Close()
	p, err := f.Open(fh, &importer.Env{File: name})
	require.NoError(t, err)
	var out []importer.Record
	for {
		var rec importer.Record
		err := p.Next(&rec)
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		out = append(out, rec)
	}
}

func TestCommunities(t *testing.T) {
	var got []schema.Community
	for _, rec := range parseAll(t, csvlayout.Communities, td("communities.csv")) {
		require.Empty(t, rec.Errors)
		got = append(got, rec.Rows.Communities...)
	}
	may := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	june := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	require.Equal(t, []schema.Community{
		{Community: "far-right-de", Platform: "telegram", ChannelID: 1807654321, Source: "manual", AddedAt: may, Version: schema.Version(may)},
		{Community: "far-right-de", Platform: "telegram", ChannelID: 1700000002, Source: "import", AddedAt: may.Add(12 * time.Hour), Version: schema.Version(may.Add(12 * time.Hour))},
		{Community: "far-right-de", Platform: "youtube", ChannelID: schema.AccountID("UCx8yqW3jY1_abcdEFGHijkl"), Source: "import"},
		{Community: "anti-vax", Platform: "telegram", ChannelID: 1700000002, Source: "import", AddedAt: june, Removed: 1, Version: schema.Version(june) + 1},
	}, got)

	_, sum, err := importertest.Import(t, csvlayout.Communities, []string{td("communities.csv")}, &importer.Options{DryRun: true})
	require.NoError(t, err)
	require.EqualValues(t, 4, sum.Rows[schema.TableCommunities])
	require.Equal(t, []string{"community", "platform", "account_id", "handle", "source", "added_at", "removed"}, csvlayout.Headers()["communities"])
}

func TestCommunitiesBadRows(t *testing.T) {
	file := td("bad_communities.csv")
	_, _, err := importertest.Import(t, csvlayout.Communities, []string{file}, nil)
	var verr *importer.ValidationError
	require.ErrorAs(t, err, &verr)
	var got []string
	for _, e := range verr.Errors {
		got = append(got, e.Error())
	}
	require.Equal(t, []string{
		file + `:3: community: expected the community's name, got ""`,
		file + `:4: platform: expected a lowercase platform name like telegram, twitter, facebook, got "Telegram Channel"`,
		file + `:5: account_id: expected the account's id on its platform (for Telegram the numeric channel id), got ""`,
		file + `:6: added_at: expected a time like 2024-05-01T12:00:00Z, got "last week"`,
		file + `:6: removed: expected true or false, got "perhaps"`,
	}, got)
}
