package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// Sizes of the network section.
const (
	topCommunities = 10
	topAuthorities = 12
)

// network is the forward graph's communities and its most central channels.
func (b *builder) network() (Section, bool, error) {
	r, found := b.runs["network"]
	if !found {
		return Section{}, false, nil
	}
	s := Section{ID: "network", Title: "Network", Text: []string{
		"Two layers. The forward graph: an edge A -> B weighted by the posts of A forwarded from B. The mention and t.me-link layer: an edge A -> B counts the posts of A " +
			"that @mention B or link to it (t.me/B), forwarded posts and self-mentions left out. PageRank (damping 0.85) and HITS authorities on the weighted forward graph; " +
			"citing channels: how many channels forwarded the channel. Louvain communities, with their modularity, are found on both layers together, " +
			"each channel's forwards and mentions counting as shares of its own, so that a channel forwarding thousands of posts does not outweigh one forwarding dozens.",
	}}
	if r.Status != job.StatusOK {
		s.Text = append(s.Text, notOK(r))
		return s, true, nil
	}
	auth, err := b.authorities(r.RunID)
	if err != nil {
		return s, false, err
	}
	comm, err := b.networkCommunities(r.RunID)
	if err != nil {
		return s, false, err
	}
	layers, text, err := b.networkLayers(r.RunID)
	if err != nil {
		return s, false, err
	}
	s.Text = append(s.Text, text)
	s.Figures = append(s.Figures, layers, comm, auth)
	return s, true, nil
}

// layerRow is the size of one layer of a network run.
type layerRow struct {
	Edges uint64 `ch:"edges"`
	Posts uint64 `ch:"total_posts"`
}

// networkLayers is the table of the two layers' sizes, and a sentence naming them.
func (b *builder) networkLayers(id string) (Figure, string, error) {
	layers := []struct{ name, table string }{
		{"forwards", schema.TableNetworkEdges},
		{"mentions and t.me links", schema.TableNetworkMentions},
	}
	f := Figure{ID: "network-layers", Title: "Layers of the network", Runs: []string{id},
		Caption: "edges: channel pairs A -> B; posts: the posts of A that forwarded, mentioned or linked B, summed over the edges."}
	f.Table = &Table{Columns: []string{"layer", "edges", "posts"}, Text: []bool{false, false, false}}
	var qs []string
	var sizes []layerRow
	for _, l := range layers {
		q := "SELECT count() AS edges, sum(posts) AS total_posts FROM " + b.table(l.table) + " FINAL WHERE " + runIs(id)
		rows, err := selectRows[layerRow](b, q)
		if err != nil {
			return f, "", err
		}
		var n layerRow
		if len(rows) > 0 {
			n = rows[0]
		}
		qs, sizes = append(qs, q), append(sizes, n)
		f.Table.Rows = append(f.Table.Rows, []string{l.name, count(n.Edges), count(n.Posts)})
	}
	f.Query = strings.Join(qs, ";\n")
	text := fmt.Sprintf("This run's forward layer has %d edges (%d posts), its mention and t.me-link layer %d edges (%d posts); the communities below are of both layers.",
		sizes[0].Edges, sizes[0].Posts, sizes[1].Edges, sizes[1].Posts)
	if sizes[1].Edges == 0 {
		text += " No post in scope mentioned or linked another channel, so the communities rest on forwards alone."
	}
	return f, text, nil
}

func (b *builder) authorities(id string) (Figure, error) {
	q := "SELECT " + store.Columns[schema.NetworkNode]() + " FROM " + b.table(schema.TableNetworkNodes) + " FINAL WHERE " + runIs(id) +
		" ORDER BY pagerank DESC, platform, channel_id LIMIT " + strconv.Itoa(topAuthorities)
	f := Figure{ID: "network-authorities", Title: "Top channels by PageRank", Runs: []string{id}, Query: q,
		Caption: "Titles as the run stored them; collected: whether the channel itself is collected or only seen as a forward source."}
	rows, err := selectRows[schema.NetworkNode](b, q)
	if err != nil {
		return f, err
	}
	if len(rows) == 0 {
		f.Empty = "No forwarded post connects two channels in this range, so there is no graph."
		return f, nil
	}
	f.Table = &Table{Columns: []string{"channel", "id", "collected", "PageRank", "authority", "hub", "citing channels", "community"},
		Text: []bool{true, false, false, false, false, false, false, false}}
	f.Chart = &Chart{Kind: ChartBars, XLabel: "PageRank"}
	for _, n := range rows {
		name := b.nodeName(n, MaxCell)
		f.Table.Rows = append(f.Table.Rows, []string{name, strconv.FormatUint(n.ChannelID, 10), yesNo(n.Collected), num(n.PageRank, 4),
			num(n.Authority, 4), num(n.Hub, 4), count(n.CitingChannels), count(n.Community)})
		f.Chart.Bars = append(f.Chart.Bars, Bar{Label: b.nodeName(n, MaxLabel), Value: n.PageRank})
	}
	return f, nil
}

// nodeName is a graph node's stored title, or its platform and id.
func (b *builder) nodeName(n schema.NetworkNode, max int) string {
	if t := Clean(n.Title, max); t != "" {
		return t
	}
	return b.label(job.Key{Platform: n.Platform, ChannelID: n.ChannelID}, max)
}

func (b *builder) networkCommunities(id string) (Figure, error) {
	q := "SELECT " + store.Columns[schema.NetworkCommunity]() + " FROM " + b.table(schema.TableNetworkCommunities) + " FINAL WHERE " + runIs(id) +
		" ORDER BY nodes DESC, community LIMIT " + strconv.Itoa(topCommunities)
	f := Figure{ID: "network-communities", Title: "Communities of the forward and mention layers (Louvain)", Runs: []string{id}, Query: q,
		Caption: "The largest communities; top channel: the member with the highest PageRank."}
	rows, err := selectRows[schema.NetworkCommunity](b, q)
	if err != nil {
		return f, err
	}
	if len(rows) == 0 {
		f.Empty = "Neither layer has communities in this range."
		return f, nil
	}
	keys := make([]job.Key, len(rows))
	for i, c := range rows {
		keys[i] = job.Key{Platform: c.TopPlatform, ChannelID: c.TopChannelID}
	}
	if err := b.loadLabels(keys); err != nil {
		return f, err
	}
	f.Table = &Table{Columns: []string{"community", "channels", "top channel", "modularity of the partition"}, Text: []bool{false, false, true, false}}
	for i, c := range rows {
		f.Table.Rows = append(f.Table.Rows, []string{count(c.Community), count(c.Nodes), b.label(keys[i], MaxCell), num(c.Modularity, 3)})
	}
	return f, nil
}
