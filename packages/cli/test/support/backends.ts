import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Storage } from '@td7x/durable-x';
import { startStandIn, useStandIn } from '@td7x/durable-x-windmill/local';
import { uniqueBucketName, uniqueKeyPrefix, uniqueSchemaName } from '@td7x/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { openStorage } from '../../src/target/open.ts';
import { parseTarget } from '../../src/target/parse.ts';

/**
 * A fresh namespace on a real backend, named by the URL the command takes, with the environment
 * the command needs. `open` gives this process its own client on it, through the CLI's own
 * `openStorage` (creating what a first import would).
 */
export interface CliBackend {
  readonly name: BackendName;
  readonly url: string;
  readonly env: Record<string, string>;
  open(): Promise<{ storage: Storage; close: () => Promise<void> }>;
  close(): Promise<void>;
}

export const CLI_BACKENDS = ['sqlite', 'postgres', 'redis', 's3', 'windmill'] as const;
export type BackendName = (typeof CLI_BACKENDS)[number];

const need = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: test/global-setup.ts should have resolved it`);
  return value;
};

const withOpen = (
  name: BackendName,
  url: string,
  env: Record<string, string>,
  close: () => Promise<void>,
): CliBackend => ({
  name,
  url,
  env,
  open: () => openStorage(parseTarget(url), { create: true, env: { ...process.env, ...env } }),
  close,
});

const sqlite = async (): Promise<CliBackend> => {
  const dir = mkdtempSync(join(tmpdir(), 'dx-cli-'));
  return withOpen('sqlite', `sqlite:${join(dir, 'runs.db')}`, {}, async () =>
    rmSync(dir, { recursive: true, force: true }),
  );
};

const postgres = async (): Promise<CliBackend> => {
  const server = need('TEST_POSTGRES_URL');
  const schema = uniqueSchemaName('cli');
  const url = new URL(server);
  url.searchParams.set('schema', schema);
  return withOpen('postgres', url.toString(), {}, async () => {
    const c = new pg.Client({ connectionString: server });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  });
};

const redis = async (): Promise<CliBackend> => {
  const server = need('TEST_REDIS_URL');
  const prefix = uniqueKeyPrefix('cli');
  const url = new URL(server);
  url.searchParams.set('prefix', prefix);
  return withOpen('redis', url.toString(), {}, async () => {
    const client = new Redis(server);
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await client.quit();
  });
};

const s3 = async (): Promise<CliBackend> => {
  const env = {
    AWS_ENDPOINT_URL_S3: need('TEST_S3_ENDPOINT'),
    AWS_ACCESS_KEY_ID: process.env.TEST_S3_ACCESS_KEY ?? 'testkey',
    AWS_SECRET_ACCESS_KEY: process.env.TEST_S3_SECRET_KEY ?? 'testsecret',
    AWS_REGION: process.env.TEST_S3_REGION ?? 'us-east-1',
  };
  const client = new S3Client({
    endpoint: env.AWS_ENDPOINT_URL_S3,
    region: env.AWS_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
  });
  const bucket = uniqueBucketName('cli');
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return withOpen('s3', `s3://${bucket}/app/`, env, async () => {
    for (;;) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length === 0) break;
      await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
    client.destroy();
  });
};

/** A database of its own behind the loopback stand-in of Windmill's API; the command finds it through WM_* variables. */
const windmill = async (): Promise<CliBackend> => {
  const server = need('TEST_POSTGRES_URL');
  const name = uniqueSchemaName('dx_wm_cli');
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const dbUrl = new URL(server);
  dbUrl.pathname = `/${name}`;
  const standIn = await startStandIn({ datatables: { main: dbUrl.toString() } });
  useStandIn(standIn);
  const { WM_JOB_ID: _, ...env } = standIn.jobEnv('cli');
  return withOpen('windmill', 'windmill://main', env, async () => {
    await standIn.close();
    const c = new pg.Client({ connectionString: server });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await c.end();
  });
};

export const openCliBackend = (name: BackendName): Promise<CliBackend> =>
  ({ sqlite, postgres, redis, s3, windmill })[name]();
