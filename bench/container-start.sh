#!/usr/bin/env bash
# Start-to-ready and idle memory of the Complement image's containers, started as Complement starts
# them (README.md, "Complement"): created, given a CA in /complement/ca, started, ready when
# /_matrix/client/versions answers 200 on the published port (polled every 20 ms).
#
#   bench/container-start.sh [--image=complement-vestibule] [--runs=5] [--at-once=1]
#
# --at-once starts that many containers together (a Complement test with several homeservers). Each
# run's containers are removed after it. Prints, per run, each container's ready time, then 5 s
# later its memory as Docker counts it (the cgroup's, less the file cache) and the RSS and PSS of its
# processes (the JVM and PostgreSQL), then the medians. Needs the image (interop/complement/run build).
set -euo pipefail
image=complement-vestibule runs=5 at_once=1
for arg in "$@"; do
  case "$arg" in
    --image=*) image=${arg#*=} ;;
    --runs=*) runs=${arg#*=} ;;
    --at-once=*) at_once=${arg#*=} ;;
    *) echo "usage: $0 [--image=NAME] [--runs=N] [--at-once=N]" >&2; exit 2 ;;
  esac
done
docker image inspect "$image" >/dev/null 2>&1 || { echo "no image $image: interop/complement/run build" >&2; exit 1; }

work=$(mktemp -d)
net=bench-$$
cleanup() { docker rm -f $(docker ps -aq --filter "label=vestibule-bench=$$") >/dev/null 2>&1 || true
            docker network rm "$net" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
openssl genrsa -traditional -out "$work/ca.key" 4096 2>/dev/null
openssl req -x509 -new -key "$work/ca.key" -subj "/CN=Complement Test CA" -days 2 \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,digitalSignature,cRLSign" \
  -addext "extendedKeyUsage=serverAuth" -out "$work/ca.crt"
chmod 644 "$work/ca.key"
docker network create "$net" >/dev/null

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
kb() { awk -v f="$2" '$1 == f":" {s += $2} END {print s + 0}' "$1"; }

ready_all=() mem_all=() rss_all=() pss_all=()
printf '%-4s %-4s %10s %14s %10s %10s\n' run hs ready_ms docker_mem_MiB rss_MB pss_MB
for run in $(seq "$runs"); do
  names=()
  for i in $(seq "$at_once"); do
    name=bench-$$-$run-hs$i
    docker create --name "$name" --label "vestibule-bench=$$" --publish-all --network "$net" --network-alias "hs$i" \
      --add-host host.docker.internal:host-gateway -e "SERVER_NAME=hs$i" "$image" >/dev/null
    docker cp "$work/ca.crt" "$name:/complement/ca/ca.crt" && docker cp "$work/ca.key" "$name:/complement/ca/ca.key"
    names+=("$name")
  done
  started=$(now_ms)
  docker start "${names[@]}" >/dev/null
  declare -A ready=()
  declare -A url=()
  for name in "${names[@]}"; do url[$name]="http://127.0.0.1:$(docker port "$name" 8008/tcp | head -1 | sed 's/.*://')/_matrix/client/versions"; done
  while (( ${#ready[@]} < ${#names[@]} )); do
    for name in "${names[@]}"; do
      [[ -n "${ready[$name]:-}" ]] && continue
      curl -sf -o /dev/null --max-time 1 "${url[$name]}" && ready[$name]=$(( $(now_ms) - started ))
    done
    (( $(now_ms) - started > 60000 )) && { echo "not ready within 60 s" >&2; docker logs --tail 30 "${names[0]}" >&2; exit 1; }
    sleep 0.02
  done
  sleep 5
  for i in "${!names[@]}"; do
    name=${names[$i]}
    mem=$(docker stats --no-stream --format '{{.MemUsage}}' "$name" | awk '{v=$1; u=v; sub(/[0-9.]+/, "", u); sub(/[A-Za-z]+/, "", v);
          print (u == "GiB" ? v * 1024 : (u == "KiB" || u == "kB" ? v / 1024 : v))}')
    rss=0 pss=0
    for pid in $(docker top "$name" -eo pid | tail -n +2); do
      [[ -r /proc/$pid/smaps_rollup ]] || continue
      rss=$(( rss + $(kb /proc/$pid/smaps_rollup Rss) )) pss=$(( pss + $(kb /proc/$pid/smaps_rollup Pss) ))
    done
    printf '%-4s %-4s %10d %14.1f %10d %10d\n' "$run" "hs$((i + 1))" "${ready[$name]}" "$mem" $(( rss / 1000 )) $(( pss / 1000 ))
    ready_all+=("${ready[$name]}") mem_all+=("$mem") rss_all+=($(( rss / 1000 ))) pss_all+=($(( pss / 1000 )))
  done
  docker rm -f "${names[@]}" >/dev/null
  unset ready url
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
range() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo "–" hi}'; }
echo
echo "| image | containers at once | ready after docker start, median ms | range ms | idle memory (docker), median MiB | idle RSS / PSS of its processes, median MB |"
echo "|---|---:|---:|---:|---:|---:|"
echo "| $image | $at_once | $(median "${ready_all[@]}") | $(range "${ready_all[@]}") | $(median "${mem_all[@]}") | $(median "${rss_all[@]}") / $(median "${pss_all[@]}") |"
