-- Core tables of tidewatch: channels, snapshots, posts, counters, links, events.
--
-- Conventions that hold for every table (analysts rely on them):
-- * `platform` is on every row ('telegram', 'twitter', 'facebook', 'instagram', ...), first in
--   the sort key, so one table serves all platforms and per-platform scans stay contiguous.
-- * `channel_id` is the platform's numeric account id (Telegram channel id, Twitter user id,
--   Facebook page id); platforms whose ids are not numbers get a stable 64-bit hash of the id
--   (schema.AccountID) and keep the original text in `external_id`.
-- * Every table is a ReplacingMergeTree keyed by its natural key, so a batch that is written
--   twice (a retry after a lost acknowledgement, a spool replay, an importer run twice) collapses
--   to one row. Read with FINAL, or argMax(col, version), when exact figures matter.
-- * Times are DateTime in UTC (18.16 has no DateTime64). Zero time (1970-01-01) means unknown.
-- * Persons never appear in clear: `*_person_hash` columns hold keyed hashes.

-- channels: the latest known identity of every account, one row per (platform, channel_id).
-- Replaced on every snapshot (version = snapshot time in ns); history lives in channel_snapshots.
CREATE TABLE IF NOT EXISTS {{local "channels"}} {{onCluster}}
(
    platform LowCardinality(String),
    channel_id UInt64,
    external_id String,
    username String,
    title String,
    about String,
    kind LowCardinality(String),        -- channel, supergroup, page, group, account
    status LowCardinality(String),      -- active, private, banned, deleted, not_found
    subscribers UInt64,
    created_at DateTime,
    first_seen_at DateTime,
    last_seen_at DateTime,
    verified UInt8,
    scam UInt8,
    fake UInt8,
    restricted UInt8,
    source LowCardinality(String),      -- collector, import:crowdtangle, import:twitter_v2, ...
    version UInt64
)
ENGINE = {{engine "channels" "ReplacingMergeTree" "version"}}
ORDER BY (platform, channel_id);

{{distributed "channels" "cityHash64(channel_id)"}};

-- channel_snapshots: metadata and audience at each observation. The growth analyses read
-- (platform, channel_id, snapshot_at) ranges, hence the sort key; monthly partitions keep
-- retention (DROP PARTITION) cheap.
CREATE TABLE IF NOT EXISTS {{local "channel_snapshots"}} {{onCluster}}
(
    platform LowCardinality(String),
    channel_id UInt64,
    snapshot_at DateTime,
    username String,
    title String,
    about String,
    subscribers UInt64,
    status LowCardinality(String),
    verified UInt8,
    scam UInt8,
    fake UInt8,
    restricted UInt8,
    restriction_reasons Array(String),
    linked_chat_id UInt64,
    pinned_post_id UInt64,
    source LowCardinality(String),
    run_id String
)
ENGINE = {{engine "channel_snapshots" "ReplacingMergeTree"}}
PARTITION BY toYYYYMM(snapshot_at)
ORDER BY (platform, channel_id, snapshot_at);

{{distributed "channel_snapshots" "cityHash64(channel_id)"}};

-- posts: one row per message (service messages too, kind = 'service'). An album is several
-- messages sharing album_id; post_key counts it once. Counters are the latest read; their
-- history lives in post_counters. version = time of the read in ns, so the latest wins.
-- Sort key (platform, channel_id, post_id): per-channel scans and id-gap completeness checks.
CREATE TABLE IF NOT EXISTS {{local "posts"}} {{onCluster}}
(
    platform LowCardinality(String),
    channel_id UInt64,
    post_id UInt64,
    posted_at DateTime,
    edited_at DateTime,
    kind LowCardinality(String),          -- post, service
    post_type LowCardinality(String),     -- text, photo, video, link, status, retweet, quote, reply, ...
    service_action LowCardinality(String),
    album_id UInt64,
    post_key UInt64 MATERIALIZED if(album_id = 0, post_id, album_id),
    fwd_channel_id UInt64,
    fwd_post_id UInt64,
    fwd_person_hash String,
    fwd_at DateTime,
    reply_to_post_id UInt64,
    author_hash String,
    text String,
    text_length UInt32,
    text_hash UInt64,
    media_type LowCardinality(String),
    hashtags Array(String),
    mentions Array(String),
    link_count UInt16,
    views UInt64,
    forwards UInt64,
    replies UInt64,
    reactions UInt64,
    counters_at DateTime,
    deleted UInt8,
    deleted_at DateTime,
    source LowCardinality(String),
    run_id String,
    version UInt64
)
ENGINE = {{engine "posts" "ReplacingMergeTree" "version"}}
PARTITION BY toYYYYMM(posted_at)
ORDER BY (platform, channel_id, post_id);

{{distributed "posts" "cityHash64(channel_id)"}};

-- post_counters: counters re-read over time. target_age_s is the scheduled age
-- (3600, 21600, 86400, ...; 0 for an unscheduled read) and age_s the age at the actual read, so
-- "views at 24 h" is a lookup, not an extrapolation. Identical re-sends collapse on the key.
CREATE TABLE IF NOT EXISTS {{local "post_counters"}} {{onCluster}}
(
    platform LowCardinality(String),
    channel_id UInt64,
    post_id UInt64,
    read_at DateTime,
    posted_at DateTime,
    age_s UInt32,
    target_age_s UInt32,
    views UInt64,
    forwards UInt64,
    replies UInt64,
    reactions UInt64,
    reaction_emoji Array(String),
    reaction_count Array(UInt64),
    deleted UInt8,
    run_id String
)
ENGINE = {{engine "post_counters" "ReplacingMergeTree"}}
PARTITION BY toYYYYMM(read_at)
ORDER BY (platform, channel_id, post_id, read_at);

{{distributed "post_counters" "cityHash64(channel_id)"}};

-- post_links: outbound links, @mentions and invite links of posts (and of about texts and
-- pinned posts, source_kind says which), classified by destination platform and registered
-- domain (eTLD+1). Telegram targets are resolved to channels where known.
CREATE TABLE IF NOT EXISTS {{local "post_links"}} {{onCluster}}
(
    platform LowCardinality(String),
    channel_id UInt64,
    post_id UInt64,
    posted_at DateTime,
    url String,
    link_kind LowCardinality(String),      -- url, mention, invite
    source_kind LowCardinality(String),    -- entity, text_url, text, about, pinned
    domain String,
    registered_domain String,
    dest_platform LowCardinality(String),  -- twitter, facebook, youtube, telegram, bluesky, mastodon, vk, web, ...
    shortener UInt8,
    target_username String,
    target_channel_id UInt64,
    target_post_id UInt64,
    run_id String
)
ENGINE = {{engine "post_links" "ReplacingMergeTree"}}
PARTITION BY toYYYYMM(posted_at)
ORDER BY (platform, channel_id, post_id, url);

{{distributed "post_links" "cityHash64(channel_id)"}};

-- channel_events: identity and status changes detected by comparing snapshots: renamed,
-- title_changed, about_changed, went_private, banned, deleted, username_freed, reappeared.
CREATE TABLE IF NOT EXISTS {{local "channel_events"}} {{onCluster}}
(
    platform LowCardinality(String),
    channel_id UInt64,
    event_at DateTime,
    kind LowCardinality(String),
    old_value String,
    new_value String,
    detected_at DateTime,
    run_id String
)
ENGINE = {{engine "channel_events" "ReplacingMergeTree"}}
PARTITION BY toYYYYMM(event_at)
ORDER BY (platform, channel_id, event_at, kind);

{{distributed "channel_events" "cityHash64(channel_id)"}};
