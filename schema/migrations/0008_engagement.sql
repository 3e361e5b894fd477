-- Results of the engagement job (analysis/engagement). Every row carries the run_id
-- of the run that wrote it (runs, run_inputs say with which parameters and data); a run
-- marked ok in runs has all its rows stored. NaN in a Float64 column means "not computable"
-- (no posts, no subscriber count, no reads at 24 h of age), never a guess.
--
-- Posts are messages other than service messages, an album counted once (post_key), with
-- their latest counters. Deleted posts count as posted (posts, organic, forwarded, deleted)
-- but are left out of every rate and of overperformance. The ERR window is the last 30 days
-- of the range (the whole range when shorter); subscribers is the latest non-zero count of a
-- snapshot at or before the range end.

-- engagement_channels: one row per channel and run. status 'ok' when ERR is computed,
-- 'skipped' otherwise (reason says why: no posts, no undeleted posts in the window, no
-- recent subscriber count); figures that are still computable are filled, the rest NaN.
CREATE TABLE IF NOT EXISTS {{local "engagement_channels"}} {{onCluster}}
(
    run_id String,
    platform LowCardinality(String),
    channel_id UInt64,
    status LowCardinality(String),        -- ok, skipped
    reason String,
    days Float64,                         -- length of the range in days
    posts UInt64,                         -- posts in the range, deleted ones included
    organic UInt64,                       -- posts not forwarded (nor retweeted)
    forwarded UInt64,
    deleted UInt64,
    posts_per_day Float64,
    views_per_post Float64,               -- mean latest views of the undeleted posts in the range
    subscribers Float64,
    subscribers_at DateTime,              -- time of the snapshot subscribers comes from
    window_start DateTime,                -- ERR/ER window: (window_start, range end]
    window_posts UInt64,                  -- undeleted posts in the window
    err Float64,                          -- mean views per post / subscribers x 100
    er Float64,                           -- sum(forwards + reactions + replies) / sum(views) x 100
    er_reason String,
    err24 Float64,                        -- ERR with views read at 24 h of age
    err24_posts UInt64,                   -- window posts with a read at 24 h (target_age_s = 86400)
    err24_reason String,
    reach Float64,                        -- median over window posts of views / subscribers when posted x 100
    reach_posts UInt64,                   -- window posts in it: read at 72 h of age or later, audience known
    reach_reason String,
    op_basis LowCardinality(String),      -- age of the scored views: 24h, latest, or '' (none)
    op_threshold Float64,
    scored_posts UInt64,                  -- posts in the range with an overperformance score
    overperforming UInt64,                -- score >= op_threshold
    underperforming UInt64,               -- score <= -op_threshold
    top_post_id UInt64,                   -- highest score (0 when none scored)
    top_score Float64
)
ENGINE = {{engine "engagement_channels" "ReplacingMergeTree"}}
ORDER BY (run_id, platform, channel_id);

{{distributed "engagement_channels" "cityHash64(channel_id)"}};

-- engagement_posts: one row per scored post (CrowdTangle's overperformance): expected is the
-- interquartile mean of the views of the up to 100 previous undeleted posts of the same
-- type in the channel (history of them), read at the same age (basis); score =
-- actual/expected when above, -expected/actual when below. post_type is the type compared:
-- 'forward' for forwarded posts, otherwise the post's type (text, photo, video, link, ...).
CREATE TABLE IF NOT EXISTS {{local "engagement_posts"}} {{onCluster}}
(
    run_id String,
    platform LowCardinality(String),
    channel_id UInt64,
    post_id UInt64,
    posted_at DateTime,
    post_type LowCardinality(String),
    forwarded UInt8,
    basis LowCardinality(String),         -- 24h, latest
    views UInt64,                         -- latest counters
    forwards UInt64,
    replies UInt64,
    reactions UInt64,
    actual Float64,                       -- views at the basis age
    history UInt32,
    expected Float64,
    score Float64
)
ENGINE = {{engine "engagement_posts" "ReplacingMergeTree"}}
ORDER BY (run_id, platform, channel_id, post_id);

{{distributed "engagement_posts" "cityHash64(channel_id)"}};
