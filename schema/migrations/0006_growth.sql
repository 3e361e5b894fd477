-- Results of the growth job (tidewatch analyze growth). Every row carries the run_id of
-- the run that wrote it (runs, run_inputs say with which parameters and data); a run marked
-- ok in runs has all its rows stored. NaN in a Float64 column means "not computable" (a gap
-- at either end of a window, a fit without enough points), never a guess.

-- growth_channels: one row per channel and run. status 'ok' or 'skipped' (reason says why:
-- too few snapshots for a fit).
CREATE TABLE IF NOT EXISTS {{local "growth_channels"}} {{onCluster}}
(
    run_id String,
    platform LowCardinality(String),
    channel_id UInt64,
    status LowCardinality(String),
    reason String,
    days UInt32,                      -- days in the range
    observed_days UInt32,             -- days with a snapshot
    gap_days UInt32,                  -- days without a value
    subscribers_first Float64,        -- first day with a value
    subscribers_last Float64,         -- last day with a value
    growth_1d Float64,
    growth_1d_pct Float64,
    growth_7d Float64,
    growth_7d_pct Float64,
    growth_30d Float64,
    growth_30d_pct Float64,
    exp_rate Float64,                 -- per day: slope of ln S on t (observed days)
    exp_rate_lo Float64,              -- 95% interval (Student t)
    exp_rate_hi Float64,
    doubling_days Float64,            -- ln 2 / rate (negative: halving time)
    doubling_lo Float64,
    doubling_hi Float64,
    exp_r2 Float64,
    exp_aic Float64,
    jumps UInt32,                     -- PELT jumps (growth_jumps)
    cusum_alarms UInt32
)
ENGINE = {{engine "growth_channels" "ReplacingMergeTree"}}
ORDER BY (run_id, platform, channel_id);

{{distributed "growth_channels" "cityHash64(channel_id)"}};

-- growth_series: the daily series the fits used: audience at the end of each day, observed
-- (a snapshot that day) or interpolated; gap = 1 and subscribers = NaN where neither.
CREATE TABLE IF NOT EXISTS {{local "growth_series"}} {{onCluster}}
(
    run_id String,
    platform LowCardinality(String),
    channel_id UInt64,
    day Date,
    subscribers Float64,
    observed UInt8,
    gap UInt8
)
ENGINE = {{engine "growth_series" "ReplacingMergeTree"}}
PARTITION BY toYYYYMM(day)
ORDER BY (run_id, platform, channel_id, day);

{{distributed "growth_series" "cityHash64(channel_id)"}};

-- growth_jumps: audience jumps beyond the trend, found by PELT (method 'pelt') and the
-- online CUSUM alarms (method 'cusum'); factor is the audience multiplier.
CREATE TABLE IF NOT EXISTS {{local "growth_jumps"}} {{onCluster}}
(
    run_id String,
    platform LowCardinality(String),
    channel_id UInt64,
    day Date,
    method LowCardinality(String),
    factor Float64
)
ENGINE = {{engine "growth_jumps" "ReplacingMergeTree"}}
ORDER BY (run_id, platform, channel_id, day, method);

{{distributed "growth_jumps" "cityHash64(channel_id)"}};
