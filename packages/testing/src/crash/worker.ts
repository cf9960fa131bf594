import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DurableEvent, DurableXError, isDurableXError } from '@td7x/durable-x';
import { sameHostLiveness } from '@td7x/durable-x/node';
import { die, faultyStorage, parsePlan } from './faults.ts';
import { appendEffect, type LedgerEntry } from './ledger.ts';
import {
  type ChildOutcome,
  ENV,
  type EventSummary,
  HANGING_LINE,
  OUTCOME_PREFIX,
  READY_LINE,
} from './protocol.ts';
import type { StorageModule } from './storage-module.ts';
import { referenceWorkflow } from './workflow.ts';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`crash worker: ${name} is not set`);
  return value;
};

const optionalNumber = (name: string): number | undefined =>
  process.env[name] === undefined || process.env[name] === '' ? undefined : Number(process.env[name]);

const summarize = (e: DurableEvent): EventSummary => ({
  type: e.type,
  ...('name' in e ? { name: e.name } : {}),
  ...('attempt' in e ? { attempt: e.attempt } : {}),
  ...('forgotSteps' in e ? { forgotSteps: e.forgotSteps } : {}),
});

const waitForGo = (): Promise<void> =>
  new Promise((resolve) => {
    process.stdout.write(`${READY_LINE}\n`);
    createInterface({ input: process.stdin }).once('line', () => resolve());
  });

/** A claim's answer, or a fenced write refused: what a reader of the ledger needs to follow a run. */
const describeAnswer = (operation: string, answer: unknown): string | undefined => {
  const a = answer as {
    kind?: string;
    previousStatus?: unknown;
    snapshot?: { run?: { attempt?: number; status?: string }; steps?: unknown[] };
  };
  if (operation === 'claim')
    return `${a?.kind} from ${String(a?.previousStatus)}, attempt ${a?.snapshot?.run?.attempt}, ${a?.snapshot?.steps?.length} step record(s)`;
  if (answer === 'lease-lost' || a?.kind === 'lease-lost') return 'lease-lost';
  if (Array.isArray(answer) && answer.some((one) => one === 'lease-lost' || one?.kind === 'lease-lost'))
    return 'lease-lost (in a group of writes)';
  return undefined;
};

const describe = (error: unknown): string => String((error as Error | undefined)?.stack ?? error);

/**
 * One attempt of the reference workflow in this process, configured by the environment (see
 * protocol.ts): opens its storage with `open`, puts the fault plan between the core and it, runs
 * the workflow, prints one outcome line and exits. The harness may SIGKILL it at any time; the
 * plan may kill it too. Every effect, resend and cancellation it sees goes to the ledger first.
 */
export const runWorker = async (open: StorageModule): Promise<void> => {
  const label = process.env[ENV.label] ?? `pid-${process.pid}`;
  const ledger = required(ENV.ledger);
  const runId = required(ENV.runId);
  const plan = parsePlan(process.env[ENV.plan]);
  const hangIn = process.env[ENV.hangIn];
  const stepMs = Number(process.env[ENV.stepMs] ?? 0);
  const note = (entry: Omit<LedgerEntry, 'child' | 'pid'>) =>
    appendEffect(ledger, { child: label, pid: process.pid, ...entry });

  let effects = 0;
  const effect = async (
    kind: 'step' | 'cleanup',
    name: string,
    exec: string,
    key?: string,
  ): Promise<void> => {
    note({ kind, name, exec, ...(key === undefined ? {} : { key }) });
    if (plan.mode === 'in-effect' && plan.k === ++effects) die();
    if (kind === 'step' && name === hangIn) {
      process.stdout.write(`${HANGING_LINE}\n`);
      await new Promise(() => setInterval(() => {}, 60_000));
    }
    if (stepMs > 0) await sleep(stepMs);
  };

  const attempt = async (events: EventSummary[]): Promise<ChildOutcome> => {
    const opened = await open(process.env);
    let learnt = false;
    const storage = faultyStorage(opened.storage, plan, {
      driverResend: opened.driverResend,
      resent: (operation, how) => note({ kind: 'resent', name: operation, detail: how }),
      learntCancel: (operation) => {
        if (!learnt) note({ kind: 'learnt-cancel', name: operation });
        learnt = true;
      },
      answered: (operation, _request, answer) => {
        const detail = describeAnswer(operation, answer);
        if (detail !== undefined)
          note({ kind: operation === 'claim' ? 'claim' : 'refused', name: operation, detail });
      },
    });
    try {
      if (process.env[ENV.barrier] === '1') await waitForGo();
      for (;;) {
        try {
          const { checkpoint, replay, output } = await referenceWorkflow(storage, runId, {
            effect,
            safe: (exec) => note({ kind: 'safe', name: 'upload', exec }),
            // `default`: the core's own lease (30 s), as the quick start has it.
            leaseMs:
              process.env[ENV.leaseMs] === 'default' ? undefined : (optionalNumber(ENV.leaseMs) ?? 2000),
            liveness: process.env[ENV.liveness] === 'host' ? sameHostLiveness() : undefined,
            onEvent: (e) => events.push(summarize(e)),
            sleepMs: optionalNumber(ENV.sleepMs),
            awaitApproval: process.env[ENV.awaitApproval] === '1',
            chargeFailures: optionalNumber(ENV.chargeFailures),
          });
          return replay
            ? { kind: 'memoized', label, output, events }
            : {
                kind: 'completed',
                label,
                attempt: checkpoint.attempt,
                output,
                cleanupsRun: checkpoint.cleanupsRun,
                events,
              };
        } catch (error) {
          if (!isDurableXError(error)) throw error;
          const e = error.error;
          if (e.type === 'Suspended')
            return { kind: 'suspended', label, reason: e.reason, resumeAt: e.resumeAt };
          if (e.type === 'Cancelled') return { kind: 'cancelled', label, cleanupsRun: e.cleanupsRun };
          if (e.type !== 'RunBusy') throw error;
          if (process.env[ENV.waitForLease] !== '1') return { kind: 'busy', label };
          // A resumer: the other owner's lease runs out at leaseExpiresAt; try again just after.
          await sleep(Math.max(10, e.leaseExpiresAt - Date.now() + 10));
        }
      }
    } finally {
      await opened.close();
    }
  };

  // Exit explicitly (once the line is flushed): stdin, kept open for the barrier, would hold the process.
  const report = (outcome: ChildOutcome, code: number) =>
    process.stdout.write(`${OUTCOME_PREFIX}${JSON.stringify(outcome)}\n`, () => process.exit(code));

  const events: EventSummary[] = [];
  await attempt(events).then(
    (outcome) => report(outcome, 0),
    (error: unknown) => {
      const typed = error instanceof DurableXError ? error.error : undefined;
      const cause = typed && 'cause' in typed ? `; cause: ${describe(typed.cause)}` : '';
      report(
        {
          kind: 'error',
          label,
          type: typed?.type ?? 'untyped',
          error: typed ? `${(error as Error).message}${cause}` : describe(error),
          exitCode: 1,
          stderr: '',
        },
        1,
      );
    },
  );
};
