/**
 * `@td7x/durable-x-http/fastify`: the Idempotency-Key hooks for Fastify. The protocol is in the
 * package README; the decisions are in `engine.ts`.
 *
 * Fastify parses the body before the hooks see it, so the request's fingerprint hashes the parsed
 * body in canonical form (object key order does not count) rather than its bytes.
 */
import { canonicalText } from '@td7x/durable-x';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  idempotency as engine,
  type IdempotencyOptions,
  type IdempotentRun,
  type Outcome,
} from './engine.ts';
import type { HttpResponse } from './response.ts';
import { storableHeaders } from './response.ts';

export interface FastifyIdempotencyOptions extends IdempotencyOptions {
  /** The header that carries the key; default `Idempotency-Key`. */
  readonly header?: string;
  /** Who is asking (a user or tenant id): part of the run id. Undefined: keys are global. */
  readonly scope?: (request: FastifyRequest) => string | undefined | Promise<string | undefined>;
}

interface Admitted {
  readonly run: IdempotentRun;
  readonly settle: (outcome: Outcome) => Promise<HttpResponse | undefined>;
  error?: unknown;
}

const admitted = new WeakMap<FastifyRequest, Admitted>();

/** The request's run, in a handler behind the hooks: `const { step } = idempotentRun(request)`. */
export const idempotentRun = (request: FastifyRequest): IdempotentRun => {
  const found = admitted.get(request);
  if (!found) throw new Error('no idempotent run for this request: is the route behind idempotency() hooks?');
  return found.run;
};

const encoder = new TextEncoder();

const bytesOf = (body: unknown): Uint8Array => {
  if (body === undefined || body === null) return new Uint8Array(0);
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return encoder.encode(body);
  return encoder.encode(canonicalText(body));
};

/**
 * The hooks, to spread into a route's options:
 * `fastify.post('/payments', { ...idempotency({ storage }) }, handler)`, the handler using
 * `idempotentRun(request).step(...)` for its side effects. The serialized response is stored.
 */
export const idempotency = (options: FastifyIdempotencyOptions) => {
  const { admit } = engine(options);
  const header = (options.header ?? 'Idempotency-Key').toLowerCase();

  const preHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    const raw = request.headers[header];
    const url = new URL(request.url, 'http://host');
    const admission = await admit({
      key: Array.isArray(raw) ? raw.join(',') : raw,
      scope: await options.scope?.(request),
      method: request.method,
      path: `${url.pathname}${url.search}`,
      body: bytesOf(request.body),
    });
    if (admission.kind === 'answer') return send(reply, admission.response);
    admitted.set(request, { run: admission.run, settle: admission.settle });
    return undefined;
  };

  const onError = async (request: FastifyRequest, _reply: FastifyReply, error: Error) => {
    const found = admitted.get(request);
    if (found) found.error = error;
  };

  const onSend = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const found = admitted.get(request);
    if (!found) return payload; // answered by preHandler (or not behind the hooks)
    admitted.delete(request);
    const outcome: Outcome =
      found.error !== undefined
        ? { error: found.error }
        : isStream(payload)
          ? { error: new Error('a streamed response cannot be stored') }
          : { response: responseOf(reply, payload) };
    const instead = await found.settle(outcome);
    if (instead === undefined) return payload;
    for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name);
    reply.code(instead.status);
    for (const [name, value] of instead.headers) reply.header(name, value);
    return Buffer.from(instead.body);
  };

  return { preHandler, onError, onSend };
};

const isStream = (payload: unknown): boolean =>
  typeof payload === 'object' &&
  payload !== null &&
  typeof (payload as { pipe?: unknown }).pipe === 'function';

const responseOf = (reply: FastifyReply, payload: unknown): HttpResponse => ({
  status: reply.statusCode,
  headers: storableHeaders(
    Object.entries(reply.getHeaders()).flatMap(([name, value]) =>
      value === undefined
        ? []
        : Array.isArray(value)
          ? value.map((v) => [name, String(v)] as const)
          : [[name, String(value)] as const],
    ),
  ),
  body: bytesOf(payload ?? ''),
});

const send = (reply: FastifyReply, response: HttpResponse): FastifyReply => {
  reply.code(response.status);
  for (const [name, value] of response.headers) reply.header(name, value);
  return reply.send(Buffer.from(response.body));
};

export { REPLAYED_HEADER } from './engine.ts';
export type { HttpResponse, IdempotencyOptions, IdempotentRun };
