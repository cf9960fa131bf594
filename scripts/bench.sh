#!/usr/bin/env bash
# `pnpm bench`: start private, DURABLE servers (Postgres with fsync, synchronous_commit and
# full_page_writes on; Redis; Ceph RGW) in their own state dirs and on their own ports, run
# packages/bench (prints a table per backend, regenerates docs/benchmarks.md, docs/benchmarks.svg
# and docs/benchmarks.json), then stop those servers. Never reuses the shared test servers: they
# run with fsync off, and other processes load them.
#
# Two Postgres servers, both durable: the first keeps its data on a tmpfs (/dev/shm: a commit still
# fsyncs, and costs what a fast disk's would), the second on this machine's disk (every commit waits
# for it): the bench reports both, and the commit cost it measured on each.
#
#   BENCH_SERVICES_DIR         state dir of the first servers (default /dev/shm/durable-x-bench, else
#                              ${TMPDIR:-/tmp}/durable-x-bench)
#   BENCH_FSYNC_SERVICES_DIR   state dir of the disk Postgres (default ${TMPDIR:-/tmp}/durable-x-bench-fsync)
#   BENCH_PG_PORT BENCH_FSYNC_PG_PORT BENCH_REDIS_PORT BENCH_RGW_PORT BENCH_MON_PORT
#                              (defaults 35432 35433 36379 37480 36789)
#   BENCH_BACKENDS="sqlite postgres"  BENCH_SKIP="crash memory resume rerun throughput cpu scaling"
#   BENCH_NO_WRITE=1
# A busy port is refused by start-services.sh with a message (we never stop what we did not start).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/toolchain.sh

fast_default=${TMPDIR:-/tmp}/durable-x-bench
[ -d /dev/shm ] && [ -w /dev/shm ] && fast_default=/dev/shm/durable-x-bench
FAST_DIR=${BENCH_SERVICES_DIR:-$fast_default}
DISK_DIR=${BENCH_FSYNC_SERVICES_DIR:-${TMPDIR:-/tmp}/durable-x-bench-fsync}

export PG_DURABLE=1
export REDIS_PORT=${BENCH_REDIS_PORT:-36379}
export RGW_PORT=${BENCH_RGW_PORT:-37480}
export MON_PORT=${BENCH_MON_PORT:-36789}

stop_all() {
  SERVICES_DIR=$FAST_DIR bash scripts/stop-services.sh
  SERVICES=postgres SERVICES_DIR=$DISK_DIR bash scripts/stop-services.sh
}
trap stop_all EXIT
SERVICES_DIR=$FAST_DIR PG_PORT=${BENCH_PG_PORT:-35432} bash scripts/start-services.sh
SERVICES=postgres SERVICES_DIR=$DISK_DIR PG_PORT=${BENCH_FSYNC_PG_PORT:-35433} bash scripts/start-services.sh
# shellcheck disable=SC1091
. "$DISK_DIR/env"
export BENCH_FSYNC_POSTGRES_URL=$TEST_POSTGRES_URL
# shellcheck disable=SC1091
. "$FAST_DIR/env"

"${PNPM[@]}" --filter @td7x/bench bench
