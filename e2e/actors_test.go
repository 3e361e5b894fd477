package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/analysis/actors"
	"github.com/tidewatch/tidewatch/analysis/bursts"
	"github.com/tidewatch/tidewatch/analysis/engagement"
	"github.com/tidewatch/tidewatch/analysis/growth"
	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/migration"
	"github.com/tidewatch/tidewatch/analysis/network"
	"github.com/tidewatch/tidewatch/analysis/takedowns"
	"github.com/tidewatch/tidewatch/collector/importer"
	"github.com/tidewatch/tidewatch/collector/importer/crowdtangle"
	"github.com/tidewatch/tidewatch/collector/importer/twitterio"
	"github.com/tidewatch/tidewatch/collector/tgsim/world"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// TestActorAudienceAcrossPlatforms collects a small simulated world, imports an X/Twitter
// information-operations release (the users file, read twice a week apart) and a
// CrowdTangle export of a Facebook page, groups one collected channel with both accounts
// into an actor, runs every job on the mixed data, and checks the actor's weekly audience
// shares against the world's subscriber counts and the files' follower counts.
func TestActorAudienceAcrossPlatforms(t *testing.T) {
	if testing.Short() {
		t.Skip("collects a simulated world into ClickHouse")
	}
	spec := world.DefaultSpec(12)
	spec.Duration = world.Duration(28 * 24 * time.Hour)
	w, err := world.Generate(spec, 31)
	require.NoError(t, err)
	start, end := w.Start(), w.End()
	c := collectWorld(t, w, start, end, 3*time.Hour)
	ctx := context.Background()

	// The actor's Telegram channel: the collected channel with the largest audience at the end.
	var tgID int64
	best := -1
	for _, id := range c.channels {
		hash, _ := w.AccessHash(id)
		if v, err := w.Channel(id, hash, end.Add(-time.Hour)); err == nil && v.Subscribers > best {
			tgID, best = id, v.Subscribers
		}
	}
	require.Positive(t, best)

	dir := t.TempDir()
	day := func(d int, h int) time.Time {
		return start.Add(time.Duration(d)*24*time.Hour + time.Duration(h)*time.Hour)
	}
	const twID, fbID = "712345678901234560", "100064512345678"
	users := func(name string, followers int) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte("userid,user_display_name,user_screen_name,user_reported_location,user_profile_description,user_profile_url,follower_count,following_count,account_creation_date,account_language\n"+
			fmt.Sprintf("%s,Lion Media,lion_media,,Independent news,,%d,10,2019-01-01,en\n", twID, followers)), 0o644))
		return p
	}
	twitter := []struct {
		at        time.Time
		followers int
	}{{day(3, 12), 5000}, {day(10, 12), 5200}}
	fb := []struct {
		at        time.Time
		followers int
	}{{day(1, 10), 1000}, {day(8, 10), 1100}, {day(15, 10), 1200}, {day(22, 10), 1300}}
	var ct = "Page Name,User Name,Facebook Id,Followers at Posting,Post Created,URL,Message\n"
	for i, p := range fb {
		ct += fmt.Sprintf("Lion Media,lionmedia,%s,%d,%s,https://www.facebook.com/lionmedia/posts/%d,News of the week https://bsky.app/profile/lion\n",
			fbID, p.followers, p.at.UTC().Format(time.DateTime), 1000+i)
	}
	ctPath := filepath.Join(dir, "crowdtangle.csv")
	require.NoError(t, os.WriteFile(ctPath, []byte(ct), 0o644))

	imp := func(f importer.Format, path string, observed time.Time) {
		sink, err := importer.NewStoreSink(c.db, c.wopts)
		require.NoError(t, err)
		_, err = importer.Run(ctx, importer.Options{Format: f, Files: []string{path}, Sink: sink, HashKey: []byte("an-end-to-end-test-hash-key"),
			ObservedAt: observed, Location: time.UTC, CodeVersion: "e2e"})
		require.NoError(t, err)
		require.NoError(t, sink.Close(ctx))
	}
	for i, tw := range twitter {
		imp(twitterio.Format, users(fmt.Sprintf("users_%d.csv", i), tw.followers), tw.at)
	}
	imp(crowdtangle.Format, ctPath, time.Time{})

	require.NoError(t, store.WriteAll(ctx, c.db, schema.TableActorAccounts, c.wopts,
		schema.ActorAccount{ActorID: "lion", ActorName: "Lion Media", Platform: "telegram", ChannelID: uint64(tgID), Version: 1},
		schema.ActorAccount{ActorID: "lion", ActorName: "Lion Media", Platform: "twitter", ChannelID: schema.AccountID(twID), Handle: "lion_media", Version: 1},
		schema.ActorAccount{ActorID: "lion", ActorName: "Lion Media", Platform: "facebook", ChannelID: schema.AccountID(fbID), Handle: "lionmedia", Version: 1}))

	// Every job runs on the mixed data.
	params := job.Params{From: start, To: end, Scope: job.Scope{Kind: job.ScopePlatform}}
	meta := job.Meta{CodeVersion: "e2e", Writer: c.wopts}
	for name, run := range map[string]func() (string, error){
		"growth": func() (string, error) {
			s, err := growth.Run(ctx, c.db, growth.Options{Params: params, Meta: meta})
			return s.Status, err
		},
		"engagement": func() (string, error) {
			s, err := engagement.Run(ctx, c.db, engagement.Options{Params: params, Meta: meta})
			return s.Status, err
		},
		"bursts": func() (string, error) {
			s, err := bursts.Run(ctx, c.db, bursts.Options{Params: params, Meta: meta})
			return s.Status, err
		},
		"takedowns": func() (string, error) {
			s, err := takedowns.Run(ctx, c.db, takedowns.Options{Params: params, Meta: meta})
			return s.Status, err
		},
		"migration": func() (string, error) {
			s, err := migration.Run(ctx, c.db, migration.Options{Params: params, Meta: meta})
			return s.Status, err
		},
		"network": func() (string, error) {
			s, err := network.Run(ctx, c.db, network.Options{Params: params, Meta: meta})
			return s.Status, err
		},
	} {
		status, err := run()
		require.NoError(t, err, name)
		require.Contains(t, []string{job.StatusOK, job.StatusSkipped}, status, name)
	}
	sum, err := actors.Run(ctx, c.db, actors.Options{Params: params, Meta: meta})
	require.NoError(t, err)
	require.Equal(t, job.StatusOK, sum.Status, sum.Reasons)

	// The expected shares, week by week: Telegram from the world's count at the collector's
	// last snapshot of the week, the others from the files, each count standing for its
	// account for up to 28 days.
	type obs struct {
		at time.Time
		v  float64
	}
	series := map[string][]obs{}
	for _, tw := range twitter {
		series["twitter"] = append(series["twitter"], obs{tw.at, float64(tw.followers)})
	}
	for _, p := range fb {
		series["facebook"] = append(series["facebook"], obs{p.at, float64(p.followers)})
	}
	snaps, err := store.Select[struct {
		At time.Time `ch:"at"`
	}](ctx, c.db, "SELECT max(snapshot_at) AS at FROM "+c.db.Table(schema.TableChannelSnapshots)+
		" WHERE platform = 'telegram' AND channel_id = ? AND subscribers > 0 AND snapshot_at < toDateTime(?) GROUP BY toMonday(snapshot_at) ORDER BY at", uint64(tgID), end.Unix())
	require.NoError(t, err)
	hash, _ := w.AccessHash(tgID)
	for _, s := range snaps {
		v, err := w.Channel(tgID, hash, s.At.UTC())
		require.NoError(t, err)
		series["telegram"] = append(series["telegram"], obs{s.At.UTC(), float64(v.Subscribers)})
	}
	monday := func(t time.Time) time.Time {
		t = t.UTC().Truncate(24 * time.Hour)
		return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
	}
	got, err := store.Select[schema.ActorsAudience](ctx, c.db, "SELECT "+store.Columns[schema.ActorsAudience]()+" FROM "+c.db.Table(schema.TableActorsAudience)+
		" WHERE run_id = ? ORDER BY week, platform", sum.RunID)
	require.NoError(t, err)
	var want []schema.ActorsAudience
	for wk := monday(start); wk.Before(end); wk = wk.AddDate(0, 0, 7) {
		vals, total := map[string]float64{}, 0.0
		for p, ss := range series {
			for i := len(ss) - 1; i >= 0; i-- {
				if monday(ss[i].at).After(wk) {
					continue
				}
				if monday(ss[i].at).Equal(wk) || wk.Sub(ss[i].at) <= 28*24*time.Hour {
					vals[p] = ss[i].v
					total += ss[i].v
				}
				break
			}
		}
		var plats []string
		for p := range vals {
			plats = append(plats, p)
		}
		slices.Sort(plats)
		for _, p := range plats {
			want = append(want, schema.ActorsAudience{Week: wk, Platform: p, Audience: vals[p], Share: vals[p] / total})
		}
	}
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i].Week, got[i].Week.UTC(), "row %d", i)
		require.Equal(t, want[i].Platform, got[i].Platform, "row %d", i)
		require.Equal(t, want[i].Audience, got[i].Audience, "%s %s", want[i].Week.Format(time.DateOnly), want[i].Platform)
		require.InDelta(t, want[i].Share, got[i].Share, 1e-12, "%s %s", want[i].Week.Format(time.DateOnly), want[i].Platform)
		t.Logf("week %s %-8s audience %6.0f share %.3f", got[i].Week.UTC().Format(time.DateOnly), got[i].Platform, got[i].Audience, got[i].Share)
	}
	require.Len(t, sum.Actors, 1)
	require.Equal(t, []string{"facebook", "telegram", "twitter"}, sum.Actors[0].Platforms)
}
