import {
  afterSafe,
  beforeRisky,
  type Clock,
  complete,
  durable,
  fail,
  isDurableXError,
  load,
  type Storage,
  sleep,
  waitFor,
} from '@td7x/durable-x';

/** A clock an hour behind, with no timers: runs loaded on it hold leases that expired long ago. */
const anHourAgo: Clock = { now: () => Date.now() - 3_600_000, every: () => () => {} };

const parked = async (work: Promise<unknown>) => {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isDurableXError(error, 'Suspended')) throw new Error(`expected a suspension, got ${String(error)}`);
};

/** The cleanup runners of the seeded runs (the CLI's `recover` gets them from a module). */
export const SEED_CLEANUPS = ['refund', 'release'];

/**
 * One run in each state an operator meets, written through the core as an application would:
 * - `done-1` completed: `fetch`, then `charge` after one failed attempt (2 attempts) inside a
 *   risky window (`refund`) closed since;
 * - `nap-1` suspended on a one-hour sleep, a cleanup pending;
 * - `wait-1` suspended until the signal `approval` arrives;
 * - `orphan-1` running, its owner gone (lease expired an hour ago), a cleanup pending;
 * - `failed-1` failed with an error, retried (attempt 2) and failed again.
 */
export const seed = async (storage: Storage): Promise<void> => {
  const noop = { refund: () => {}, release: () => {} };
  let failures = 1;
  const done = await load(storage)(noop)('done-1');
  await durable(storage)(done)('fetch')({ id: 1 })(() => ({ bytes: 'x'.repeat(100) }));
  await beforeRisky(storage)(done)('refund')({ amount: 5 });
  await durable(storage)(done)('charge', { retry: { attempts: 3, initialDelayMs: 1, jitter: 0 } })({
    amount: 5,
  })(() => {
    if (failures-- > 0) throw new Error('card declined, try again');
    return 'ch_1';
  });
  await afterSafe(storage)(done)('refund'); // the closed window is a record of the run too
  await complete(storage)(done);

  const nap = await load(storage)(noop)('nap-1');
  await durable(storage)(nap)('reserve')()(() => 'r-1');
  await beforeRisky(storage)(nap)('refund')({ reservation: 'r-1' });
  await parked(sleep(storage)(nap)('cool-off')(3_600_000));

  const wait = await load(storage)(noop)('wait-1');
  await durable(storage)(wait)('ask')()(() => 'asked');
  await parked(waitFor(storage)(wait)('approval')());

  const orphan = await load(storage, { clock: anHourAgo })(noop)('orphan-1');
  await durable(storage)(orphan)('lock')()(() => 'locked');
  await beforeRisky(storage)(orphan)('release')({ lock: 'l-1' });

  const failed = await load(storage)(noop)('failed-1');
  await durable(storage)(failed)('try')()(() => 1);
  await fail(storage)(failed)(new Error('upstream said no'));
  const retried = await load(storage)(noop)('failed-1');
  await fail(storage)(retried)(new Error('upstream said no, again'));
};
