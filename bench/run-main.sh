#!/usr/bin/env bash
# Runs a benchmark main class from the test sources with the test classpath.
# Usage: bench/run-main.sh <fully.qualified.Class> [args...]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -q -B test-compile
cp_file=target/bench-classpath.txt
./mvnw -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >/dev/null
exec java ${BENCH_JAVA_OPTS:--Xmx2g} -cp "target/test-classes:target/classes:$(cat "$cp_file")" "$@"
