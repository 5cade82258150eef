#!/usr/bin/env bash
# Issue 4: federation load driver against a running Vestibule (see bench/README.md).
# Usage: bench/federation-load.sh http://127.0.0.1:8008 localhost:8448 https://127.0.0.1:8448 [--phases=make_join,send_join,omit] ...
BENCH_JAVA_OPTS="${BENCH_JAVA_OPTS:--Xmx1g -XX:+UseParallelGC}" \
  exec "$(dirname "$0")/run-main.sh" org.vestibule.bench.FederationLoadDriver "$@"
