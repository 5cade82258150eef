#!/usr/bin/env bash
# Issue 4: federation load driver against a running Vestibule (see bench/README.md).
# Usage: bench/federation-load.sh http://127.0.0.1:8008 localhost:8448 https://127.0.0.1:8448 [--phases=make_join,send_join,omit] ...
# The driver shares the machine with its target. Its make_join and send_join phases last seconds, and
# C2 compiling the driver meanwhile took CPU from the target (bench/README.md, "Sixteenth round"), so
# for them it runs C1 alone. The omit phase times answers of megabytes, which the driver decrypts
# within each measured join: there C2, with its AES-GCM intrinsics, keeps the driver's share small.
jit=-XX:TieredStopAtLevel=1
[[ " $* " == *omit* ]] && jit=""
BENCH_JAVA_OPTS="${BENCH_JAVA_OPTS:--Xmx1g -XX:+UseParallelGC $jit}" \
  exec "$(dirname "$0")/run-main.sh" org.vestibule.bench.FederationLoadDriver "$@"
