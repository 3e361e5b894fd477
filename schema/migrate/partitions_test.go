package migrate_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/migrate"
)

// TestUnpartitionedHistory upgrades a store that holds posts and links over 29 months under
// the monthly partitions of 0001 to 0017: every row and every rollup figure survives, the
// tables are left with one partition, the rollups are fed again, and an insert that spans
// many months then writes one part per table instead of one per month.
func TestUnpartitionedHistory(t *testing.T) {
	srv := chtest.Start(t)
	conn := srv.Conn(t)
	ctx := context.Background()
	all, err := schema.Migrations()
	require.NoError(t, err)
	var before []schema.Migration
	for _, m := range all {
		if m.Version < 17 {
			before = append(before, m)
		}
	}
	require.Less(t, len(before), len(all), "migration 0017 exists")
	const db = "tw_parts"
	_, err = migrate.Migrate(ctx, conn, migrate.Options{Database: db, Migrations: before})
	require.NoError(t, err)

	// 3,000 posts of 10 channels, one every 7 hours from 2020-01-01 (29 months), and
	// a link in every other one; inserted twice, as a retried flush would.
	insertPosts := func(offset int) {
		for range 2 {
			require.NoError(t, conn.Exec(ctx, `INSERT INTO `+db+`.posts (platform, channel_id, post_id, posted_at, kind, link_count, deleted, version)
				SELECT 'telegram', number % 10, number + `+itoa(offset)+`, toDateTime('2020-01-01 00:00:00') + (number + `+itoa(offset)+`) * 25200, 'post', number % 2, 0, 1 FROM numbers(3000)`))
			require.NoError(t, conn.Exec(ctx, `INSERT INTO `+db+`.post_links (platform, channel_id, post_id, posted_at, url, link_kind, source_kind, registered_domain, dest_platform)
				SELECT 'telegram', number % 10, number + `+itoa(offset)+`, toDateTime('2020-01-01 00:00:00') + (number + `+itoa(offset)+`) * 25200, concat('https://x.com/a', toString(number)), 'url', 'entity', 'x.com', 'twitter' FROM numbers(3000) WHERE number % 2 = 1`))
		}
	}
	insertPosts(0)
	figures := func() []string {
		return []string{
			srv.Query(t, "SELECT count(), sum(cityHash64(channel_id, post_id, posted_at)) FROM "+db+".posts FINAL"),
			srv.Query(t, "SELECT count(), sum(cityHash64(channel_id, post_id, url)) FROM "+db+".post_links FINAL"),
			srv.Query(t, "SELECT sum(p), sum(l) FROM (SELECT channel_id, day, uniqExactMerge(posts) AS p, uniqExactIfMerge(with_links) AS l FROM "+db+".posts_daily GROUP BY channel_id, day)"),
			srv.Query(t, "SELECT sum(n), sum(c) FROM (SELECT day, registered_domain, uniqExactMerge(links) AS n, uniqExactMerge(channels) AS c FROM "+db+".links_daily GROUP BY day, registered_domain)"),
		}
	}
	partitions := func(table string) string {
		return srv.Query(t, "SELECT uniqExact(partition) FROM system.parts WHERE database = '"+db+"' AND table = '"+table+"' AND active")
	}
	was := figures()
	require.Equal(t, "3000\t", was[0][:5])
	require.Equal(t, "29", partitions("posts"), "monthly partitions before")

	applied, err := migrate.Migrate(ctx, conn, migrate.Options{Database: db})
	require.NoError(t, err)
	require.Len(t, applied, len(all)-len(before))
	require.Equal(t, was, figures(), "every row and rollup figure survives the swap")
	for _, tb := range []string{"posts", "post_links", "posts_daily", "links_daily", "growth_series"} {
		require.Contains(t, []string{"0", "1"}, partitions(tb), tb)
	}
	require.Equal(t, "0", srv.Query(t, "SELECT count() FROM system.tables WHERE database = '"+db+"' AND (name LIKE '%\\_v2' OR name LIKE '%\\_monthly')"))

	// The views feed the new tables: 3,000 more posts over the next 29 months.
	parts := func(table string) string {
		return srv.Query(t, "SELECT count() FROM system.parts WHERE database = '"+db+"' AND table = '"+table+"' AND active")
	}
	postsParts, dailyParts := parts("posts"), parts("posts_daily")
	insertPosts(3000)
	require.Equal(t, "6000", srv.Query(t, "SELECT sum(p) FROM (SELECT channel_id, day, uniqExactMerge(posts) AS p FROM "+db+".posts_daily GROUP BY channel_id, day)"))
	require.Equal(t, "3000", srv.Query(t, "SELECT sum(n) FROM (SELECT day, registered_domain, uniqExactMerge(links) AS n FROM "+db+".links_daily GROUP BY day, registered_domain)"))
	// Two inserts of 29 months each: at most 2 new parts per table (merges may remove some),
	// where the monthly partitions made 29 per insert.
	require.LessOrEqual(t, atoi(t, parts("posts"))-atoi(t, postsParts), 2)
	require.LessOrEqual(t, atoi(t, parts("posts_daily"))-atoi(t, dailyParts), 2)
}

func itoa(n int) string { return strconv.Itoa(n) }

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err)
	return n
}
