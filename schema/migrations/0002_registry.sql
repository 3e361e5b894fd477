-- Registries: the events registry, cross-platform account links and actors, discovery
-- provenance with versioned sampling frames, and collection runs.

-- events: takedowns, suspensions, bans, attacks, policy changes, from curated sources
-- (origin = 'registry' or 'import') or detected by the collector (origin = 'detected').
-- Small table; analyses join it by time window, so it is sorted by event_id for replacement
-- and read whole. version lets an edit of an event replace it.
CREATE TABLE IF NOT EXISTS {{local "events"}} {{onCluster}}
(
    event_id String,
    event_at DateTime,
    end_at DateTime,
    platform LowCardinality(String),
    kind LowCardinality(String),           -- takedown, suspension, ban, attack, policy_change, went_private, ...
    target_kind LowCardinality(String),    -- account, channel, community, platform
    targets Array(String),                 -- handles, ids or community names, as given
    target_channel_ids Array(UInt64),
    title String,
    source String,                         -- citation or URL
    origin LowCardinality(String),         -- registry, import, detected
    note String,
    deleted UInt8,
    version UInt64
)
ENGINE = {{engine "events" "ReplacingMergeTree" "version"}}
ORDER BY event_id;

{{distributed "events" "cityHash64(event_id)"}};

-- account_links: proposed and curated links between accounts of different platforms, one row
-- per (from account, to account, evidence kind), with the evidence text and a confidence.
CREATE TABLE IF NOT EXISTS {{local "account_links"}} {{onCluster}}
(
    from_platform LowCardinality(String),
    from_channel_id UInt64,
    to_platform LowCardinality(String),
    to_handle String,
    to_channel_id UInt64,
    to_url String,
    evidence LowCardinality(String),       -- same_handle, handle_in_about, link_in_pinned, link_in_posts, manual
    evidence_text String,
    confidence Float32,
    status LowCardinality(String),         -- proposed, accepted, rejected
    first_seen_at DateTime,
    last_verified_at DateTime,
    decided_by String,
    version UInt64
)
ENGINE = {{engine "account_links" "ReplacingMergeTree" "version"}}
ORDER BY (from_platform, from_channel_id, to_platform, to_handle, evidence);

{{distributed "account_links" "cityHash64(from_channel_id)"}};

-- actor_accounts: an actor groups the accounts of one entity across platforms, so analyses can
-- follow its audience from one platform to another. removed = 1 takes an account out.
CREATE TABLE IF NOT EXISTS {{local "actor_accounts"}} {{onCluster}}
(
    actor_id String,
    actor_name String,
    platform LowCardinality(String),
    channel_id UInt64,
    handle String,
    added_at DateTime,
    removed UInt8,
    note String,
    version UInt64
)
ENGINE = {{engine "actor_accounts" "ReplacingMergeTree" "version"}}
ORDER BY (actor_id, platform, channel_id, handle);

{{distributed "actor_accounts" "cityHash64(actor_id)"}};

-- sampling_frames: each version of the set of channels a study follows, with the rules that
-- produced it, so a figure can say which frame it was computed on.
CREATE TABLE IF NOT EXISTS {{local "sampling_frames"}} {{onCluster}}
(
    frame_id String,
    parent_frame_id String,
    created_at DateTime,
    rules String,                          -- the discovery rules as JSON
    seeds UInt32,
    channels UInt32,
    note String,
    version UInt64
)
ENGINE = {{engine "sampling_frames" "ReplacingMergeTree" "version"}}
ORDER BY frame_id;

{{distributed "sampling_frames" "cityHash64(frame_id)"}};

-- discovery: how each channel entered a frame: a seed, or found via another channel by a rule
-- (forward, tme_link, mention, recommendation) at a depth, with the number of references and
-- whether the inclusion rules admitted it.
CREATE TABLE IF NOT EXISTS {{local "discovery"}} {{onCluster}}
(
    frame_id String,
    platform LowCardinality(String),
    channel_id UInt64,
    username String,
    discovered_at DateTime,
    via_channel_id UInt64,
    rule LowCardinality(String),           -- seed, forward, tme_link, mention, recommendation
    depth UInt8,
    references UInt32,
    included UInt8,
    reason String,
    version UInt64
)
ENGINE = {{engine "discovery" "ReplacingMergeTree" "version"}}
ORDER BY (frame_id, platform, channel_id, via_channel_id, rule);

{{distributed "discovery" "cityHash64(channel_id)"}};

-- runs: one row per job run (collection, import, analysis) with the configuration hash and code
-- version, so every stored row (run_id) and every figure can be traced to what produced it.
-- The row is rewritten as the run progresses (version), ending with its final counts.
CREATE TABLE IF NOT EXISTS {{local "runs"}} {{onCluster}}
(
    run_id String,
    job LowCardinality(String),            -- collect, import:<format>, analyze:<job>
    started_at DateTime,
    finished_at DateTime,
    status LowCardinality(String),         -- running, ok, failed, interrupted
    config_hash String,
    code_version String,
    args String,
    frame_id String,
    count_names Array(String),
    count_values Array(UInt64),
    errors Array(String),
    version UInt64
)
ENGINE = {{engine "runs" "ReplacingMergeTree" "version"}}
ORDER BY run_id;

{{distributed "runs" "cityHash64(run_id)"}};
