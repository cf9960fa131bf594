/**
 * Test-only helpers of this repository (private package, never published).
 *
 * The root export is what most test files need and loads no driver. Servers a test may break are
 * subpath exports, one concept each, so importing one loads only its own driver:
 *   - `@td7x/testing/private-postgres`  a PostgreSQL of the caller's own (crash-stop, freeze, restart)
 *   - `@td7x/testing/private-redis`     a redis-server of the caller's own (SIGKILL, restart)
 *   - `@td7x/testing/s3-proxy`          a TCP proxy in front of an S3 server (refuse, lose a PUT's answer)
 *   - `@td7x/testing/process-suite`     the child-process crash suite
 */

export * from './crash/index.ts';
export * from './services.ts';
