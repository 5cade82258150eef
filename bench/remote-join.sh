#!/usr/bin/env bash
# Issue 5: time for hs2 to join an hs1 room of N members (default 1,000 and 10,000).
exec "$(dirname "$0")/run-main.sh" org.vestibule.bench.RemoteJoinBenchmark "$@"
