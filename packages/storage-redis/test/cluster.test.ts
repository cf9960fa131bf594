import { describeConformance } from '@td7x/durable-x-testkit';
import { Cluster } from 'ioredis';
import { ioredisClient, redisStorage } from '../src/index.ts';
import { startPrivateCluster } from './private-cluster.ts';
import { counting, rawReader } from './support.ts';

// The whole conformance suite on a real 3-master Redis Cluster through ioredis' Cluster client:
// a script whose keys spanned two slots would fail here with CROSSSLOT.
describeConformance('redis cluster', async () => {
  const cluster = await startPrivateCluster();
  const prefix = 'dx-cluster:';
  const clients: Cluster[] = [];
  const open = async () => {
    const client = new Cluster([...cluster.nodes], {
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
  const main = await open();
  const counted = counting(ioredisClient(main));
  return {
    storage: redisStorage({ client: counted.commands, prefix }),
    reopen: async () => redisStorage({ client: ioredisClient(await open()), prefix }),
    raw: rawReader(main, prefix),
    roundTrips: counted.count,
    close: async () => {
      await Promise.all(clients.map((c) => c.quit().catch(() => {})));
      await cluster.stop();
    },
  };
});
