-- Results of the actors job (tidewatch analyze actors): the cross-platform view of each actor
-- (actor_accounts groups the accounts of one entity). Every row carries the run_id of the run
-- that wrote it. Audiences come from channel_snapshots: collected Telegram subscriber counts
-- and imported follower counts (X/Twitter, CrowdTangle's Facebook and Instagram pages, ...).

-- actors_accounts: one row per (run, actor, account): the account's evidence (the kinds of
-- account links tying it to the actor's other accounts, such as handle_in_about or
-- link_in_pinned, rejected links left out; empty when the researcher grouped it by hand),
-- the highest confidence among them, when it was first linked, and its last audience in the
-- range with when it was read (0 and 1970 when never read).
CREATE TABLE IF NOT EXISTS {{local "actors_accounts"}} {{onCluster}}
(
    run_id String,
    actor_id String,
    actor_name String,
    platform LowCardinality(String),
    channel_id UInt64,
    handle String,
    evidence Array(String),
    confidence Float64,
    linked_at DateTime,
    audience UInt64,
    audience_at DateTime
)
ENGINE = {{engine "actors_accounts" "ReplacingMergeTree"}}
ORDER BY (run_id, actor_id, platform, channel_id, handle);

{{distributed "actors_accounts" "cityHash64(actor_id)"}};

-- actors_audience: one row per (run, actor, week, platform) from the first week any of the
-- actor's accounts was read: the audience of its accounts on the platform (each account's
-- last count in the week; a count is carried into later weeks for up to 28 days, carried
-- says how many accounts were), and the platform's share of the actor's audience that week.
-- Weeks start on Monday.
CREATE TABLE IF NOT EXISTS {{local "actors_audience"}} {{onCluster}}
(
    run_id String,
    actor_id String,
    week Date,
    platform LowCardinality(String),
    accounts UInt32,
    carried UInt32,
    audience Float64,
    share Float64
)
ENGINE = {{engine "actors_audience" "ReplacingMergeTree"}}
ORDER BY (run_id, actor_id, week, platform);

{{distributed "actors_audience" "cityHash64(actor_id)"}};

-- actors_moves: one row per (run, actor, week) in which the platform holding the largest
-- share of the actor's audience changed: from which platform to which, with both shares in
-- the week before and in that week.
CREATE TABLE IF NOT EXISTS {{local "actors_moves"}} {{onCluster}}
(
    run_id String,
    actor_id String,
    week Date,
    from_platform LowCardinality(String),
    to_platform LowCardinality(String),
    from_share_before Float64,
    to_share_before Float64,
    from_share_after Float64,
    to_share_after Float64
)
ENGINE = {{engine "actors_moves" "ReplacingMergeTree"}}
ORDER BY (run_id, actor_id, week);

{{distributed "actors_moves" "cityHash64(actor_id)"}};
