/**
 * A storage server this campaign may break and repair, by backend. Postgres and Redis are
 * PRIVATE servers (own port and data dir, durable settings), started with the helpers the adapter
 * tests already use, so killing them disturbs nobody. S3 has no private server (a second Ceph RGW
 * is too heavy for this machine): its outage is every connection to the shared RGW refused by a
 * TCP proxy in front of it, the helper the S3 adapter's outage tests use.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPrivatePostgres } from '../../../storage-postgres/test/support/private-server.ts';
import { startPrivateRedis } from '../../../storage-redis/test/private-redis.ts';
import { startProxy } from '../../../storage-s3/test/proxy.ts';
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
        close: async () => {
          await redis.kill();
          rmSync(dir, { recursive: true, force: true });
        },
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
    // SQLite has no server. Windmill: stopping the Postgres behind the stand-in crashes the stand-in's
    // own process (a checked-out pg client has no 'error' listener in windmill-stand-in.ts), so
    // its outage is not run until that test support is fixed.
    case 'sqlite':
    case 'windmill':
      return undefined;
  }
};
