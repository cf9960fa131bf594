import { createServer } from 'node:net';

/**
 * A loopback TCP port nobody listens on right now, for a server a test starts itself (the port may
 * be taken again before the server binds it; the servers' start-up fails loudly if so).
 */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port')),
      );
    });
  });
