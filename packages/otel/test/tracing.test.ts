import { SpanStatusCode } from '@opentelemetry/api';
import {
  afterSafe,
  beforeRisky,
  complete,
  durable,
  fail,
  isDurableXError,
  load,
  manualClock,
  memoryStorage,
  signal,
  sleep,
  waitFor,
} from '@td7x/durable-x';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ATTR, durableTracing } from '../src/index.ts';
import { inMemoryTracing, tree } from './support.ts';

let otel: ReturnType<typeof inMemoryTracing>;
beforeEach(() => {
  otel = inMemoryTracing();
});
afterEach(async () => {
  await otel.close();
});

const suspended = async (work: Promise<unknown>) => {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isDurableXError(error, 'Suspended')).toBe(true);
};

describe('durableTracing', () => {
  it('traces a run under the caller’s active span: steps run and memoized, attempts, output sizes, cleanups, a sleep', async () => {
    const tracing = durableTracing({ tracer: otel.tracer });
    const clock = manualClock();
    const storage = memoryStorage();
    // The retry's backoff waits on the manual clock: move it on as soon as the wait begins.
    const onEvent: typeof tracing.onEvent = (event) => {
      tracing.onEvent(event);
      if (event.type === 'step.retrying') setImmediate(() => clock.advance(event.delayMs));
    };
    const options = { clock, onEvent };
    let failures = 1;
    const workflow = async () => {
      const cp = await load(storage, options)({ refund: () => {} })('order-7');
      const step = durable(storage)(cp);
      await step('reserve')({ sku: 'A1' })(() => ({ reservation: 'r-1' }));
      await step('charge', { retry: { attempts: 3, initialDelayMs: 0, jitter: 0 } })()(() => {
        if (failures-- > 0) throw new Error('card network timeout');
        return 'ch_1';
      });
      await beforeRisky(storage)(cp)('refund')({ charge: 'ch_1' });
      await afterSafe(storage)(cp)('refund');
      await sleep(storage)(cp)('cool-off')(60_000);
      await step('ship')()(() => 'shipped');
      await complete(storage)(cp);
    };

    await otel.tracer.startActiveSpan('POST /orders', async (request) => {
      await suspended(workflow());
      request.end();
    });
    clock.advance(60_000);
    await otel.tracer.startActiveSpan('host: wake order-7', async (wake) => {
      await workflow();
      wake.end();
    });

    expect(tree(otel.spans())).toBe(
      [
        'POST /orders',
        '  durable-x run [attempt=1 previous_status=new outcome=suspended]',
        '    durable-x step reserve [memoized=false attempt=1 output_bytes=21]',
        '    durable-x step charge [memoized=false attempt=1] ERROR',
        '    durable-x step charge [memoized=false attempt=2 output_bytes=6]',
        '    durable-x suspend cool-off [reason=sleep]',
        'host: wake order-7',
        '  durable-x run [attempt=2 previous_status=suspended outcome=completed]',
        '    durable-x step reserve [memoized=true output_bytes=21]',
        '    durable-x step charge [memoized=true output_bytes=6]',
        '    durable-x step ship [memoized=false attempt=1 output_bytes=9]',
      ].join('\n'),
    );
    const [request] = otel.spans().filter((s) => s.name === 'POST /orders');
    const [run] = otel.spans().filter((s) => s.name === 'durable-x run');
    expect(run?.parentSpanContext?.spanId).toBe(request?.spanContext().spanId);
    expect(run?.spanContext().traceId).toBe(request?.spanContext().traceId);
    expect(run?.attributes[ATTR.runId]).toBe('order-7');
    expect(run?.events.map((e) => [e.name, e.attributes?.[ATTR.cleanup]])).toEqual([
      ['cleanup.registered', 'refund'],
      ['cleanup.cleared', 'refund'],
    ]);
    const retry = otel.spans().find((s) => s.status.code === SpanStatusCode.ERROR);
    expect(retry?.events[0]?.attributes?.['exception.message']).toBe('card network timeout');
  });

  it('traces the cleanups a takeover runs, a signal received, a failed run and a replay', async () => {
    const tracing = durableTracing({ tracer: otel.tracer });
    const clock = manualClock();
    const storage = memoryStorage();
    const options = { clock, leaseMs: 1000, onEvent: tracing.onEvent };
    const cleanups = { undo: () => {} };

    // A process that dies after registering a cleanup; the next load takes over and compensates.
    const first = await load(storage, options)(cleanups)('job');
    await durable(storage)(first)('upload')()(() => 'u');
    await beforeRisky(storage)(first)('undo')();
    await durable(storage)(first)('publish')()(() => 'p');
    clock.advance(5000); // past the lease (renewed once while the steps were fresh)
    const second = await load(storage, options)(cleanups)('job');
    await suspended(waitFor(storage)(second)('approval')());
    await signal(storage, { clock })('job')('approval')('yes');
    const third = await load(storage, options)(cleanups)('job');
    await waitFor(storage)(third)('approval')();
    await fail(storage)(third)(new Error('rejected downstream'));
    const replay = await load(storage, options)(cleanups)('done');
    await complete(storage)(replay);
    const again = await load(storage, options)(cleanups)('done');
    await complete(storage)(again);

    expect(tree(otel.spans())).toBe(
      [
        'durable-x run [attempt=1 previous_status=new outcome=abandoned]',
        '  durable-x step upload [memoized=false attempt=1 output_bytes=3]',
        '  durable-x step publish [memoized=false attempt=1 output_bytes=3]',
        'durable-x run [attempt=2 previous_status=running outcome=suspended]',
        '  durable-x cleanup undo [forgot_steps=1]',
        '  durable-x suspend approval [reason=signal]',
        'durable-x run [attempt=3 previous_status=suspended outcome=failed] ERROR',
        '  durable-x signal approval [timed_out=false]',
        'durable-x run [attempt=1 previous_status=new outcome=completed]',
        'durable-x run [attempt=1 previous_status=completed outcome=replayed]',
      ].join('\n'),
    );
  });

  it('ends, on request, a run whose end no event reports (a step failed without retries)', async () => {
    const tracing = durableTracing({ tracer: otel.tracer });
    const storage = memoryStorage();
    const cp = await load(storage, { onEvent: tracing.onEvent })({})('flaky');
    const error = await durable(storage)(cp)('call')()(() => {
      throw new Error('503');
    }).catch((e: unknown) => e);
    expect(otel.spans().map((s) => s.name)).toEqual(['durable-x step call']);
    tracing.end('flaky', error);
    tracing.end('flaky', error); // once only
    const run = otel.spans().filter((s) => s.name === 'durable-x run');
    expect(run).toHaveLength(1);
    expect(run[0]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(run[0]?.attributes[ATTR.outcome]).toBe('failed');
  });

  it('never changes what a run does when tracing fails', async () => {
    const broken = durableTracing({
      tracer: {
        startSpan: () => {
          throw new Error('exporter down');
        },
        startActiveSpan: () => {
          throw new Error('exporter down');
        },
      } as never,
    });
    const storage = memoryStorage();
    const cp = await load(storage, { onEvent: broken.onEvent })({})('r');
    expect(await durable(storage)(cp)('s')()(() => 42)).toBe(42);
    await complete(storage)(cp);
  });
  it('replays do not push a live run out of the runs it keeps open (maxOpenRuns)', async () => {
    const tracing = durableTracing({ tracer: otel.tracer, maxOpenRuns: 2 });
    const storage = memoryStorage();
    const options = { onEvent: tracing.onEvent };
    for (const id of ['done-1', 'done-2', 'done-3']) {
      await complete(storage)(await load(storage)({})(id));
    }
    const live = await load(storage, options)({})('live');
    for (const id of ['done-1', 'done-2', 'done-3']) {
      const replay = await load(storage, options)({})(id);
      await complete(storage)(replay);
    }
    await durable(storage)(live)('work')()(() => 1);
    await complete(storage)(live);
    const outcomes = otel
      .spans()
      .filter((span) => span.name === 'durable-x run')
      .map((span) => span.attributes[ATTR.outcome]);
    expect(outcomes).toEqual(['replayed', 'replayed', 'replayed', 'completed']);
  });
});
