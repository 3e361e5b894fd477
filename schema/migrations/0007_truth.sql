-- Ground truth of simulated worlds (tgsim): what the world planted, beside what the collector
-- and the analyses found, so that tests and notebooks can join results to truth.
--
-- `tgsim load-truth` (package collector/tgsim/truthdb) writes one world's truth under a run_id
-- (usually the run_id of the collection run that read that world). Every table starts with
-- run_id, first in its sort key; channel tables also carry platform ('telegram') and
-- channel_id like the core tables, so `USING (platform, channel_id)` joins them to channels,
-- channel_snapshots, posts and the analysis tables. A run_id holds one truth: loading the same
-- truth again collapses onto the same keys (ReplacingMergeTree); another truth under a used
-- run_id is refused by the loader (truth_worlds.truth_sha256). Shares and rates are fractions
-- (0.3 = 30%) unless the column says percent; JS divergences are in nats (natural log).

-- truth_worlds: one row per loaded truth: the seed, the period, Until (nothing later is in the
-- truth), the spec the world was built from as JSON, and a digest of the whole truth.
CREATE TABLE IF NOT EXISTS {{local "truth_worlds"}} {{onCluster}}
(
    run_id String,
    seed Int64,
    start_at DateTime,
    end_at DateTime,
    until_at DateTime,
    channels UInt64,                       -- channels in the truth (created by until_at)
    communities UInt32,
    platforms Array(String),               -- destination platform tokens, in the world's order
    spec String,                           -- the spec as JSON (field names as in the YAML)
    truth_sha256 String,                   -- hex SHA-256 of the truth's JSON
    loaded_at DateTime
)
ENGINE = {{engine "truth_worlds" "ReplacingMergeTree"}}
ORDER BY run_id;

{{distributed "truth_worlds" "cityHash64(run_id)"}};

-- truth_communities: the world's communities (0-based ids, as in the spec's events).
CREATE TABLE IF NOT EXISTS {{local "truth_communities"}} {{onCluster}}
(
    run_id String,
    community UInt32,
    name String,
    utc_offset Int8,                       -- hour offset of the community's waking day
    channels UInt64
)
ENGINE = {{engine "truth_communities" "ReplacingMergeTree"}}
ORDER BY (run_id, community);

{{distributed "truth_communities" "cityHash64(run_id)"}};

-- truth_channels: one row per channel: community, lineage, status by until_at, the planted
-- posting rate, reach and ERR, and the growth model with its parameters.
-- reach: median final views of a post over subscribers at posting; err: expected final views
-- per post over subscribers, in percent (outside attack bursts). carryover: for a
-- reincarnation, the share of the banned predecessor's audience it starts with.
-- growth_model: logistic K / (1 + ((K - N0)/N0) e^(-rate age)), exponential N0 e^(rate age), or
-- decline (logistic, then decay from its changepoint), age in days; noise is the relative
-- sigma of the observed counts around the model; jumps are in truth_changepoints.
CREATE TABLE IF NOT EXISTS {{local "truth_channels"}} {{onCluster}}
(
    run_id String,
    platform LowCardinality(String),
    channel_id UInt64,
    community UInt32,
    created_at DateTime,
    predecessor_id UInt64,                 -- 0 = none
    successor_id UInt64,                   -- 0 = none by until_at
    username String,                       -- first username ('' = none)
    title String,                          -- first title
    status LowCardinality(String),         -- status at until_at: active, private, banned, deleted
    status_at DateTime,                    -- since when (created_at when active)
    verified UInt8,
    scam UInt8,
    fake UInt8,
    restricted UInt8,
    posts_per_day Float64,
    reach Float64,
    err Float64,
    carryover Float64,
    growth_model LowCardinality(String),
    n0 Float64,
    rate Float64,                          -- per day
    k Float64,                             -- 0 for exponential
    noise Float64,
    sources UInt32                         -- planted forward sources (truth_forward_weights)
)
ENGINE = {{engine "truth_channels" "ReplacingMergeTree"}}
ORDER BY (run_id, platform, channel_id);

{{distributed "truth_channels" "cityHash64(channel_id)"}};

-- truth_subscribers: at each snapshot time of the truth's schedule, the observed subscriber
-- count (what a collector reads; 0 when the channel is not active) next to the model value
-- without noise (jumps included; 0 when not active).
CREATE TABLE IF NOT EXISTS {{local "truth_subscribers"}} {{onCluster}}
(
    run_id String,
    platform LowCardinality(String),
    channel_id UInt64,
    snapshot_at DateTime,
    status LowCardinality(String),
    observed UInt64,
    model Float64
)
ENGINE = {{engine "truth_subscribers" "ReplacingMergeTree"}}
ORDER BY (run_id, platform, channel_id, snapshot_at);

{{distributed "truth_subscribers" "cityHash64(channel_id)"}};

-- truth_changepoints: planted changes of each trajectory by until_at, seq = order within the
-- channel. kind 'jump': the audience is multiplied by factor, ramping in (log-linearly) over
-- ramp_s seconds from at; kind 'decline': from at the audience decays at rate per day (rate < 0).
-- cause: 'attack: <event>', 'takedown: <event>', 'shock' or 'decline'.
CREATE TABLE IF NOT EXISTS {{local "truth_changepoints"}} {{onCluster}}
(
    run_id String,
    platform LowCardinality(String),
    channel_id UInt64,
    seq UInt32,
    at DateTime,
    kind LowCardinality(String),
    factor Float64,
    ramp_s UInt32,
    rate Float64,
    cause String
)
ENGINE = {{engine "truth_changepoints" "ReplacingMergeTree"}}
ORDER BY (run_id, platform, channel_id, seq);

{{distributed "truth_changepoints" "cityHash64(channel_id)"}};

-- truth_world_events: the spec's events by until_at (event_index = position in the spec).
-- community -1 = every community. target_platform: a takedown's platform. share: for a telegram
-- takedown the share of the community banned, else the share of the platform's links that go.
CREATE TABLE IF NOT EXISTS {{local "truth_world_events"}} {{onCluster}}
(
    run_id String,
    event_index UInt32,
    name String,
    kind LowCardinality(String),           -- attack, takedown
    at DateTime,
    community Int32,
    target_platform LowCardinality(String),
    burst Float64,
    decay_s UInt32,
    jump Float64,
    share Float64
)
ENGINE = {{engine "truth_world_events" "ReplacingMergeTree"}}
ORDER BY (run_id, event_index);

{{distributed "truth_world_events" "cityHash64(run_id)"}};

-- truth_channel_events: changes of one channel by until_at (created, renamed, title_changed,
-- about_changed, went_private, banned, deleted, reincarnated, account_suspended), seq = order
-- within the channel. account_platform/handle name a suspended account.
CREATE TABLE IF NOT EXISTS {{local "truth_channel_events"}} {{onCluster}}
(
    run_id String,
    platform LowCardinality(String),
    channel_id UInt64,
    seq UInt32,
    at DateTime,
    kind LowCardinality(String),
    old String,
    new String,
    predecessor_id UInt64,
    account_platform LowCardinality(String),
    handle String
)
ENGINE = {{engine "truth_channel_events" "ReplacingMergeTree"}}
ORDER BY (run_id, platform, channel_id, seq);

{{distributed "truth_channel_events" "cityHash64(channel_id)"}};

-- truth_attacks: the channels each attack affected: their posting bursts after it (jumped = 1
-- when their audience also jumps, by jump_factor; channels created during the burst only post
-- more).
CREATE TABLE IF NOT EXISTS {{local "truth_attacks"}} {{onCluster}}
(
    run_id String,
    event_index UInt32,
    event String,
    at DateTime,
    community Int32,
    platform LowCardinality(String),
    channel_id UInt64,
    jumped UInt8,
    jump_factor Float64                    -- 0 when jumped = 0
)
ENGINE = {{engine "truth_attacks" "ReplacingMergeTree"}}
ORDER BY (run_id, event_index, platform, channel_id);

{{distributed "truth_attacks" "cityHash64(channel_id)"}};

-- truth_reincarnations: channels replacing a banned predecessor. initial_audience =
-- max(carryover * predecessor_audience, 5), predecessor_audience being its count just before
-- the ban; lag_s = created_at - banned_at.
CREATE TABLE IF NOT EXISTS {{local "truth_reincarnations"}} {{onCluster}}
(
    run_id String,
    platform LowCardinality(String),
    channel_id UInt64,
    predecessor_id UInt64,
    banned_at DateTime,
    created_at DateTime,
    lag_s UInt64,
    carryover Float64,
    predecessor_audience Float64,
    initial_audience Float64
)
ENGINE = {{engine "truth_reincarnations" "ReplacingMergeTree"}}
ORDER BY (run_id, platform, channel_id);

{{distributed "truth_reincarnations" "cityHash64(channel_id)"}};

-- truth_link_mix: each community's expected share of outlinks per destination platform around
-- each takedown (posts' own links, not forwarded ones; invite links count as telegram).
-- share_before: at the takedown; share_after: once it has taken full effect (its platform's
-- links fall with an e-folding time of ramp_s). treated = 1 when the takedown concerns the
-- community; an untreated community's mix does not shift. js_shift: Jensen-Shannon divergence
-- between the before and after mixes of (event, community), in nats, on each of its rows.
CREATE TABLE IF NOT EXISTS {{local "truth_link_mix"}} {{onCluster}}
(
    run_id String,
    event_index UInt32,
    event String,
    at DateTime,
    taken_down LowCardinality(String),
    community UInt32,
    treated UInt8,
    destination LowCardinality(String),
    share_before Float64,
    share_after Float64,
    js_shift Float64,
    ramp_s UInt32
)
ENGINE = {{engine "truth_link_mix" "ReplacingMergeTree"}}
ORDER BY (run_id, event_index, community, destination);

{{distributed "truth_link_mix" "cityHash64(run_id)"}};

-- truth_forward_weights: each channel's planted forward sources with their weights (summing
-- to 1 per channel: the chance a forward from a world channel draws that source), and the
-- posts it forwarded from the source by until_at (albums once).
CREATE TABLE IF NOT EXISTS {{local "truth_forward_weights"}} {{onCluster}}
(
    run_id String,
    platform LowCardinality(String),
    channel_id UInt64,
    source_id UInt64,
    weight Float64,
    forwards UInt64
)
ENGINE = {{engine "truth_forward_weights" "ReplacingMergeTree"}}
ORDER BY (run_id, platform, channel_id, source_id);

{{distributed "truth_forward_weights" "cityHash64(channel_id)"}};

-- truth_posts: every message by until_at with its planted views: final_views (what the views
-- counter saturates at) = expected_views (the channel's median post at the time: subscribers x
-- reach x burst) x multiplier (the post's overperformance factor, lognormal with median 1);
-- views at age a = final_views (1 - e^(-a / tau_s)). The messages of an album share them;
-- service messages have 0.
CREATE TABLE IF NOT EXISTS {{local "truth_posts"}} {{onCluster}}
(
    run_id String,
    platform LowCardinality(String),
    channel_id UInt64,
    post_id UInt64,
    posted_at DateTime,
    service UInt8,
    album_id UInt64,
    media_type LowCardinality(String),
    fwd_channel_id UInt64,
    fwd_post_id UInt64,
    edited_at DateTime,                    -- zero = not edited by until_at
    deleted_at DateTime,                   -- zero = not deleted by until_at
    text_length UInt32,
    multiplier Float64,
    burst Float64,
    expected_views Float64,
    final_views Float64,
    tau_s Float64
)
ENGINE = {{engine "truth_posts" "ReplacingMergeTree"}}
ORDER BY (run_id, platform, channel_id, post_id);

{{distributed "truth_posts" "cityHash64(channel_id)"}};

-- truth_post_counters: counters a perfect collector reads at each scheduled age (target_age_s),
-- for joining to post_counters.
CREATE TABLE IF NOT EXISTS {{local "truth_post_counters"}} {{onCluster}}
(
    run_id String,
    platform LowCardinality(String),
    channel_id UInt64,
    post_id UInt64,
    target_age_s UInt32,
    views UInt64,
    forwards UInt64,
    replies UInt64,
    reactions UInt64
)
ENGINE = {{engine "truth_post_counters" "ReplacingMergeTree"}}
ORDER BY (run_id, platform, channel_id, post_id, target_age_s);

{{distributed "truth_post_counters" "cityHash64(channel_id)"}};
