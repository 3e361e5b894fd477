-- takedowns_respawns (tidewatch analyze takedowns): candidate reincarnations, a channel
-- created soon after another left public view that looks like its successor, with the
-- evidence. lag_hours = created_at - predecessor_end_at. title_similarity and
-- handle_similarity are Dice coefficients of the character trigrams of the normalized
-- names (lower case, letters and digits only), NaN when either handle is unknown;
-- source_overlap is the Jaccard index of the channels the two forwarded from, NaN when
-- either forwarded nothing. With name = max(title, handle) similarity, score = name, or
-- 1 - (1 - name) x (1 - 0.5 x source_overlap) when both forwarded (sources add evidence). recovery = subscribers / predecessor_subscribers
-- (the successor's latest count over the predecessor's last). A channel has at most one
-- successor and one predecessor, the best-scoring pairs first; pairs under the run's threshold, or whose names are
-- less alike than 0.5 (sources alone never make a pair), are not stored.
CREATE TABLE IF NOT EXISTS {{local "takedowns_respawns"}} {{onCluster}}
(
    run_id String,
    platform LowCardinality(String),
    channel_id UInt64,
    predecessor_id UInt64,
    predecessor_end_at DateTime,
    predecessor_end_kind LowCardinality(String),
    created_at DateTime,
    lag_hours Float64,
    title_similarity Float64,
    handle_similarity Float64,
    source_overlap Float64,
    score Float64,
    predecessor_subscribers UInt64,
    subscribers UInt64,
    recovery Float64
)
ENGINE = {{engine "takedowns_respawns" "ReplacingMergeTree"}}
ORDER BY (run_id, platform, channel_id);

{{distributed "takedowns_respawns" "cityHash64(channel_id)"}};
