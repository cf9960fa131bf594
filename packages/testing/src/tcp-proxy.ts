import { createServer, Socket } from 'node:net';

/**
 * A TCP proxy in front of a server (S3, Redis, Postgres) that a test can break on purpose:
 * - `pass`: forwards both ways;
 * - `refuse`: new connections are closed at once (the server looks down);
 * - `drop-next-put-answer`: `dropNextAnswer` for the next HTTP PUT, then back to `pass`.
 * `dropNextAnswer(match)` loses one answer: the next request chunk that `match`es is forwarded,
 * then its connection is closed at the first byte of the server's answer instead of forwarding it
 * (the write landed, its answer is lost): a driver that resends on a dropped connection (the AWS
 * SDK, ioredis by default) sends the request again.
 * Changing the mode closes every open connection, so pooled keep-alive sockets cannot bypass it.
 */
export type ProxyMode = 'pass' | 'refuse' | 'drop-next-put-answer';

export interface BreakableProxy {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly port: number;
  setMode(mode: ProxyMode): void;
  /** Loses the answer to the next request chunk that `match` accepts (default: any); open connections stay. */
  dropNextAnswer(match?: (request: Buffer) => boolean): void;
  /** Answers the proxy dropped so far. */
  dropped(): number;
  close(): Promise<void>;
}

const isPut = (chunk: Buffer) => chunk.subarray(0, 4).toString('latin1') === 'PUT ';

export const startProxy = async (target: string): Promise<BreakableProxy> => {
  const { hostname, port } = new URL(target);
  let mode: ProxyMode = 'pass';
  let armed: ((request: Buffer) => boolean) | undefined;
  let dropped = 0;
  const open = new Set<Socket>();
  const track = (socket: Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (mode === 'refuse') {
      client.destroy();
      return;
    }
    const upstream = new Socket();
    track(upstream);
    upstream.connect(Number(port), hostname);
    // Set when this connection carries the request whose answer must be lost.
    let doomed = false;
    client.on('data', (chunk: Buffer) => {
      if (armed?.(chunk)) {
        armed = undefined;
        doomed = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (doomed) {
        dropped++;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy: no port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    setMode(next) {
      mode = next === 'drop-next-put-answer' ? 'pass' : next;
      armed = next === 'drop-next-put-answer' ? isPut : undefined;
      for (const socket of open) socket.destroy();
    },
    dropNextAnswer(match = () => true) {
      armed = match;
    },
    dropped: () => dropped,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
};
