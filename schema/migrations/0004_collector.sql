-- The Telegram collector's own accounting: how complete each channel's stored history is.
--
-- Why a table written by the collector rather than a query over posts: only the collector
-- knows which message ids it asked for and did not get (gaps: deleted before they could be
-- fetched), which ids a sweep has not reached yet, what --since left out (floor_id), and
-- which counter reads were missed, late or lost to rate limits. posts alone can only count
-- what is stored. The collector rewrites a channel's row whenever its numbers change
-- (version = time of the row), so the latest row per channel is the current account.

-- collect_completeness: for each channel the ids in (floor_id, max_id] are expected; each is
-- stored, a gap, not fetched yet, or unreadable (the channel went away before the sweep
-- reached it). deleted counts stored posts found deleted later. Counter reads: done, missed
-- (ages that had passed before the post was first seen), late (read outside the tolerance),
-- lost (ages skipped because reads fell behind, e.g. during flood waits), due (still to come).
CREATE TABLE IF NOT EXISTS {{local "collect_completeness"}} {{onCluster}}
(
    platform LowCardinality(String),
    channel_id UInt64,
    username String,
    checked_at DateTime,
    status LowCardinality(String),
    included UInt8,
    history_done UInt8,
    min_id UInt64,
    max_id UInt64,
    floor_id UInt64,
    telegram_count UInt64,                -- messages Telegram counted at the last page
    ids_expected UInt64,
    stored UInt64,
    gaps UInt64,
    deleted UInt64,
    not_fetched UInt64,
    unreadable UInt64,
    counters_done UInt64,
    counters_missed UInt64,
    counters_late UInt64,
    counters_lost UInt64,
    counters_due UInt64,
    run_id String,
    version UInt64
)
ENGINE = {{engine "collect_completeness" "ReplacingMergeTree" "version"}}
ORDER BY (platform, channel_id);

{{distributed "collect_completeness" "cityHash64(channel_id)"}};

-- channel_completeness: the latest row per channel, with the ids nothing explains
-- (unexplained should be 0; anything else is a collector bug worth reporting). argMax by
-- version instead of FINAL, so the view also reads through a Distributed table.
CREATE VIEW IF NOT EXISTS {{view "channel_completeness"}} {{onCluster}} AS
SELECT
    platform,
    channel_id,
    last_username AS username,
    last_checked_at AS checked_at,
    last_status AS status,
    last_included AS included,
    last_history_done AS history_done,
    last_max_id AS max_id,
    last_floor_id AS floor_id,
    last_telegram_count AS telegram_count,
    last_ids_expected AS ids_expected,
    last_stored AS stored,
    last_gaps AS gaps,
    last_deleted AS deleted,
    last_not_fetched AS not_fetched,
    last_unreadable AS unreadable,
    toInt64(last_ids_expected) - toInt64(last_stored) - toInt64(last_gaps) - toInt64(last_not_fetched) - toInt64(last_unreadable) AS unexplained,
    if(last_ids_expected = 0, 1., last_stored / last_ids_expected) AS stored_share,
    last_counters_done AS counters_done,
    last_counters_missed AS counters_missed,
    last_counters_late AS counters_late,
    last_counters_lost AS counters_lost,
    last_counters_due AS counters_due
FROM
(
    SELECT
        platform,
        channel_id,
        argMax(username, version) AS last_username,
        argMax(checked_at, version) AS last_checked_at,
        argMax(status, version) AS last_status,
        argMax(included, version) AS last_included,
        argMax(history_done, version) AS last_history_done,
        argMax(max_id, version) AS last_max_id,
        argMax(floor_id, version) AS last_floor_id,
        argMax(telegram_count, version) AS last_telegram_count,
        argMax(ids_expected, version) AS last_ids_expected,
        argMax(stored, version) AS last_stored,
        argMax(gaps, version) AS last_gaps,
        argMax(deleted, version) AS last_deleted,
        argMax(not_fetched, version) AS last_not_fetched,
        argMax(unreadable, version) AS last_unreadable,
        argMax(counters_done, version) AS last_counters_done,
        argMax(counters_missed, version) AS last_counters_missed,
        argMax(counters_late, version) AS last_counters_late,
        argMax(counters_lost, version) AS last_counters_lost,
        argMax(counters_due, version) AS last_counters_due
    FROM {{.DB}}.collect_completeness
    GROUP BY platform, channel_id
);
