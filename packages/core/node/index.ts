/**
 * `@td7x/durable-x/node`: what needs the host's process table (Node, Bun, Deno), kept out of the
 * core, which runs on Web APIs alone. Pass its check to `load`:
 *   load(storage, { liveness: sameHostLiveness() })
 */
export { sameHostLiveness } from './same-host.ts';
