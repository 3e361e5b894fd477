#!/usr/bin/env bash
# The main job end to end on the simulated world: a local ClickHouse and a simulated Telegram
# of a few hundred public channels (weeks of history, a takedown of Twitter accounts and an
# attack), a test account logged in, seeds added, a collection with snowball discovery while
# the world's clock runs through both events, a summary of what was collected, the world's
# events and community labels imported as a researcher would keep them, and the analysis
# jobs (growth, engagement, bursts, takedowns, migration, network) over the collected weeks with a summary of
# their results.
#
# Everything lives in .tidewatch/demo (a throwaway data folder, emptied at the start) on
# loopback ports of its own;
# DEMO_SECONDS sets how long the collection runs (real seconds).
set -euo pipefail
cd "$(dirname "$0")/.."

dir=.tidewatch/demo
seconds=${DEMO_SECONDS:-150}
channels=${DEMO_CHANNELS:-200}
# World seconds per real second: 150 s at 21600 cover 37.5 world days, from day 12 to past
# the attack on day 40.
speed=${DEMO_SPEED:-21600}
# The simulator's flood limits are in real seconds; with the world this much faster than real
# time they would allow a few calls per world day, so the time-lapse lifts them
# (DEMO_LIMITS=1 keeps them).
limits="--no-limits"
[ "${DEMO_LIMITS:-0}" = 1 ] && limits=""
tw="$PWD/bin/tidewatch"
sim="$PWD/bin/tgsim"
# A fresh folder every run: a second demo would otherwise resume the first one's collection
# against a new world and analyse both together.
if [ -d "$dir" ]; then
	(cd "$dir" && "$tw" db stop >/dev/null 2>&1) || true
	rm -rf "$dir"
fi
mkdir -p "$dir"
cd "$dir"

sim_pid=""
cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
	"$tw" db stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "== simulated Telegram: $channels channels, $speed world seconds per real second"
rm -f tgsim.addr
# The world's clock starts 12 days into its period and runs through the Twitter takedown
# (day 20) and the attack (day 40), so the snapshots hold the audience around both.
"$sim" serve --channels "$channels" --seed 7 --start 12d --speed "$speed" \
	--key tgsim.key --key-out tgsim.pem --addr-out tgsim.addr --quiet $limits &
sim_pid=$!
for _ in $(seq 100); do [ -s tgsim.addr ] && break; sleep 0.1; done
[ -s tgsim.addr ] || { echo "tgsim did not start" >&2; exit 1; }

cat > tidewatch.yaml <<YAML
# Written by scripts/demo.sh: the demo's own data folder, ports and simulated Telegram.
data_dir: .
clickhouse:
  local:
    tcp_port: 19100
    http_port: 18223
    interserver_port: 19109
telegram:
  # The simulator accepts any api_id/api_hash; real ones come from https://my.telegram.org.
  api_id: 17349
  api_hash: demo-not-a-real-hash
  dc_addr: $(cat tgsim.addr)
  public_key_file: tgsim.pem
privacy:
  hash_key: demo-key-not-for-real-data
collect:
  # The world runs $speed times faster than real time: per real second the collector must do
  # what a real collection does in $speed seconds, so its per-account call rates (1 call a
  # second per method by default, in real seconds) are raised to match.
  limits:
    - channels.getFullChannel=200/200
    - channels.getChannels=50/50
    - messages.getHistory=200/200
    - messages.getMessagesViews=200/200
    - channels.getMessages=50/50
YAML

echo "== database"
"$tw" db start
"$tw" db migrate

echo "== login with a test phone"
"$tw" login --phone +9996621234 --code 22222 --label demo

echo "== seeds"
"$sim" seeds --channels "$channels" --seed 7 --at 12d --count 10 > seeds.txt
"$tw" seeds add --file seeds.txt

echo "== collect for $seconds s (discovery on)"
rc=0
timeout --signal=INT --kill-after=60 "$seconds" "$tw" collect --watch || rc=$?
# 124: the time was up and the collector stopped on SIGINT, as intended.
[ "$rc" = 0 ] || [ "$rc" = 124 ] || exit "$rc"

echo "== summary"
q() { clickhouse-client --port 19100 --database tidewatch --format PrettyCompactNoEscapes --query "$1"; }
q "SELECT count() AS channels, countIf(status = 'active') AS active, sum(subscribers) AS subscribers FROM channels FINAL WHERE platform = 'telegram'"
q "SELECT rule, depth, count() AS channels, sum(included) AS included FROM discovery FINAL GROUP BY rule, depth ORDER BY depth, rule"
q "SELECT count() AS posts, uniqExact(channel_id) AS channels, countIf(fwd_channel_id != 0 OR fwd_person_hash != '') AS forwarded, countIf(deleted = 1) AS deleted FROM posts FINAL WHERE kind = 'post'"
q "SELECT target_age_s / 3600 AS age_h, count() AS reads, round(avg(views)) AS mean_views FROM post_counters FINAL WHERE target_age_s > 0 GROUP BY target_age_s ORDER BY target_age_s"
q "SELECT kind, count() AS events FROM channel_events FINAL GROUP BY kind ORDER BY events DESC"
echo "-- outbound links per week: share of Twitter/X, Telegram and alternative platforms (takedown on 2026-03-21)"
q "SELECT week, sum(links) AS total, round(100 * sumIf(links, dest_platform = 'twitter') / total, 1) AS twitter_pct,
     round(100 * sumIf(links, dest_platform = 'telegram') / total, 1) AS telegram_pct,
     round(100 * sumIf(links, dest_platform IN ('bluesky', 'mastodon', 'gab', 'truthsocial', 'rumble', 'odysee', 'bitchute', 'vk')) / total, 1) AS alt_platforms_pct
   FROM (SELECT toMonday(day) AS week, dest_platform, uniqExactMerge(links) AS links FROM links_daily
         WHERE day >= toDate('2026-02-16') GROUP BY week, dest_platform)
   GROUP BY week ORDER BY week"
echo "-- posts per day around the attack (2026-04-10 18:00)"
q "SELECT day, uniqExactMerge(posts) AS posts, uniqExactIfMerge(forwarded) AS forwarded FROM posts_daily
   WHERE day BETWEEN toDate('2026-04-04') AND toDate('2026-04-13') GROUP BY day ORDER BY day"

echo "== registry: the world's events and community labels, as a researcher keeps them"
"$sim" registry --channels "$channels" --seed 7 --out-dir registry
"$tw" events import registry/events.csv
"$tw" communities import registry/communities.csv

# The range the snapshots cover, whole days.
from=$(clickhouse-client --port 19100 --query "SELECT toDate(min(snapshot_at)) + 1 FROM tidewatch.channel_snapshots")
to=$(clickhouse-client --port 19100 --query "SELECT toDate(max(snapshot_at)) FROM tidewatch.channel_snapshots")
echo "== analyze all --from $from --to $to"
"$tw" analyze all --from "$from" --to "$to"

echo "== analysis results"
run() { echo "(SELECT argMax(run_id, finished_at) FROM tidewatch.runs FINAL WHERE job = 'analyze:$1' AND status = 'ok')"; }
echo "-- growth per community: audience at both ends, median daily rate, share of growth inside event windows"
q "SELECT group_name AS community, channels, fitted, logistic, round(subscribers_first) AS subs_first, round(subscribers_last) AS subs_last,
     round(growth_pct, 1) AS growth_pct, round(exp_rate_median, 4) AS median_rate, round(spike_share, 2) AS spike_share
   FROM growth_groups WHERE run_id = $(run growth) ORDER BY group_kind DESC, subs_last DESC"
echo "-- fastest growers: exponential rate per day with its 95% interval, the model AIC chose"
q "SELECT c.channel_id, round(c.subscribers_last) AS subs, round(c.exp_rate, 4) AS rate, round(c.exp_rate_lo, 4) AS lo, round(c.exp_rate_hi, 4) AS hi,
     round(c.doubling_days, 1) AS doubling_days, m.model, c.jumps
   FROM growth_channels AS c ALL INNER JOIN (SELECT channel_id, model FROM growth_models WHERE run_id = $(run growth)) AS m USING channel_id
   WHERE c.run_id = $(run growth) AND c.status = 'ok' ORDER BY c.exp_rate DESC LIMIT 8"
echo "-- audience jumps found (PELT), by day: the attack's jump stands out"
q "SELECT day, count() AS channels, round(avg(factor), 2) AS mean_factor FROM growth_jumps WHERE run_id = $(run growth) AND method = 'pelt' GROUP BY day ORDER BY day"
echo "-- engagement: ERR (audience at the end), reach (audience when posted), ER, overperforming posts"
q "SELECT count() AS channels, round(median(err), 1) AS median_err, round(median(reach), 1) AS median_reach, round(median(er), 2) AS median_er,
     sum(overperforming) AS overperforming_posts FROM engagement_channels WHERE run_id = $(run engagement) AND status = 'ok'"
echo "-- bursts after the registry's events: communities by z-score (posts in the 24 h after against the same hours of 4 weeks before)"
q "SELECT event_kind, event_at, community, window_posts AS posts, round(baseline_mean, 1) AS usual, round(z, 1) AS z
   FROM bursts_communities WHERE run_id = $(run bursts) AND status = 'ok' AND event_kind IN ('attack', 'takedown') ORDER BY event_at, z DESC"
echo "-- takedowns: how long channels stay public (Kaplan-Meier median in days with its 95% interval; nan: not reached)"
q "SELECT cohort, channels, ended AS gone, round(median_days, 1) AS median, round(median_lo, 1) AS lo, round(median_hi, 1) AS hi, reason
   FROM takedowns_cohorts WHERE run_id = $(run takedowns) ORDER BY event_at, cohort"
echo "-- candidate reincarnations: a channel created soon after another left public view, alike by name"
q "SELECT predecessor_id, channel_id, round(lag_hours) AS lag_h, round(title_similarity, 2) AS title, round(handle_similarity, 2) AS handle,
     round(source_overlap, 2) AS sources, round(score, 2) AS score, round(recovery, 2) AS recovery
   FROM takedowns_respawns WHERE run_id = $(run takedowns) ORDER BY score DESC"
echo "-- migration around the takedown: each community's link share of the platform taken down, before and after, and the shift of its link mix"
q "SELECT w.event_kind AS kind, w.unit AS community, w.links_pre, w.links_post, round(100 * w.event_share_pre, 1) AS share_before_pct,
     round(100 * w.event_share_post, 1) AS share_after_pct, round(w.js_nats, 4) AS js_nats, round(i.level_change, 3) AS its_level,
     round(i.level_lo, 3) AS lo, round(i.level_hi, 3) AS hi, round(w.forwarded_change_pct) AS forwarded_pct
   FROM migration_windows AS w ALL LEFT JOIN (SELECT event_id, unit, level_change, level_lo, level_hi FROM migration_its
     WHERE run_id = $(run migration) AND level = 'community' AND outcome = 'link_share') AS i USING event_id, unit
   WHERE w.run_id = $(run migration) AND w.level = 'community' AND w.event_kind = 'takedown' AND w.status = 'ok' ORDER BY w.unit"
echo "-- the audience of channels whose accounts were suspended, against matched channels (difference in differences)"
q "SELECT event_platform, treated, controls, round(100 * (exp(effect) - 1), 1) AS audience_pct, round(100 * (exp(lo) - 1), 1) AS lo_pct,
     round(100 * (exp(hi) - 1), 1) AS hi_pct, round(pretrend_p, 2) AS pretrend_p, status, reason
   FROM migration_did WHERE run_id = $(run migration)"
echo "-- the forward graph: communities (Louvain) and their most central channel (PageRank)"
q "SELECT c.community, c.nodes, round(c.modularity, 3) AS modularity, n.title AS top_channel, round(n.pagerank, 4) AS pagerank, n.citing_channels
   FROM network_communities AS c ALL LEFT JOIN (SELECT channel_id AS top_channel_id, title, pagerank, citing_channels FROM network_nodes WHERE run_id = $(run network)) AS n
   USING top_channel_id WHERE c.run_id = $(run network) ORDER BY c.nodes DESC LIMIT 8"

echo "== report --from $from --to $to (against the previous equal-length period)"
"$tw" report --from "$from" --to "$to" --out report
echo "report: $PWD/report/report.html (Markdown twin report.md, CSVs and manifest.json beside it)"
