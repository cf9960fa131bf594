#!/usr/bin/env bash
# `npm test`: install from the frozen lockfile, start the real servers the tests need (Postgres,
# Redis, S3 via Ceph RGW; installed from Debian packages when missing), then typecheck, lint,
# build, check the published shape, and run every test. The servers are stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/toolchain.sh

"${PNPM[@]}" install --frozen-lockfile

export SERVICES_DIR=${SERVICES_DIR:-${TMPDIR:-/tmp}/durable-x-services}
trap 'bash scripts/stop-services.sh' EXIT
bash scripts/start-services.sh
# shellcheck disable=SC1091
. "$SERVICES_DIR/env"

node scripts/import-cycles.mjs
# Two cores: two tasks at a time keeps the crash and race tests (many child processes) honest.
"${PNPM[@]}" turbo run typecheck lint build check test --concurrency=2 --continue "$@"
echo "durable-x: typecheck, lint, build, check and test passed"
