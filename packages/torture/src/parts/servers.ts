/**
 * A storage server this campaign may break and repair, by backend. Postgres and Redis are
 * PRIVATE servers (own port and data dir, durable settings), started with the helpers of @td7x/testing that the
 * adapter tests use too, so killing them disturbs nobody. S3 has no private server (a second Ceph RGW
 * is too heavy for this machine): its outage is every connection to the shared RGW refused by a
 * TCP proxy in front of it, the helper the S3 adapter's outage tests use. Windmill's outage is the
 * Postgres database behind the Windmill API stand-in (a private server too) going down.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPrivatePostgres } from '@td7x/testing/private-postgres';
import { startPrivateRedis } from '@td7x/testing/private-redis';
import { startProxy } from '@td7x/testing/tcp-proxy';
import type { BackendName } from '../backends/open.ts';

export interface BreakableServer {
  /** Where clients connect (`server.url` for createNamespace). */
  readonly url: string;
  /** What an outage is on this backend, for the report. */
  readonly outage: string;
  breakNow(): Promise<void>;
  repair(): Promise<void>;
  close(): Promise<void>;
}

export const startBreakableServer = async (backend: BackendName): Promise<BreakableServer | undefined> => {
  switch (backend) {
    case 'postgres': {
      const pg = await startPrivatePostgres();
      return {
        url: pg.url,
        outage: 'private postgres crash-stopped (pg_ctl stop -m immediate), then restarted',
        breakNow: async () => void (await pg.stopImmediately()),
        repair: async () => void (await pg.restart()),
        close: pg.close,
      };
    }
    case 'redis': {
      const dir = mkdtempSync(join(tmpdir(), 'dx-torture-redis-'));
      const redis = await startPrivateRedis(dir);
      return {
        url: redis.url,
        outage: 'private redis-server (AOF, appendfsync always) SIGKILLed, then restarted',
        breakNow: redis.kill,
        repair: redis.restart,
        close: redis.close,
      };
    }
    case 's3': {
      const target = process.env.TEST_S3_ENDPOINT;
      if (!target) throw new Error('torture: TEST_S3_ENDPOINT is not set');
      const proxy = await startProxy(target);
      return {
        url: proxy.endpoint,
        outage: 'every connection to the RGW refused by a TCP proxy, open ones cut, then let through',
        breakNow: async () => proxy.setMode('refuse'),
        repair: async () => proxy.setMode('pass'),
        close: proxy.close,
      };
    }
    case 'windmill': {
      // The data table's database lives on a PRIVATE Postgres; createNamespace puts the loopback
      // stand-in of Windmill's API in front of it (server.url), so the client, the stand-in and
      // the adapter are the ones the kill trials use: only the database goes away.
      const pg = await startPrivatePostgres();
      return {
        url: pg.url,
        outage:
          "private postgres behind the Windmill API stand-in crash-stopped (pg_ctl stop -m immediate), then restarted; the client sees the stand-in's HTTP 500s",
        breakNow: async () => void (await pg.stopImmediately()),
        repair: async () => void (await pg.restart()),
        close: pg.close,
      };
    }
    // SQLite has no server.
    case 'sqlite':
      return undefined;
  }
};
