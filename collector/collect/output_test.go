package collect

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/store"
)

// openStore connects to a migrated throwaway ClickHouse and opens the collector's writers.
func openStore(t *testing.T, ch *chtest.Server) (*store.DB, *StoreOutput) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := store.Open(ctx, store.Options{Addr: []string{ch.Addr()}, Database: ch.Database})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	out, err := OpenOutput(db, store.WriterOptions{SpoolDir: t.TempDir(), FlushInterval: 200 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, out.Close(context.Background())) })
	return db, out
}

func TestStoreOutputAndCompletenessView(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test with ClickHouse")
	}
	ch := chtest.Migrated(t)
	db, out := openStore(t, ch)
	ctx := context.Background()
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

	post := schema.Post{Platform: "telegram", ChannelID: 7, PostID: 3, PostedAt: at, Kind: "post", PostType: "text",
		TextLength: 5, TextHash: 99, Hashtags: []string{"a"}, Mentions: []string{}, Views: 10, Version: schema.Version(at)}
	require.NoError(t, out.Posts.Write(ctx, post))
	older := schema.Completeness{Platform: "telegram", ChannelID: 7, Username: "seven", Status: "active", IDsExpected: 10, Stored: 5, Version: 1}
	newer := schema.Completeness{Platform: "telegram", ChannelID: 7, Username: "seven", Status: "active", Included: 1,
		IDsExpected: 10, Stored: 7, Gaps: 2, NotFetched: 0, CountersDone: 4, Version: 2}
	require.NoError(t, out.Completeness.Write(ctx, older, newer))
	require.NoError(t, out.Output.flush(ctx))

	got, err := StoreReader{DB: db}.Posts(ctx, 7, []int{3, 4})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, post.TextHash, got[0].TextHash)
	require.Equal(t, []string{"a"}, got[0].Hashtags)
	require.Equal(t, at, got[0].PostedAt.UTC())

	require.Equal(t, "seven\t7\t2\t1\t4", ch.Query(t,
		"SELECT username, stored, gaps, unexplained, counters_done FROM channel_completeness WHERE channel_id = 7"))
}
