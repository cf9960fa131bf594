import { EventEmitter, once } from 'node:events';
import { createServer, type Socket, connect as tcpConnect } from 'node:net';

/**
 * A TCP proxy in front of a Redis server, so a test can break the connection (not the server):
 * drop what the client sends (a partition before the server), drop what the server answers (a
 * write applied whose reply is lost), or cut every connection.
 */
export interface CuttableProxy {
  readonly url: string;
  mode: 'pass' | 'drop-requests' | 'drop-replies';
  /** The SHA-1 of every EVALSHA forwarded to the server, in order: a resent script shows twice. */
  readonly forwarded: readonly string[];
  /**
   * Resolves when the proxy next gets bytes from the client (`request`) or from the server
   * (`reply`), whatever it then does with them: the event a test waits for, instead of a sleep.
   * Call it before the request that causes it.
   */
  next(what: 'request' | 'reply'): Promise<void>;
  cut(): void;
  close(): Promise<void>;
}

export const startProxy = async (target: { host: string; port: number }): Promise<CuttableProxy> => {
  const sockets = new Set<Socket>();
  const forwarded: string[] = [];
  const events = new EventEmitter();
  const proxy = {
    mode: 'pass' as CuttableProxy['mode'],
    forwarded,
    next: async (what: 'request' | 'reply') => void (await once(events, what)),
    cut() {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
  };
  const server = createServer((client) => {
    const upstream = tcpConnect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (data) => {
      events.emit('request');
      if (proxy.mode === 'drop-requests') return;
      // RESP: `…$7\r\nevalsha\r\n$40\r\n<sha1>\r\n…` (ioredis writes a small command in one chunk).
      for (const m of data.toString('latin1').matchAll(/\r\nevalsha\r\n\$40\r\n([0-9a-f]{40})\r\n/gi)) {
        forwarded.push(m[1] as string);
      }
      upstream.write(data);
    });
    upstream.on('data', (data) => {
      events.emit('reply');
      if (proxy.mode !== 'drop-replies') client.write(data);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const socket of [client, upstream]) socket.on('close', end).on('error', end);
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
  return Object.assign(proxy, {
    url: `redis://127.0.0.1:${port}/0`,
    close: () =>
      new Promise<void>((resolve) => {
        proxy.cut();
        server.close(() => resolve());
      }),
  });
};
