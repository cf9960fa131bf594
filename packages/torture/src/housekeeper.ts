/**
 * The processes beside a kill trial's workers, in one child (`DX_TORTURE_ROLE=housekeeper`): a
 * host's cron (`findDue`, reporting when the trial's run is due), housekeeping (`recoverAbandoned`,
 * and `purgeRuns` once told `purge` on stdin) and an operator (the `approval` signal at
 * `DX_TORTURE_SIGNAL_AT`, a `cancel` at `DX_TORTURE_CANCEL_AT`, epoch ms). It polls every
 * TICK_MS, under a fault plan of its own (a kill, a lost answer, a resend), until told `stop`.
 * What it does to the run goes to the ledger; what the campaign waits for, to stdout.
 */
import { createInterface } from 'node:readline';
import { cancel, findDue, isDurableXError, purgeRuns, recoverAbandoned, signal } from '@td7x/durable-x';
import {
  APPROVAL,
  appendEffect,
  approvalOf,
  ENV,
  faultyStorage,
  type LedgerEntry,
  type OpenedStorage,
  parsePlan,
  registryOf,
} from '@td7x/testing/crash';

export const HOUSEKEEPER_ENV = {
  role: 'DX_TORTURE_ROLE',
  signalAt: 'DX_TORTURE_SIGNAL_AT',
  cancelAt: 'DX_TORTURE_CANCEL_AT',
} as const;

/** Lines the housekeeper prints: the run is due; a call failed in a way the campaign judges. */
export const DUE_LINE = 'DX_DUE';
export const PROBLEM_PREFIX = 'DX_HOUSEKEEPER_PROBLEM ';
export const STOPPED_LINE = 'DX_HOUSEKEEPER_STOPPED';
export const CANCELLED_LINE = 'DX_CANCELLED';

const TICK_MS = 50;

const typeOf = (error: unknown): string => (isDurableXError(error) ? error.error.type : 'untyped');

export const runHousekeeper = async (open: (env: NodeJS.ProcessEnv) => Promise<OpenedStorage>) => {
  const label = process.env[ENV.label] ?? `housekeeper-${process.pid}`;
  const ledger = process.env[ENV.ledger] ?? '';
  const runId = process.env[ENV.runId] ?? '';
  const leaseMs = Number(process.env[ENV.leaseMs] ?? 400);
  const signalAt = Number(process.env[HOUSEKEEPER_ENV.signalAt] ?? Number.POSITIVE_INFINITY);
  const cancelAt = Number(process.env[HOUSEKEEPER_ENV.cancelAt] ?? Number.POSITIVE_INFINITY);
  const note = (entry: Omit<LedgerEntry, 'child' | 'pid'>) =>
    appendEffect(ledger, { child: label, pid: process.pid, ...entry });
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  const problem = (what: string, type: string, message: string): void =>
    say(`${PROBLEM_PREFIX}${JSON.stringify({ what, type, message: message.slice(0, 300) })}`);
  const failed =
    (what: string) =>
    (error: unknown): undefined =>
      void problem(what, typeOf(error), String(error));

  const opened = await open(process.env);
  const storage = faultyStorage(opened.storage, parsePlan(process.env[ENV.plan]), {
    driverResend: opened.driverResend,
    resent: (operation, how) => note({ kind: 'resent', name: operation, detail: how }),
  });
  const registry = registryOf({ effect: (kind, name, exec) => note({ kind, name, exec }) });

  let purging = false;
  let stopping = false;
  let signalled = false;
  let cancelled = false;
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'purge') purging = true;
    if (line === 'stop') stopping = true;
  });

  const tick = async () => {
    const due = await findDue(storage)({ limit: 100 }).catch(failed('findDue'));
    if (due?.runs.some((r) => r.runId === runId)) say(DUE_LINE);
    const recovered = await recoverAbandoned(storage, { leaseMs })(registry)().catch(
      failed('recoverAbandoned'),
    );
    // A run that moved on since it was listed is left alone (RunBusy): not a problem.
    for (const { runId: id, error } of recovered?.failed ?? [])
      if (error.type !== 'RunBusy') problem(`recover ${id}`, error.type, JSON.stringify(error));
    if (purging) {
      const purged = await purgeRuns(storage)({ olderThanMs: 0 }).catch(failed('purgeRuns'));
      if (purged) note({ kind: 'purged', name: 'purgeRuns', detail: String(purged) });
    }
    if (!signalled && Date.now() >= signalAt) {
      try {
        const report = await signal(storage)(runId)(APPROVAL)(approvalOf(runId));
        note({ kind: 'signal', name: APPROVAL, detail: `accepted ${report.accepted}` });
        signalled = true;
      } catch (error) {
        // The run may not exist yet: the next tick sends again.
        if (!isDurableXError(error, 'RunNotFound')) failed('signal')(error);
      }
    }
    if (!cancelled && Date.now() >= cancelAt) {
      try {
        const report = await cancel(storage)(runId);
        note({ kind: 'cancel', name: runId, detail: report.status });
        if (report.status === 'cancelled') say(CANCELLED_LINE);
        cancelled = true;
      } catch (error) {
        if (!isDurableXError(error, 'RunNotFound')) failed('cancel')(error);
      }
    }
  };

  while (!stopping) {
    const started = Date.now();
    await tick();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, TICK_MS - (Date.now() - started))));
  }
  await opened.close();
  process.stdout.write(`${STOPPED_LINE}\n`, () => process.exit(0));
};
