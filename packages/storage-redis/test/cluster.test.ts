import { describeConformance } from '@td7x/durable-x-testkit';
import { Cluster } from 'ioredis';
import { afterAll, describe, it } from 'vitest';
import { ioredisClient, redisStorage } from '../src/index.ts';
import { type PrivateCluster, startPrivateCluster } from './private-cluster.ts';
import { counting, rawReader } from './support.ts';
import { checkTenantsApart } from './tenants.ts';

// One private 3-master Redis Cluster for this file, started by the first suite that needs it.
let started: Promise<PrivateCluster> | undefined;
const cluster = () => {
  started ??= startPrivateCluster();
  return started;
};
const clients: Cluster[] = [];
const open = async () => {
  const client = new Cluster([...(await cluster()).nodes], {
    enableOfflineQueue: false,
    redisOptions: { maxRetriesPerRequest: 0, connectTimeout: 2_000 },
  });
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve);
    client.once('error', reject);
  });
  clients.push(client);
  return client;
};
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit().catch(() => {})));
  await (await started)?.stop();
});

// The whole conformance suite on a real Redis Cluster through ioredis' Cluster client: a script
// whose keys spanned two slots would fail here with CROSSSLOT.
describeConformance('redis cluster', async () => {
  const prefix = 'dx-cluster:';
  const main = await open();
  const counted = counting(ioredisClient(main));
  return {
    storage: redisStorage({ client: counted.commands, prefix }),
    reopen: async () => redisStorage({ client: ioredisClient(await open()), prefix }),
    raw: rawReader(main, prefix),
    roundTrips: counted.count,
    close: async () => {},
  };
});

describe('tenants on a Redis Cluster', () => {
  it('never share a key or an index entry; each script keeps to one slot whatever the prefix', async () => {
    const client = await open();
    // Under its own key prefix (ioredis keyPrefix), beside the conformance suite's `dx-cluster:`.
    const namespace = 'dx-cluster-tenants/';
    const scoped = new Cluster([...(await cluster()).nodes], {
      keyPrefix: namespace,
      enableOfflineQueue: false,
      redisOptions: { maxRetriesPerRequest: 0, connectTimeout: 2_000 },
    });
    await new Promise<void>((resolve, reject) => {
      scoped.once('ready', resolve);
      scoped.once('error', reject);
    });
    clients.push(scoped);
    const keys = async () => {
      const found: string[] = [];
      for (const node of client.nodes('master')) {
        let cursor = '0';
        do {
          const [next, batch] = await node.scan(cursor, 'MATCH', `${namespace}*`, 'COUNT', 1000);
          cursor = next;
          found.push(...batch.map((k) => k.slice(namespace.length)));
        } while (cursor !== '0');
      }
      return found;
    };
    await checkTenantsApart(ioredisClient(scoped), keys);
  });
});
