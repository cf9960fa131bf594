import { createServer, Socket } from 'node:net';

/**
 * A TCP proxy in front of the S3 server that a test can break on purpose:
 * - `pass`: forwards both ways;
 * - `refuse`: new connections are closed at once (the server looks down);
 * - `drop-next-put-answer`: forwards the next PUT request, then closes its connection at the
 *   first byte of the server's answer instead of forwarding it (the write landed, its answer is
 *   lost), then goes back to `pass`.
 * Changing the mode closes every open connection, so pooled keep-alive sockets cannot bypass it.
 */
export type ProxyMode = 'pass' | 'refuse' | 'drop-next-put-answer';

export interface BreakableProxy {
  readonly endpoint: string;
  setMode(mode: ProxyMode): void;
  /** Answers the proxy dropped so far. */
  dropped(): number;
  close(): Promise<void>;
}

export const startProxy = async (target: string): Promise<BreakableProxy> => {
  const { hostname, port } = new URL(target);
  let mode: ProxyMode = 'pass';
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
    // Set when this connection carries the PUT whose answer must be lost.
    let doomed = false;
    client.on('data', (chunk: Buffer) => {
      if (mode === 'drop-next-put-answer' && chunk.subarray(0, 4).toString('latin1') === 'PUT ') {
        mode = 'pass';
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
    setMode(next) {
      mode = next;
      for (const socket of open) socket.destroy();
    },
    dropped: () => dropped,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
};
