#!/usr/bin/env bash
# `pnpm bench`: start private, DURABLE servers (Postgres with fsync, synchronous_commit and
# full_page_writes on; Redis; Ceph RGW) in their own state dir and on their own ports, run
# packages/bench (prints a table per backend, regenerates docs/benchmarks.md, docs/benchmarks.svg
# and docs/benchmarks.json), then stop those servers. Never reuses the shared test servers: they
# run with fsync off, and other processes load them.
#
#   BENCH_SERVICES_DIR   state dir (default ${TMPDIR:-/tmp}/durable-x-bench)
#   BENCH_PG_PORT BENCH_REDIS_PORT BENCH_RGW_PORT BENCH_MON_PORT   (defaults 35432 36379 37480 36789)
#   BENCH_BACKENDS="sqlite postgres"  BENCH_SKIP="crash memory resume throughput"  BENCH_NO_WRITE=1
# A busy port is refused by start-services.sh with a message (we never stop what we did not start).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/toolchain.sh

export SERVICES_DIR=${BENCH_SERVICES_DIR:-${TMPDIR:-/tmp}/durable-x-bench}
export PG_DURABLE=1
export PG_PORT=${BENCH_PG_PORT:-35432}
export REDIS_PORT=${BENCH_REDIS_PORT:-36379}
export RGW_PORT=${BENCH_RGW_PORT:-37480}
export MON_PORT=${BENCH_MON_PORT:-36789}

trap 'bash scripts/stop-services.sh' EXIT
bash scripts/start-services.sh
# shellcheck disable=SC1091
. "$SERVICES_DIR/env"

"${PNPM[@]}" --filter @td7x/bench bench
