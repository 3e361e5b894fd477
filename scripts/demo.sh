#!/usr/bin/env bash
# The main job end to end on the simulated world: a local ClickHouse and a simulated Telegram
# of a few hundred public channels (weeks of history, a takedown of Twitter accounts and an
# attack), a test account logged in, seeds added, a collection with snowball discovery, and a
# summary of what was collected.
#
# Everything lives in .tidewatch/demo (a throwaway data folder) on loopback ports of its own;
# DEMO_SECONDS sets how long the collection runs (real seconds).
set -euo pipefail
cd "$(dirname "$0")/.."

dir=.tidewatch/demo
seconds=${DEMO_SECONDS:-90}
channels=${DEMO_CHANNELS:-300}
tw="$PWD/bin/tidewatch"
sim="$PWD/bin/tgsim"
mkdir -p "$dir"
cd "$dir"

sim_pid=""
cleanup() {
	[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
	"$tw" db stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "== simulated Telegram: $channels channels, one world hour per two real seconds"
rm -f tgsim.addr
# The world starts 42 days into its period: after the Twitter takedown (day 20) and the attack
# (day 40), so the histories hold both events.
"$sim" serve --channels "$channels" --seed 7 --start 42d --speed 1800 \
	--key tgsim.key --key-out tgsim.pem --addr-out tgsim.addr --quiet &
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
YAML

echo "== database"
"$tw" db start
"$tw" db migrate

echo "== login with a test phone"
"$tw" login --phone +9996621234 --code 22222 --label demo

echo "== seeds"
"$sim" seeds --channels "$channels" --seed 7 --at 42d --count 10 > seeds.txt
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
