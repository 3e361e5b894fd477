// Package network is the network job: the forward graph of the channels in scope over a
// time range (A -> B weighted by the posts of A forwarded from B), its weighted PageRank,
// HITS hubs and authorities, Louvain communities, and how many channels cite each one
// (analysis/stats over gonum graph); optionally written as GEXF for Gephi. A second layer
// counts the posts of A that @mention B or link to it on t.me; communities are found on
// both layers, each channel's forwards and mentions counted as shares of its own.

package network

import (
	"cmp"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/tidewatch/tidewatch/analysis/job"
	"github.com/tidewatch/tidewatch/analysis/stats"
	"github.com/tidewatch/tidewatch/schema"
	"github.com/tidewatch/tidewatch/schema/store"
)

// Name is the job's name in runs (analyze:network) and on the command line.
const Name = "network"

// Damping is the PageRank damping factor.
const Damping = 0.85

// louvainTries is how many Louvain runs (seeds 1, 2, ...) the best partition is taken from.
const louvainTries = 5

// Options of a network run.
type Options struct {
	Params job.Params
	Meta   job.Meta
	// GEXF, when set, is the file the graph is written to (GEXF 1.3, for Gephi), after the
	// run's rows are stored; it is replaced whole or not at all.
	GEXF string
}

// Summary is what a run did.
type Summary struct {
	RunID       string
	Status      string
	Nodes       int
	Edges       int
	Forwards    uint64 // forwarded posts, the edges' total weight
	Mentions    int    // edges of the mention and t.me-link layer
	Communities int
	Modularity  float64
	// Top is the nodes with the highest PageRank, at most 10, highest first.
	Top     []schema.NetworkNode
	Reasons []string
}

// Check checks the options; a bad one is a job.ParamError.
func (o *Options) Check() error {
	if err := o.Params.Validate(); err != nil {
		return err
	}
	if o.GEXF != "" {
		if st, err := os.Stat(filepath.Dir(o.GEXF)); err != nil || !st.IsDir() {
			return &job.ParamError{Param: "--gexf", Msg: fmt.Sprintf("%s: its folder does not exist", o.GEXF)}
		}
	}
	return nil
}

// Run builds the forward graph of the channels in scope over the range, computes its
// measures and writes them, keyed by a new run, to network_nodes, network_edges and
// network_communities (and the GEXF file when asked).
func Run(ctx context.Context, db *store.DB, o Options) (Summary, error) {
	if err := o.Check(); err != nil {
		return Summary{}, err
	}
	sum := Summary{Modularity: math.NaN()}
	var err error
	sum.Status, sum.Reasons, err = job.Execute(ctx, db, Name, o.Params, []string{schema.TablePosts, schema.TablePostLinks, schema.TableChannels}, o.Meta,
		func(scope job.Channels, runID string) (map[string]uint64, string, error) {
			sum.RunID = runID
			werr := compute(ctx, db, o, scope, runID, &sum)
			skip := ""
			if werr == nil && sum.Edges == 0 {
				skip = "no forwarded posts of channels in scope in the range"
			}
			counts := map[string]uint64{"nodes": uint64(sum.Nodes), "edges": uint64(sum.Edges), "forwards": sum.Forwards, "mentions": uint64(sum.Mentions),
				"communities": uint64(sum.Communities)}
			return counts, skip, werr
		})
	return sum, err
}

type edgeRow struct {
	Platform  string `ch:"platform"`
	ChannelID uint64 `ch:"channel_id"`
	Source    uint64 `ch:"source"`
	Posts     uint64 `ch:"posts"`
}

type channelRow struct {
	Platform  string `ch:"platform"`
	ChannelID uint64 `ch:"channel_id"`
	Title     string `ch:"title"`
	Subs      uint64 `ch:"subscribers"`
}

// Graph is a forward graph with its measures, as the job computes it.
type Graph struct {
	Nodes       []schema.NetworkNode // by (platform, channel_id)
	Edges       []schema.NetworkEdge
	Mentions    []schema.NetworkMention
	Communities []schema.NetworkCommunity
	Modularity  float64
}

func compute(ctx context.Context, db *store.DB, o Options, scope job.Channels, runID string, sum *Summary) error {
	cond, args := scope.Filter()
	q := fmt.Sprintf(`SELECT platform, channel_id, fwd_channel_id AS source, uniqExact(post_key) AS posts
FROM %s
WHERE fwd_channel_id != 0 AND fwd_channel_id != channel_id AND kind != 'service'
    AND posted_at >= toDateTime(%d) AND posted_at < toDateTime(%d) AND (%s)
GROUP BY platform, channel_id, source
ORDER BY platform, channel_id, source`, db.Table(schema.TablePosts), o.Params.From.Unix(), o.Params.To.Unix(), cond)
	edges, err := store.Select[edgeRow](ctx, db, q, args...)
	if err != nil || len(edges) == 0 {
		return err
	}
	q = fmt.Sprintf(`SELECT platform, channel_id, target_channel_id AS source, uniqExact(post_id) AS posts
FROM %[1]s
WHERE target_channel_id != 0 AND target_channel_id != channel_id AND link_kind IN ('mention', 'url')
    AND source_kind NOT IN ('about', 'pinned') AND posted_at >= toDateTime(%[2]d) AND posted_at < toDateTime(%[3]d) AND (%[4]s)
    AND %[5]s
GROUP BY platform, channel_id, source
ORDER BY platform, channel_id, source`, db.Table(schema.TablePostLinks), o.Params.From.Unix(), o.Params.To.Unix(), cond, job.NotForwarded(db, cond, o.Params.From, o.Params.To))
	mentions, err := store.Select[edgeRow](ctx, db, q, append(slices.Clone(args), args...)...)
	if err != nil {
		return err
	}
	info := map[job.Key]channelRow{}
	q = fmt.Sprintf("SELECT platform, channel_id, title, subscribers FROM %s FINAL", db.Table(schema.TableChannels))
	if err := store.Each(ctx, db, q, func(r *channelRow) error {
		info[job.Key{Platform: r.Platform, ChannelID: r.ChannelID}] = *r
		return nil
	}); err != nil {
		return err
	}
	g, err := build(edges, mentions, info)
	if err != nil {
		return err
	}
	sum.Nodes, sum.Edges, sum.Mentions, sum.Communities, sum.Modularity = len(g.Nodes), len(g.Edges), len(g.Mentions), len(g.Communities), g.Modularity
	for _, e := range g.Edges {
		sum.Forwards += e.Posts
	}
	top := slices.Clone(g.Nodes)
	slices.SortStableFunc(top, func(a, b schema.NetworkNode) int { return cmp.Compare(b.PageRank, a.PageRank) })
	sum.Top = top[:min(10, len(top))]

	if err := writeAll(ctx, db, o.Meta.Writer, runID, g); err != nil {
		return err
	}
	if o.GEXF != "" {
		return writeGEXFFile(o.GEXF, g, o.Params)
	}
	return nil
}

func writeAll(ctx context.Context, db *store.DB, wopts store.WriterOptions, runID string, g Graph) error {
	for i := range g.Nodes {
		g.Nodes[i].RunID = runID
	}
	for i := range g.Edges {
		g.Edges[i].RunID = runID
	}
	for i := range g.Communities {
		g.Communities[i].RunID = runID
	}
	for i := range g.Mentions {
		g.Mentions[i].RunID = runID
	}
	if err := store.WriteAll(ctx, db, schema.TableNetworkMentions, wopts, g.Mentions...); err != nil {
		return err
	}
	if err := store.WriteAll(ctx, db, schema.TableNetworkNodes, wopts, g.Nodes...); err != nil {
		return err
	}
	if err := store.WriteAll(ctx, db, schema.TableNetworkEdges, wopts, g.Edges...); err != nil {
		return err
	}
	return store.WriteAll(ctx, db, schema.TableNetworkCommunities, wopts, g.Communities...)
}

// build computes the graph's measures from its edges (channel forwarded posts of source,
// on the channel's platform), its mention edges (channel mentioned or linked source) and
// what is known of its channels. Mentions between channels outside the forward graph are
// kept as rows but take no part in the measures.
func build(rows, mentions []edgeRow, info map[job.Key]channelRow) (Graph, error) {
	ids := map[job.Key]int64{}
	var keys []job.Key
	id := func(k job.Key) int64 {
		if v, ok := ids[k]; ok {
			return v
		}
		ids[k] = int64(len(keys))
		keys = append(keys, k)
		return ids[k]
	}
	var g Graph
	var edges []stats.Edge
	for _, r := range rows {
		a, b := job.Key{Platform: r.Platform, ChannelID: r.ChannelID}, job.Key{Platform: r.Platform, ChannelID: r.Source}
		edges = append(edges, stats.Edge{From: id(a), To: id(b), Weight: float64(r.Posts)})
		g.Edges = append(g.Edges, schema.NetworkEdge{Platform: r.Platform, ChannelID: r.ChannelID, SourceID: r.Source, Posts: r.Posts})
	}
	nodes := make([]int64, len(keys))
	for i := range keys {
		nodes[i] = int64(i)
	}
	pr, err := stats.PageRank(nodes, edges, Damping)
	if err != nil {
		return g, err
	}
	hits, err := stats.HITS(nodes, edges)
	if err != nil {
		return g, err
	}
	var layer []stats.Edge
	for _, r := range mentions {
		g.Mentions = append(g.Mentions, schema.NetworkMention{Platform: r.Platform, ChannelID: r.ChannelID, TargetID: r.Source, Posts: r.Posts})
		a, okA := ids[job.Key{Platform: r.Platform, ChannelID: r.ChannelID}]
		b, okB := ids[job.Key{Platform: r.Platform, ChannelID: r.Source}]
		if okA && okB {
			layer = append(layer, stats.Edge{From: a, To: b, Weight: float64(r.Posts)})
		}
	}
	cs, err := stats.Louvain(nodes, append(shares(edges), shares(layer)...), 1, 1, louvainTries)
	if err != nil {
		return g, err
	}
	g.Modularity = cs.Q
	comm := make([]uint32, len(keys))
	for ci, grp := range cs.Groups {
		for _, n := range grp {
			comm[n] = uint32(ci)
		}
	}
	g.Nodes = make([]schema.NetworkNode, len(keys))
	citing, cited := make([]uint32, len(keys)), make([]uint32, len(keys))
	for i, k := range keys {
		c, ok := info[k]
		g.Nodes[i] = schema.NetworkNode{Platform: k.Platform, ChannelID: k.ChannelID, Title: c.Title, Subscribers: c.Subs,
			PageRank: pr[int64(i)], Hub: hits[int64(i)].Hub, Authority: hits[int64(i)].Authority, Community: comm[i]}
		if ok {
			g.Nodes[i].Collected = 1
		}
	}
	for _, e := range edges {
		g.Nodes[e.From].ForwardedFrom += uint64(e.Weight)
		g.Nodes[e.To].ForwardedBy += uint64(e.Weight)
		cited[e.From]++
		citing[e.To]++
	}
	for i := range g.Nodes {
		g.Nodes[i].CitingChannels, g.Nodes[i].CitedChannels = citing[i], cited[i]
	}
	for ci, grp := range cs.Groups {
		best := grp[0]
		for _, n := range grp {
			if pr[n] > pr[best] {
				best = n
			}
		}
		g.Communities = append(g.Communities, schema.NetworkCommunity{Community: uint32(ci), Nodes: uint32(len(grp)),
			TopPlatform: keys[best].Platform, TopChannelID: keys[best].ChannelID, Modularity: cs.Q})
	}
	slices.SortFunc(g.Nodes, func(a, b schema.NetworkNode) int {
		return cmp.Or(cmp.Compare(a.Platform, b.Platform), cmp.Compare(a.ChannelID, b.ChannelID))
	})
	return g, nil
}

// shares turns each node's out-edges into shares of its out-weight: they sum to 1.
func shares(edges []stats.Edge) []stats.Edge {
	out := map[int64]float64{}
	for _, e := range edges {
		out[e.From] += e.Weight
	}
	res := make([]stats.Edge, len(edges))
	for i, e := range edges {
		res[i] = stats.Edge{From: e.From, To: e.To, Weight: e.Weight / out[e.From]}
	}
	return res
}

// GEXF 1.3 as Gephi reads it.
type gexfDoc struct {
	XMLName xml.Name `xml:"gexf"`
	XMLNS   string   `xml:"xmlns,attr"`
	Version string   `xml:"version,attr"`
	Meta    struct {
		Creator     string `xml:"creator"`
		Description string `xml:"description"`
	} `xml:"meta"`
	Graph struct {
		DefaultEdgeType string `xml:"defaultedgetype,attr"`
		Attributes      struct {
			Class string     `xml:"class,attr"`
			Attrs []gexfAttr `xml:"attribute"`
		} `xml:"attributes"`
		Nodes []gexfNode `xml:"nodes>node"`
		Edges []gexfEdge `xml:"edges>edge"`
	} `xml:"graph"`
}

type gexfAttr struct {
	ID    string `xml:"id,attr"`
	Title string `xml:"title,attr"`
	Type  string `xml:"type,attr"`
}

type gexfNode struct {
	ID     string      `xml:"id,attr"`
	Label  string      `xml:"label,attr"`
	Values []gexfValue `xml:"attvalues>attvalue"`
}

type gexfValue struct {
	For   string `xml:"for,attr"`
	Value string `xml:"value,attr"`
}

type gexfEdge struct {
	ID     string  `xml:"id,attr"`
	Source string  `xml:"source,attr"`
	Target string  `xml:"target,attr"`
	Weight float64 `xml:"weight,attr"`
}

// WriteGEXF writes the graph as GEXF 1.3: a node per channel (id platform:channel_id,
// label its title) with the attributes platform, title, community, subscribers, pagerank
// and authority; an edge per forward relation from the forwarding channel to its source,
// weighted by the posts.
func WriteGEXF(w io.Writer, g Graph, p job.Params) error {
	var d gexfDoc
	d.XMLNS, d.Version = "http://gexf.net/1.3", "1.3"
	d.Meta.Creator = "tidewatch"
	d.Meta.Description = fmt.Sprintf("forward graph, posts from %s to %s", p.From.UTC().Format(time.DateOnly), p.To.UTC().Format(time.DateOnly))
	d.Graph.DefaultEdgeType = "directed"
	d.Graph.Attributes.Class = "node"
	d.Graph.Attributes.Attrs = []gexfAttr{{"platform", "platform", "string"}, {"title", "title", "string"}, {"community", "community", "integer"},
		{"subscribers", "subscribers", "long"}, {"pagerank", "pagerank", "double"}, {"authority", "authority", "double"}}
	nid := func(platform string, id uint64) string { return platform + ":" + strconv.FormatUint(id, 10) }
	for _, n := range g.Nodes {
		label := n.Title
		if label == "" {
			label = nid(n.Platform, n.ChannelID)
		}
		d.Graph.Nodes = append(d.Graph.Nodes, gexfNode{ID: nid(n.Platform, n.ChannelID), Label: label, Values: []gexfValue{
			{"platform", n.Platform}, {"title", n.Title}, {"community", strconv.FormatUint(uint64(n.Community), 10)},
			{"subscribers", strconv.FormatUint(n.Subscribers, 10)}, {"pagerank", strconv.FormatFloat(n.PageRank, 'g', -1, 64)},
			{"authority", strconv.FormatFloat(n.Authority, 'g', -1, 64)},
		}})
	}
	for i, e := range g.Edges {
		d.Graph.Edges = append(d.Graph.Edges, gexfEdge{ID: strconv.Itoa(i), Source: nid(e.Platform, e.ChannelID), Target: nid(e.Platform, e.SourceID), Weight: float64(e.Posts)})
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(d); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// writeGEXFFile writes the GEXF next to path and renames it into place, so a failed write
// leaves no half-written file.
func writeGEXFFile(path string, g Graph, p job.Params) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("--gexf %s: %w", path, err)
	}
	tmp := f.Name()
	err = WriteGEXF(f, g, p)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("--gexf %s: %w", path, err)
	}
	return nil
}
