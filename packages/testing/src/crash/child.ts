/**
 * One attempt of the reference workflow in its own process:
 *   node --conditions=@td7x/source --import tsx child.ts
 * It is configured only through the environment (see protocol.ts), loads the storage module,
 * runs the workflow, prints one OUTCOME line and exits. The harness may SIGKILL it at any time.
 */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { type DurableEvent, DurableXError } from '@td7x/durable-x';
import { sameHostLiveness } from '@td7x/durable-x/node';
import { appendEffect } from './ledger.ts';
import { type ChildOutcome, ENV, type EventSummary, OUTCOME_PREFIX, READY_LINE } from './protocol.ts';
import type { StorageModule } from './storage-module.ts';
import { referenceWorkflow } from './workflow.ts';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`crash child: ${name} is not set`);
  return value;
};

const label = process.env[ENV.label] ?? `pid-${process.pid}`;
const ledger = required(ENV.ledger);
const runId = required(ENV.runId);
const hangIn = process.env[ENV.hangIn];
const leaseText = process.env[ENV.leaseMs] ?? '2000';
const leaseMs = leaseText === 'default' ? undefined : Number(leaseText);
const liveness = process.env[ENV.liveness] === 'host' ? sameHostLiveness() : undefined;
const stepMs = Number(process.env[ENV.stepMs] ?? 0);

const summarize = (e: DurableEvent): EventSummary => ({
  type: e.type,
  ...('name' in e ? { name: e.name } : {}),
  ...('attempt' in e ? { attempt: e.attempt } : {}),
  ...('forgotSteps' in e ? { forgotSteps: e.forgotSteps } : {}),
});

const effect = async (kind: 'step' | 'cleanup', name: string, key?: string): Promise<void> => {
  appendEffect(ledger, { child: label, pid: process.pid, kind, name, ...(key === undefined ? {} : { key }) });
  if (kind === 'step' && name === hangIn) await new Promise(() => setInterval(() => {}, 60_000));
  if (stepMs > 0) await sleep(stepMs);
};

const waitForGo = (): Promise<void> =>
  new Promise((resolve) => {
    process.stdout.write(`${READY_LINE}\n`);
    createInterface({ input: process.stdin }).once('line', () => resolve());
  });

const attempt = async (events: EventSummary[]): Promise<ChildOutcome> => {
  const module = (await import(pathToFileURL(required(ENV.storageModule)).href)) as {
    default: StorageModule;
  };
  const { storage, close } = await module.default();
  try {
    if (process.env[ENV.barrier] === '1') await waitForGo();
    for (;;) {
      try {
        const { checkpoint, replay, output } = await referenceWorkflow(storage, runId, {
          effect,
          leaseMs,
          onEvent: (e) => events.push(summarize(e)),
          ...(liveness === undefined ? {} : { liveness }),
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
        if (!(error instanceof DurableXError) || error.error.type !== 'RunBusy') throw error;
        if (process.env[ENV.waitForLease] !== '1') return { kind: 'busy', label };
        // A resumer: the crashed owner's lease runs out at leaseExpiresAt; try again just after.
        await sleep(Math.max(10, error.error.leaseExpiresAt - Date.now() + 10));
      }
    }
  } finally {
    await close();
  }
};

const describe = (error: unknown): string => String((error as Error | undefined)?.stack ?? error);

// Exit explicitly (once the line is flushed): stdin, kept open for the barrier, would hold the process.
const report = (outcome: ChildOutcome, code: number) =>
  process.stdout.write(`${OUTCOME_PREFIX}${JSON.stringify(outcome)}\n`, () => process.exit(code));

const events: EventSummary[] = [];
attempt(events).then(
  (outcome) => report(outcome, 0),
  (error: unknown) => {
    const cause = error instanceof DurableXError && 'cause' in error.error ? error.error.cause : undefined;
    const text =
      error instanceof DurableXError ? `${error.message}; cause: ${describe(cause)}` : describe(error);
    report({ kind: 'error', label, error: text, exitCode: 1, stderr: '' }, 1);
  },
);
