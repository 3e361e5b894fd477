#!/usr/bin/env bash
# The main job end to end on the simulated world: start the database, migrate, and show status.
set -euo pipefail
cd "$(dirname "$0")/.."
tw=./bin/tidewatch
$tw db start
$tw db migrate
$tw db status
