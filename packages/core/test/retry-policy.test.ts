import { describe, expect, it } from 'vitest';
import { NonRetryableError } from '../src/index.ts';
import * as R from '../src/result.ts';
import { manualClock, memoryStorage } from '../src/result.ts';
import { backoffMs, isNonRetryable, retryable } from '../src/run/retry.ts';

describe('retry policy', () => {
  const policy = { attempts: 5, initialDelayMs: 100, factor: 3, maxDelayMs: 1000, jitter: 0 };

  it('backs off exponentially up to the cap', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(policy, n))).toEqual([100, 300, 900, 1000]);
  });

  it('shortens each wait at random by at most the jitter fraction, never past the cap', () => {
    const jittered = { ...policy, jitter: 0.5 };
    expect(backoffMs(jittered, 2, () => 0)).toBe(300);
    expect(backoffMs(jittered, 2, () => 0.999_999)).toBe(150);
    expect(backoffMs(jittered, 9, () => 0)).toBe(1000);
    for (let i = 0; i < 100; i++) {
      const wait = backoffMs(jittered, 3);
      expect(wait).toBeGreaterThanOrEqual(450);
      expect(wait).toBeLessThanOrEqual(900);
    }
  });

  it('defaults to 1 s doubling up to 60 s, with 20 % jitter', () => {
    expect(backoffMs({ attempts: 3 }, 1, () => 0)).toBe(1000);
    expect(backoffMs({ attempts: 3 }, 20, () => 0)).toBe(60_000);
    expect(backoffMs({ attempts: 3 }, 1, () => 0.999_999)).toBe(800);
  });

  it('retries until the attempts are spent, unless the error is non-retryable or refused', () => {
    expect(retryable(policy, new Error('x'), 4)).toBe(true);
    expect(retryable(policy, new Error('x'), 5)).toBe(false);
    expect(retryable(policy, new NonRetryableError('no'), 1)).toBe(false);
    expect(retryable({ ...policy, shouldRetry: (_e, n) => n < 2 }, new Error('x'), 2)).toBe(false);
    // Recognised by name: a NonRetryableError from a second copy of the library stops too.
    expect(isNonRetryable(Object.assign(new Error('x'), { name: 'NonRetryableError' }))).toBe(true);
  });
});

describe('a step whose retries were spent before this load', () => {
  it('fails the run again at once, without running beyond its budget', async () => {
    const storage = memoryStorage();
    const clock = manualClock();
    const policy = { attempts: 1 };
    const first = (await R.load(storage, { clock })({})('spent'))._unsafeUnwrap();
    const failed = await R.durable(storage)(first)('pay', { retry: policy })({})(() => {
      throw new Error('declined');
    });
    expect(failed.isErr() && failed.error).toMatchObject({ type: 'StepFailed', attempts: 1 });
    expect((await storage.read('spent'))?.run.status).toBe('failed');
    const again = (await R.load(storage, { clock })({})('spent'))._unsafeUnwrap();
    let ran = false;
    const refused = await R.durable(storage)(again)('pay', { retry: policy })({})(() => {
      ran = true;
    });
    expect(ran).toBe(false);
    expect(refused.isErr() && refused.error).toMatchObject({
      type: 'StepFailed',
      attempts: 1,
      cause: { name: 'Error', message: 'declined' },
    });
  });
});
