#!/usr/bin/env bash
# `npm run demo`: install from the frozen lockfile, build the two packages the demo imports, and run
# it as a user would (plain JavaScript on the built packages). Needs only Node 20+ and npm.
# `npm run demo:host` (argument `host`) runs the host example instead of the crash demo.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/toolchain.sh # PNPM (the pinned pnpm) and npm_config_nodedir for better-sqlite3

echo "[demo] installing (the first install compiles better-sqlite3 from source: about 1.5 minutes)"
"${PNPM[@]}" install --frozen-lockfile
echo "[demo] building @td7x/durable-x and @td7x/durable-x-sqlite"
"${PNPM[@]}" turbo run build --filter=@td7x/demo... --output-logs=errors-only
echo
node "examples/demo/src/${1:-main}.mjs"
