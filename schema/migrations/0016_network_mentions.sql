-- The network job's second layer: mentions and t.me links. An edge A -> B counts the posts of
-- A in [from, to) that @mention B or link to it (t.me/B, t.me/B/123), resolved to B's channel
-- id; forwarded posts (whose text is their source's), about texts and pinned posts are left
-- out, as are self-mentions. Louvain communities (network_nodes.community) are found on both
-- layers together: each channel's forwards and its mentions count as shares of its own (its
-- out-weights in each layer sum to 1), so that a channel that forwards thousands of posts does
-- not outweigh one that forwards dozens; PageRank and HITS stay on the forward layer.
CREATE TABLE IF NOT EXISTS {{local "network_mentions"}} {{onCluster}}
(
    run_id String,
    platform LowCardinality(String),
    channel_id UInt64,
    target_id UInt64,
    posts UInt64
)
ENGINE = {{engine "network_mentions" "ReplacingMergeTree"}}
ORDER BY (run_id, platform, channel_id, target_id);

{{distributed "network_mentions" "cityHash64(channel_id)"}};
