import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const PACKAGES = fileURLToPath(new URL('../../', import.meta.url));
const HERE = fileURLToPath(new URL('../', import.meta.url));

const versionAt = (file: string): string => {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
};

const quietly = async (f: () => Promise<string>): Promise<string> => {
  try {
    return await f();
  } catch (error) {
    return `unknown (${(error as Error).message.split('\n')[0]})`;
  }
};

/** The versions the figures were measured with: packages, drivers, servers, Node. */
export const collectVersions = async (): Promise<Record<string, string>> => {
  const versions: Record<string, string> = { node: process.version };
  for (const dir of [
    'core',
    'storage-sqlite',
    'storage-postgres',
    'storage-redis',
    'storage-s3',
    'storage-windmill',
  ]) {
    const name = (JSON.parse(readFileSync(`${PACKAGES}${dir}/package.json`, 'utf8')) as { name: string })
      .name;
    versions[name] = versionAt(`${PACKAGES}${dir}/package.json`);
  }
  for (const driver of ['better-sqlite3', 'pg', 'ioredis', '@aws-sdk/client-s3', 'fast-check']) {
    versions[`${driver} (driver)`] = versionAt(`${HERE}node_modules/${driver}/package.json`);
  }
  // The Windmill client the adapter is built and tested with (a peer dependency of the adapter).
  versions['windmill-client (driver)'] = versionAt(
    `${PACKAGES}storage-windmill/node_modules/windmill-client/package.json`,
  );
  versions['SQLite (server)'] = await quietly(async () => {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(':memory:');
    const row = db.prepare('select sqlite_version() as v').get() as { v: string };
    db.close();
    return row.v;
  });
  versions['PostgreSQL (server)'] = await quietly(async () => {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: process.env.TEST_POSTGRES_URL });
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    await client.end();
    return rows[0]!.server_version;
  });
  versions['Redis (server)'] = await quietly(async () => {
    const { Redis } = await import('ioredis');
    const redis = new Redis(process.env.TEST_REDIS_URL ?? '', { lazyConnect: true });
    await redis.connect();
    const info = await redis.info('server');
    redis.disconnect();
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  });
  versions['Ceph RGW (S3 server)'] = await quietly(async () => {
    const { stdout } = await promisify(execFile)('radosgw', ['--version']);
    return stdout.trim().replace(/^ceph version /, '');
  });
  return versions;
};
