#!/usr/bin/env bash
# A real Synapse beside Vestibule for the interop suite: server name localhost:28448, client and
# federation API over plain HTTP on 127.0.0.1:28008, federation over TLS on 127.0.0.1:28448
# (self-signed). Configured for a test network by homeserver.yaml beside this script. Other ports
# (to run several side by side, each with its own VESTIBULE_SYNAPSE_DIR):
# VESTIBULE_SYNAPSE_PORT (TLS, and the server name's port) and VESTIBULE_SYNAPSE_CLIENT_PORT.
#
#   synapse.sh setup        install it (once per machine; kept in $VESTIBULE_SYNAPSE_DIR)
#   synapse.sh start        start it (setup first when needed) and wait until it answers
#   synapse.sh stop | restart | status | version
#   synapse.sh reset        stop, wipe its database and media, start fresh
#   synapse.sh forget NAME  clear Synapse's retry backoff for server NAME
#   synapse.sh backoff NAME [SECONDS]  make Synapse back off from server NAME (default a day)
#   synapse.sh log [N]      the last N lines of its log
#   synapse.sh ca           the paths of the test CA's certificate and key, which peers' certificates need
#   synapse.sh destroy      stop it and delete everything setup made
#   synapse.sh run CMD...   (chroot mode) run CMD inside the chroot
#
# Two ways to run it, chosen by VESTIBULE_SYNAPSE_MODE (default: docker when a Docker engine answers
# and has the image, or answers and this is not root; else chroot, so that an engine without a
# registry, as interop/complement/run installs, leaves the chroot in use):
#   docker  the official image (matrixdotorg/synapse), the 'synapse' profile of docker-compose.yml,
#           on the host network
#   chroot  Debian sid's matrix-synapse package in a chroot made with debootstrap from this
#           machine's Debian mirror; needs a Debian host and root
#
# VESTIBULE_SYNAPSE_DIR (default /var/tmp/vestibule-synapse) holds the chroot and Synapse's data,
# outside any clone, so that a machine that ran it once does not build it again.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
root=${VESTIBULE_SYNAPSE_DIR:-/var/tmp/vestibule-synapse}
tls_port=${VESTIBULE_SYNAPSE_PORT:-28448}
client_port=${VESTIBULE_SYNAPSE_CLIENT_PORT:-28008}
client_url=http://127.0.0.1:$client_port
image=$(sed -n 's/^ *image: *\(matrixdotorg\/synapse:.*\)$/\1/p' "$project/docker-compose.yml")

mode() {
  if [ -n "${VESTIBULE_SYNAPSE_MODE:-}" ]; then echo "$VESTIBULE_SYNAPSE_MODE"
  elif ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then echo chroot
  elif docker image inspect "$image" >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then echo docker
  else echo chroot; fi
}

# The data folder: /data inside the container or chroot.
data() { if [ "$(mode)" = docker ]; then echo "$root/data"; else echo "$root/sid/data"; fi; }

answering() { curl -sf "$client_url/_matrix/federation/v1/version" >/dev/null 2>&1; }

wait_up() {
  for _ in $(seq 240); do answering && return 0; sleep 0.5; done
  echo "Synapse did not answer on $client_url within 120 s; its log:" >&2
  tail -n 30 "$(data)/homeserver.log" >&2 2>/dev/null || true
  tail -n 30 "$root/synapse.out" >&2 2>/dev/null || true
  return 1
}

# ---- chroot mode ----

sid=$root/sid

mirror() {
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources
  else
    awk '/^deb / {print $2; exit}' /etc/apt/sources.list
  fi
}

in_sid() { chroot "$sid" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

mount_proc() { mountpoint -q "$sid/proc" || mount -t proc proc "$sid/proc"; }

chroot_setup() {
  [ "$(id -u)" = 0 ] || { echo "chroot mode needs root (debootstrap and chroot); or run a Docker engine" >&2; exit 1; }
  mkdir -p "$root"
  if [ -x "$sid/usr/bin/python3" ] && [ -f "$sid/usr/lib/python3/dist-packages/synapse/__init__.py" ]; then
    return 0
  fi
  command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
  if [ ! -x "$sid/usr/bin/apt-get" ]; then
    echo "debootstrap Debian sid into $sid (a few minutes, once)"
    rm -rf --one-file-system "$sid.partial"
    debootstrap --variant=minbase sid "$sid.partial" "$(mirror)" >"$root/debootstrap.log" 2>&1 ||
      { tail -5 "$root/debootstrap.log" >&2; exit 1; }
    mv "$sid.partial" "$sid"
  fi
  cp /etc/resolv.conf "$sid/etc/resolv.conf"
  mount_proc
  echo "installing matrix-synapse from Debian sid"
  in_sid bash -c 'export DEBIAN_FRONTEND=noninteractive; apt-get -o Acquire::Check-Valid-Until=false update -qq &&
    apt-get install -y -qq --no-install-recommends matrix-synapse openssl ca-certificates' >"$root/install.log" 2>&1 ||
    { tail -5 "$root/install.log" >&2; exit 1; }
}

chroot_pid() { # the Synapse of this chroot, found by its root directory
  local p
  for p in $(pgrep -f 'synapse.app.homeserver' || true); do
    [ "$(readlink -f "/proc/$p/root" 2>/dev/null)" = "$(readlink -f "$sid")" ] && { echo "$p"; return 0; }
  done
  return 1
}

chroot_start() {
  mount_proc
  chroot_pid >/dev/null && return 0
  (in_sid bash -c 'cd /data && exec python3 -m synapse.app.homeserver -c /data/homeserver.yaml' >>"$root/synapse.out" 2>&1 &)
}

chroot_stop() {
  local p; p=$(chroot_pid || true)
  [ -n "$p" ] || return 0
  kill "$p"
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$p" 2>/dev/null || true
}

# ---- docker mode ----

compose() { VESTIBULE_SYNAPSE_DIR=$root docker compose -f "$project/docker-compose.yml" --profile synapse "$@"; }

# ---- both ----

write_config() {
  local d; d=$(data)
  mkdir -p "$d"
  sed -e "s/28448/$tls_port/g" -e "s/28008/$client_port/g" "$here/homeserver.yaml" >"$d/homeserver.yaml"
  cp "$here/log.config" "$d/"
  # The test network's CA: it issues Synapse's certificate here, and the interop suite's Vestibule
  # servers get theirs from it too (synapse.sh ca), so each side checks the other's.
  if [ ! -f "$d/ca.crt" ] || [ ! -f "$d/ca.key" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" \
      -days 3650 -subj "/CN=Vestibule interop test CA" 2>/dev/null
    rm -f "$d/tls.crt"
  fi
  if [ ! -f "$d/tls.crt" ]; then
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/tls.key" -out "$d/tls.csr" \
      -subj "/CN=localhost" 2>/dev/null
    openssl x509 -req -in "$d/tls.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 3650 -out "$d/tls.crt" \
      -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n') 2>/dev/null
    rm -f "$d/tls.csr"
  fi
  if [ ! -f "$d/signing.key" ]; then
    if [ "$(mode)" = docker ]; then
      compose run --rm --no-deps --entrypoint python3 synapse -m synapse._scripts.generate_signing_key -o /data/signing.key
    else
      in_sid python3 -m synapse._scripts.generate_signing_key -o /data/signing.key
    fi
  fi
}

setup() {
  if [ "$(mode)" = docker ]; then compose pull -q synapse; else chroot_setup; fi
  write_config
}

start() {
  answering && { status; return 0; }
  setup
  if [ "$(mode)" = docker ]; then compose up -d synapse; else chroot_start; fi
  wait_up
  status
}

stop() { if [ "$(mode)" = docker ]; then compose stop synapse >/dev/null 2>&1 || true; else chroot_stop; fi; }

restart() { stop; start; }

status() { curl -s "$client_url/_matrix/federation/v1/version" || echo "synapse is down"; echo; }

version() { curl -sf "$client_url/_matrix/federation/v1/version" | sed -E 's/.*"version":"([^"]*)".*/\1/'; }

reset() { stop; rm -rf "$(data)"/homeserver.db* "$(data)/media_store" "$(data)/homeserver.log"; start; }

# Synapse backs off from a server that failed to answer (10 minutes after the first failure,
# doubling up to 7 days) and will not try it again meanwhile, not even for a client's join; only a
# request from that server resets it. forget clears that for one server; backoff sets it as if that
# server had just failed and Synapse were to wait SECONDS (default a day) before trying again, so a
# test need not stay down for the minutes that takes. Both restart Synapse, which caches them.
forget() {
  [ -n "${1:-}" ] || { echo "usage: $0 forget SERVER_NAME" >&2; exit 2; }
  retry_timings "$1" 0 0 ''
}

backoff() {
  [ -n "${1:-}" ] || { echo "usage: $0 backoff SERVER_NAME [SECONDS]" >&2; exit 2; }
  local now; now=$(( $(date +%s) * 1000 ))
  retry_timings "$1" "$now" $(( ${2:-86400} * 1000 )) "$now"
}

retry_timings() {
  local py="import sqlite3, sys
c = sqlite3.connect('/data/homeserver.db')
name, last, interval, failure = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] or None
c.execute('INSERT INTO destinations (destination, retry_last_ts, retry_interval, failure_ts) VALUES (?, ?, ?, ?) '
          'ON CONFLICT (destination) DO UPDATE SET retry_last_ts = excluded.retry_last_ts, '
          'retry_interval = excluded.retry_interval, failure_ts = excluded.failure_ts', (name, last, interval, failure))
c.commit()"
  stop
  if [ "$(mode)" = docker ]; then
    compose run --rm --no-deps --entrypoint python3 synapse -c "$py" "$@"
  else
    in_sid python3 -c "$py" "$@"
  fi
  start
}

log() { tail -n "${1:-100}" "$(data)/homeserver.log"; }

# The test CA's certificate and key (PEM), one path a line: setup makes them.
ca() { [ -f "$(data)/ca.key" ] || write_config; echo "$(data)/ca.crt"; echo "$(data)/ca.key"; }

destroy() {
  stop
  if [ "$(mode)" = docker ]; then
    compose rm -f synapse >/dev/null 2>&1 || true
  else
    if mountpoint -q "$sid/proc"; then umount "$sid/proc"; fi
    mountpoint -q "$sid/proc" && { echo "$sid/proc is still mounted; not deleting" >&2; exit 1; }
  fi
  rm -rf --one-file-system "$root"
}

run() { mount_proc; in_sid "$@"; }

cmd=${1:-status}
shift || true
case "$cmd" in
  setup|start|stop|restart|status|version|reset|forget|backoff|log|ca|destroy|run) "$cmd" "$@" ;;
  *) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
