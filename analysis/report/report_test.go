package report

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/analysis/bench"
	"github.com/tidewatch/tidewatch/analysis/bursts"
	"github.com/tidewatch/tidewatch/analysis/engagement"
	"github.com/tidewatch/tidewatch/analysis/growth"
	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/job/jobtest"
	"github.com/tidewatch/tidewatch/analysis/network"
	"github.com/tidewatch/tidewatch/analysis/takedowns"
	"github.com/tidewatch/tidewatch/schema"
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
	n, err := network.Run(ctx, db, network.Options{Params: p, Meta: m})
	require.NoError(t, err)
	runs["network"] = n.RunID
	return runs
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

	p := job.Params{From: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Scope: job.Scope{Kind: job.ScopePlatform}}
	d := p.To.Sub(p.From)
	prevP := job.Params{From: p.From.Add(-d), To: p.From, Scope: p.Scope}
	meta := job.Meta{CodeVersion: "test", ConfigHash: "cfg", Writer: wopts}
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
	for _, s := range []string{"headline", "coverage", "growth", "engagement", "events", "network", "takedowns", "caveats"} {
		require.Contains(t, sectionIDs(r), s)
	}
	RenderInBrowser(t, dir, countCharts(r))

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
