CREATE TABLE IF NOT EXISTS tw.posts_daily_local ON CLUSTER c1
(
    day Date,
    channel_id UInt64,
    posts AggregateFunction(uniq, UInt64)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/tw/posts_daily_local', '{replica}')
ORDER BY (day, channel_id)
;
CREATE TABLE IF NOT EXISTS tw.posts_daily ON CLUSTER c1 AS tw.posts_daily_local ENGINE = Distributed(c1, tw, posts_daily_local, cityHash64(channel_id))
;
CREATE MATERIALIZED VIEW IF NOT EXISTS tw.mv_posts_daily ON CLUSTER c1
TO tw.posts_daily_local
AS SELECT toDate(posted_at) AS day, channel_id, uniqState(post_id) AS posts
FROM tw.posts_local
GROUP BY day, channel_id
;
CREATE TABLE IF NOT EXISTS tw.counts_local ON CLUSTER c1
(
    day Date,
    n UInt64
)
ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/tw/counts_local', '{replica}', (n))
ORDER BY day
