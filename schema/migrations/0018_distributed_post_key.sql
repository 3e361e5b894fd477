-- In cluster mode the Distributed posts table computes post_key as an ALIAS instead of a
-- MATERIALIZED column. ClickHouse 18.16's Distributed table computes its MATERIALIZED
-- columns on insert and sends them on to the shards' local tables, which refuse a value for
-- a MATERIALIZED column ("Cannot insert column post_key"), so no post could be written
-- through it; an ALIAS is computed where it is read, and the local tables keep their
-- MATERIALIZED post_key. 18.16 runs no ALTER ON CLUSTER of a Distributed table over
-- replicated shards, so the Distributed table is made again with the columns of posts (it
-- holds no data). On a single server the statement restates the column as it is.
{{if .Cluster}}
DROP TABLE IF EXISTS {{.DB}}.posts {{onCluster}};
CREATE TABLE IF NOT EXISTS {{.DB}}.posts {{onCluster}}
(
    platform LowCardinality(String),
    channel_id UInt64,
    post_id UInt64,
    posted_at DateTime,
    edited_at DateTime,
    kind LowCardinality(String),          -- post, service
    post_type LowCardinality(String),     -- text, photo, video, link, status, retweet, quote, reply, ...
    service_action LowCardinality(String),
    album_id UInt64,
    post_key UInt64 ALIAS if(album_id = 0, post_id, album_id),
    fwd_channel_id UInt64,
    fwd_post_id UInt64,
    fwd_person_hash String,
    fwd_at DateTime,
    reply_to_post_id UInt64,
    author_hash String,
    text String,
    text_length UInt32,
    text_hash UInt64,
    media_type LowCardinality(String),
    hashtags Array(String),
    mentions Array(String),
    link_count UInt16,
    views UInt64,
    forwards UInt64,
    replies UInt64,
    reactions UInt64,
    counters_at DateTime,
    deleted UInt8,
    deleted_at DateTime,
    source LowCardinality(String),
    run_id String,
    version UInt64
)
ENGINE = Distributed({{.Cluster}}, {{.DB}}, posts_local, cityHash64(channel_id));
{{else}}
ALTER TABLE {{.DB}}.posts MODIFY COLUMN post_key UInt64 MATERIALIZED if(album_id = 0, post_id, album_id);
{{end}}
