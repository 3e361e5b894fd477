package crosslink_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/analysis/crosslink"
	"github.com/tidewatch/tidewatch/links/accountlink"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/store"
)

var (
	t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	t1 = t0.Add(30 * 24 * time.Hour)
)

func TestSuggestKeepsDecisions(t *testing.T) {
	in := crosslink.Inputs{
		Accounts: []accountlink.Account{
			{Platform: "telegram", ChannelID: 7, Username: "openwatch", Title: "Open Watch", About: "Follow us: x.com/openwatch", FirstSeen: t0, LastSeen: t1},
			{Platform: "twitter", ChannelID: 99, Username: "OpenWatch", Title: "Open Watch", FirstSeen: t0, LastSeen: t1},
		},
		Links: []crosslink.PostLinks{
			{Platform: "telegram", ChannelID: 7, URL: "https://www.instagram.com/openwatch.ig/", Posts: 5, FirstSeen: t0, LastSeen: t1},
			{Platform: "telegram", ChannelID: 7, URL: "https://bsky.app/profile/openwatch.bsky.social", Pinned: true, Posts: 1, FirstSeen: t1, LastSeen: t1},
			{Platform: "telegram", ChannelID: 7, URL: "https://example.org/article", Posts: 3, FirstSeen: t0, LastSeen: t1},
		},
	}
	byKey := func(ls []*accountlink.Link) map[string]*accountlink.Link {
		m := map[string]*accountlink.Link{}
		for _, l := range ls {
			m[l.FromPlatform+">"+l.To.Platform+":"+l.To.Handle] = l
		}
		return m
	}
	got := byKey(crosslink.Suggest(in))
	require.Len(t, got, 4)
	tw := got["telegram>twitter:openwatch"]
	require.NotNil(t, tw)
	require.EqualValues(t, 99, tw.To.ChannelID, "the target account is known")
	require.Equal(t, 0.96, tw.Confidence(), "handle in about (0.9) and same handle with the same name (0.6)")
	require.Len(t, tw.Rows(), 2)
	require.Equal(t, 0.6, got["twitter>telegram:openwatch"].Confidence())
	require.InDelta(t, 0.336, got["telegram>instagram:openwatch.ig"].Confidence(), 1e-3)
	require.Equal(t, 0.8, got["telegram>bluesky:openwatch.bsky.social"].Confidence())

	// A researcher rejects the X link; suggesting again keeps the decision and its version.
	decided := accountlink.DecisionVersion(t1.Add(time.Hour))
	for _, r := range tw.Rows() {
		r.Status, r.DecidedBy, r.Version = accountlink.Rejected, "ana", decided
		in.Existing = append(in.Existing, r)
	}
	in.Existing = append(in.Existing, schema.AccountLink{FromPlatform: "telegram", FromChannelID: 7, ToPlatform: "vk", ToHandle: "openwatch",
		Evidence: accountlink.Manual, EvidenceText: "seen in a video", Confidence: 1, Status: accountlink.Accepted, DecidedBy: "ana", Version: decided})
	again := byKey(crosslink.Suggest(in))
	require.Len(t, again, 5)
	for _, r := range again["telegram>twitter:openwatch"].Rows() {
		require.Equal(t, accountlink.Rejected, r.Status)
		require.Equal(t, "ana", r.DecidedBy)
		require.Equal(t, decided, r.Version)
	}
	vk := again["telegram>vk:openwatch"]
	require.Equal(t, 1.0, vk.Confidence())
	require.Equal(t, accountlink.Accepted, vk.Rows()[0].Status)
}

func TestActorID(t *testing.T) {
	id, err := crosslink.ActorID("  Rybar (military blog) ")
	require.NoError(t, err)
	require.Equal(t, "rybar-military-blog", id)
	_, err = crosslink.ActorID(" -- ")
	require.Error(t, err)
}

// TestClickHouse runs the queries of Load on a real server, then suggest, decide and actors.
func TestClickHouse(t *testing.T) {
	db := openClickHouse(t)
	ctx := context.Background()
	opts := store.WriterOptions{SpoolDir: t.TempDir()}
	write := func(table string, rows any) {
		t.Helper()
		switch rs := rows.(type) {
		case []schema.Channel:
			w, err := store.NewWriter[schema.Channel](db, table, opts)
			require.NoError(t, err)
			require.NoError(t, w.Write(ctx, rs...))
			require.NoError(t, w.Close(ctx))
		case []schema.ChannelSnapshot:
			w, err := store.NewWriter[schema.ChannelSnapshot](db, table, opts)
			require.NoError(t, err)
			require.NoError(t, w.Write(ctx, rs...))
			require.NoError(t, w.Close(ctx))
		case []schema.PostLink:
			w, err := store.NewWriter[schema.PostLink](db, table, opts)
			require.NoError(t, err)
			require.NoError(t, w.Write(ctx, rs...))
			require.NoError(t, w.Close(ctx))
		}
	}
	write(schema.TableChannels, []schema.Channel{
		{Platform: "telegram", ChannelID: 7, Username: "openwatch", Title: "Open Watch", About: "Follow us: x.com/openwatch", FirstSeenAt: t0, LastSeenAt: t1, Version: 1},
		{Platform: "twitter", ChannelID: 99, Username: "OpenWatch", Title: "Open Watch", FirstSeenAt: t0, LastSeenAt: t1, Version: 1},
	})
	write(schema.TableChannelSnapshots, []schema.ChannelSnapshot{
		{Platform: "telegram", ChannelID: 7, SnapshotAt: t0, PinnedPostID: 3},
		{Platform: "telegram", ChannelID: 7, SnapshotAt: t1, PinnedPostID: 12},
	})
	pl := func(post uint64, url, dest string) schema.PostLink {
		return schema.PostLink{Platform: "telegram", ChannelID: 7, PostID: post, PostedAt: t0.Add(time.Duration(post) * time.Hour), URL: url, LinkKind: "url", SourceKind: "entity", DestPlatform: dest}
	}
	write(schema.TablePostLinks, []schema.PostLink{
		pl(12, "https://bsky.app/profile/openwatch.bsky.social", "bluesky"),
		pl(3, "https://www.instagram.com/oldpinned", "instagram"),
		pl(20, "https://www.instagram.com/openwatch.ig", "instagram"),
		pl(21, "https://www.instagram.com/openwatch.ig", "instagram"),
		pl(22, "https://example.org/a", "web"),
	})
	in, err := crosslink.Load(ctx, db)
	require.NoError(t, err)
	require.Len(t, in.Accounts, 2)
	var pinned []string
	for _, l := range in.Links {
		if l.Pinned {
			pinned = append(pinned, l.URL)
		}
	}
	require.Equal(t, []string{"https://bsky.app/profile/openwatch.bsky.social"}, pinned, "the latest snapshot's pinned post")

	w, err := store.NewWriter[schema.AccountLink](db, schema.TableAccountLinks, opts)
	require.NoError(t, err)
	defer w.Close(ctx)
	suggested := crosslink.Suggest(in)
	for _, l := range suggested {
		require.NoError(t, w.Write(ctx, l.Rows()...))
	}
	require.NoError(t, w.Flush(ctx))
	stored, err := crosslink.Existing(ctx, db)
	require.NoError(t, err)
	pairs := crosslink.Pairs(stored)
	require.Len(t, pairs, 5) // twitter, same handle both ways, instagram x2 (pinned old + posts), bluesky
	var twID string
	for _, p := range pairs {
		if p.Rows[0].FromPlatform == "telegram" && p.Rows[0].ToPlatform == "twitter" {
			twID = p.ID
		}
	}
	require.NotEmpty(t, twID)

	done, err := crosslink.Decide(ctx, db, w, []string{twID[:8]}, accountlink.Accepted, "ana", t1)
	require.NoError(t, err)
	require.Equal(t, []string{twID}, done)
	_, err = crosslink.Decide(ctx, db, w, []string{"ffffffffffff"}, accountlink.Accepted, "ana", t1)
	require.ErrorIs(t, err, crosslink.ErrNoLink)

	// Suggest again: the decision stays.
	in, err = crosslink.Load(ctx, db)
	require.NoError(t, err)
	for _, l := range crosslink.Suggest(in) {
		require.NoError(t, w.Write(ctx, l.Rows()...))
	}
	require.NoError(t, w.Flush(ctx))
	stored, err = crosslink.Existing(ctx, db)
	require.NoError(t, err)
	for _, p := range crosslink.Pairs(stored) {
		if p.ID == twID {
			require.Equal(t, accountlink.Accepted, p.Status)
			require.Len(t, p.Rows, 2)
		}
	}

	// An actor from the accepted link, then one account removed.
	ends, err := crosslink.LinkEnds(ctx, db, []string{twID})
	require.NoError(t, err)
	require.Equal(t, []accountlink.AccountRef{{Platform: "telegram", Handle: "openwatch", ChannelID: 7}, {Platform: "twitter", Handle: "openwatch", ChannelID: 99}}, ends)
	aw, err := store.NewWriter[schema.ActorAccount](db, schema.TableActorAccounts, opts)
	require.NoError(t, err)
	rows, err := crosslink.ActorRows("Open Watch", ends, false, "", t1)
	require.NoError(t, err)
	require.NoError(t, aw.Write(ctx, rows...))
	refs, err := crosslink.Resolve(ctx, db, []accountlink.AccountRef{{Platform: "twitter", Handle: "openwatch"}, {Platform: "vk", Handle: "openwatch"}})
	require.NoError(t, err)
	require.EqualValues(t, 99, refs[0].ChannelID)
	require.Zero(t, refs[1].ChannelID)
	rows, err = crosslink.ActorRows("Open Watch", refs[:1], true, "", t1.Add(time.Hour))
	require.NoError(t, err)
	require.NoError(t, aw.Write(ctx, rows...))
	require.NoError(t, aw.Close(ctx))
	actors, err := crosslink.Actors(ctx, db)
	require.NoError(t, err)
	require.Len(t, actors, 1)
	require.Equal(t, "open-watch", actors[0].ID)
	require.Len(t, actors[0].Accounts, 1)
	require.Equal(t, "telegram", actors[0].Accounts[0].Platform)
}

// openClickHouse starts a throwaway migrated ClickHouse and opens it. It skips under -short
// only.
func openClickHouse(t *testing.T) *store.DB {
	t.Helper()
	if testing.Short() {
		t.Skip("ClickHouse integration test (skipped under -short)")
	}
	srv := chtest.Migrated(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := store.Open(ctx, store.Options{Addr: []string{srv.Addr()}, Database: srv.Database})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}
