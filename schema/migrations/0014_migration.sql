-- Results of the migration job (tidewatch analyze migration): where a community's links and
-- activity go around registry events. Every row carries the run_id of the run that wrote it.
--
-- Links are a post's own outbound links and invite links (link_kind url or invite; not
-- @mentions, not links of forwarded posts, not about texts or pinned posts), counted once
-- per post and URL, by destination platform. Units are levels of aggregation: 'channel'
-- (unit = platform:channel_id), 'community' (unit = the community's name, from the
-- communities table) and 'platform' (unit = the channels' platform).
--
-- Around an event at T0 the pre window is the --impact-window (default 30 days) of whole
-- days before the day of T0; the post window is as long and starts --washout (default 7
-- days) after it, so that effects which take days to settle are compared once settled
-- (--washout 0: the plain windows). Windows are clipped to the run's range.

-- migration_shares: weekly outlink shares. One row per (run, level, unit, week, destination):
-- links to the destination in the week (weeks start on Monday), of week_links in all.
CREATE TABLE IF NOT EXISTS {{local "migration_shares"}} {{onCluster}}
(
    run_id String,
    level LowCardinality(String),         -- channel, community, platform
    unit String,
    week Date,
    destination LowCardinality(String),
    links UInt64,
    week_links UInt64,
    share Float64
)
ENGINE = {{engine "migration_shares" "ReplacingMergeTree"}}
ORDER BY (run_id, level, unit, week, destination);

{{distributed "migration_shares" "cityHash64(unit)"}};

-- migration_windows: one row per (run, event, level, unit) for the community and platform
-- levels: activity and link mix in the pre and post windows, as the Europol Action Day
-- studies report them. concerned = 1 when the event names the unit (its community, one of
-- its channels or their accounts) or names no community (a whole platform).
-- *_change_pct = 100 (post - pre) / pre (NaN when pre is 0). Posts count an album once;
-- organic = not forwarded. new_channels_*: channels of the unit created in the window (from
-- created_at, else first seen); new_median_*_days: their Kaplan-Meier median lifetime until
-- they left public view (as the takedowns job computes lifetimes), NaN when not reached.
-- links_*: the own links of each window, whose mix by destination migration_window_shares
-- holds; js_nats: the Jensen-Shannon divergence between the two mixes in nats (natural log,
-- at most ln 2 = 0.693), with a 95% percentile interval from 200 bootstrap resamples of the
-- unit's channels; event_share_*: the share of links to the event's platform.
CREATE TABLE IF NOT EXISTS {{local "migration_windows"}} {{onCluster}}
(
    run_id String,
    event_id String,
    event_at DateTime,
    event_kind LowCardinality(String),
    event_platform LowCardinality(String),
    level LowCardinality(String),
    unit String,
    concerned UInt8,
    pre_from DateTime,
    pre_to DateTime,
    post_from DateTime,
    post_to DateTime,
    channels UInt32,
    posts_pre UInt64,
    posts_post UInt64,
    posts_change_pct Float64,
    organic_pre UInt64,
    organic_post UInt64,
    organic_change_pct Float64,
    forwarded_pre UInt64,
    forwarded_post UInt64,
    forwarded_change_pct Float64,
    new_channels_pre UInt32,
    new_channels_post UInt32,
    new_median_pre_days Float64,
    new_median_post_days Float64,
    links_pre UInt64,
    links_post UInt64,
    js_nats Float64,
    js_lo Float64,
    js_hi Float64,
    event_share_pre Float64,
    event_share_post Float64,
    status LowCardinality(String),        -- ok, skipped
    reason String
)
ENGINE = {{engine "migration_windows" "ReplacingMergeTree"}}
ORDER BY (run_id, event_id, level, unit);

{{distributed "migration_windows" "cityHash64(unit)"}};

-- migration_window_shares: the link mix of each window row, one row per destination
-- linked in either window.
CREATE TABLE IF NOT EXISTS {{local "migration_window_shares"}} {{onCluster}}
(
    run_id String,
    event_id String,
    level LowCardinality(String),
    unit String,
    destination LowCardinality(String),
    links_pre UInt64,
    links_post UInt64,
    share_pre Float64,
    share_post Float64
)
ENGINE = {{engine "migration_window_shares" "ReplacingMergeTree"}}
ORDER BY (run_id, event_id, level, unit, destination);

{{distributed "migration_window_shares" "cityHash64(unit)"}};

-- migration_its: interrupted time series, one row per (run, event, level, unit, outcome),
-- fitted on the days of the pre and post windows: Y = b0 + b1 t + b2 D + b3 (t - T1) D,
-- t in days, T1 the post window's start, D = 1 in the post window. b2 (level) is the
-- change of level at T1 against the pre-window trend, b3 (slope_change) the change of
-- slope. Errors are Newey-West (Bartlett kernel) with lag floor(4 (n/100)^(2/9)) (Newey
-- and West 1994), intervals Student t on n - 4 degrees of freedom. Outcomes: link_share
-- (the day's share of links to the event's platform; days with fewer than 5 links left
-- out), posts and forwarded (the day's posts and forwarded posts). Pre-trend check:
-- placebo_level is b2 of the same model fitted on the pre window alone with a break at
-- its middle, placebo_p its p-value (a small p-value means the pre-window was not on one
-- trend and the estimate deserves doubt).
CREATE TABLE IF NOT EXISTS {{local "migration_its"}} {{onCluster}}
(
    run_id String,
    event_id String,
    event_at DateTime,
    level LowCardinality(String),
    unit String,
    concerned UInt8,
    outcome LowCardinality(String),
    days UInt32,
    pre_days UInt32,
    post_days UInt32,
    nw_lag UInt32,
    intercept Float64,
    slope Float64,
    slope_se Float64,
    level_change Float64,
    level_se Float64,
    level_lo Float64,
    level_hi Float64,
    level_p Float64,
    slope_change Float64,
    slope_change_se Float64,
    slope_change_lo Float64,
    slope_change_hi Float64,
    slope_change_p Float64,
    placebo_level Float64,
    placebo_p Float64,
    status LowCardinality(String),
    reason String
)
ENGINE = {{engine "migration_its" "ReplacingMergeTree"}}
ORDER BY (run_id, event_id, level, unit, outcome);

{{distributed "migration_its" "cityHash64(unit)"}};

-- migration_did: difference in differences for every event that lists suspended accounts
-- (target_kind account): treated channels are those with an account link (not rejected) to
-- a listed account on the event's platform; each is matched with its 3 nearest untreated
-- channels on pre-window level and slope of the outcome (standardized), with replacement.
-- The outcome is the daily log subscribers, each channel on its own linear trend (fitted on
-- its pre window: audiences grow at very different rates): y_it = a_i + b_i t + g post_t +
-- effect treated_i post_t, estimated as the difference in differences of each channel's
-- post-window mean gap from its trend (its pre-window gap is 0 by construction); errors
-- clustered by channel (CR1) and a Student t interval on G - 1 degrees of freedom (G
-- channels); exp(effect) - 1 is the relative audience change. Pre-trend check: pretrend is the treated minus control difference of the
-- pre-window slopes (per day), with its HC1 standard error and p-value.
CREATE TABLE IF NOT EXISTS {{local "migration_did"}} {{onCluster}}
(
    run_id String,
    event_id String,
    event_at DateTime,
    event_platform LowCardinality(String),
    outcome LowCardinality(String),       -- log_subscribers
    treated UInt32,
    controls UInt32,
    effect Float64,
    se Float64,
    lo Float64,
    hi Float64,
    p Float64,
    pretrend Float64,
    pretrend_se Float64,
    pretrend_p Float64,
    status LowCardinality(String),
    reason String
)
ENGINE = {{engine "migration_did" "ReplacingMergeTree"}}
ORDER BY (run_id, event_id, outcome);

{{distributed "migration_did" "cityHash64(run_id)"}};

-- migration_did_units: the channels of each difference in differences, with their window
-- means of log subscribers, pre-window slope and post-window gap from that trend; matches is how many treated channels a control was matched
-- to (0 for treated channels).
CREATE TABLE IF NOT EXISTS {{local "migration_did_units"}} {{onCluster}}
(
    run_id String,
    event_id String,
    platform LowCardinality(String),
    channel_id UInt64,
    treated UInt8,
    matches UInt32,
    pre Float64,
    post Float64,
    pre_slope Float64,
    post_gap Float64
)
ENGINE = {{engine "migration_did_units" "ReplacingMergeTree"}}
ORDER BY (run_id, event_id, platform, channel_id);

{{distributed "migration_did_units" "cityHash64(channel_id)"}};
