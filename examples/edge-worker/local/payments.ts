import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in of the payments API the order workflow calls (`POST /<action>` with
 * `{"orderId"}`, answering `{"id"}`), for tests and local development. It records every call as
 * `<action>:<orderId>`, and `hold(action)` keeps the next call of that action unanswered: the test
 * crashes the worker while it waits there.
 */
export interface Payments {
  readonly url: string;
  calls(): string[];
  /** Resolves once the next call of `action` has arrived; that call gets no answer. */
  hold(action: string): Promise<void>;
  close(): Promise<void>;
}

export const startPayments = async (): Promise<Payments> => {
  const calls: string[] = [];
  const holds = new Map<string, () => void>();
  const held: ServerResponse[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const action = (request.url ?? '/').slice(1);
    const { orderId } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { orderId?: string };
    calls.push(`${action}:${orderId}`);
    const arrived = holds.get(action);
    if (arrived) {
      holds.delete(action);
      held.push(response);
      return arrived();
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ id: `${action}-${calls.length}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls: () => [...calls],
    hold: (action) => new Promise((resolve) => holds.set(action, resolve)),
    close: async () => {
      for (const response of held) response.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
};
