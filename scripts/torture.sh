#!/usr/bin/env bash
# `npm run torture`: the full torture campaign (SIGKILLs at every storage call, outages, races,
# fuzzing) on every backend; writes docs/reliability.md. Extra arguments go to the campaign
# (e.g. `npm run torture -- --backends sqlite,redis --kills 100`; see packages/torture/src/campaign.ts).
# Servers already running (from scripts/start-services.sh) are reused, never restarted: other
# processes may be using them. Only servers this script starts are stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/toolchain.sh

export SERVICES_DIR=${SERVICES_DIR:-${TMPDIR:-/tmp}/durable-x-services}

# port_answers URL: true when something accepts TCP connections at the URL's host:port.
port_answers() {
  local hostport=${1#*://}
  hostport=${hostport#*@}
  hostport=${hostport%%/*}
  (exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}") 2>/dev/null
}

running() {
  [ -f "$SERVICES_DIR/env" ] || return 1
  # shellcheck disable=SC1091
  . "$SERVICES_DIR/env"
  port_answers "${TEST_POSTGRES_URL:-}" && port_answers "${TEST_REDIS_URL:-}" && port_answers "${TEST_S3_ENDPOINT:-}"
}

if ! running; then
  trap 'bash scripts/stop-services.sh' EXIT
  bash scripts/start-services.sh
fi
# shellcheck disable=SC1091
. "$SERVICES_DIR/env"

"${PNPM[@]}" --filter @td7x/torture campaign "$@"
