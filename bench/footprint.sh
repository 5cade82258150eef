#!/usr/bin/env bash
# Issue 13: start-up time and memory of homeservers, side by side (bench/README.md, "Footprint").
#
#   bench/footprint.sh [--runs=3] [--users=100] [--together=N] [SERVER ...]
#
# SERVER is "name|ready-url|start-command[|stop-command]": the start command is run from the project
# folder and may stay in the foreground or return (a daemon); the server is ready when ready-url
# answers 200. Its process is the one listening on ready-url's port. Without a stop command it is
# sent SIGTERM. With no SERVER, one Vestibule: bin/vestibule (trained first when it has no start-up
# cache) on the PostgreSQL of SPRING_DATASOURCE_URL, or on a throwaway PostgreSQL started here from
# the system's binaries when that is unset. For Synapse beside it (interop/synapse/synapse.sh):
#
#   bench/footprint.sh vestibule \
#     'synapse|http://127.0.0.1:28008/_matrix/federation/v1/version|interop/synapse/synapse.sh start|interop/synapse/synapse.sh stop'
#
# (the word "vestibule" alone names the default Vestibule). Each server: one start that is not
# counted (it creates or migrates its database), then --runs starts, each timed from the start
# command to the first 200 of ready-url, and its RSS read 5 s after that (idle). After the last
# run, a client-API load through open registration (m.login.dummy, as test servers allow): --users
# users register, join one public room, send 5 messages each and sync, 4 at a time; then the RSS
# again. Prints a table: median and range of the start times, median idle RSS and PSS (the pages
# shared with other processes divided among them), RSS after the load. --together=N then starts N
# of the default Vestibule at once, each on its own database of the throwaway PostgreSQL, as a test
# harness runs several, and prints their RSS and PSS once all are idle.
# Exits non-zero when a server does not become ready or refuses the load (CI uses it as the check
# that the packaged server, as bin/vestibule runs it, works).
set -euo pipefail

project=$(cd "$(dirname "$0")/.." && pwd)
cd "$project"
runs=3
users=100
together=0
servers=()
for arg in "$@"; do
  case "$arg" in
    --runs=*) runs=${arg#--runs=} ;;
    --users=*) users=${arg#--users=} ;;
    --together=*) together=${arg#--together=} ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) servers+=("$arg") ;;
  esac
done
(( ${#servers[@]} )) || servers=(vestibule)
[[ "$together" =~ ^[0-9]+$ ]] || { echo "--together takes a number of servers" >&2; exit 1; }
if (( together > 0 )) && [[ -n "${SPRING_DATASOURCE_URL:-}" ]]; then
  echo "--together makes a database for each server on the throwaway PostgreSQL: unset SPRING_DATASOURCE_URL" >&2
  exit 1
fi
command -v curl >/dev/null || { echo "footprint.sh needs curl" >&2; exit 1; }

work=$(mktemp -d /tmp/footprint.XXXXXX)
chmod 755 "$work"
pg_dir=""
cleanup() {
  if [[ -n "$pg_dir" ]]; then
    run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# As root PostgreSQL runs as the postgres user.
run_pg() { if (( EUID == 0 )); then su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; else "$@"; fi; }

start_postgres() {
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -x "$pg_bin/initdb" ]] || { echo "no SPRING_DATASOURCE_URL and no PostgreSQL binaries in /usr/lib/postgresql" >&2; exit 1; }
  pg_dir="$work/pg"
  mkdir -p "$pg_dir"
  (( EUID == 0 )) && chown postgres "$pg_dir"
  pg_port=${FOOTPRINT_PG_PORT:-55439}
  local port=$pg_port
  run_pg "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres >/dev/null
  run_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=100" start >/dev/null
  for db in vestibule vestibule_train; do
    run_pg "$pg_bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qc "create database $db" >/dev/null
  done
  export SPRING_DATASOURCE_URL="jdbc:postgresql://127.0.0.1:$port/vestibule" SPRING_DATASOURCE_USERNAME=postgres
  export SPRING_DATASOURCE_PASSWORD=""
  train_url="jdbc:postgresql://127.0.0.1:$port/vestibule_train"
  echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (throwaway)"
}

vestibule_server() {
  if [[ -z "${SPRING_DATASOURCE_URL:-}" ]]; then start_postgres; else train_url=$SPRING_DATASOURCE_URL; fi
  ls target/vestibule-*.jar >/dev/null 2>&1 || ./mvnw -B -q -DskipTests package
  local data="$work/vestibule-data"
  # Registration open and limits off: the load below is one address registering many users.
  export VESTIBULE_DATA_DIR=$data VESTIBULE_CLIENT_REGISTRATION_ENABLED=true VESTIBULE_RATE_LIMITS_ENABLED=false
  # The start-up cache, made on a database of its own (training registers a user and makes a room).
  # The runs below start on a migrated database, so the cache is trained for one: the first training
  # migrates the training database, the second makes the cache (HELP.md, bin/vestibule train).
  for _ in 1 2; do
    if [[ "${FOOTPRINT_TRAIN:-1}" == 1 ]] && ! SPRING_DATASOURCE_URL=$train_url bin/vestibule train >"$work/train.log" 2>&1; then
      echo "bin/vestibule train failed (the runs below start without a cache): $(tail -n 3 "$work/train.log")" >&2
      break
    fi
  done
  spec="vestibule|http://127.0.0.1:${SERVER_PORT:-8008}/_matrix/federation/v1/version|bin/vestibule"
}

port_of() { local hostport=${1#*://}; hostport=${hostport%%/*}; echo "${hostport##*:}"; }
listener_pid() { ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1; }
rss_mb() { awk '/^VmRSS/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }
pss_mb() { awk '/^Pss:/ {printf "%d", $2 / 1024}' "/proc/$1/smaps_rollup"; }
now_ms() { date +%s%3N; }

stop_server() {
  local pid=$1 stop=$2 port=$3
  if [[ -n "$stop" ]]; then bash -c "$stop" >/dev/null 2>&1 || true; else kill -TERM "$pid" 2>/dev/null || true; fi
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do [[ -z "$(listener_pid "$port")" ]] && break; sleep 0.1; done
}

# One start: prints "ms pid", the server left running.
start_server() {
  local url=$1 start=$2 log=$3 t0 port
  port=$(port_of "$url")
  [[ -z "$(listener_pid "$port")" ]] || { echo "port $port is already in use" >&2; return 1; }
  t0=$(now_ms)
  setsid bash -c "$start" >"$log" 2>&1 < /dev/null &
  until curl -sf -o /dev/null "$url"; do
    if (( $(now_ms) - t0 > 180000 )); then echo "not ready after 180 s: $url (log $log)" >&2; return 1; fi
    sleep 0.02
  done
  echo "$(( $(now_ms) - t0 )) $(listener_pid "$port")"
}

# The client-API load: prints the seconds it took.
client_load() {
  local base=$1 t0 owner room
  t0=$(now_ms)
  register() {
    curl -s -X POST "$base/_matrix/client/v3/register" -H 'Content-Type: application/json' \
      -d "{\"username\":\"$1\",\"password\":\"footprint-password\",\"auth\":{\"type\":\"m.login.dummy\"}}" \
      | sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p'
  }
  owner=$(register "fp$(date +%s)owner")
  [[ -n "$owner" ]] || { echo "registration refused on $base: open registration is needed" >&2; return 1; }
  room=$(curl -s -X POST "$base/_matrix/client/v3/createRoom" -H "Authorization: Bearer $owner" \
    -H 'Content-Type: application/json' -d '{"preset":"public_chat","name":"footprint"}' \
    | sed -n 's/.*"room_id" *: *"\([^"]*\)".*/\1/p')
  export -f register
  export base room
  seq 1 "$users" | sed "s/^/fp$(date +%s)u/" | xargs -P 4 -I{} bash -c '
    token=$(register {})
    [[ -n "$token" ]] || exit 0
    auth=(-H "Authorization: Bearer $token" -H "Content-Type: application/json")
    curl -s -o /dev/null -X POST "${auth[@]}" "$base/_matrix/client/v3/join/$room" -d "{}"
    for m in 1 2 3 4 5; do
      curl -s -o /dev/null -X PUT "${auth[@]}" "$base/_matrix/client/v3/rooms/$room/send/m.room.message/t$m" \
        -d "{\"msgtype\":\"m.text\",\"body\":\"message $m\"}"
    done
    curl -s -o /dev/null "${auth[@]}" "$base/_matrix/client/v3/sync?timeout=0"'
  awk -v ms=$(( $(now_ms) - t0 )) 'BEGIN {printf "%.1f", ms / 1000}'
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }

load_before=$(cut -d" " -f1-3 /proc/loadavg)
rows=()
for spec in "${servers[@]}"; do
  [[ "$spec" == vestibule ]] && vestibule_server
  IFS='|' read -r name url start stop <<< "$spec"
  port=$(port_of "$url")
  base=${url%%/_matrix*}
  echo "== $name: $start (ready: $url)"
  out=$(start_server "$url" "$start" "$work/$name-0.log") || { tail -n 30 "$work/$name-0.log" >&2; exit 1; }
  read -r ms pid <<< "$out"
  echo "   first start (not counted): $ms ms"
  stop_server "$pid" "$stop" "$port"
  times=(); rss=(); pss=()
  for run in $(seq 1 "$runs"); do
    out=$(start_server "$url" "$start" "$work/$name-$run.log") || { tail -n 30 "$work/$name-$run.log" >&2; exit 1; }
    read -r ms pid <<< "$out"
    sleep 5
    idle=$(rss_mb "$pid") idle_pss=$(pss_mb "$pid")
    echo "   run $run: ready in $ms ms, idle RSS $idle MB, PSS $idle_pss MB (pid $pid)"
    times+=("$ms"); rss+=("$idle"); pss+=("$idle_pss")
    if (( run < runs )); then stop_server "$pid" "$stop" "$port"; fi
  done
  seconds=$(client_load "$base") || { stop_server "$pid" "$stop" "$port"; exit 1; }
  loaded=$(rss_mb "$pid")
  echo "   load: $users users registered, joined, sent 5 messages and synced in $seconds s; RSS $loaded MB"
  stop_server "$pid" "$stop" "$port"
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  rows+=("| $name | $(printf '%s\n' "${times[@]}" | median) | $(head -n 1 <<< "$sorted")–$(tail -n 1 <<< "$sorted") | $(printf '%s\n' "${rss[@]}" | median) | $(printf '%s\n' "${pss[@]}" | median) | $loaded | $seconds |")
done

# N Vestibules at once, each with its own database, data folder and ports; measured on their second
# start (the first migrates), once all are ready and 5 s more.
together_row=""
if (( together > 0 )); then
  [[ -n "$pg_dir" ]] || vestibule_server
  echo "== $together Vestibules at once"
  for round in migrate measure; do
    pids=()
    for i in $(seq 1 "$together"); do
      db="vestibule_together_$i"
      [[ $round == migrate ]] && run_pg "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qc "create database $db" >/dev/null
      SPRING_DATASOURCE_URL=${SPRING_DATASOURCE_URL%/*}/$db SERVER_PORT=$((18100 + i)) VESTIBULE_TLS_PORT=$((18500 + i)) \
        VESTIBULE_DATA_DIR="$work/together-$i" setsid bin/vestibule >"$work/together-$i-$round.log" 2>&1 < /dev/null &
    done
    for i in $(seq 1 "$together"); do
      url="http://127.0.0.1:$((18100 + i))/_matrix/federation/v1/version" t0=$(now_ms)
      until curl -sf -o /dev/null "$url"; do
        (( $(now_ms) - t0 < 180000 )) || { echo "not ready after 180 s: $url" >&2; tail -n 30 "$work/together-$i-$round.log" >&2; exit 1; }
        sleep 0.1
      done
      pids+=("$(listener_pid $((18100 + i)))")
    done
    sleep 5
    if [[ $round == measure ]]; then
      t_rss=(); t_pss=(); sum=0
      for pid in "${pids[@]}"; do
        t_rss+=("$(rss_mb "$pid")"); t_pss+=("$(pss_mb "$pid")"); sum=$(( sum + ${t_pss[-1]} ))
      done
      echo "   RSS ${t_rss[*]} MB, PSS ${t_pss[*]} MB"
      together_row="| $together | $(printf '%s\n' "${t_rss[@]}" | median) | $(printf '%s\n' "${t_pss[@]}" | median) | $sum |"
    fi
    for i in $(seq 1 "$together"); do stop_server "${pids[$((i - 1))]}" "" $((18100 + i)); done
  done
fi

echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo); load average at the start: $load_before"
echo "Java: $("${JAVA_HOME:+$JAVA_HOME/bin/}java" -version 2>&1 | head -n 1)"
echo
echo "| server | start to ready, median ms | range ms | idle RSS 5 s after ready, median MB | idle PSS, median MB | RSS after load MB | load s ($users users) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
if [[ -n "$together_row" ]]; then
  echo
  echo "| Vestibules at once | idle RSS each, median MB | idle PSS each, median MB | PSS of all, MB |"
  echo "|---:|---:|---:|---:|"
  echo "$together_row"
fi
