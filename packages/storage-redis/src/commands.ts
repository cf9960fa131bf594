/**
 * The only two Redis commands this package sends. Every storage operation is one Lua script, so
 * a client that can run scripts is enough: ioredis (see `ioredisClient`), node-redis, or an HTTP
 * client for edge workers such as `@upstash/redis` (whose `evalsha`/`eval` have exactly this
 * shape; create it with `automaticDeserialization: false` so replies stay strings).
 *
 * - `EVALSHA sha1 numkeys key… arg…`: runs a script the server has cached (the usual case).
 * - `EVAL script numkeys key… arg…`: sent only after a `NOSCRIPT` reply (a new, restarted or
 *   flushed server, or another cluster node); it also caches the script for the next EVALSHA.
 *
 * Both must resolve with the script's reply (nested arrays of strings and integers) and reject
 * on any error reply or connection failure.
 */
export interface RedisCommands {
  evalsha(sha1: string, keys: string[], args: string[]): Promise<unknown>;
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
}

/** A Lua script with its SHA-1, computed once with Web Crypto (no `node:` import). */
export interface Script {
  readonly source: string;
  sha1(): Promise<string>;
  /** The SHA-1 once computed (no promise to wait for on every call), else undefined. */
  readonly known: string | undefined;
}

export const script = (source: string): Script => {
  let digest: Promise<string> | undefined;
  let known: string | undefined;
  return {
    source,
    get known() {
      return known;
    },
    sha1: () => {
      digest ??= crypto.subtle.digest('SHA-1', new TextEncoder().encode(source)).then((bytes) => {
        known = [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
        return known;
      });
      return digest;
    },
  };
};

/** EVALSHA, and on `NOSCRIPT` one EVAL (which caches the script again). */
export const runScript = async (
  client: RedisCommands,
  lua: Script,
  keys: string[],
  args: string[],
): Promise<unknown> => {
  const sha1 = lua.known ?? (await lua.sha1());
  try {
    return await client.evalsha(sha1, keys, args);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    return client.eval(lua.source, keys, args);
  }
};

const isNoScript = (error: unknown): boolean =>
  /\bNOSCRIPT\b/i.test(error instanceof Error ? error.message : String(error));
