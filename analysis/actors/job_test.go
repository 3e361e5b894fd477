package actors

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/job/jobtest"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC) // a Monday

const day = 24 * time.Hour

// An actor with a Telegram channel doubling every week from 100, an X/Twitter account at
// 5,000 followers whose counts stop after week 1 (suspended), and a Facebook page at 1,000.
// The Twitter count stands for 28 days after its last reading (to week 5), so the largest
// share moves from Twitter to Telegram in week 6.
func TestRunInClickHouse(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clickhouse-server; skipped under -short")
	}
	_, db, wopts := jobtest.Store(t)
	ctx := context.Background()
	require.NoError(t, store.WriteAll(ctx, db, schema.TableActorAccounts, wopts,
		schema.ActorAccount{ActorID: "A1", ActorName: "Lion Media", Platform: "telegram", ChannelID: 1, Handle: "lion", Version: 1},
		schema.ActorAccount{ActorID: "A1", ActorName: "Lion Media", Platform: "twitter", ChannelID: 2, Handle: "Lion_TW", Version: 1},
		schema.ActorAccount{ActorID: "A1", ActorName: "Lion Media", Platform: "facebook", ChannelID: 3, Handle: "lionpage", Version: 1},
		schema.ActorAccount{ActorID: "A2", ActorName: "Gone", Platform: "telegram", ChannelID: 9, Handle: "gone", Version: 1},
		schema.ActorAccount{ActorID: "A2", ActorName: "Gone", Platform: "telegram", ChannelID: 9, Handle: "gone", Removed: 1, Version: 2}))
	require.NoError(t, store.WriteAll(ctx, db, schema.TableAccountLinks, wopts,
		schema.AccountLink{FromPlatform: "telegram", FromChannelID: 1, ToPlatform: "twitter", ToHandle: "@lion_tw", Evidence: "handle_in_about",
			Confidence: 0.9, Status: "proposed", FirstSeenAt: t0.Add(2 * day), Version: 1},
		schema.AccountLink{FromPlatform: "telegram", FromChannelID: 1, ToPlatform: "twitter", ToHandle: "lion_tw", Evidence: "link_in_pinned",
			Confidence: 0.95, Status: "proposed", FirstSeenAt: t0.Add(4 * day), Version: 1},
		schema.AccountLink{FromPlatform: "telegram", FromChannelID: 1, ToPlatform: "facebook", ToHandle: "lionpage", Evidence: "handle_in_about",
			Confidence: 0.5, Status: "rejected", FirstSeenAt: t0, Version: 1}))
	var snaps []schema.ChannelSnapshot
	for w := range 8 {
		at := t0.Add(time.Duration(7*w) * day)
		snaps = append(snaps,
			schema.ChannelSnapshot{Platform: "telegram", ChannelID: 1, SnapshotAt: at.Add(day), Subscribers: 100 << w},
			schema.ChannelSnapshot{Platform: "facebook", ChannelID: 3, SnapshotAt: at.Add(3 * day), Subscribers: 1000})
		if w < 2 {
			snaps = append(snaps, schema.ChannelSnapshot{Platform: "twitter", ChannelID: 2, SnapshotAt: at.Add(2 * day), Subscribers: 5000})
		}
	}
	require.NoError(t, store.WriteAll(ctx, db, schema.TableChannelSnapshots, wopts, snaps...))

	sum, err := Run(ctx, db, Options{Params: job.Params{From: t0, To: t0.Add(56 * day), Scope: job.Scope{Kind: job.ScopePlatform}},
		Meta: job.Meta{CodeVersion: "test", Writer: wopts}})
	require.NoError(t, err)
	require.Equal(t, job.StatusOK, sum.Status, sum.Reasons)
	require.Len(t, sum.Actors, 1, "A2's only account was removed")
	a := sum.Actors[0]
	require.Equal(t, []string{"facebook", "telegram", "twitter"}, a.Platforms)
	require.InDelta(t, 12800.0/13800, a.Latest["telegram"], 1e-12)

	accs, err := store.Select[schema.ActorsAccount](ctx, db, "SELECT "+store.Columns[schema.ActorsAccount]()+" FROM "+db.Table(schema.TableActorsAccounts)+
		" WHERE run_id = ? ORDER BY channel_id", sum.RunID)
	require.NoError(t, err)
	require.Len(t, accs, 3)
	require.Equal(t, []string{"handle_in_about", "link_in_pinned"}, accs[0].Evidence)
	require.Equal(t, []string{"handle_in_about", "link_in_pinned"}, accs[1].Evidence, "both ends of a link")
	require.Equal(t, []string{}, accs[2].Evidence, "the Facebook link was rejected")
	require.InDelta(t, 0.95, accs[1].Confidence, 1e-6)
	require.Equal(t, t0.Add(2*day), accs[1].LinkedAt.UTC())
	require.Equal(t, uint64(5000), accs[1].Audience)
	require.Equal(t, t0.Add(9*day), accs[1].AudienceAt.UTC())

	aud, err := store.Select[schema.ActorsAudience](ctx, db, "SELECT "+store.Columns[schema.ActorsAudience]()+" FROM "+db.Table(schema.TableActorsAudience)+
		" WHERE run_id = ? ORDER BY week, platform", sum.RunID)
	require.NoError(t, err)
	byWeek := map[int]map[string]schema.ActorsAudience{}
	for _, r := range aud {
		w := int(r.Week.Sub(t0) / (7 * day))
		if byWeek[w] == nil {
			byWeek[w] = map[string]schema.ActorsAudience{}
		}
		byWeek[w][r.Platform] = r
	}
	require.Len(t, byWeek, 8)
	require.InDelta(t, 5000.0/6100, byWeek[0]["twitter"].Share, 1e-12)
	require.Equal(t, uint32(1), byWeek[5]["twitter"].Carried)
	require.InDelta(t, 5000.0/9200, byWeek[5]["twitter"].Share, 1e-12)
	require.NotContains(t, byWeek[6], "twitter", "carried for 28 days only")
	require.InDelta(t, 6400.0/7400, byWeek[6]["telegram"].Share, 1e-12)

	require.Len(t, a.Moves, 1)
	m := a.Moves[0]
	require.Equal(t, t0.Add(42*day), m.Week.UTC())
	require.Equal(t, "twitter", m.FromPlatform)
	require.Equal(t, "telegram", m.ToPlatform)
	require.InDelta(t, 5000.0/9200, m.FromShareBefore, 1e-12)
	require.InDelta(t, 3200.0/9200, m.ToShareBefore, 1e-12)
	require.InDelta(t, 0, m.FromShareAfter, 1e-12)
	require.InDelta(t, 6400.0/7400, m.ToShareAfter, 1e-12)
}
