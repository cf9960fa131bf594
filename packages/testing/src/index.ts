/**
 * Test-only helpers of this repository (private package, never published).
 *
 * The root export is what most test files and every vitest globalSetup need (where the servers
 * are, unique names, a free port, the ledger) and loads no driver and no other workspace package, so a
 * globalSetup works before anything is built. The crash harness is `@td7x/testing/crash`. Servers a test may break are
 * subpath exports, one concept each, so importing one loads only its own driver:
 *   - `@td7x/testing/private-postgres`  a PostgreSQL of the caller's own (crash-stop, freeze, restart)
 *   - `@td7x/testing/private-redis`     a redis-server of the caller's own (SIGKILL, restart)
 *   - `@td7x/testing/tcp-proxy`         a TCP proxy in front of a server (refuse, lose an answer so the driver resends)
 *   - `@td7x/testing/crash`             the crash harness: reference workflow, worker child, fault plans, scenarios
 *   - `@td7x/testing/process-suite`     the child-process crash suite every adapter runs
 *   - `@td7x/testing/reaper`            stops a server of the test's own if the test process dies first
 */

export { appendEffect, countEffects, type LedgerEntry, type LedgerKind, readLedger } from './crash/ledger.ts';
export type { OpenedStorage, StorageModule } from './crash/storage-module.ts';
export { freePort } from './free-port.ts';
export * from './services.ts';
