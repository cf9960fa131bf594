#!/usr/bin/env bash
# Stop what start-services.sh started, by pid file only (never by name: other servers may run here).
#   SERVICES="postgres redis s3" (default all), SERVICES_DIR as for start-services.sh.
# Ceph daemons get SIGKILL (memstore: the state is thrown away anyway, and a graceful OSD stop takes ~7 s);
# postgres gets SIGINT (fast shutdown), redis SIGTERM, then SIGKILL after 10 s.
set -uo pipefail
SERVICES=${SERVICES:-postgres redis s3}
SERVICES_DIR=${SERVICES_DIR:-${TMPDIR:-/tmp}/durable-x-services}
[ -d "$SERVICES_DIR" ] || exit 0

pids=()
stop_pidfile() { # <file> <signal>
  [ -f "$1" ] || return 0
  local pid
  pid=$(head -1 "$1")
  rm -f "$1"
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  kill "-$2" "$pid" 2>/dev/null && pids+=("$pid")
  return 0
}

for s in $SERVICES; do
  case $s in
  postgres) stop_pidfile "$SERVICES_DIR/postgres.pid" INT ;; # fast shutdown: TERM would wait for clients to leave
  redis) stop_pidfile "$SERVICES_DIR/redis.pid" TERM ;;
  s3) for f in "$SERVICES_DIR"/ceph-*.pid; do stop_pidfile "$f" KILL; done ;;
  *) echo "stop-services: unknown service '$s'" >&2 ;;
  esac
  rm -f "$SERVICES_DIR/env.d/$s"
done

for pid in "${pids[@]}"; do
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
done

if [ -d "$SERVICES_DIR/env.d" ]; then
  cat "$SERVICES_DIR"/env.d/* >"$SERVICES_DIR/env" 2>/dev/null || : >"$SERVICES_DIR/env"
fi
exit 0
