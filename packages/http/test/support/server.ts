import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { STORAGE_OPERATIONS, type Storage } from '@td7x/durable-x';
import { migrate, pgExecute, postgresStorage } from '@td7x/durable-x-postgres';
import { uniqueSchemaName } from '@td7x/testing';
import type { Hono } from 'hono';
import pg from 'pg';

/** A schema of our own on the shared Postgres, with the adapter's tables. */
export const freshStorage = async (label: string) => {
  const url = process.env.TEST_POSTGRES_URL;
  if (!url) throw new Error('TEST_POSTGRES_URL is not set: test/global-setup.ts should have resolved it');
  const schema = uniqueSchemaName(`dx_http_${label}`);
  const pool = new pg.Pool({ connectionString: url, max: 8 });
  pool.on('error', () => {});
  await migrate(pgExecute(pool), { schema });
  return {
    storage: postgresStorage({ pool, schema }),
    close: async () => {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    },
  };
};

/** Serves `app` on a free loopback port with Node's HTTP server; `url` is its base. */
export const listen = async (app: Hono<never>) => {
  let server: ReturnType<typeof serve> | undefined;
  const { port } = await new Promise<AddressInfo>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, resolve);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server?.close(() => done());
        (server as { closeAllConnections?: () => void } | undefined)?.closeAllConnections?.();
      }),
  };
};

/** A gate the test opens: `wait()` blocks until `open()`. */
export const gate = () => {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait: () => opened, open: () => open() };
};

/** Resolves the next time `signal()` is called. */
export const latch = () => {
  let resolve: () => void = () => {};
  let promise = new Promise<void>((r) => {
    resolve = r;
  });
  return {
    next: () => promise,
    signal: () => {
      resolve();
      promise = new Promise<void>((r) => {
        resolve = r;
      });
    },
  };
};

/**
 * The storage as a process that dies sees it: once `kill()` is called, every call it makes fails
 * and reaches nothing, as if the process were gone (its lease is no longer renewed).
 */
export const killable = (storage: Storage) => {
  let dead = false;
  const wrapped: Record<string, unknown> = { ...storage };
  for (const op of STORAGE_OPERATIONS) {
    const method = storage[op] as (...args: unknown[]) => Promise<unknown>;
    wrapped[op] = (...args: unknown[]) =>
      dead ? Promise.reject(new Error('this process is dead')) : method.apply(storage, args);
  }
  return { storage: wrapped as unknown as Storage, kill: () => (dead = true) };
};

/** Polls `condition` (a storage read) until it holds; fails after `ms`. */
export const until = async (condition: () => Promise<boolean>, ms = 5_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
