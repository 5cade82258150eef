#!/usr/bin/env bash
# Starts a Vestibule for bench/federation-load.sh: trusts the driver's self-signed HTTPS key server on
# loopback (a test-network setting), no rate limits (one driver is one origin, far past rc_federation),
# full JIT (spring-boot:run's optimizedLaunch would stop at C1).
# Usage: bench/federation-target.sh [data-dir]        (ports: TARGET_HTTP_PORT=8008, TARGET_TLS_PORT=8448)
# Extra JVM flags (e.g. -XX:StartFlightRecording=...) go in TARGET_JAVA_OPTS.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-/tmp/vestibule-bench}"
http="${TARGET_HTTP_PORT:-8008}"
tls="${TARGET_TLS_PORT:-8448}"
exec ./mvnw -q -B spring-boot:run -Dspring-boot.run.optimizedLaunch=false \
  -Dspring-boot.run.jvmArguments="-Xms1g -Xmx1g ${TARGET_JAVA_OPTS:-}" \
  -Dspring-boot.run.arguments="--vestibule.data-dir=$data --server.port=$http --vestibule.tls.port=$tls --vestibule.server-name=localhost:$tls --vestibule.federation.allow-private-addresses=true --vestibule.federation.tls.verify=false --vestibule.rate-limits.enabled=false"
