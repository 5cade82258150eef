#!/usr/bin/env bash
# Runs the JMH benchmarks of the event core. Every argument goes to JMH, e.g.
#   bench/jmh.sh                                  # all benchmarks, settings from the annotations
#   bench/jmh.sh verify -wi 2 -i 3 -r 1s          # a subset (regex), shorter runs
#   bench/jmh.sh -rf json -rff target/jmh.json    # machine-readable results
#   bench/jmh.sh -l                               # list benchmarks
set -euo pipefail
cd "$(dirname "$0")/.."

./mvnw -q -B test-compile

# The test classpath (all scopes), cached until pom.xml changes.
cp_file=target/jmh-classpath.txt
if [[ ! -s $cp_file || pom.xml -nt $cp_file ]]; then
  ./mvnw -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$PWD/$cp_file"
fi

if [[ ! -f target/test-classes/META-INF/BenchmarkList ]]; then
  echo "target/test-classes/META-INF/BenchmarkList is missing: the JMH annotation processor did not run" >&2
  exit 1
fi

# Unless told otherwise (-foe false), a failing benchmark fails the run: each setup checks that
# the signature verifies, so a broken event core can't pass as a fast one.
foe=(-foe true)
for arg in "$@"; do [[ $arg == -foe ]] && foe=(); done

exec java -cp "target/test-classes:target/classes:$(cat "$cp_file")" org.openjdk.jmh.Main "${foe[@]}" "$@"
