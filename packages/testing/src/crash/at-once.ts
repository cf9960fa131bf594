// Imported by the process suite (suite.ts): vitest lives there, not in what children import.
import { expect, it } from 'vitest';
import type { LedgerEntry } from './ledger.ts';
import { crashAndResume } from './scenarios.ts';
import { REFERENCE_CLEANUP, type ReferenceStep } from './workflow.ts';

type Env = Readonly<Record<string, string>>;

const keysOf = (ledger: readonly LedgerEntry[], child: string, name: string) =>
  ledger.filter((e) => e.child === child && e.kind === 'step' && e.name === name).map((e) => e.key);

type Harness = () => { storageModule: string; namespace(): Env | Promise<Env> };

/** Attempt 1 SIGKILLed inside `step`, attempt 2 started at once with the default lease and `sameHostLiveness()`. */
const killedInThenAtOnce = async (harness: Harness, step: ReferenceStep) => {
  const { storageModule, namespace } = harness();
  return crashAndResume({
    storageModule,
    env: await namespace(),
    runId: `at-once:${step}`,
    leaseMs: 'default',
    liveness: 'host',
    killWhen: { inStep: step },
    resumerWaits: false,
  });
};

/**
 * Right after a crash, with the quick start's options (the core's 30 s lease) plus
 * `sameHostLiveness()`: the killed owner's run is taken over at once (attempt 2 never waits; it
 * would report `busy`). The step in flight at the kill sees the same idempotency key again; the
 * upload undone by its cleanup runs under a new one.
 */
export const describeResumeAtOnce = (harness: Harness) => {
  it('killed in publish and run again at once: no wait for the lease, publish sees the same idempotency key', async () => {
    const { first, second, ledger } = await killedInThenAtOnce(harness, 'publish');
    expect(first.kind).toBe('killed');
    expect(second).toMatchObject({ kind: 'completed', attempt: 2, cleanupsRun: [] });
    const [killed] = keysOf(ledger, 'attempt-1', 'publish');
    expect(killed).toMatch(/^[0-9a-f]{64}$/);
    expect(keysOf(ledger, 'attempt-2', 'publish')).toEqual([killed]);
  }, 90_000);

  it('killed in the risky upload and run again at once: the cleanup runs, the upload runs under a new key', async () => {
    const { first, second, ledger } = await killedInThenAtOnce(harness, 'upload');
    expect(first.kind).toBe('killed');
    expect(second).toMatchObject({ kind: 'completed', attempt: 2, cleanupsRun: [REFERENCE_CLEANUP] });
    const [undone] = keysOf(ledger, 'attempt-1', 'upload');
    const [redone] = keysOf(ledger, 'attempt-2', 'upload');
    expect(undone).toMatch(/^[0-9a-f]{64}$/);
    expect(redone).toMatch(/^[0-9a-f]{64}$/);
    expect(redone).not.toBe(undone);
    // Steps recorded before the kill were not run again, so their keys were never asked twice.
    expect(keysOf(ledger, 'attempt-2', 'fetch')).toEqual([]);
  }, 90_000);
};
