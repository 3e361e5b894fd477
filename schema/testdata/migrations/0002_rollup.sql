CREATE TABLE IF NOT EXISTS {{local "posts_daily"}} {{onCluster}}
(
    day Date,
    channel_id UInt64,
    posts AggregateFunction(uniq, UInt64)
)
ENGINE = {{engine "posts_daily" "AggregatingMergeTree"}}
ORDER BY (day, channel_id);
{{distributed "posts_daily" "cityHash64(channel_id)"}};

-- Views read the local table, so each shard aggregates its own rows.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{view "mv_posts_daily"}} {{onCluster}}
TO {{local "posts_daily"}}
AS SELECT toDate(posted_at) AS day, channel_id, uniqState(post_id) AS posts
FROM {{local "posts"}}
GROUP BY day, channel_id;

CREATE TABLE IF NOT EXISTS {{local "counts"}} {{onCluster}}
(
    day Date,
    n UInt64
)
ENGINE = {{engine "counts" "SummingMergeTree" "(n)"}}
ORDER BY day;
