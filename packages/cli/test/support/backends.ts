import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Storage } from '@td7x/durable-x';
import { startStandIn, useStandIn } from '@td7x/durable-x-windmill/local';
import { uniqueKeyPrefix, uniqueSchemaName } from '@td7x/testing';
import { newPool, postgresUrl } from '../../../storage-postgres/test/support/db.ts';
import { connect, dropPrefix, sharedRedisUrl } from '../../../storage-redis/test/support.ts';
import { freshBucket } from '../../../storage-s3/test/support.ts';
import { freshDatabase } from '../../../storage-windmill/test/support/db.ts';
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

/** A schema name no one uses yet: the command creates its tables, as a first import would. */
const postgres = async (): Promise<CliBackend> => {
  const schema = uniqueSchemaName('cli');
  const url = new URL(postgresUrl());
  url.searchParams.set('schema', schema);
  return withOpen('postgres', url.toString(), {}, async () => {
    const admin = newPool(postgresUrl(), { max: 1 });
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });
};

const redis = async (): Promise<CliBackend> => {
  const prefix = uniqueKeyPrefix('cli');
  const url = new URL(sharedRedisUrl());
  url.searchParams.set('prefix', prefix);
  return withOpen('redis', url.toString(), {}, async () => {
    const client = await connect(sharedRedisUrl());
    await dropPrefix(client, prefix);
    await client.quit();
  });
};

/** The command reaches the bucket through the AWS SDK's own environment variables. */
const s3 = async (): Promise<CliBackend> => {
  const b = await freshBucket('cli');
  const env = {
    AWS_ENDPOINT_URL_S3: need('TEST_S3_ENDPOINT'),
    AWS_ACCESS_KEY_ID: process.env.TEST_S3_ACCESS_KEY ?? 'testkey',
    AWS_SECRET_ACCESS_KEY: process.env.TEST_S3_SECRET_KEY ?? 'testsecret',
    AWS_REGION: process.env.TEST_S3_REGION ?? 'us-east-1',
  };
  return withOpen('s3', `s3://${b.bucket}/app/`, env, b.drop);
};

/** A database of its own behind the loopback stand-in of Windmill's API; the command finds it through WM_* variables. */
const windmill = async (): Promise<CliBackend> => {
  const db = await freshDatabase('cli');
  const standIn = await startStandIn({ datatables: { main: db.url } });
  useStandIn(standIn);
  const { WM_JOB_ID: _, ...env } = standIn.jobEnv('cli');
  return withOpen('windmill', 'windmill://main', env, async () => {
    await standIn.close();
    await db.drop();
  });
};

export const openCliBackend = (name: BackendName): Promise<CliBackend> =>
  ({ sqlite, postgres, redis, s3, windmill })[name]();
