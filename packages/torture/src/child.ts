/**
 * One attempt of the torture workflow in its own process (spawned by `trial.ts`):
 *   node --conditions=@td7x/source --import tsx src/child.ts
 * Configured only by the environment; SIGKILLs itself where its kill plan says, else runs the
 * workflow to the end and prints one outcome line.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isDurableXError } from '@td7x/durable-x';
import { sameHostLiveness } from '@td7x/durable-x/node';
import { openBackend } from './backends/open.ts';
import { die, killingStorage } from './kill/killing-storage.ts';
import { parsePlan } from './kill/plan.ts';
import { append } from './ledger.ts';
import { CHILD_ENV, type ChildReport, OUTCOME_PREFIX } from './protocol.ts';
import { tortureWorkflow } from './workflow.ts';

const need = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`torture child: ${name} is not set`);
  return value;
};

const runId = need(CHILD_ENV.runId);
const ledger = need(CHILD_ENV.ledger);
const attempt = Number(need(CHILD_ENV.attempt));
const leaseMs = Number(need(CHILD_ENV.leaseMs));
const plan = parsePlan(process.env[CHILD_ENV.plan]);
const liveness = sameHostLiveness();

let effects = 0;
/** Appends the effect, then dies here if this is the k-th effect of the plan. */
const effect = (kind: 'step' | 'cleanup', name: string, token?: string): void => {
  append(ledger, { attempt, kind, name, ...(token === undefined ? {} : { token }) });
  if (plan.mode === 'in-effect' && plan.k === ++effects) die();
};

const main = async (): Promise<ChildReport> => {
  const { storage, close } = await openBackend(process.env);
  const killing = killingStorage(storage, plan, {
    stored: (name) => append(ledger, { attempt, kind: 'stored', name }),
  });
  try {
    for (;;) {
      try {
        const done = await tortureWorkflow(
          killing,
          runId,
          {
            step: (name, token) => effect('step', name, token),
            cleanup: (token) => effect('cleanup', 'delete_upload', token),
            safe: (token) => append(ledger, { attempt, kind: 'safe', name: 'upload', token }),
          },
          // The attempt before this one was SIGKILLed on this host: its run is taken over at
          // once (sameHostLiveness), without waiting out its lease.
          { leaseMs, liveness },
        );
        return { kind: 'completed', ...done };
      } catch (error) {
        // The owner is not proven dead (alive, or another host): its lease runs out at
        // leaseExpiresAt; load again just after.
        if (!isDurableXError(error, 'RunBusy')) throw error;
        await sleep(Math.max(5, error.error.leaseExpiresAt - Date.now() + 5));
      }
    }
  } finally {
    await close();
  }
};

const report = (outcome: ChildReport, code: number) =>
  process.stdout.write(`${OUTCOME_PREFIX}${JSON.stringify(outcome)}\n`, () => process.exit(code));

main().then(
  (outcome) => report(outcome, 0),
  (error: unknown) =>
    report(
      {
        kind: 'error',
        type: isDurableXError(error) ? error.error.type : 'untyped',
        message: String((error as Error)?.stack ?? error),
      },
      1,
    ),
);
