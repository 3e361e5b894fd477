CREATE TABLE IF NOT EXISTS tw.posts_daily
(
    day Date,
    channel_id UInt64,
    posts AggregateFunction(uniq, UInt64)
)
ENGINE = AggregatingMergeTree()
ORDER BY (day, channel_id)
;
CREATE MATERIALIZED VIEW IF NOT EXISTS tw.mv_posts_daily
TO tw.posts_daily
AS SELECT toDate(posted_at) AS day, channel_id, uniqState(post_id) AS posts
FROM tw.posts
GROUP BY day, channel_id
;
CREATE TABLE IF NOT EXISTS tw.counts
(
    day Date,
    n UInt64
)
ENGINE = SummingMergeTree((n))
ORDER BY day
