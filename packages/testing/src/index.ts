/**
 * Test-only helpers of this repository (private package, never published).
 *
 * The root export is what most test files need and loads no driver. Servers a test may break are
 * subpath exports, one concept each, so importing one loads only its own driver:
 *   - `@td7x/testing/private-postgres`  a PostgreSQL of the caller's own (crash-stop, freeze, restart)
 *   - `@td7x/testing/private-redis`     a redis-server of the caller's own (SIGKILL, restart)
 *   - `@td7x/testing/tcp-proxy`         a TCP proxy in front of a server (refuse, lose an answer so the driver resends)
 *   - `@td7x/testing/windmill-stand-in` a loopback stand-in of Windmill's data table API on a real Postgres
 *   - `@td7x/testing/windmill-client`   points this process's windmill-client at a stand-in
 *   - `@td7x/testing/process-suite`     the child-process crash suite
 *   - `@td7x/testing/reaper`            stops a server of the test's own if the test process dies first
 */

export * from './crash/index.ts';
export * from './services.ts';
