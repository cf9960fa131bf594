import { setTimeout as sleep } from 'node:timers/promises';
import { inspectRun, isDurableXError, type Storage } from '@td7x/durable-x';
import { compensations, finalStateSound, noReexecution, outputMatches } from '../check/invariants.ts';
import { finalStateOf, keptToken } from '../check/snapshot.ts';
import { killingStorage } from '../kill/killing-storage.ts';
import type { TortureEntry } from '../ledger.ts';
import { CLEANUP, ROLLBACKABLE, type TortureOutput, tortureWorkflow } from '../workflow.ts';
import { referenceOutput, STEPS } from './kills.ts';
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

/**
 * The server goes down inside the body of step `brokenIn` of a run (in process, real client):
 * the workflow and a few more calls must end in a typed `StorageUnavailable`; once the server is
 * back, a resume must complete the run with the crash-free output and the ledger invariants.
 */
export const outageTrial = async (options: {
  readonly storage: Storage;
  readonly server: BreakableServer;
  readonly runId: string;
  readonly brokenIn: string;
  readonly leaseMs: number;
}): Promise<OutageTrial> => {
  const { server, runId, brokenIn, leaseMs } = options;
  const entries: TortureEntry[] = [];
  const violations: string[] = [];
  let attempt = 1;
  let broken = false;
  const storage = killingStorage(
    options.storage,
    { mode: 'none' },
    {
      stored: (name) => entries.push({ attempt, kind: 'stored', name }),
    },
  );
  const effects = {
    step: async (name: string, token?: string) => {
      entries.push({ attempt, kind: 'step', name, ...(token === undefined ? {} : { token }) });
      if (name === brokenIn && !broken) {
        broken = true;
        await server.breakNow();
      }
    },
    cleanup: (token: string) => void entries.push({ attempt, kind: 'cleanup', name: CLEANUP, token }),
    safe: (token: string) => void entries.push({ attempt, kind: 'safe', name: 'upload', token }),
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
  let output: TortureOutput | undefined;
  try {
    await expectTyped('the workflow', () => tortureWorkflow(storage, runId, effects, { leaseMs }));
    await expectTyped('inspectRun', () => inspectRun(storage)(runId));
    await expectTyped('a load of another run', () =>
      tortureWorkflow(storage, `${runId}-other`, effects, { leaseMs }),
    );
  } finally {
    await server.repair();
  }
  // Back up: resume until the run completes (RunBusy until the lease runs out; the client may
  // need a few tries to reconnect). Anything else is a violation.
  const deadline = Date.now() + 30_000;
  while (output === undefined && Date.now() < deadline) {
    attempt++;
    try {
      output = (await tortureWorkflow(storage, runId, effects, { leaseMs })).output;
    } catch (error) {
      if (isDurableXError(error, 'RunBusy'))
        await sleep(Math.max(5, error.error.leaseExpiresAt - Date.now() + 5));
      else if (isDurableXError(error, 'StorageUnavailable')) await sleep(200);
      else {
        violations.push(`resume after the outage failed with ${describe(error)}`);
        break;
      }
    }
  }
  const snapshot = await inspectRun(options.storage)(runId);
  violations.push(
    ...outputMatches(output, await referenceOutput(runId)),
    ...noReexecution(entries, ROLLBACKABLE),
    ...compensations(entries, keptToken(snapshot)),
    ...finalStateSound(finalStateOf(snapshot), STEPS),
  );
  return { runId, brokenIn, callsDuringOutage: calls, typedErrors: typed, violations };
};
