-- Results of the takedowns job (tidewatch analyze takedowns): how long channels live.
-- Every row carries the run_id of the run that wrote it (runs, run_inputs say with which
-- parameters and data); a run marked ok in runs has all its rows stored.
--
-- A channel's lifetime runs from its origin (created_at when the platform gives it, else
-- when it was first seen) to when it left public view: the first channel_events row that
-- says it went private, was banned or deleted (Telegram tells none of these apart from a
-- channel gone private), or, for a channel stored with such a status but no event (an
-- import), its last_seen_at. A channel still public is censored at its last sighting or
-- at the range end, whichever is earlier. It is observed from entry_days: a channel first
-- seen after its origin is at risk only from then (delayed entry), so channels found late
-- do not make lifetimes look longer than they are. Times are in days since the origin.

-- takedowns_lifetimes: one row per (run, channel) in scope seen before the range end and
-- not gone or last seen before its start. status is 'ok' when the channel enters the estimate,
-- 'skipped' with the reason otherwise (gone the moment it was first seen).
CREATE TABLE IF NOT EXISTS {{local "takedowns_lifetimes"}} {{onCluster}}
(
    run_id String,
    platform LowCardinality(String),
    channel_id UInt64,
    origin_at DateTime,
    origin LowCardinality(String),        -- created, first_seen
    first_seen_at DateTime,
    end_at DateTime,                      -- when it left public view, or when it was censored
    ended UInt8,                          -- 1: left public view; 0: censored
    end_kind LowCardinality(String),      -- went_private, banned, deleted, status, '' (censored)
    entry_days Float64,
    exit_days Float64,
    status LowCardinality(String),        -- ok, skipped
    reason String
)
ENGINE = {{engine "takedowns_lifetimes" "ReplacingMergeTree"}}
ORDER BY (run_id, platform, channel_id);

{{distributed "takedowns_lifetimes" "cityHash64(channel_id)"}};

-- takedowns_cohorts: one row per (run, cohort): 'all', and for every registry event in the
-- range (not ones the collector detected) 'before:EVENT_ID' and 'after:EVENT_ID', the
-- channels whose origin is before or at/after the event. median_days is the Kaplan-Meier
-- median lifetime, median_lo and median_hi its 95% interval (Brookmeyer-Crowley, as R's
-- survfit); NaN where the curve does not fall to one half (reason says so).
CREATE TABLE IF NOT EXISTS {{local "takedowns_cohorts"}} {{onCluster}}
(
    run_id String,
    cohort String,
    event_id String,
    event_at DateTime,
    channels UInt32,
    ended UInt32,
    median_days Float64,
    median_lo Float64,
    median_hi Float64,
    status LowCardinality(String),        -- ok, skipped
    reason String
)
ENGINE = {{engine "takedowns_cohorts" "ReplacingMergeTree"}}
ORDER BY (run_id, cohort);

{{distributed "takedowns_cohorts" "cityHash64(run_id)"}};

-- takedowns_survival: the Kaplan-Meier curve of each cohort, one row per event time:
-- at_risk channels (entry < t <= exit), ended at t, censored in [t, next time), survival
-- just after t, its Greenwood standard error and pointwise 95% interval (log scale).
CREATE TABLE IF NOT EXISTS {{local "takedowns_survival"}} {{onCluster}}
(
    run_id String,
    cohort String,
    time_days Float64,
    at_risk UInt32,
    ended UInt32,
    censored UInt32,
    survival Float64,
    se Float64,
    lo Float64,
    hi Float64
)
ENGINE = {{engine "takedowns_survival" "ReplacingMergeTree"}}
ORDER BY (run_id, cohort, time_days);

{{distributed "takedowns_survival" "cityHash64(run_id)"}};
