CREATE DATABASE IF NOT EXISTS tw
;
CREATE TABLE IF NOT EXISTS tw.posts
(
    platform LowCardinality(String),
    channel_id UInt64,
    post_id UInt64,
    posted_at DateTime,
    text String,
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(posted_at)
ORDER BY (platform, channel_id, post_id)
;
CREATE TABLE IF NOT EXISTS tw.runs
(
    run_id String,
    note String DEFAULT 'a -- not a comment; really'
)
ENGINE = MergeTree()
ORDER BY run_id
