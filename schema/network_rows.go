package schema

// Tables of the network job (migration 0013).
const (
	TableNetworkNodes       = "network_nodes"
	TableNetworkEdges       = "network_edges"
	TableNetworkCommunities = "network_communities"
	// TableNetworkMentions is the mention and t.me-link layer (migration 0016).
	TableNetworkMentions = "network_mentions"
)

// NetworkMention is one edge of a run's mention and t.me-link layer: ChannelID mentioned or
// linked TargetID in Posts posts.
type NetworkMention struct {
	RunID     string `ch:"run_id"`
	Platform  string `ch:"platform"`
	ChannelID uint64 `ch:"channel_id"`
	TargetID  uint64 `ch:"target_id"`
	Posts     uint64 `ch:"posts"`
}

// NetworkNode is one channel of a run's forward graph.
type NetworkNode struct {
	RunID          string  `ch:"run_id"`
	Platform       string  `ch:"platform"`
	ChannelID      uint64  `ch:"channel_id"`
	Collected      uint8   `ch:"collected"`
	Title          string  `ch:"title"`
	Subscribers    uint64  `ch:"subscribers"`
	PageRank       float64 `ch:"pagerank"`
	Hub            float64 `ch:"hub"`
	Authority      float64 `ch:"authority"`
	Community      uint32  `ch:"community"`
	ForwardedFrom  uint64  `ch:"forwarded_from"`
	ForwardedBy    uint64  `ch:"forwarded_by"`
	CitingChannels uint32  `ch:"citing_channels"`
	CitedChannels  uint32  `ch:"cited_channels"`
}

// NetworkEdge is one edge of a run's forward graph: ChannelID forwarded Posts posts of
// SourceID.
type NetworkEdge struct {
	RunID     string `ch:"run_id"`
	Platform  string `ch:"platform"`
	ChannelID uint64 `ch:"channel_id"`
	SourceID  uint64 `ch:"source_id"`
	Posts     uint64 `ch:"posts"`
}

// NetworkCommunity is one Louvain community of a run's forward graph.
type NetworkCommunity struct {
	RunID        string  `ch:"run_id"`
	Community    uint32  `ch:"community"`
	Nodes        uint32  `ch:"nodes"`
	TopPlatform  string  `ch:"top_platform"`
	TopChannelID uint64  `ch:"top_channel_id"`
	Modularity   float64 `ch:"modularity"`
}
