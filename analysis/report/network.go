package report

import (
	"strconv"

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
		"The forward graph: an edge A -> B weighted by the posts of A forwarded from B. PageRank (damping 0.85) on the weighted graph, " +
			"HITS authorities, Louvain communities with their modularity; citing channels: how many channels forwarded the channel.",
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
	s.Figures = append(s.Figures, comm, auth)
	return s, true, nil
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
	f := Figure{ID: "network-communities", Title: "Communities of the forward graph (Louvain)", Runs: []string{id}, Query: q,
		Caption: "The largest communities; top channel: the member with the highest PageRank."}
	rows, err := selectRows[schema.NetworkCommunity](b, q)
	if err != nil {
		return f, err
	}
	if len(rows) == 0 {
		f.Empty = "The forward graph has no communities in this range."
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
