#!/usr/bin/env bash
# Start throw-away servers for the integration tests, on loopback only:
#   postgres  PostgreSQL 15, private data dir, trust auth, no fsync (PG_DURABLE=1: fsync + synchronous_commit on)
#   redis     Redis 7, no persistence
#   s3        Ceph RGW 16 (a real S3 with conditional writes): 1 mon + 1 memstore OSD + radosgw
# Missing Debian packages are installed (needs root). Writes $SERVICES_DIR/env; `source` it before running tests.
#
#   SERVICES="postgres redis s3"   which ones to start (default: all)
#   SERVICES_DIR                   state dir (default ${TMPDIR:-/tmp}/durable-x-services)
#   PG_PORT REDIS_PORT RGW_PORT MON_PORT   ports (defaults 55432 56379 57480 56789: away from the usual ones)
#   PG_DURABLE=1                   Postgres with fsync/synchronous_commit/full_page_writes on (benchmarks)
#
# Starting a service first stops the same service left over in the same SERVICES_DIR; a port held by
# anything else is refused with a message (we never kill what we did not start).
set -euo pipefail

SERVICES=${SERVICES:-postgres redis s3}
SERVICES_DIR=${SERVICES_DIR:-${TMPDIR:-/tmp}/durable-x-services}
PG_PORT=${PG_PORT:-55432}
REDIS_PORT=${REDIS_PORT:-56379}
RGW_PORT=${RGW_PORT:-57480}
MON_PORT=${MON_PORT:-56789}
PG_DURABLE=${PG_DURABLE:-0}
S3_ACCESS_KEY=${S3_ACCESS_KEY:-testkey}
S3_SECRET_KEY=${S3_SECRET_KEY:-testsecret}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
HERE=$(cd "$(dirname "$0")" && pwd)

T0=$(date +%s%N)
t() { echo "[services +$((($(date +%s%N) - T0) / 1000000))ms] $*"; }
die() { echo "start-services: $*" >&2; exit 1; }
wants() { [[ " $SERVICES " == *" $1 "* ]]; }
# wait_for <what> <tries> <sleep> <command...>: poll until the command succeeds, else fail loudly
wait_for() {
  local what=$1 n=$2 s=$3; shift 3
  for _ in $(seq 1 "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep "$s"; done
  die "$what did not come up (logs in $SERVICES_DIR)"
}
port_busy() {
  if command -v ss >/dev/null; then
    ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
  fi
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
require_free() {
  port_busy "$2" && die "port $2 ($1) is already in use by another process. Choose a free one, e.g. $3=$(($2 + 1000)) bash $0"
  return 0
}

for s in $SERVICES; do
  case $s in postgres | redis | s3) ;; *) die "unknown service '$s' (known: postgres redis s3)" ;; esac
done

# --- Debian packages (idempotent; ~35 s once on a fresh machine) ---
need=()
wants postgres && { [ -x "$PGBIN/postgres" ] || need+=(postgresql-15); }
wants redis && { command -v redis-server >/dev/null || need+=(redis-server); }
wants s3 && { command -v radosgw >/dev/null || need+=(ceph-mon ceph-osd radosgw ceph-common); }
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing packages ${need[*]}: run as root, or: sudo apt-get install -y ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  t "installed ${need[*]}"
fi

mkdir -p "$SERVICES_DIR/env.d"
# initdb and postgres run as the postgres user when we are root: it must be able to reach its data dir.
[ "$(id -u)" = 0 ] && chmod a+x "$SERVICES_DIR"
# Stop our own leftovers of the services we are about to start (they would hold the ports).
SERVICES="$SERVICES" SERVICES_DIR="$SERVICES_DIR" bash "$HERE/stop-services.sh"
wants postgres && require_free postgres "$PG_PORT" PG_PORT
wants redis && require_free redis "$REDIS_PORT" REDIS_PORT
wants s3 && { require_free rgw "$RGW_PORT" RGW_PORT; require_free ceph-mon "$MON_PORT" MON_PORT; }

# Run a command as the postgres user when we are root (initdb refuses root), else as ourselves.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_postgres() {
  local PGDATA="$SERVICES_DIR/pg" sync_opts
  rm -rf "$PGDATA"; mkdir -p "$PGDATA"; chmod 700 "$PGDATA"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDATA"
  if [ "$PG_DURABLE" = 1 ]; then
    as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 >/dev/null
    sync_opts="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
  else
    as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
    sync_opts="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  fi
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -s \
    -o "-p $PG_PORT -k $PGDATA -c listen_addresses=127.0.0.1 $sync_opts -c max_connections=300" start
  head -1 "$PGDATA/postmaster.pid" >"$SERVICES_DIR/postgres.pid"
  echo "export TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$PG_PORT/postgres" >"$SERVICES_DIR/env.d/postgres"
  t "postgres up on $PG_PORT (durable=$PG_DURABLE)"
}

start_redis() {
  rm -rf "$SERVICES_DIR/redis"; mkdir -p "$SERVICES_DIR/redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --dir "$SERVICES_DIR/redis" --pidfile "$SERVICES_DIR/redis.pid" --logfile "$SERVICES_DIR/redis/redis.log"
  wait_for redis 100 0.05 redis-cli -p "$REDIS_PORT" ping
  echo "export TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0" >"$SERVICES_DIR/env.d/redis"
  t "redis up on $REDIS_PORT"
}

start_s3() {
  local D="$SERVICES_DIR/ceph" FSID OSD_UUID OSD_KEY OSD_ID C
  rm -rf "$D"; mkdir -p "$D"/{run,log,mon.a,osd0}
  FSID=$(cat /proc/sys/kernel/random/uuid)
  # cephx stays on (with auth none the OSD sends a zero fsid and exits); the fast paxos interval turns
  # ~1 s per `ceph osd` call into ~50 ms; tcp_nodelay keeps error responses at ~4 ms instead of ~45 ms.
  cat >"$D/ceph.conf" <<CONF
[global]
fsid = $FSID
mon host = v1:127.0.0.1:$MON_PORT
ms bind ipv6 = false
ms bind msgr2 = false
public addr = 127.0.0.1
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
pid file = $D/run/\$name.pid
keyring = $D/keyring
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 5
mon data avail crit = 1
paxos propose interval = 0.05
paxos min wait = 0.01
mon data = $D/mon.\$id
osd data = $D/osd\$id
osd objectstore = memstore
memstore device bytes = ${MEMSTORE_BYTES:-1073741824}
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw dns name = localhost
CONF
  C=(-c "$D/ceph.conf")
  ceph-authtool --create-keyring "$D/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$D/keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
  # A mon off port 6789 must be an explicit v1 address, else every client hangs on auth.
  monmaptool --create --clobber --fsid "$FSID" --addv a "[v1:127.0.0.1:$MON_PORT]" "$D/monmap" >/dev/null
  ceph-mon "${C[@]}" --mkfs -i a --monmap "$D/monmap" --keyring "$D/keyring"
  ceph-mon "${C[@]}" -i a
  cp "$D/run/mon.a.pid" "$SERVICES_DIR/ceph-mon.a.pid" 2>/dev/null || true
  OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
  OSD_KEY=$(ceph-authtool --gen-print-key)
  echo "{\"cephx_secret\": \"$OSD_KEY\"}" >"$D/osd-secret.json"
  OSD_ID=$(timeout 60 ceph "${C[@]}" osd new "$OSD_UUID" -i "$D/osd-secret.json")
  ceph-authtool "$D/keyring" -n "osd.$OSD_ID" --add-key "$OSD_KEY" >/dev/null
  ceph-osd "${C[@]}" -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" 2>>"$D/log/osd-mkfs.log"
  ceph-osd "${C[@]}" -i "$OSD_ID" 2>>"$D/log/osd-start.log"
  wait_for "ceph osd" 120 0.5 sh -c "timeout 10 ceph -c '$D/ceph.conf' osd stat | grep -q '1 up'"
  cp "$D/run/osd.$OSD_ID.pid" "$SERVICES_DIR/ceph-osd.$OSD_ID.pid"
  # Pre-creating the rgw pools in parallel saves ~2 s on the first request.
  for p in .rgw.root default.rgw.log default.rgw.control default.rgw.meta default.rgw.buckets.index \
    default.rgw.buckets.data default.rgw.buckets.non-ec; do
    (timeout 60 ceph "${C[@]}" osd pool create "$p" 8 >/dev/null 2>&1 &&
      timeout 60 ceph "${C[@]}" osd pool application enable "$p" rgw >/dev/null 2>&1) &
  done
  wait
  timeout 60 ceph "${C[@]}" auth get-or-create client.rgw mon 'allow rw' osd 'allow rwx' >>"$D/keyring"
  radosgw "${C[@]}" -n client.rgw
  wait_for radosgw 240 0.25 curl -fsS -o /dev/null "http://127.0.0.1:$RGW_PORT/"
  cp "$D/run/client.rgw.pid" "$SERVICES_DIR/ceph-client.rgw.pid"
  timeout 60 radosgw-admin "${C[@]}" user create --uid=test --display-name=test \
    --access-key="$S3_ACCESS_KEY" --secret="$S3_SECRET_KEY" >/dev/null
  cat >"$SERVICES_DIR/env.d/s3" <<ENV
export TEST_S3_ENDPOINT=http://127.0.0.1:$RGW_PORT
export TEST_S3_ACCESS_KEY=$S3_ACCESS_KEY
export TEST_S3_SECRET_KEY=$S3_SECRET_KEY
export TEST_S3_REGION=us-east-1
ENV
  t "s3 (ceph rgw) up on $RGW_PORT"
}

wants postgres && start_postgres
wants redis && start_redis
wants s3 && start_s3

# The env file lists every service currently started from this SERVICES_DIR.
cat "$SERVICES_DIR"/env.d/* >"$SERVICES_DIR/env" 2>/dev/null || : >"$SERVICES_DIR/env"
t "done: source $SERVICES_DIR/env"
