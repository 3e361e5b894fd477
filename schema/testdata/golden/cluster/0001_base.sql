CREATE DATABASE IF NOT EXISTS tw ON CLUSTER c1
;
CREATE TABLE IF NOT EXISTS tw.posts_local ON CLUSTER c1
(
    platform LowCardinality(String),
    channel_id UInt64,
    post_id UInt64,
    posted_at DateTime,
    text String,
    version UInt64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/tw/posts_local', '{replica}', version)
PARTITION BY toYYYYMM(posted_at)
ORDER BY (platform, channel_id, post_id)
;
CREATE TABLE IF NOT EXISTS tw.posts ON CLUSTER c1 AS tw.posts_local ENGINE = Distributed(c1, tw, posts_local, cityHash64(channel_id))
;
CREATE TABLE IF NOT EXISTS tw.runs_local ON CLUSTER c1
(
    run_id String,
    note String DEFAULT 'a -- not a comment; really'
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/tw/runs_local', '{replica}')
ORDER BY run_id
;
CREATE TABLE IF NOT EXISTS tw.runs ON CLUSTER c1 AS tw.runs_local ENGINE = Distributed(c1, tw, runs_local, rand())
