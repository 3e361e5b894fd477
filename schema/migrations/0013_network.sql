-- Results of the network job (tidewatch analyze network): the forward graph of the range.
-- Every row carries the run_id of the run that wrote it. An edge A -> B weighs how many
-- posts of A in [from, to) were forwarded from B (an album once); sources that were not
-- collected are nodes too (collected = 0). Self-forwards are left out.

-- network_nodes: one row per (run, channel) in the graph. pagerank: weighted PageRank
-- (damping 0.85; a node without out-edges links to all), summing to 1; hub and authority:
-- HITS on the unweighted graph, each summing to 1; community: the Louvain community on the
-- undirected graph (weights of both directions summed), numbered from 0 by size;
-- forwarded_from: posts of this channel forwarded from others; forwarded_by: its posts
-- forwarded by others; citing_channels: distinct channels forwarding it; cited_channels:
-- distinct channels it forwards from.
CREATE TABLE IF NOT EXISTS {{local "network_nodes"}} {{onCluster}}
(
    run_id String,
    platform LowCardinality(String),
    channel_id UInt64,
    collected UInt8,
    title String,
    subscribers UInt64,
    pagerank Float64,
    hub Float64,
    authority Float64,
    community UInt32,
    forwarded_from UInt64,
    forwarded_by UInt64,
    citing_channels UInt32,
    cited_channels UInt32
)
ENGINE = {{engine "network_nodes" "ReplacingMergeTree"}}
ORDER BY (run_id, platform, channel_id);

{{distributed "network_nodes" "cityHash64(channel_id)"}};

-- network_edges: one row per (run, edge): source_id's posts forwarded by channel_id.
CREATE TABLE IF NOT EXISTS {{local "network_edges"}} {{onCluster}}
(
    run_id String,
    platform LowCardinality(String),
    channel_id UInt64,
    source_id UInt64,
    posts UInt64
)
ENGINE = {{engine "network_edges" "ReplacingMergeTree"}}
ORDER BY (run_id, platform, channel_id, source_id);

{{distributed "network_edges" "cityHash64(channel_id)"}};

-- network_communities: one row per (run, community): its size, its channel with the
-- highest PageRank, and the partition's modularity (the same on every row of a run).
CREATE TABLE IF NOT EXISTS {{local "network_communities"}} {{onCluster}}
(
    run_id String,
    community UInt32,
    nodes UInt32,
    top_platform LowCardinality(String),
    top_channel_id UInt64,
    modularity Float64
)
ENGINE = {{engine "network_communities" "ReplacingMergeTree"}}
ORDER BY (run_id, community);

{{distributed "network_communities" "cityHash64(run_id)"}};
