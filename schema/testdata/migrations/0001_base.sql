-- The database and a replacing table keyed by the natural key.
CREATE DATABASE IF NOT EXISTS {{.DB}} {{onCluster}};

-- Posts: the newest version of a post wins at merge time.
CREATE TABLE IF NOT EXISTS {{local "posts"}} {{onCluster}}
(
    platform LowCardinality(String),
    channel_id UInt64,
    post_id UInt64,
    posted_at DateTime,
    text String, -- optional; empty when text collection is off
    version UInt64
)
ENGINE = {{engine "posts" "ReplacingMergeTree" "version"}}
PARTITION BY toYYYYMM(posted_at)
ORDER BY (platform, channel_id, post_id);
{{distributed "posts" "cityHash64(channel_id)"}};

CREATE TABLE IF NOT EXISTS {{local "runs"}} {{onCluster}}
(
    run_id String,
    note String DEFAULT 'a -- not a comment; really'
)
ENGINE = {{engine "runs" "MergeTree"}}
ORDER BY run_id;
{{distributed "runs" "rand()"}};
