import { setTimeout as sleep } from 'node:timers/promises';
import { inspectRun, isDurableXError, type Storage } from '@td7x/durable-x';
import type { RawReader, RawRun } from '@td7x/durable-x-testkit';
import {
  crashFreeOutput,
  type LedgerEntry,
  type ReferenceOutput,
  referenceWorkflow,
} from '@td7x/testing/crash';
import { compensations, finalStateSound, noReexecution, recordsTrue } from '../check/invariants.ts';
import { recordsOf } from './records.ts';
import type { BreakableServer } from './servers.ts';

export interface OutageTrial {
  readonly runId: string;
  /** The step inside whose body the server went down. */
  readonly brokenIn: string;
  /** Calls made while the server was down, and how many ended in a typed StorageUnavailable. */
  readonly callsDuringOutage: number;
  readonly typedErrors: number;
  readonly violations: readonly string[];
}

const describe = (error: unknown): string =>
  isDurableXError(error) ? error.error.type : `untyped ${String((error as Error)?.message ?? error)}`;

/** A raw read once the server answers again (its client may need a few tries to reconnect). */
const readWhenBack = async (raw: RawReader, runId: string): Promise<RawRun | undefined> => {
  for (let tries = 0; ; tries++) {
    try {
      return await raw.readRun(runId);
    } catch (error) {
      if (tries >= 100) throw error;
      await sleep(100);
    }
  }
};

/**
 * The server goes down inside the body of step `brokenIn` of a run (in process, real client):
 * the workflow and a few more calls must end in a typed `StorageUnavailable`; once the server is
 * back, what the outage left is read straight from the backend, and a resume must complete the
 * run with the crash-free output under the kill trials' invariants.
 */
export const outageTrial = async (options: {
  readonly storage: Storage;
  readonly raw: RawReader;
  readonly server: BreakableServer;
  readonly runId: string;
  readonly brokenIn: string;
  readonly leaseMs: number;
}): Promise<OutageTrial> => {
  const { storage, raw, server, runId, brokenIn, leaseMs } = options;
  const entries: LedgerEntry[] = [];
  const violations: string[] = [];
  let attempt = 1;
  let broken = false;
  // The break itself (a crash-stop) takes a while; the workflow may reject before it is over (a
  // sibling step's write fails first), and a repair must not start until it is.
  let breaking: Promise<void> = Promise.resolve();
  const note = (entry: Omit<LedgerEntry, 'pid' | 'child'>) =>
    entries.push({ child: `outage-attempt-${attempt}`, pid: process.pid, ...entry });
  const hooks = {
    leaseMs,
    effect: async (kind: 'step' | 'cleanup', name: string, exec: string) => {
      note({ kind, name, exec });
      if (kind === 'step' && name === brokenIn && !broken) {
        broken = true;
        breaking = server.breakNow();
        await breaking;
      }
    },
    safe: (exec: string) => note({ kind: 'safe', name: 'upload', exec }),
  };
  let calls = 0;
  let typed = 0;
  const expectTyped = async (what: string, call: () => Promise<unknown>) => {
    calls++;
    try {
      await call();
      violations.push(`${what} succeeded while the server was down`);
    } catch (error) {
      if (isDurableXError(error, 'StorageUnavailable')) typed++;
      else violations.push(`${what} during the outage ended in ${describe(error)}, not StorageUnavailable`);
    }
  };
  try {
    await expectTyped('the workflow', () => referenceWorkflow(storage, runId, hooks));
    await expectTyped('inspectRun', () => inspectRun(storage)(runId));
    await expectTyped('a load of another run', () => referenceWorkflow(storage, `${runId}-other`, hooks));
  } finally {
    await breaking;
    await server.repair();
  }
  // What the outage left, as the backend holds it: a write that landed as the server died counts.
  for (const { name, exec } of recordsOf(await readWhenBack(raw, runId)))
    entries.push({ child: 'campaign', pid: process.pid, kind: 'stored', name, ...(exec ? { exec } : {}) });

  // Back up: resume until the run completes (RunBusy until the lease runs out; the client may
  // need a few tries to reconnect). Anything else is a violation.
  let output: ReferenceOutput | undefined;
  let lastError = 'none';
  const deadline = Date.now() + 30_000;
  while (output === undefined && Date.now() < deadline) {
    attempt++;
    try {
      output = (await referenceWorkflow(storage, runId, hooks)).output;
    } catch (error) {
      const cause =
        isDurableXError(error) && 'cause' in error.error ? `; cause: ${String(error.error.cause)}` : '';
      lastError = `${String(error)}${cause}`.slice(0, 400);
      if (isDurableXError(error, 'RunBusy'))
        await sleep(Math.max(5, error.error.leaseExpiresAt - Date.now() + 5));
      else if (isDurableXError(error, 'StorageUnavailable')) await sleep(200);
      else {
        violations.push(`resume after the outage failed with ${describe(error)}`);
        break;
      }
    }
  }
  const final = await readWhenBack(raw, runId);
  const reference = await crashFreeOutput(runId);
  if (output === undefined)
    violations.push(
      `the run never completed after the outage (${attempt - 1} attempts; the last error: ${lastError})`,
    );
  else if (JSON.stringify(output) !== JSON.stringify(reference))
    violations.push(`the resumed run returned ${JSON.stringify(output)}, not ${JSON.stringify(reference)}`);
  const kept = recordsOf(final).find((r) => r.name === 'upload')?.exec;
  violations.push(
    ...noReexecution(entries),
    ...recordsTrue(entries),
    ...compensations(entries, kept),
    ...finalStateSound(final, 'completed'),
  );
  return { runId, brokenIn, callsDuringOutage: calls, typedErrors: typed, violations };
};
