/**
 * A step or cleanup function of the run while it runs: its user code may be producing an effect.
 * `parent` is the body it was called from (a step run inside another step's function).
 */
export interface Body {
  readonly key: string;
  readonly parent: Body | undefined;
}

/**
 * Which step or cleanup function a call of the core comes from. With an async context
 * (`AsyncLocalStorage`: Node, Bun, Deno, and workerd with `nodejs_compat`) this holds across
 * awaits, so a step that calls itself is caught and a nested step is never waited for by the call
 * it is blocked on. Without one, only the synchronous part of a function is known: the core still
 * works, with the bounded waits described in activity.ts.
 */
export interface BodyContext {
  /** True when `get` sees the body across awaits, not only in its synchronous part. */
  readonly tracksAsync: boolean;
  get(): Body | undefined;
  run<T>(body: Body | undefined, fn: () => T): T;
}

interface AsyncLocalStorageLike<T> {
  getStore(): T | undefined;
  run<R>(store: T, fn: () => R): R;
}

type AsyncLocalStorageClass = new <T>() => AsyncLocalStorageLike<T>;

/**
 * Found, never imported: the core has no `node:` import, so that it bundles for any runtime.
 * `getBuiltinModule` exists on Node ≥ 20.16, Bun and Deno; some runtimes expose a global.
 */
const findAsyncLocalStorage = (): AsyncLocalStorageClass | undefined => {
  const scope = globalThis as {
    AsyncLocalStorage?: AsyncLocalStorageClass;
    process?: {
      getBuiltinModule?: (id: string) => { AsyncLocalStorage?: AsyncLocalStorageClass } | undefined;
    };
  };
  if (typeof scope.AsyncLocalStorage === 'function') return scope.AsyncLocalStorage;
  try {
    return scope.process?.getBuiltinModule?.('node:async_hooks')?.AsyncLocalStorage;
  } catch {
    return undefined;
  }
};

const asyncContext = (Storage: AsyncLocalStorageClass): BodyContext => {
  const storage = new Storage<Body | undefined>();
  return { tracksAsync: true, get: () => storage.getStore(), run: (body, fn) => storage.run(body, fn) };
};

/** The synchronous part only: set while the function is called, restored when it returns. */
const syncContext = (): BodyContext => {
  let current: Body | undefined;
  return {
    tracksAsync: false,
    get: () => current,
    run: (body, fn) => {
      const outer = current;
      current = body;
      try {
        return fn();
      } finally {
        current = outer;
      }
    },
  };
};

const found = findAsyncLocalStorage();

export const bodyContext: BodyContext = found ? asyncContext(found) : syncContext();
