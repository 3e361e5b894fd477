-- Results of the bursts job (tidewatch analyze bursts): posting after registry events.
-- Every row carries the run_id of the run that wrote it (runs, run_inputs say with which
-- parameters and data); a run marked ok in runs has all its rows stored.
--
-- For an event, the window is window_hours hours from window_start, the start of the UTC
-- hour that holds the event; the baseline is the same hours of each of the `weeks`
-- preceding weeks (baseline_posts[k] is k weeks earlier). Posts are messages other than
-- service messages, deleted ones included, an album counted once. baseline_sd is the
-- sample standard deviation (n-1) of the baseline counts; z_sd, the divisor of the
-- z-score, is max(baseline_sd, sqrt(baseline_mean)): the Poisson floor, so a baseline that
-- happens to be flat does not turn an ordinary day into an enormous z.
-- z = (window_posts - baseline_mean) / z_sd. NaN in a Float64 column means "not
-- computable", never a guess: status is then 'skipped' and reason says why (too little
-- history before the baseline, a window not yet collected, or no posts at all in the
-- baseline, where z is undefined).

-- bursts_channels: one row per (run, event, channel) for the channels in scope with posts
-- in the event's window or baseline hours. targeted = 1 when the event concerns the
-- channel (it names the channel or one of its communities, or targets no channel or
-- community in particular).
CREATE TABLE IF NOT EXISTS {{local "bursts_channels"}} {{onCluster}}
(
    run_id String,
    event_id String,
    event_at DateTime,
    event_kind LowCardinality(String),
    platform LowCardinality(String),
    channel_id UInt64,
    targeted UInt8,
    window_start DateTime,
    window_hours UInt16,
    weeks UInt8,
    window_posts UInt64,
    baseline_posts Array(UInt64),
    baseline_mean Float64,
    baseline_sd Float64,
    z_sd Float64,
    z Float64,
    status LowCardinality(String),        -- ok, skipped
    reason String
)
ENGINE = {{engine "bursts_channels" "ReplacingMergeTree"}}
ORDER BY (run_id, event_id, platform, channel_id);

{{distributed "bursts_channels" "cityHash64(channel_id)"}};

-- bursts_communities: one row per (run, event, community): the hourly posts of the member
-- channels in scope (current memberships) summed, then scored like one channel. channels
-- counts the members summed; channels_excluded the members with posts near the event left
-- out because they lack the history or their window is not collected yet.
CREATE TABLE IF NOT EXISTS {{local "bursts_communities"}} {{onCluster}}
(
    run_id String,
    event_id String,
    event_at DateTime,
    event_kind LowCardinality(String),
    community String,
    targeted UInt8,
    window_start DateTime,
    window_hours UInt16,
    weeks UInt8,
    channels UInt32,
    channels_excluded UInt32,
    window_posts UInt64,
    baseline_posts Array(UInt64),
    baseline_mean Float64,
    baseline_sd Float64,
    z_sd Float64,
    z Float64,
    status LowCardinality(String),        -- ok, skipped
    reason String
)
ENGINE = {{engine "bursts_communities" "ReplacingMergeTree"}}
ORDER BY (run_id, event_id, community);

{{distributed "bursts_communities" "cityHash64(community)"}};
