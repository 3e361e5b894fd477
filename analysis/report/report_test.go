package report

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/analysis/actors"
	"github.com/tidewatch/tidewatch/analysis/bench"
	"github.com/tidewatch/tidewatch/analysis/bursts"
	"github.com/tidewatch/tidewatch/analysis/engagement"
	"github.com/tidewatch/tidewatch/analysis/growth"
	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/job/jobtest"
	"github.com/tidewatch/tidewatch/analysis/migration"
	"github.com/tidewatch/tidewatch/analysis/network"
	"github.com/tidewatch/tidewatch/analysis/takedowns"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/chtest"
	"github.com/tidewatch/tidewatch/schema/store"
)

// runJobs runs every job with a section over p and returns their run ids.
func runJobs(t *testing.T, db *store.DB, p job.Params, m job.Meta) map[string]string {
	t.Helper()
	ctx := context.Background()
	runs := map[string]string{}
	g, err := growth.Run(ctx, db, growth.Options{Params: p, Meta: m})
	require.NoError(t, err)
	runs["growth"] = g.RunID
	e, err := engagement.Run(ctx, db, engagement.Options{Params: p, Meta: m})
	require.NoError(t, err)
	runs["engagement"] = e.RunID
	b, err := bursts.Run(ctx, db, bursts.Options{Params: p, Meta: m})
	require.NoError(t, err)
	runs["bursts"] = b.RunID
	k, err := takedowns.Run(ctx, db, takedowns.Options{Params: p, Meta: m})
	require.NoError(t, err)
	runs["takedowns"] = k.RunID
	mg, err := migration.Run(ctx, db, migration.Options{Params: p, Meta: m})
	require.NoError(t, err)
	runs["migration"] = mg.RunID
	n, err := network.Run(ctx, db, network.Options{Params: p, Meta: m})
	require.NoError(t, err)
	runs["network"] = n.RunID
	a, err := actors.Run(ctx, db, actors.Options{Params: p, Meta: m})
	require.NoError(t, err)
	runs["actors"] = a.RunID
	return runs
}

// The actors world: Lion Media holds the larger of the bench's 17th and 18th channels and
// an X/Twitter account with three times that channel's largest audience, read weekly in July
// only. The Twitter count stands for 28 days after its last reading, so in September the
// largest share moves to Telegram. Solo holds the other channel alone.
func writeActorWorld(t *testing.T, srv *chtest.Server, db *store.DB, wopts store.WriterOptions) {
	t.Helper()
	ctx := context.Background()
	ids := strings.Fields(srv.Query(t, "SELECT channel_id FROM channel_snapshots WHERE has(["+
		strings.Join(strings.Fields(srv.Query(t, "SELECT channel_id FROM channels FINAL WHERE source = 'bench' ORDER BY channel_id LIMIT 2 OFFSET 16")), ",")+
		"], channel_id) GROUP BY channel_id ORDER BY max(subscribers) DESC"))
	require.Len(t, ids, 2)
	lion, err := strconv.ParseUint(ids[0], 10, 64)
	require.NoError(t, err)
	solo, err := strconv.ParseUint(ids[1], 10, 64)
	require.NoError(t, err)
	top, err := strconv.ParseUint(srv.Query(t, "SELECT max(subscribers) FROM channel_snapshots WHERE channel_id = "+ids[0]), 10, 64)
	require.NoError(t, err)
	require.Positive(t, top, "the bench channel has snapshots")
	require.NoError(t, store.WriteAll(ctx, db, schema.TableActorAccounts, wopts,
		schema.ActorAccount{ActorID: "lion-media", ActorName: "Lion Media", Platform: "telegram", ChannelID: lion, Handle: "lion", Version: 1},
		schema.ActorAccount{ActorID: "lion-media", ActorName: "Lion Media", Platform: "twitter", ChannelID: twitterLion, Handle: "liontw", Version: 1},
		schema.ActorAccount{ActorID: "solo", ActorName: "Solo", Platform: "telegram", ChannelID: solo, Handle: "solo", Version: 1}))
	require.NoError(t, store.WriteAll(ctx, db, schema.TableAccountLinks, wopts,
		schema.AccountLink{FromPlatform: "telegram", FromChannelID: lion, ToPlatform: "twitter", ToHandle: "liontw", ToChannelID: twitterLion,
			Evidence: "handle_in_about", Confidence: 0.9, Status: "proposed", FirstSeenAt: time.Date(2026, 7, 2, 0, 0, 0, 0, time.UTC), Version: 1}))
	var snaps []schema.ChannelSnapshot
	for at := time.Date(2026, 7, 7, 12, 0, 0, 0, time.UTC); at.Month() == time.July; at = at.AddDate(0, 0, 7) {
		snaps = append(snaps, schema.ChannelSnapshot{Platform: "twitter", ChannelID: twitterLion, SnapshotAt: at, Subscribers: 3 * top})
	}
	require.NoError(t, store.WriteAll(ctx, db, schema.TableChannelSnapshots, wopts, snaps...))
}

// twitterLion is the id of Lion Media's imported X/Twitter account.
const twitterLion = 8_800_001

// checkActorsSection compares the actors section of report.md and its chart data with the
// actors tables.
func checkActorsSection(t *testing.T, q func(string) string, md, dir, run string) {
	t.Helper()
	where := " FINAL WHERE run_id = '" + run + "' AND actor_id = 'lion-media'"
	row := mdFigureRow(t, md, "Actors with the largest audiences", "Lion Media")
	require.Equal(t, []string{"lion-media", "2", "telegram, twitter", q("SELECT sum(audience) FROM actors_accounts" + where)}, row[1:5])
	order := strings.Fields(q("SELECT actor_id FROM actors_accounts FINAL WHERE run_id = '" + run + "' GROUP BY actor_id ORDER BY sum(audience) DESC, actor_id"))
	require.Equal(t, []string{"lion-media", "solo"}, order, "Twitter's audience puts Lion Media first")
	require.Less(t, strings.Index(md, "| Lion Media | lion-media |"), strings.Index(md, "| Solo | solo |"), "the larger audience first")
	acc := strings.Split(q("SELECT audience, toDate(audience_at) FROM actors_accounts"+where+" AND platform = 'twitter'"), "\t")
	row = mdFigureRow(t, md, "Accounts of the actors", "Lion Media", "twitter")
	require.Equal(t, []string{"liontw", strconv.Itoa(twitterLion), Markdown("handle_in_about"), "0.90", "2026-07-02", acc[0]}, row[2:8])
	require.True(t, strings.HasPrefix(row[8], acc[1]), "read at %q, want %s", row[8], acc[1])
	require.Equal(t, Markdown("none (grouped by hand)"), mdFigureRow(t, md, "Accounts of the actors", "Solo")[4])

	// The moves to Twitter in its first week read and back to Telegram in September, in
	// the table and the chart's data.
	const shares = "Audience share per platform by week, actor Lion Media"
	moves := strings.Split(q("SELECT week, from_platform, to_platform, from_share_before, from_share_after, to_share_before, to_share_after FROM actors_moves"+
		where+" ORDER BY week"), "\n")
	require.Len(t, moves, 2)
	for i, want := range [][]string{{"2026-07-06", "telegram", "twitter"}, {"*", "twitter", "telegram"}} {
		m := strings.Split(moves[i], "\t")
		if want[0] == "*" {
			require.Greater(t, m[0], "2026-08-24", "the Twitter count stands for 28 days")
			want[0] = m[0]
		}
		require.Equal(t, want, m[:3])
		v := floats(t, strings.Join(m[3:], "\t"))
		row = mdFigureRow(t, md, shares, "M"+strconv.Itoa(i+1))
		require.Equal(t, []string{m[0], m[1], m[2], shareChange(v[0], v[1]), shareChange(v[2], v[3])}, row[1:6])
	}
	last := strings.Split(q("SELECT week, platform, share FROM actors_audience"+where+" ORDER BY week DESC, share DESC LIMIT 1"), "\t")
	share := floats(t, last[2])
	require.Contains(t, md, "Shares in the week of "+last[0]+": "+last[1]+" "+num(share[0], 3))
	july := strings.Split(q("SELECT week, share FROM actors_audience"+where+" AND platform = 'twitter' ORDER BY week LIMIT 1"), "\t")
	data, err := os.ReadFile(filepath.Join(dir, "actors-shares-1.csv"))
	require.NoError(t, err)
	wantShare := floats(t, july[1])
	require.Contains(t, string(data), "\ntwitter,"+july[0]+","+strconv.FormatFloat(wantShare[0], 'g', -1, 64)+",")
}

// checkNetworkLayers compares the network section's layers with the run's edge tables.
func checkNetworkLayers(t *testing.T, q func(string) string, md, run string) {
	t.Helper()
	where := " FINAL WHERE run_id = '" + run + "'"
	mentions := strings.Fields(q("SELECT count(), sum(posts) FROM network_mentions" + where))
	forwards := strings.Fields(q("SELECT count(), sum(posts) FROM network_edges" + where))
	require.Equal(t, mentions, mdFigureRow(t, md, "Layers of the network", "mentions and t.me links")[1:3])
	require.Equal(t, forwards, mdFigureRow(t, md, "Layers of the network", "forwards")[1:3])
	require.Contains(t, md, "its mention and t.me-link layer "+mentions[0]+" edges")
	require.Equal(t, mentions[0], mdCells(t, md, "mention and t.me-link edges")[1])
}

// The migration world: the bench data has neither links nor communities. Sixteen bench
// channels form two communities, alpha and a hostile-named one, and post 8 own links a day
// from June to September. On impactAt a takedown of twitter names alpha, whose links move
// from twitter to bluesky; a suspension lists the twitter accounts of three of its channels.
var (
	impactAt  = time.Date(2026, 8, 20, 0, 0, 0, 0, time.UTC)
	betaName  = hostile[0] + "\u202E"
	linksFrom = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	linksTo   = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
)

// destination draws a link's destination platform from a community's mix.
func destination(u float64, alpha, after bool) string {
	type share struct {
		dest string
		p    float64
	}
	mix := []share{{"twitter", 0.35}, {"web", 0.3}, {"youtube", 0.15}, {"telegram", 0.1}, {"vk", 0.1}}
	switch {
	case alpha && after:
		mix = []share{{"twitter", 0.1}, {"bluesky", 0.3}, {"web", 0.3}, {"telegram", 0.3}}
	case alpha:
		mix = []share{{"twitter", 0.4}, {"web", 0.3}, {"telegram", 0.3}}
	}
	for _, m := range mix {
		if u < m.p {
			return m.dest
		}
		u -= m.p
	}
	return mix[len(mix)-1].dest
}

// writeMigrationWorld writes the communities, links, account links and events of the
// migration world for the first sixteen bench channels.
func writeMigrationWorld(t *testing.T, srv *chtest.Server, db *store.DB, wopts store.WriterOptions) {
	t.Helper()
	ctx := context.Background()
	var ids []uint64
	for _, f := range strings.Fields(srv.Query(t, "SELECT channel_id FROM channels FINAL WHERE source = 'bench' ORDER BY channel_id LIMIT 16")) {
		id, err := strconv.ParseUint(f, 10, 64)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	require.Len(t, ids, 16)
	cw, err := store.NewWriter[schema.Community](db, schema.TableCommunities, wopts)
	require.NoError(t, err)
	lw, err := store.NewWriter[schema.PostLink](db, schema.TablePostLinks, wopts)
	require.NoError(t, err)
	for i, id := range ids {
		alpha := i < 8
		com := "alpha"
		if !alpha {
			com = betaName
		}
		require.NoError(t, cw.Write(ctx, schema.Community{Community: com, Platform: "telegram", ChannelID: id, Source: "import", AddedAt: linksFrom, Version: 1}))
		rng := rand.New(rand.NewPCG(11, id))
		post := uint64(50_000_000)
		for at := linksFrom; at.Before(linksTo); at = at.Add(24 * time.Hour) {
			for k := 0; k < 8; k++ {
				post++
				posted := at.Add(time.Duration(2+2*k) * time.Hour)
				dest := destination(rng.Float64(), alpha, !posted.Before(impactAt))
				require.NoError(t, lw.Write(ctx, schema.PostLink{Platform: "telegram", ChannelID: id, PostID: post, PostedAt: posted,
					URL: fmt.Sprintf("https://%s.example/%d/%d", dest, id, post), LinkKind: "url", SourceKind: "entity", DestPlatform: dest}))
			}
		}
	}
	require.NoError(t, cw.Close(ctx))
	require.NoError(t, lw.Close(ctx))
	aw, err := store.NewWriter[schema.AccountLink](db, schema.TableAccountLinks, wopts)
	require.NoError(t, err)
	var handles []string
	for i, id := range ids[:3] {
		h := "acct" + strconv.Itoa(i)
		handles = append(handles, h)
		require.NoError(t, aw.Write(ctx, schema.AccountLink{FromPlatform: "telegram", FromChannelID: id, ToPlatform: "twitter", ToHandle: h,
			Evidence: "handle_in_about", Status: "proposed", Version: 1}))
	}
	require.NoError(t, aw.Close(ctx))
	require.NoError(t, store.WriteAll(ctx, db, schema.TableEvents, wopts,
		schema.Event{EventID: "td", EventAt: impactAt, Platform: "twitter", Kind: "takedown", TargetKind: "community", Targets: []string{"alpha"}, Origin: "registry", Version: 1},
		schema.Event{EventID: "sus", EventAt: impactAt, Platform: "twitter", Kind: "suspension", TargetKind: "account", Targets: handles, Origin: "registry", Version: 1}))
}

// mdFigureRow finds, in the table of the figure titled title, the row whose first cells
// are first ("*" matches any cell), and returns its cells.
func mdFigureRow(t *testing.T, md, title string, first ...string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(md, "### "+title+"\n")
	require.True(t, ok, "report.md has no figure %q", title)
	rest, _, _ = strings.Cut(rest, "\n### ")
	for _, line := range strings.Split(rest, "\n") {
		if !strings.HasPrefix(line, "| ") {
			continue
		}
		var cells []string
		for _, c := range strings.Split(strings.Trim(line, "|"), " | ") {
			cells = append(cells, strings.TrimSpace(c))
		}
		if len(cells) >= len(first) && slices.EqualFunc(cells[:len(first)], first, func(c, want string) bool { return want == "*" || c == want }) {
			return cells
		}
	}
	t.Fatalf("figure %q has no row starting %q", title, first)
	return nil
}

// floats parses a tab-separated row of numbers.
func floats(t *testing.T, row string) []float64 {
	t.Helper()
	var out []float64
	for _, f := range strings.Split(strings.TrimSpace(row), "\t") {
		v, err := strconv.ParseFloat(f, 64)
		require.NoError(t, err, "%q", row)
		out = append(out, v)
	}
	return out
}

// checkMigrationSections compares the migration sections of report.md with the tables.
func checkMigrationSections(t *testing.T, q func(string) string, md, run string) {
	t.Helper()
	where := " FINAL WHERE run_id = '" + run + "'"
	// Windows of the takedown, for the community it names.
	w := floats(t, q("SELECT posts_pre, posts_post, forwarded_pre, forwarded_post, js_nats, js_lo, js_hi, event_share_pre, event_share_post, channels FROM migration_windows"+
		where+" AND event_id = 'td' AND level = 'community' AND unit = 'alpha'"))
	change := func(pre, post float64) float64 { return 100 * (post - pre) / pre }
	const windows = "Before and after each registry event, per community and platform"
	row := mdFigureRow(t, md, windows, "td", "takedown (twitter)", stamp(impactAt), "*", "community", "alpha", "yes")
	require.Equal(t, count(uint64(w[9])), row[7])
	require.Equal(t, prePost(uint64(w[0]), uint64(w[1]), change(w[0], w[1])), row[8])
	require.Equal(t, prePost(uint64(w[2]), uint64(w[3]), change(w[2], w[3])), row[10])
	require.Equal(t, interval(w[4], w[5], w[6], 3, "n/a"), row[13])
	require.Equal(t, shareChange(w[7], w[8]), row[14])
	require.Greater(t, w[7]-w[8], 0.2, "alpha's twitter share fell")
	require.Equal(t, "no", mdFigureRow(t, md, windows, "td", "*", "*", "*", "community", Markdown(Clean(betaName, MaxCell)))[6], "the takedown does not name the other community")

	// The time series of alpha's twitter link share.
	its := floats(t, q("SELECT level_change, level_lo, level_hi, level_p, placebo_p FROM migration_its"+where+
		" AND event_id = 'td' AND level = 'community' AND unit = 'alpha' AND outcome = 'link_share' AND status = 'ok'"))
	row = mdFigureRow(t, md, "Interrupted time series around each event", "td", "community", "alpha", "yes", Markdown("link_share"))
	require.Equal(t, interval(its[0], its[1], its[2], 3, "n/a"), row[6])
	require.Equal(t, Markdown(pval(its[3])), row[7])
	require.Equal(t, Markdown(pval(its[4])), row[10])
	require.Equal(t, placeboCheck(its[4]), row[11])
	require.Less(t, its[0], -0.2)
	doubtful := q("SELECT countIf(placebo_p < 0.05), count() FROM migration_its" + where + " AND status = 'ok'")
	n := strings.Fields(doubtful)
	if n[0] != "0" {
		require.Contains(t, md, "Caution: "+n[0]+" of the "+n[1]+" time series fits")
	} else {
		require.NotContains(t, md, "time series fits listed failed")
	}

	// The difference in differences of the suspension.
	d := floats(t, q("SELECT treated, controls, effect, lo, hi, p, pretrend_p FROM migration_did"+where+" AND event_id = 'sus' AND status = 'ok'"))
	row = mdFigureRow(t, md, "Audience of channels whose accounts an event suspended (difference in differences)", "sus")
	require.Equal(t, "3", row[4])
	require.Equal(t, count(uint64(d[1])), row[5])
	require.Equal(t, interval(relPct(d[2]), relPct(d[3]), relPct(d[4]), 1, "n/a"), row[6])
	require.Equal(t, Markdown(pval(d[5])), row[7])
	require.Equal(t, didCheck(d[6]), row[10])

	// The largest shift of a link mix, and the platform's weekly twitter share.
	top := strings.Split(q("SELECT event_id, level, unit, js_nats, js_lo, js_hi FROM migration_windows"+where+
		" AND status = 'ok' AND js_nats = js_nats ORDER BY js_nats DESC, event_at, event_id, level, unit LIMIT 1"), "\t")
	require.Equal(t, "alpha", top[2], "the takedown moved alpha's links most")
	js := floats(t, strings.Join(top[3:], "\t"))
	row = mdFigureRow(t, md, "Largest shifts of the link mix around an event", top[0])
	require.Equal(t, []string{top[1], "alpha", interval(js[0], js[1], js[2], 3, "n/a")}, []string{row[3], row[4], row[7]})
	require.Contains(t, row[9], "bluesky +0.")
	require.Contains(t, row[10], "twitter -0.")
	require.Contains(t, md, "Chart data: `links-platform.csv`")
	require.Contains(t, md, "| E1 | ")
}

// checkPlatformShares compares a week of the platform's link shares chart with the table.
func checkPlatformShares(t *testing.T, q func(string) string, dir, run string) {
	t.Helper()
	week := floats(t, q("SELECT sumIf(links, destination = 'twitter'), sum(links) FROM migration_shares FINAL WHERE run_id = '"+run+
		"' AND level = 'platform' AND week = toDate('2026-07-06')"))
	require.Positive(t, week[1])
	data, err := os.ReadFile(filepath.Join(dir, "links-platform.csv"))
	require.NoError(t, err)
	require.Contains(t, string(data), "\ntwitter,2026-07-06,"+strconv.FormatFloat(week[0]/week[1], 'g', -1, 64)+",")
	require.Contains(t, string(data), "\nother,", "six destinations: the smallest pooled")
}

// mdCell finds the row of a Markdown table that starts with first and returns its cells.
func mdCells(t *testing.T, md, first string) []string {
	t.Helper()
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| "+first+" |") {
			var cells []string
			for _, c := range strings.Split(strings.Trim(line, "|"), " | ") {
				cells = append(cells, strings.TrimSpace(c))
			}
			return cells
		}
	}
	t.Fatalf("report.md has no row starting %q", first)
	return nil
}

func TestReportInClickHouse(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clickhouse-server; skipped under -short")
	}
	srv, db, wopts := jobtest.Store(t)
	ctx := context.Background()
	_, err := bench.Generate(ctx, db, bench.Config{Channels: 40, Posts: 40 * 400, Seed: 3}, wopts)
	require.NoError(t, err)
	// Hostile names, and six channels that left public view, for the takedowns section.
	cw, err := store.NewWriter[schema.Channel](db, schema.TableChannels, wopts)
	require.NoError(t, err)
	for i := 0; i < 6; i++ {
		created := bench.From.AddDate(0, 0, 10*i)
		require.NoError(t, cw.Write(ctx, schema.Channel{Platform: "telegram", ChannelID: uint64(900 + i), Username: "gone_" + strconv.Itoa(i),
			Title: hostile[i%len(hostile)] + "\u202E", Status: schema.StatusBanned, CreatedAt: created, FirstSeenAt: created,
			LastSeenAt: created.AddDate(0, 0, 5+7*i), Version: 2}))
	}
	require.NoError(t, cw.Close(ctx))
	writeMigrationWorld(t, srv, db, wopts)
	writeActorWorld(t, srv, db, wopts)

	p := job.Params{From: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Scope: job.Scope{Kind: job.ScopePlatform}}
	d := p.To.Sub(p.From)
	prevP := job.Params{From: p.From.Add(-d), To: p.From, Scope: p.Scope}
	// A clock that ticks a second at every reading, so the runs' times (and the golden
	// report.md) are the same at every run.
	var tick atomic.Int64
	now := func() time.Time {
		return time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC).Add(time.Duration(tick.Add(1)) * time.Second)
	}
	meta := job.Meta{CodeVersion: "test", ConfigHash: "cfg", Writer: wopts, Now: now}
	o := Options{Params: p, Compare: Period{From: prevP.From, To: prevP.To, Label: "previous"},
		Runs: runJobs(t, db, p, meta), CompareRuns: runJobs(t, db, prevP, meta), CodeVersion: "test", ConfigHash: "cfg"}
	r, err := Build(ctx, db, o)
	require.NoError(t, err)
	dir := t.TempDir()
	m, err := Write(dir, r)
	require.NoError(t, err)
	mdBytes, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	require.NoError(t, err)
	md := string(mdBytes)

	// Headline numbers against the tables.
	q := func(sql string) string { return srv.Query(t, sql) }
	cells := mdCells(t, md, "channels with snapshots")
	require.Equal(t, q("SELECT count() FROM growth_channels FINAL WHERE run_id = '"+o.Runs["growth"]+"'"), cells[1])
	require.Equal(t, q("SELECT count() FROM growth_channels FINAL WHERE run_id = '"+o.CompareRuns["growth"]+"'"), cells[2])
	cells = mdCells(t, md, "posts")
	require.Equal(t, q("SELECT sum(posts) FROM engagement_channels FINAL WHERE run_id = '"+o.Runs["engagement"]+"'"), cells[1])
	cells = mdCells(t, md, "median ERR, %")
	want, err := strconv.ParseFloat(q("SELECT quantileExact(0.5)(err) FROM engagement_channels FINAL WHERE run_id = '"+o.Runs["engagement"]+"' AND status = 'ok' AND err = err"), 64)
	require.NoError(t, err)
	require.Equal(t, num(want, 1), cells[1])
	cells = mdCells(t, md, "channels that left public view")
	require.Equal(t, q("SELECT ended FROM takedowns_cohorts FINAL WHERE run_id = '"+o.Runs["takedowns"]+"' AND cohort = 'all'"), cells[1])
	// The fastest mover's rate and the top PageRank.
	top := strings.Split(q("SELECT channel_id, round(exp_rate, 4), round(exp_rate_lo, 4) FROM growth_channels FINAL WHERE run_id = '"+o.Runs["growth"]+
		"' AND status = 'ok' ORDER BY abs(exp_rate) DESC, platform, channel_id LIMIT 1"), "\t")
	require.Contains(t, md, "| telegram | "+top[0]+" |")
	rate, _ := strconv.ParseFloat(top[1], 64)
	require.Contains(t, md, num(rate, 4)+" (")
	pr, err := strconv.ParseFloat(q("SELECT max(pagerank) FROM network_nodes FINAL WHERE run_id = '"+o.Runs["network"]+"'"), 64)
	require.NoError(t, err)
	require.Contains(t, md, "| "+num(pr, 4)+" |")
	// Coverage against the base tables; the data version against run_inputs.
	cells = mdCells(t, md, "snapshots in the range")
	require.Equal(t, q("SELECT count() FROM channel_snapshots WHERE snapshot_at >= toDateTime('2026-07-01 00:00:00', 'UTC') AND snapshot_at < toDateTime('2026-10-01 00:00:00', 'UTC')"), cells[1])
	rows := q("SELECT max(rows) FROM run_inputs FINAL WHERE input_table = 'posts' AND has(['" + strings.Join(runIDs(o), "','") + "'], run_id)")
	require.Contains(t, md, "| posts | "+rows+" | 20", "the data version row of posts")
	// Every figure names its runs and its query; hostile titles came out cleaned.
	for _, f := range m.Figures {
		require.NotEmpty(t, f.Query, f.ID)
		if !strings.HasPrefix(f.ID, "coverage-counts") && !strings.HasPrefix(f.ID, "coverage-completeness") {
			require.NotEmpty(t, f.Runs, f.ID)
		}
	}
	require.NotContains(t, md, "\u202E")
	require.NotContains(t, md, "<script")
	for _, s := range []string{"headline", "coverage", "growth", "engagement", "events", "migration", "links", "network", "actors", "takedowns", "caveats"} {
		require.Contains(t, sectionIDs(r), s)
	}
	checkMigrationSections(t, q, md, o.Runs["migration"])
	checkPlatformShares(t, q, dir, o.Runs["migration"])
	checkActorsSection(t, q, md, dir, o.Runs["actors"])
	checkNetworkLayers(t, q, md, o.Runs["network"])
	charts := RenderInBrowser(t, dir, countCharts(r))
	require.GreaterOrEqual(t, charts["migration-levels"].Colours, 3, "named and other units' bars, and intervals: %+v", charts["migration-levels"])
	marks := strings.Fields(q("SELECT uniqExact(toDate(event_at)) FROM migration_windows FINAL WHERE run_id = '" + o.Runs["migration"] + "'"))
	require.Equal(t, marks[0], strconv.Itoa(charts["links-platform"].Dashed), "one dashed line per event day")
	require.Equal(t, marks[0], strconv.Itoa(charts["links-community-1"].Dashed))
	require.Equal(t, 2, charts["actors-shares-1"].Dashed, "one dashed line per move: %+v", charts["actors-shares-1"])
	require.Equal(t, 2, charts["actors-shares-1"].Colours, "telegram and twitter: %+v", charts["actors-shares-1"])

	// The manifest regenerates the same numbers; new data is named as a change.
	man, err := ReadManifest(filepath.Join(dir, ManifestName))
	require.NoError(t, err)
	again := func() (*Report, string) {
		o2, err := man.Options()
		require.NoError(t, err)
		r2, err := Build(ctx, db, o2)
		require.NoError(t, err)
		r2.Changes, err = Changes(ctx, db, man, r2)
		require.NoError(t, err)
		dir2 := t.TempDir()
		_, err = Write(dir2, r2)
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(dir2, MarkdownFile))
		require.NoError(t, err)
		return r2, string(b)
	}
	r2, md2 := again()
	require.Empty(t, r2.Changes)
	require.Equal(t, withoutGenerated(md), withoutGenerated(md2))
	checkGolden(t, md)

	pw, err := store.NewWriter[schema.Post](db, schema.TablePosts, wopts)
	require.NoError(t, err)
	require.NoError(t, pw.Write(ctx, schema.Post{Platform: "telegram", ChannelID: 900, PostID: 1, PostedAt: p.To.Add(time.Hour), Kind: schema.KindPost,
		CountersAt: p.To.Add(2 * time.Hour), Version: 1}))
	require.NoError(t, pw.Close(ctx))
	r3, md3 := again()
	require.Len(t, r3.Changes, 1, "%v", r3.Changes)
	require.Contains(t, r3.Changes[0], "posts: ")
	require.Contains(t, md3, "Input changed")
	require.Equal(t, mdCells(t, md, "median ERR, %"), mdCells(t, md3, "median ERR, %"), "numbers from runs stay as they were")
}

func runIDs(o Options) []string {
	var ids []string
	for _, id := range o.Runs {
		ids = append(ids, id)
	}
	for _, id := range o.CompareRuns {
		ids = append(ids, id)
	}
	return ids
}

func sectionIDs(r *Report) []string {
	var ids []string
	for _, s := range r.Sections {
		ids = append(ids, s.ID)
	}
	return ids
}

func countCharts(r *Report) int {
	n := 0
	for _, s := range r.Sections {
		for _, f := range s.Figures {
			if f.Chart != nil && f.Empty == "" {
				n++
			}
		}
	}
	return n
}

var generatedLine = regexp.MustCompile(`(?m)^- Generated: .*$`)

func withoutGenerated(md string) string { return generatedLine.ReplaceAllString(md, "") }

var update = flag.Bool("update", false, "rewrite testdata/report.golden.md")

// anyRunID matches a run id (job, start time, random bits) anywhere in a text.
var anyRunID = regexp.MustCompile(`\b[a-z]+-\d{8}T\d{6}Z-[0-9a-f]{12}\b`)

// checkGolden compares report.md of the fixed dataset with testdata/report.golden.md, the
// run ids (random) and the generation time left out: any change of a number, a section or
// its wording shows in the diff. go test ./analysis/report -run InClickHouse -update
// rewrites it after a change that is meant.
func checkGolden(t *testing.T, md string) {
	t.Helper()
	got := anyRunID.ReplaceAllString(withoutGenerated(md), "RUN")
	path := filepath.Join("testdata", "report.golden.md")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no golden file: run with -update")
	require.Equal(t, string(want), got, "report.md differs from %s", path)
}
