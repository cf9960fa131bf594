/**
 * The invariants of a kill trial, as small pure functions over what it left: the ledger (what
 * really happened, outside durable-x, in order; with the step records the campaign read straight
 * from the backend after each attempt as `stored` lines), the attempts' outcomes, the run as the
 * backend holds it at the end (a raw read, not the adapter under test) and the crash-free output.
 * Each returns the violations it found, in words; none is success.
 */
import { isDeepStrictEqual } from 'node:util';
import type { RawRun } from '@td7x/durable-x-testkit';
import {
  type ChildOutcome,
  type FaultPlan,
  KILLS,
  type LedgerEntry,
  REFERENCE_STEPS,
  type ReferenceOutput,
  ROLLBACKABLE,
} from '@td7x/testing/crash';

/** One worker process of a trial: its plan, how it ended, and how long the ledger was when it started. */
export interface Attempt {
  readonly label: string;
  readonly plan: FaultPlan;
  readonly outcome: ChildOutcome;
  readonly startedAtLine: number;
  /** The run's owner as the backend held it once this process had ended (a raw read). */
  readonly ownerAfter: string | null | undefined;
}

/** The owner tokens `child`'s claims asked for. */
const ownersOf = (entries: readonly LedgerEntry[], child: string): string[] =>
  entries.flatMap((e) => (e.kind === 'claim' && e.child === child && e.owner ? [e.owner] : []));

/**
 * `LeaseLost` is the right answer to a process whose run another took over (a stalled owner's
 * lease ran out and housekeeping or a duplicate claimed it): then the run's owner, once it ended,
 * is not one of its tokens. A process told so while it still held the run was refused wrongly.
 */
const takenOver = (entries: readonly LedgerEntry[], child: string, ownerAfter: string | null | undefined) =>
  ownerAfter === undefined || ownerAfter === null || !ownersOf(entries, child).includes(ownerAfter);

const line = (i: number) => `ledger line ${i + 1}`;

/** The ledger line at which the run was cancelled (the operator's cancel answered `cancelled`), if it was. */
export const cancelLine = (entries: readonly LedgerEntry[]): number | undefined => {
  const at = entries.findIndex((e) => e.kind === 'cancel' && e.detail === 'cancelled');
  return at === -1 ? undefined : at;
};

/**
 * Each attempt ends as its plan allows: killed only by a kill plan; an error only as the lost
 * answer of a `lost-reply` plan (StorageUnavailable), or `LeaseLost` once another process took the
 * run over; `cancelled` only once a cancel was stored; never busy (workers wait for the lease),
 * hung or crashed.
 */
export const attemptsClean = (
  attempts: readonly Attempt[],
  cancelled: boolean,
  entries: readonly LedgerEntry[] = [],
): string[] =>
  attempts.flatMap(({ label, plan, outcome: o, ownerAfter }) => {
    const planned = plan.mode === 'none' ? 'no plan' : `plan ${plan.mode}#${plan.k}`;
    switch (o.kind) {
      case 'killed':
        return plan.mode !== 'none' && KILLS.includes(plan.mode)
          ? []
          : [`${label} was killed with ${planned}`];
      case 'error':
        if (o.type === 'StorageUnavailable' && plan.mode === 'lost-reply') return [];
        if (o.type === 'LeaseLost' && takenOver(entries, label, ownerAfter)) return [];
        return [`${label} (${planned}) failed with ${o.type}: ${o.error.split('\n')[0]}`];
      case 'cancelled':
        return cancelled ? [] : [`${label} answered Cancelled, but no cancel was stored`];
      case 'busy':
        return [`${label} gave up on a busy run`];
      default:
        return [];
    }
  });

/** Every output a worker returned (completed or replayed) equals the crash-free output. */
export const outputsMatch = (attempts: readonly Attempt[], reference: ReferenceOutput): string[] =>
  attempts.flatMap(({ label, outcome: o }) =>
    (o.kind === 'completed' || o.kind === 'memoized') && !isDeepStrictEqual(o.output, reference)
      ? [`${label} returned ${JSON.stringify(o.output)}, not the crash-free ${JSON.stringify(reference)}`]
      : [],
  );

/**
 * A step whose record the backend held (a `stored` line) never executes again — unless it is one
 * a cleanup rolls back and the cleanup of that very execution ran since.
 */
export const noReexecution = (entries: readonly LedgerEntry[]): string[] => {
  const stored = new Map<string, { exec: string | undefined; at: number }>();
  const violations: string[] = [];
  entries.forEach((entry, at) => {
    if (entry.kind === 'stored') stored.set(entry.name, { exec: entry.exec, at });
    if (entry.kind === 'cleanup')
      for (const name of ROLLBACKABLE) if (stored.get(name)?.exec === entry.exec) stored.delete(name);
    const record = stored.get(entry.name);
    if (entry.kind === 'step' && record) {
      violations.push(
        `step ${entry.name} executed again by ${entry.child} (${line(at)}) after its record was stored (${line(record.at)})`,
      );
    }
  });
  return violations;
};

/** Every step record read from the backend names an execution that ran before it was read. */
export const recordsTrue = (entries: readonly LedgerEntry[]): string[] =>
  entries.flatMap((entry, at) =>
    entry.kind === 'stored' &&
    !entries.slice(0, at).some((e) => e.kind === 'step' && e.name === entry.name && e.exec === entry.exec)
      ? [`the record of ${entry.name} read at ${line(at)} names execution ${entry.exec}, which never ran`]
      : [],
  );

/**
 * Every upload that was not the one the run kept (`kept`: the execution in its stored upload
 * record, if any) was compensated after it was made; the one kept never was.
 */
export const compensations = (entries: readonly LedgerEntry[], kept: string | undefined): string[] => {
  const violations: string[] = [];
  entries.forEach((e, at) => {
    if (e.kind !== 'step' || e.name !== 'upload' || e.exec === kept) return;
    if (!entries.slice(at + 1).some((c) => c.kind === 'cleanup' && c.exec === e.exec)) {
      violations.push(`upload ${e.exec} by ${e.child} was neither kept nor compensated (a lost cleanup)`);
    }
  });
  for (const c of entries) {
    if (c.kind === 'cleanup' && kept !== undefined && c.exec === kept) {
      violations.push(`${c.child} ran the cleanup of upload ${kept}, which the run kept`);
    }
  }
  return violations;
};

/** What the run must end as: `cancelled` if a cancel was stored before it completed, else `completed`. */
export const finalStateSound = (final: RawRun | undefined, expected: 'completed' | 'cancelled'): string[] => {
  if (!final) return ['the run is absent from the backend'];
  const violations: string[] = [];
  if (final.status !== expected) violations.push(`the run ended ${final.status}, not ${expected}`);
  if (final.cleanupNames.length > 0)
    violations.push(`${final.cleanupNames.length} cleanup(s) left pending on a ${final.status} run`);
  if (expected === 'completed') {
    if (final.owner !== null) violations.push(`a completed run still has an owner (${final.owner})`);
    const names = stepNamesOf(final);
    const missing = REFERENCE_STEPS.filter((s) => !names.includes(s));
    if (missing.length > 0) violations.push(`the completed run lacks the records of ${missing.join(', ')}`);
    const twice = names.filter((s, i) => names.indexOf(s) !== i);
    if (twice.length > 0) violations.push(`steps stored twice: ${twice.join(', ')}`);
  }
  return violations;
};

/** Names of the step records of a raw run (the core's own records, without a hash, left out). */
export const stepNamesOf = (run: RawRun): string[] =>
  run.stepKeys.filter((key) => /#[0-9a-f]{64}$/.test(key)).map((key) => key.slice(0, key.lastIndexOf('#')));

/**
 * Nothing starts after a cancellation: no step in a process after it learnt of it, and no step at
 * all in an attempt started once the cancel was stored (a later load only runs pending cleanups).
 */
export const cancelRespected = (entries: readonly LedgerEntry[], attempts: readonly Attempt[]): string[] => {
  const violations: string[] = [];
  const learnt = new Map<string, number>();
  entries.forEach((e, at) => {
    if (e.kind === 'learnt-cancel' && !learnt.has(e.child)) learnt.set(e.child, at);
    const since = learnt.get(e.child);
    if (e.kind === 'step' && since !== undefined)
      violations.push(
        `${e.child} started step ${e.name} (${line(at)}) after it learnt of the cancel (${line(since)})`,
      );
  });
  const cancelled = cancelLine(entries);
  if (cancelled !== undefined) {
    for (const a of attempts.filter((a) => a.startedAtLine > cancelled)) {
      const step = entries.find((e) => e.child === a.label && e.kind === 'step');
      if (step)
        violations.push(`${a.label}, started after the cancel (${line(cancelled)}), ran step ${step.name}`);
    }
  }
  return violations;
};

/**
 * Duplicate requests after completion, beside a purge: each replays the stored output (running
 * nothing), is told the run is busy, or — the run purged first — starts it afresh (and parks at
 * its sleep or wait, or loses it to another duplicate once stalled past its lease). Never another
 * error; never a completed run that lost its records.
 */
export const duplicatesSound = (
  duplicates: readonly ChildOutcome[],
  entries: readonly LedgerEntry[],
  reference: ReferenceOutput,
  final: RawRun | undefined,
): string[] => {
  const violations: string[] = [];
  const labels = new Set(duplicates.map((o) => o.label));
  const afresh = entries.some((e) => labels.has(e.child) && e.kind === 'step' && e.name === 'fetch');
  for (const o of duplicates) {
    const ran = entries.filter((e) => e.child === o.label && e.kind === 'step').map((e) => e.name);
    if (o.kind === 'error' && !(o.type === 'LeaseLost' && takenOver(entries, o.label, final?.owner)))
      violations.push(`duplicate ${o.label} failed with ${o.type}: ${o.error.split('\n')[0]}`);
    // A run started afresh after the purge may be completed by a later duplicate (its sleep over,
    // the approval sent again by a restarted operator); the run that had completed never is.
    if (o.kind === 'completed' && !afresh)
      violations.push(`duplicate ${o.label} completed the run a second time`);
    if ((o.kind === 'memoized' || o.kind === 'completed') && !isDeepStrictEqual(o.output, reference))
      violations.push(`duplicate ${o.label} returned ${JSON.stringify(o.output)}`);
    if (o.kind === 'memoized' && ran.length > 0)
      violations.push(`duplicate ${o.label} replayed, yet ran ${ran.join(', ')}`);
    if (o.kind === 'suspended' && !afresh)
      violations.push(`duplicate ${o.label} parked the completed run (ran ${ran.join(', ') || 'nothing'})`);
  }
  if (final?.status === 'completed') violations.push(...finalStateSound(final, 'completed'));
  return violations;
};
