#!/usr/bin/env bash
# `npm run sim`: the deterministic simulation's long sweep (100 000 schedules on the reference
# storage by default; about 10 minutes on 2 cores). Extra arguments go to the simulation, e.g.
# `npm run sim -- --schedules 2000 --backend postgres` (real backends need the test servers:
# scripts/start-services.sh, or `npm test` once). See packages/torture/src/sim/cli.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/toolchain.sh
export SERVICES_DIR=${SERVICES_DIR:-${TMPDIR:-/tmp}/durable-x-services}
# shellcheck disable=SC1091
[ -f "$SERVICES_DIR/env" ] && . "$SERVICES_DIR/env"
"${PNPM[@]}" install --frozen-lockfile >/dev/null
"${PNPM[@]}" --filter @td7x/torture sim "$@"
