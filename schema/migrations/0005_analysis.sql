-- The analysis layer's bookkeeping: what each job run read, and community labels.
--
-- Every analysis result row carries the run_id of the job run that produced it; the run's
-- row in runs holds its job, parameters (args), configuration hash and code version, and
-- run_inputs holds its data version: how many rows each input table had and how recent the
-- latest of them was when the run read it. Two runs with equal inputs and parameters saw
-- the same data; a figure whose inputs moved on can say which table did.

-- run_inputs: one row per (run, input table).
CREATE TABLE IF NOT EXISTS {{local "run_inputs"}} {{onCluster}}
(
    run_id String,
    input_table LowCardinality(String),
    rows UInt64,
    latest DateTime,                      -- latest ingest (snapshot, read, post) in the table
    version UInt64
)
ENGINE = {{engine "run_inputs" "ReplacingMergeTree" "version"}}
ORDER BY (run_id, input_table);

{{distributed "run_inputs" "cityHash64(run_id)"}};

-- communities: which community a channel belongs to, as a researcher labels it (source =
-- 'manual' or 'import') or an analysis finds it (source = 'analyze:<job>'). A channel may
-- belong to several communities; removed = 1 ends a membership (the latest version wins).
-- Registry events name communities by these labels (events.target_kind = 'community').
CREATE TABLE IF NOT EXISTS {{local "communities"}} {{onCluster}}
(
    community String,
    platform LowCardinality(String),
    channel_id UInt64,
    source LowCardinality(String),
    added_at DateTime,
    removed UInt8,
    version UInt64
)
ENGINE = {{engine "communities" "ReplacingMergeTree" "version"}}
ORDER BY (community, platform, channel_id);

{{distributed "communities" "cityHash64(channel_id)"}};
