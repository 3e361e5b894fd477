package network

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/job/jobtest"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

func TestRunInClickHouse(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clickhouse-server; skipped under -short")
	}
	srv, db, wopts := jobtest.Store(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	// Two cliques of forwarders, {1, 2, 3} and {4, 5, 6}, one forward across (3 -> 4), and
	// channel 9 forwarded by 1 but not collected. An album forwarded counts once; a
	// self-forward and a post outside the range do not count.
	pw, err := store.NewWriter[schema.Post](db, schema.TablePosts, wopts)
	require.NoError(t, err)
	var pid uint64
	fwd := func(ch, src uint64, n int, mod func(*schema.Post)) {
		for range n {
			pid++
			p := schema.Post{Platform: "telegram", ChannelID: ch, PostID: pid, PostedAt: t0, Kind: schema.KindPost, PostType: "text", FwdChannelID: src, Version: 1}
			if mod != nil {
				mod(&p)
			}
			require.NoError(t, pw.Write(ctx, p))
		}
	}
	for _, clique := range [][]uint64{{1, 2, 3}, {4, 5, 6}} {
		for _, a := range clique {
			for _, b := range clique {
				if a != b {
					fwd(a, b, 3, nil)
				}
			}
		}
	}
	fwd(3, 4, 1, nil)
	fwd(1, 9, 2, nil)
	fwd(2, 2, 5, nil)
	fwd(5, 6, 4, func(p *schema.Post) { p.PostedAt = t0.AddDate(0, 2, 0) })
	fwd(4, 5, 2, func(p *schema.Post) { p.AlbumID = 777 })
	require.NoError(t, pw.Close(ctx))
	cw, err := store.NewWriter[schema.Channel](db, schema.TableChannels, wopts)
	require.NoError(t, err)
	for id := uint64(1); id <= 6; id++ {
		require.NoError(t, cw.Write(ctx, schema.Channel{Platform: "telegram", ChannelID: id, Title: "chan " + string(rune('0'+id)), Subscribers: 100 * id, Version: 1}))
	}
	require.NoError(t, cw.Close(ctx))

	gexf := filepath.Join(t.TempDir(), "g.gexf")
	p := job.Params{From: t0.Add(-24 * time.Hour), To: t0.Add(24 * time.Hour), Scope: job.Scope{Kind: job.ScopePlatform}}
	sum, err := Run(ctx, db, Options{Params: p, Meta: job.Meta{CodeVersion: "test", Writer: wopts}, GEXF: gexf})
	require.NoError(t, err)
	require.Equal(t, job.StatusOK, sum.Status)
	require.Equal(t, 7, sum.Nodes)
	require.Equal(t, 14, sum.Edges, "6 + 6 in the cliques, 3 -> 4, 1 -> 9")
	require.Equal(t, uint64(3*12+1+2+1), sum.Forwards, "the album of two forwarded messages counts once")
	require.Equal(t, 2, sum.Communities)
	run := "'" + sum.RunID + "'"
	// The cliques are the communities; 9 joins the one that forwards it.
	require.Equal(t, "1\t0\t2\n1\t0\t3\n1\t0\t9\n4\t1\t5\n4\t1\t6",
		srv.Query(t, "SELECT a.channel_id, a.community, b.channel_id FROM (SELECT channel_id, community FROM network_nodes WHERE run_id = "+run+" AND channel_id IN (1, 4)) AS a "+
			"ALL INNER JOIN (SELECT channel_id, community FROM network_nodes WHERE run_id = "+run+" AND channel_id NOT IN (1, 4)) AS b USING community ORDER BY a.channel_id, b.channel_id"))
	require.Equal(t, "9\t0\t1\t0\t2", srv.Query(t, "SELECT channel_id, collected, citing_channels, cited_channels, forwarded_by FROM network_nodes WHERE run_id = "+run+" AND channel_id = 9"))
	require.Equal(t, "5\t4", srv.Query(t, "SELECT source_id, posts FROM network_edges WHERE run_id = "+run+" AND channel_id = 4 AND source_id = 5"), "3 posts and an album")
	var pr float64
	require.NoError(t, db.QueryRow(ctx, "SELECT sum(pagerank) FROM "+db.Table(schema.TableNetworkNodes)+" WHERE run_id = "+run).Scan(&pr))
	require.InDelta(t, 1, pr, 1e-9)

	raw, err := os.ReadFile(gexf)
	require.NoError(t, err)
	var doc gexfDoc
	require.NoError(t, xml.Unmarshal(raw, &doc))
	require.Len(t, doc.Graph.Nodes, 7)
	require.Len(t, doc.Graph.Edges, 14)
	require.Equal(t, "directed", doc.Graph.DefaultEdgeType)
	entries, err := os.ReadDir(filepath.Dir(gexf))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left")

	// No forwards in the range: a skipped run, no file written.
	empty := filepath.Join(t.TempDir(), "e.gexf")
	sum, err = Run(ctx, db, Options{Params: job.Params{From: t0.AddDate(1, 0, 0), To: t0.AddDate(1, 1, 0)}, Meta: job.Meta{Writer: wopts}, GEXF: empty})
	require.NoError(t, err)
	require.Equal(t, job.StatusSkipped, sum.Status)
	_, err = os.Stat(empty)
	require.True(t, os.IsNotExist(err))
	_, err = Run(ctx, db, Options{Params: p, GEXF: "/no/such/folder/g.gexf"})
	require.True(t, job.IsParamError(err))
}
