#!/usr/bin/env bash
# Issue 3: member events persisted into one room as it grows (default 10,000 members).
exec "$(dirname "$0")/run-main.sh" org.vestibule.bench.RoomGrowthBenchmark "$@"
