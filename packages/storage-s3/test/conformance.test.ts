import { describeConformance } from '@td7x/durable-x-testkit';
import { s3Storage } from '../src/index.ts';
import { rawReader } from './raw.ts';
import { countRequests, freshBucket, newClient } from './support.ts';

// The shared suite on a bucket of its own, with 5 MB outputs (stored out of line) instead of 1 MB.
// roundTrips() counts HTTP requests of the storage's client; reopen() gets a NEW client.
describeConformance(
  's3',
  async () => {
    const b = await freshBucket('conformance');
    const prefix = 'app/';
    const client = newClient();
    const clients = [client];
    const requests = countRequests(client);
    return {
      storage: s3Storage({ client, bucket: b.bucket, prefix }),
      roundTrips: requests.count,
      reopen: async () => {
        const other = newClient();
        clients.push(other);
        return s3Storage({ client: other, bucket: b.bucket, prefix });
      },
      raw: rawReader(b, prefix),
      close: async () => {
        for (const c of clients) c.destroy();
        await b.drop();
      },
    };
  },
  { largeOutputBytes: 5_000_000 },
);
