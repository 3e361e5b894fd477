-- Growth models and aggregates of the growth job (tidewatch analyze growth), next to the
-- tables of 0006. Join growth_models to growth_channels on (run_id, platform, channel_id).
-- NaN in a Float64 column means "not computable", never a guess.

-- growth_models: per channel and run, the logistic fit S(t) = K / (1 + ((K - N0)/N0) e^(-r t))
-- (t in days from the channel's first snapshot in the range, least squares on the S scale,
-- 95% Wald intervals from s^2 (J'J)^-1), the model AIC chooses (logistic only when its AIC,
-- k = 4, is below the exponential fit's, k = 3, on the same S-scale likelihood), and the
-- share of the channel's growth inside registry-event windows.
CREATE TABLE IF NOT EXISTS {{local "growth_models"}} {{onCluster}}
(
    run_id String,
    platform LowCardinality(String),
    channel_id UInt64,
    model LowCardinality(String),            -- exponential, logistic; '' when not fitted
    logistic_status LowCardinality(String),  -- ok, failed (logistic_reason says why), skipped
    logistic_reason String,
    logistic_k Float64,                      -- carrying capacity
    logistic_k_lo Float64,
    logistic_k_hi Float64,
    logistic_r Float64,                      -- intrinsic rate per day
    logistic_r_lo Float64,
    logistic_r_hi Float64,
    logistic_n0 Float64,                     -- fitted audience at the first snapshot
    logistic_n0_lo Float64,
    logistic_n0_hi Float64,
    logistic_aic Float64,
    exp_aic Float64,                         -- exponential fitted on the S scale (not growth_channels.exp_aic)
    event_windows UInt32,                    -- registry events concerning the channel in the range
    window_days UInt32,                      -- days of the range inside their windows
    growth_total Float64,                    -- sum of day-to-day changes (days with values)
    growth_in_windows Float64,               -- the part on days inside event windows
    spike_share Float64                      -- growth_in_windows / growth_total (NaN unless growth_total > 0)
)
ENGINE = {{engine "growth_models" "ReplacingMergeTree"}}
ORDER BY (run_id, platform, channel_id);

{{distributed "growth_models" "cityHash64(channel_id)"}};

-- growth_groups: per platform (group_kind 'platform') and community ('community', from the
-- communities table) and run: channels, fits, the audience at both ends of the range (sum over
-- channels with a value at both ends), the quartiles of the fitted exponential rates, and the
-- group's growth inside event windows.
CREATE TABLE IF NOT EXISTS {{local "growth_groups"}} {{onCluster}}
(
    run_id String,
    group_kind LowCardinality(String),
    group_name String,
    channels UInt32,
    fitted UInt32,
    logistic UInt32,                         -- channels where logistic was chosen
    subscribers_first Float64,
    subscribers_last Float64,
    growth_pct Float64,
    exp_rate_q1 Float64,
    exp_rate_median Float64,
    exp_rate_q3 Float64,
    growth_total Float64,
    growth_in_windows Float64,
    spike_share Float64
)
ENGINE = {{engine "growth_groups" "ReplacingMergeTree"}}
ORDER BY (run_id, group_kind, group_name);

{{distributed "growth_groups" "cityHash64(group_name)"}};
