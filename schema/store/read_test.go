package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/schema/chtest"
)

func TestColumns(t *testing.T) {
	require.Equal(t, "id, s, lc, u8, u16, u32, i8, i16, i32, i64, f32, f64, b, ts, day, tags, nums", Columns[allKinds]())
	require.Equal(t, postColumns, Columns[postRow]())
}

func TestRead(t *testing.T) {
	integration(t)
	srv := chtest.Start(t)
	db := openTest(t, srv)
	ctx := context.Background()

	require.NoError(t, db.Exec(ctx, fmt.Sprintf(postsDDL, db.Table("read_posts"))))
	w, err := NewWriter[postRow](db, "read_posts", WriterOptions{})
	require.NoError(t, err)
	const n = 2500
	for i := range n {
		require.NoError(t, w.Write(ctx, makePost(i)))
	}
	require.NoError(t, w.Close(ctx))

	q := "SELECT " + Columns[postRow]() + " FROM " + db.Table("read_posts") + " FINAL WHERE channel_id = ? ORDER BY post_id"
	got, err := Select[postRow](ctx, db, q, uint64(1_000_007))
	require.NoError(t, err)
	require.Len(t, got, 1)
	want := makePost(7)
	require.Equal(t, want.Text, got[0].Text)
	require.True(t, want.PostedAt.Equal(got[0].PostedAt))
	require.Equal(t, want.Views, got[0].Views)

	// Tag options (",date") are not part of the column name, and a column without a field
	// is an error that names it.
	type dayRow struct {
		Day   time.Time `ch:"day,date"`
		Posts uint64    `ch:"posts"`
	}
	days, err := Select[dayRow](ctx, db, "SELECT toDate(posted_at) AS day, count() AS posts FROM "+db.Table("read_posts")+" GROUP BY day ORDER BY day LIMIT 1")
	require.NoError(t, err)
	require.Len(t, days, 1)
	require.Positive(t, days[0].Posts)
	_, err = Select[dayRow](ctx, db, "SELECT 1 AS nope")
	require.ErrorContains(t, err, `column "nope"`)

	// Each streams every row, and each value is a fresh row (no field left over).
	var seen, textBytes int
	err = Each(ctx, db, "SELECT "+Columns[postRow]()+" FROM "+db.Table("read_posts"), func(r *postRow) error {
		seen++
		textBytes += len(r.Text)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, n, seen)
	require.Positive(t, textBytes)

	// An error from the callback stops the scan and comes back unwrapped.
	stop := errors.New("stop here")
	calls := 0
	err = Each(ctx, db, "SELECT "+Columns[postRow]()+" FROM "+db.Table("read_posts"), func(*postRow) error {
		calls++
		return stop
	})
	require.ErrorIs(t, err, stop)
	require.Equal(t, 1, calls)

	var count uint64
	require.NoError(t, db.QueryRow(ctx, "SELECT count() FROM "+db.Table("read_posts")).Scan(&count))
	require.Equal(t, uint64(n), count)

	// Errors name the query.
	_, err = Select[postRow](ctx, db, "SELECT nope FROM "+db.Table("read_posts"))
	require.ErrorContains(t, err, "SELECT nope FROM")
	err = db.Exec(ctx, "DROP TABLE "+db.Table("missing_table"))
	require.ErrorContains(t, err, "DROP TABLE default.missing_table")
}
