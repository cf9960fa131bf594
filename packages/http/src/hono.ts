/**
 * `@td7x/durable-x-http/hono`: the Idempotency-Key middleware for Hono (any runtime: it uses
 * only Web APIs). The protocol is in the package README; the decisions are in `engine.ts`.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { idempotency as engine, type IdempotencyOptions, type IdempotentRun } from './engine.ts';
import type { HttpResponse } from './response.ts';
import { storableHeaders } from './response.ts';

/** Hono's `Env` for routes behind the middleware: `c.var.idempotency` is the request's run. */
export interface IdempotencyEnv {
  Variables: { idempotency: IdempotentRun };
}

export interface HonoIdempotencyOptions extends IdempotencyOptions {
  /** The header that carries the key; default `Idempotency-Key`. */
  readonly header?: string;
  /**
   * Who is asking (a user or tenant id, from your auth middleware): part of the run id, so one
   * client cannot replay another's response by sending its key. Undefined: keys are global.
   */
  readonly scope?: (c: Context) => string | undefined | Promise<string | undefined>;
}

/**
 * The middleware: `app.post('/payments', idempotency({ storage }), handler)`, the handler using
 * `c.var.idempotency.step(...)` for its side effects. It reads the body (handlers can still read
 * it: Hono caches it) and buffers the response, to store it.
 */
export const idempotency = (options: HonoIdempotencyOptions): MiddlewareHandler<IdempotencyEnv> => {
  const { admit } = engine(options);
  const header = options.header ?? 'Idempotency-Key';
  return async (c, next) => {
    const url = new URL(c.req.url);
    const admission = await admit({
      key: c.req.header(header),
      scope: await options.scope?.(c),
      method: c.req.method,
      path: `${url.pathname}${url.search}`,
      body: new Uint8Array(await c.req.arrayBuffer()),
    });
    if (admission.kind === 'answer') return toResponse(admission.response);
    c.set('idempotency', admission.run);
    try {
      await next();
    } catch (error) {
      // Hono hands only Error instances to onError; anything else is thrown through here.
      await admission.settle({ error });
      throw error;
    }
    const outcome = c.error === undefined ? { response: await fromResponse(c.res) } : { error: c.error };
    const instead = await admission.settle(outcome);
    if (instead !== undefined) {
      c.res = undefined; // else Hono merges the handler's headers into the new response
      c.res = toResponse(instead);
    }
  };
};

const toResponse = (response: HttpResponse): Response =>
  new Response(
    response.body.byteLength === 0 || response.status === 204 || response.status === 304
      ? null
      : (response.body as Uint8Array<ArrayBuffer>),
    {
      status: response.status,
      headers: response.headers.map(([name, value]) => [name, value]),
    },
  );

const entriesOf = (headers: Headers): [string, string][] => {
  const entries: [string, string][] = [];
  headers.forEach((value, name) => {
    entries.push([name, value]);
  });
  return entries;
};

/** The handler's response, read from a clone so that the original can still be sent as it is. */
const fromResponse = async (response: Response): Promise<HttpResponse> => ({
  status: response.status,
  headers: storableHeaders(entriesOf(response.headers)),
  body: new Uint8Array(await response.clone().arrayBuffer()),
});

export { REPLAYED_HEADER } from './engine.ts';
export type { HttpResponse, IdempotencyOptions, IdempotentRun };
