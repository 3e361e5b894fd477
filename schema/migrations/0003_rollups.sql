-- Daily rollups, kept current by materialized views on insert.
--
-- A materialized view sees every inserted block, including a block written twice (retry, spool
-- replay, re-import). So the rollups use only aggregates that a duplicate cannot move: uniqExact
-- of a natural key, max, min and argMax. Sums of counters are not rolled up here: read them
-- from posts FINAL or post_counters, where duplicates collapse.

-- channel_daily: audience per channel and day (last, min and max subscribers seen that day).
CREATE TABLE IF NOT EXISTS {{local "channel_daily"}} {{onCluster}}
(
    platform LowCardinality(String),
    channel_id UInt64,
    day Date,
    subscribers_last AggregateFunction(argMax, UInt64, DateTime),
    subscribers_min AggregateFunction(min, UInt64),
    subscribers_max AggregateFunction(max, UInt64),
    snapshots AggregateFunction(uniqExact, DateTime)
)
ENGINE = {{engine "channel_daily" "AggregatingMergeTree"}}
PARTITION BY toYYYYMM(day)
ORDER BY (platform, channel_id, day);

{{distributed "channel_daily" "cityHash64(channel_id)"}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{view "mv_channel_daily"}} {{onCluster}}
TO {{local "channel_daily"}}
AS SELECT
    platform,
    channel_id,
    toDate(snapshot_at) AS day,
    argMaxState(subscribers, snapshot_at) AS subscribers_last,
    minState(subscribers) AS subscribers_min,
    maxState(subscribers) AS subscribers_max,
    uniqExactState(snapshot_at) AS snapshots
FROM {{local "channel_snapshots"}}
GROUP BY platform, channel_id, day;

-- posts_daily: posts per channel and day, albums counted once, organic and forwarded apart
-- (the pre/post window analyses count them apart). A post counts from its first sighting: one
-- deleted later stays counted here, so figures that exclude deletions read posts FINAL.
CREATE TABLE IF NOT EXISTS {{local "posts_daily"}} {{onCluster}}
(
    platform LowCardinality(String),
    channel_id UInt64,
    day Date,
    posts AggregateFunction(uniqExact, UInt64),
    forwarded AggregateFunction(uniqExactIf, UInt64, UInt8),
    with_links AggregateFunction(uniqExactIf, UInt64, UInt8)
)
ENGINE = {{engine "posts_daily" "AggregatingMergeTree"}}
PARTITION BY toYYYYMM(day)
ORDER BY (platform, channel_id, day);

{{distributed "posts_daily" "cityHash64(channel_id)"}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{view "mv_posts_daily"}} {{onCluster}}
TO {{local "posts_daily"}}
AS SELECT
    platform,
    channel_id,
    toDate(posted_at) AS day,
    uniqExactState(if(album_id = 0, post_id, album_id)) AS posts,
    uniqExactIfState(if(album_id = 0, post_id, album_id), fwd_channel_id != 0 OR fwd_person_hash != '') AS forwarded,
    uniqExactIfState(if(album_id = 0, post_id, album_id), link_count > 0) AS with_links
FROM {{local "posts"}}
WHERE kind = 'post' AND deleted = 0
GROUP BY platform, channel_id, day;

-- links_daily: outbound links per source platform, day, destination platform and registered
-- domain; the link-ecology shares per week are sums over days of this table.
CREATE TABLE IF NOT EXISTS {{local "links_daily"}} {{onCluster}}
(
    platform LowCardinality(String),
    day Date,
    dest_platform LowCardinality(String),
    registered_domain String,
    links AggregateFunction(uniqExact, UInt64, UInt64, String),
    channels AggregateFunction(uniqExact, UInt64)
)
ENGINE = {{engine "links_daily" "AggregatingMergeTree"}}
PARTITION BY toYYYYMM(day)
ORDER BY (platform, day, dest_platform, registered_domain);

{{distributed "links_daily" "cityHash64(registered_domain)"}};

CREATE MATERIALIZED VIEW IF NOT EXISTS {{view "mv_links_daily"}} {{onCluster}}
TO {{local "links_daily"}}
AS SELECT
    platform,
    toDate(posted_at) AS day,
    dest_platform,
    registered_domain,
    uniqExactState(channel_id, post_id, url) AS links,
    uniqExactState(channel_id) AS channels
FROM {{local "post_links"}}
WHERE link_kind != 'mention'
GROUP BY platform, day, dest_platform, registered_domain;
