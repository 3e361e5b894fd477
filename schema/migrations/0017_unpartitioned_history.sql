-- The tables that a backfill or an analysis run fills across many months are no longer
-- partitioned by month. ClickHouse writes one part per partition for every insert: a collector
-- paging the full histories of 50 channels (up to 8 years each) put about 100 months into
-- every flush, hence about 100 parts per flush in posts, post_links and the rollups fed from
-- them, 12,000 parts for 150k posts and the server busy merging them. An unpartitioned table
-- gets one part per insert whatever the dates in it, so each flush costs one part per table.
-- Nothing reads these tables by partition: reads go by channel (the sorting key) and every
-- time range is a WHERE on the columns. ReplacingMergeTree now also collapses versions across
-- the whole table, as the analyses assume. The tables that collection fills with the present
-- time only (channel_snapshots, post_counters, channel_events) keep their monthly partitions.
--
-- A partition key cannot be changed in place, so each table is copied into a new one and the
-- two are swapped by RENAME, which 18.16 and current ClickHouse both run, also ON CLUSTER.
-- In cluster mode the copy goes through Distributed tables (the same sharding key, so every
-- row stays on its shard) and the swap is of the replicated local tables, under the
-- Distributed tables, which name their local table and so follow the swap. The materialized
-- views that feed posts_daily and links_daily are dropped first and made again last, so that
-- they read from and write to the new tables: run this migration (tidewatch db migrate) with
-- no collector or import writing, since posts written meanwhile would miss the rollups.
--
-- Each step can run again after an interruption: the copy goes into a table made IF NOT
-- EXISTS, a second copy of a row collapses (ReplacingMergeTree) or changes no aggregate
-- (the rollups keep only uniqExact, max, min and argMax states), and the old table, kept as
-- T_monthly, is dropped only after a copy from the current T succeeded, so a T_monthly that
-- is still there then is the leftover of a finished swap.

DROP TABLE IF EXISTS {{view "mv_posts_daily"}} {{onCluster}};
DROP TABLE IF EXISTS {{view "mv_links_daily"}} {{onCluster}};

-- posts
CREATE TABLE IF NOT EXISTS {{local "posts_v2"}} {{onCluster}} AS {{local "posts"}}
ENGINE = {{engine "posts_v2" "ReplacingMergeTree" "version"}}
PARTITION BY tuple()
ORDER BY (platform, channel_id, post_id);

{{distributed "posts_v2" "cityHash64(channel_id)"}};

INSERT INTO {{.DB}}.posts_v2 SELECT * FROM {{.DB}}.posts;

DROP TABLE IF EXISTS {{local "posts_monthly"}} {{onCluster}};

RENAME TABLE {{local "posts"}} TO {{local "posts_monthly"}}, {{local "posts_v2"}} TO {{local "posts"}} {{onCluster}};

DROP TABLE IF EXISTS {{.DB}}.posts_v2 {{onCluster}};

DROP TABLE IF EXISTS {{local "posts_monthly"}} {{onCluster}};

-- post_links
CREATE TABLE IF NOT EXISTS {{local "post_links_v2"}} {{onCluster}} AS {{local "post_links"}}
ENGINE = {{engine "post_links_v2" "ReplacingMergeTree"}}
PARTITION BY tuple()
ORDER BY (platform, channel_id, post_id, url);

{{distributed "post_links_v2" "cityHash64(channel_id)"}};

INSERT INTO {{.DB}}.post_links_v2 SELECT * FROM {{.DB}}.post_links;

DROP TABLE IF EXISTS {{local "post_links_monthly"}} {{onCluster}};

RENAME TABLE {{local "post_links"}} TO {{local "post_links_monthly"}}, {{local "post_links_v2"}} TO {{local "post_links"}} {{onCluster}};

DROP TABLE IF EXISTS {{.DB}}.post_links_v2 {{onCluster}};

DROP TABLE IF EXISTS {{local "post_links_monthly"}} {{onCluster}};

-- posts_daily
CREATE TABLE IF NOT EXISTS {{local "posts_daily_v2"}} {{onCluster}} AS {{local "posts_daily"}}
ENGINE = {{engine "posts_daily_v2" "AggregatingMergeTree"}}
PARTITION BY tuple()
ORDER BY (platform, channel_id, day);

{{distributed "posts_daily_v2" "cityHash64(channel_id)"}};

INSERT INTO {{.DB}}.posts_daily_v2 SELECT * FROM {{.DB}}.posts_daily;

DROP TABLE IF EXISTS {{local "posts_daily_monthly"}} {{onCluster}};

RENAME TABLE {{local "posts_daily"}} TO {{local "posts_daily_monthly"}}, {{local "posts_daily_v2"}} TO {{local "posts_daily"}} {{onCluster}};

DROP TABLE IF EXISTS {{.DB}}.posts_daily_v2 {{onCluster}};

DROP TABLE IF EXISTS {{local "posts_daily_monthly"}} {{onCluster}};

-- links_daily
CREATE TABLE IF NOT EXISTS {{local "links_daily_v2"}} {{onCluster}} AS {{local "links_daily"}}
ENGINE = {{engine "links_daily_v2" "AggregatingMergeTree"}}
PARTITION BY tuple()
ORDER BY (platform, day, dest_platform, registered_domain);

{{distributed "links_daily_v2" "cityHash64(registered_domain)"}};

INSERT INTO {{.DB}}.links_daily_v2 SELECT * FROM {{.DB}}.links_daily;

DROP TABLE IF EXISTS {{local "links_daily_monthly"}} {{onCluster}};

RENAME TABLE {{local "links_daily"}} TO {{local "links_daily_monthly"}}, {{local "links_daily_v2"}} TO {{local "links_daily"}} {{onCluster}};

DROP TABLE IF EXISTS {{.DB}}.links_daily_v2 {{onCluster}};

DROP TABLE IF EXISTS {{local "links_daily_monthly"}} {{onCluster}};

-- growth_series
CREATE TABLE IF NOT EXISTS {{local "growth_series_v2"}} {{onCluster}} AS {{local "growth_series"}}
ENGINE = {{engine "growth_series_v2" "ReplacingMergeTree"}}
PARTITION BY tuple()
ORDER BY (run_id, platform, channel_id, day);

{{distributed "growth_series_v2" "cityHash64(channel_id)"}};

INSERT INTO {{.DB}}.growth_series_v2 SELECT * FROM {{.DB}}.growth_series;

DROP TABLE IF EXISTS {{local "growth_series_monthly"}} {{onCluster}};

RENAME TABLE {{local "growth_series"}} TO {{local "growth_series_monthly"}}, {{local "growth_series_v2"}} TO {{local "growth_series"}} {{onCluster}};

DROP TABLE IF EXISTS {{.DB}}.growth_series_v2 {{onCluster}};

DROP TABLE IF EXISTS {{local "growth_series_monthly"}} {{onCluster}};

-- The materialized views again, as 0003 made them.
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
