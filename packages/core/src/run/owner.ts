/*
 * Owner tokens: `<identity>:<random UUID>`, one per load. The random part makes each load's token
 * unique (the storage contract relies on it); the identity says who holds the run, so that a
 * process meeting a live lease can ask whether its holder is gone (see `liveness.ts`).
 *
 * An identity is `dx` by default, or a readable `ownerPrefix`, or what a liveness check writes:
 * `<kind>:<field>:…`, every part percent-encoded so that no part contains `:`, and so parsed back
 * exactly. Examples: `host:<hostname>:<boot id>:<pid namespace>:<pid>:<start ticks>` (the same-host
 * check of `@td7x/durable-x/node`), `wm:<job id>` (Windmill), `exec:<executor id>:<incarnation>`.
 */

const NONCE = /:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A new token for one load. */
export const newOwnerToken = (identity: string): string => `${identity}:${crypto.randomUUID()}`;

/** An identity of `kind` and `fields`, as a liveness check writes it into its owner tokens. */
export const ownerIdentity = (kind: string, ...fields: readonly string[]): string =>
  [kind, ...fields].map(encodeURIComponent).join(':');

/** An owner token read back: its identity, and that identity's kind and fields. */
export interface ParsedOwner {
  /** Everything before the random part. */
  readonly identity: string;
  readonly kind: string;
  readonly fields: readonly string[];
}

/**
 * Reads an owner token back; undefined for a token not made by `load` (no random UUID at its end)
 * or whose parts are not valid percent-encoding.
 */
export const parseOwner = (owner: string): ParsedOwner | undefined => {
  if (!NONCE.test(owner)) return undefined;
  const identity = owner.slice(0, -37);
  try {
    const [kind = '', ...fields] = identity.split(':').map(decodeURIComponent);
    return { identity, kind, fields };
  } catch {
    return undefined; // a malformed %-sequence: some other writer's prefix
  }
};
