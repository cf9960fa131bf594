# Sourced by scripts/demo.sh and scripts/test.sh. Needs only Node and npm on the machine.
#  - PNPM: the pinned pnpm (package.json "packageManager"): the one on PATH when it is that
#    version, else fetched once by npx. (corepack is not used: it fails signature checks here.)
#  - npm_config_nodedir: better-sqlite3 compiles from source where its prebuilt binary cannot be
#    downloaded, and node-gyp then downloads Node's headers too; point it at the headers the
#    machine already has when they match the running Node. pnpm 12 reads this only from the
#    environment, not from .npmrc.
PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; then
  PNPM=(pnpm)
else
  PNPM=(npx --yes "pnpm@$PNPM_VERSION")
fi
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_version.h ]; then
  headers=$(awk '/#define NODE_(MAJOR|MINOR|PATCH)_VERSION/ { v = v (v ? "." : "") $3 } END { print v }' \
    /usr/include/node/node_version.h)
  if [ "v$headers" = "$(node --version)" ]; then export npm_config_nodedir=/usr; fi
fi
export TURBO_TELEMETRY_DISABLED=1
export DO_NOT_TRACK=1
