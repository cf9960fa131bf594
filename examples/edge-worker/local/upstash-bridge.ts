import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';

/**
 * A loopback bridge that speaks the part of Upstash's REST protocol `@upstash/redis` uses, in front
 * of a real Redis: the worker's client talks HTTP to it as it would to Upstash, and every command
 * runs on the real server. For tests and local development only (one connection, no TLS).
 *
 * - `POST /` with `[command, ...args]` → `{"result": reply}`, or HTTP 400 `{"error": message}`;
 * - `POST /pipeline` with `[[command, ...args], …]` → `[{"result": …} | {"error": …}, …]`, in
 *   order (the client's automatic pipelining sends its commands this way);
 * - `Authorization: Bearer <token>` is required (401 otherwise);
 * - with `Upstash-Encoding: base64` (the client's default) every string of a reply is the base64
 *   of its bytes; integers, nulls and arrays are JSON.
 * Anything else (`/multi-exec`, path-style commands, streaming) answers 404.
 */
export interface UpstashBridge {
  /** The REST URL to give `@upstash/redis` (UPSTASH_REDIS_REST_URL). */
  readonly url: string;
  /** The number of commands it ran so far. */
  commands(): number;
  close(): Promise<void>;
}

type Reply = Buffer | number | null | Reply[];
type Encoded = string | number | null | Encoded[];
type Answer = { result: Encoded } | { error: string };

const encode = (reply: Reply, base64: boolean): Encoded => {
  if (Buffer.isBuffer(reply)) return reply.toString(base64 ? 'base64' : 'utf8');
  if (Array.isArray(reply)) return reply.map((r) => encode(r, base64));
  return reply;
};

const readJson = async (request: IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
};

const isCommand = (value: unknown): value is (string | number)[] =>
  Array.isArray(value) &&
  value.length > 0 &&
  value.every((part) => typeof part === 'string' || typeof part === 'number');

const send = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

export const startUpstashBridge = async (options: {
  readonly redisUrl: string;
  readonly token: string;
}): Promise<UpstashBridge> => {
  const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await redis.connect();
  let commands = 0;

  // Commands of one request are sent without waiting for each other: one connection keeps their
  // order, as Upstash runs a pipeline's commands in order.
  const run = (command: (string | number)[], base64: boolean): Promise<Answer> => {
    commands++;
    const [name, ...args] = command.map(String) as [string, ...string[]];
    return redis.callBuffer(name, ...args).then(
      (reply) => ({ result: encode(reply as Reply, base64) }),
      (error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }),
    );
  };

  const server = createServer(async (request, response) => {
    if (request.headers.authorization !== `Bearer ${options.token}`) {
      return send(response, 401, { error: 'Unauthorized' });
    }
    if (request.method !== 'POST' || (request.url !== '/' && request.url !== '/pipeline')) {
      return send(response, 404, { error: `not served by this bridge: ${request.method} ${request.url}` });
    }
    const base64 = request.headers['upstash-encoding'] === 'base64';
    let body: unknown;
    try {
      body = await readJson(request);
    } catch {
      return send(response, 400, { error: 'ERR the body is not JSON' });
    }
    if (request.url === '/pipeline') {
      if (!Array.isArray(body) || !body.every(isCommand)) {
        return send(response, 400, { error: 'ERR a pipeline is an array of commands' });
      }
      return send(response, 200, await Promise.all(body.map((command) => run(command, base64))));
    }
    if (!isCommand(body)) return send(response, 400, { error: 'ERR a command is a non-empty array' });
    const answer = await run(body, base64);
    send(response, 'error' in answer ? 400 : 200, answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    commands: () => commands,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await redis.quit();
    },
  };
};
