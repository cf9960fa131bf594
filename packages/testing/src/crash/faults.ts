import type { OptionalStorageOperation, Storage, StorageOperation } from '@td7x/durable-x';

type Operation = StorageOperation | OptionalStorageOperation;

import { interceptStorage } from '@td7x/durable-x-testkit';

/**
 * What goes wrong in one process, counted in its storage calls (every contract call, lease
 * renewals included) or in the effects it starts:
 * - `before-call`: SIGKILL right before the k-th call is sent;
 * - `after-call`: SIGKILL right after the k-th call resolved (it reached the backend, the answer is lost with the process);
 * - `in-effect`: SIGKILL inside the k-th step body or cleanup, once its effect is in the ledger;
 * - `lost-reply`: the k-th call reaches the backend, and its answer is lost (the caller sees a connection error);
 * - `resend`: the k-th call reaches the backend twice (a driver resending after a lost reply), the second answer is the caller's;
 * - `none`.
 */
export type FaultPlan = { readonly mode: FaultMode; readonly k: number } | { readonly mode: 'none' };

export type FaultMode = 'before-call' | 'after-call' | 'in-effect' | 'lost-reply' | 'resend';

/** The modes that end the process. */
export const KILLS: readonly FaultMode[] = ['before-call', 'after-call', 'in-effect'];

export const describePlan = (plan: FaultPlan): string =>
  plan.mode === 'none' ? 'none' : `${plan.mode}#${plan.k}`;

const PLAN_RE = /^(before-call|after-call|in-effect|lost-reply|resend)#(\d+)$/;

export const parsePlan = (text: string | undefined): FaultPlan => {
  const match = PLAN_RE.exec(text ?? '');
  if (!match) return { mode: 'none' };
  return { mode: match[1] as FaultMode, k: Number(match[2]) };
};

/** Dies now, as a power cut would: no finally blocks, no flush, no goodbye to the server. */
export const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL of oneself is delivered before kill(2) returns; this line is never reached.
  throw new Error('unreachable');
};

export interface FaultHooks {
  /**
   * Makes the driver lose the answer of its next request and send it again by itself (ioredis
   * through a proxy that drops a reply, the AWS SDK through one that drops a PUT's answer);
   * absent when the driver never resends, and the wrapper sends the request twice instead.
   * Returns whether an answer was dropped since (and so a request resent), to ask once the call is over.
   */
  readonly driverResend?: (() => () => boolean) | undefined;
  /** A request reached the backend twice. */
  readonly resent?: (operation: Operation, how: 'driver' | 'wrapper') => void;
  /** An answer said the run is cancelled. */
  readonly learntCancel?: (operation: Operation) => void;
  /** Every answer, as the core gets it (after a resend, the second one). */
  readonly answered?: (operation: Operation, request: unknown, answer: unknown) => void;
}

/**
 * Answers that tell the caller its run is cancelled (a fenced write refused, or a claim of a
 * cancelled run); a group of writes (`putSteps`) answers one outcome per request.
 */
const cancelledBy = (operation: Operation, answer: unknown): boolean => {
  if (Array.isArray(answer)) return answer.some((a) => cancelledBy(operation, a));
  if (answer === 'cancelled') return true;
  const outcome = answer as { kind?: string; snapshot?: { run?: { status?: string } } } | null;
  if (outcome?.kind === 'cancelled') return operation !== 'cancel';
  return (
    operation === 'claim' && outcome?.kind === 'claimed' && outcome.snapshot?.run?.status === 'cancelled'
  );
};

/** Reads: a resend of one shows nothing, so a `resend` plan that lands on a read sends it once (the plan is spent). */
const READS: ReadonlySet<Operation> = new Set(['read', 'list']);

/**
 * The storage seam as a fault switch (`interceptStorage`): counts this process's contract calls
 * and, per the plan, kills the process around the k-th one, loses its answer or sends it twice.
 */
export const faultyStorage = (inner: Storage, plan: FaultPlan, hooks: FaultHooks = {}): Storage => {
  let calls = 0;
  return interceptStorage(inner, async (operation, request, send) => {
    const n = ++calls;
    const planned = plan.mode !== 'none' && plan.k === n;
    if (planned && plan.mode === 'before-call') die();
    let answer: unknown;
    if (planned && plan.mode === 'resend' && !READS.has(operation)) {
      if (hooks.driverResend) {
        const dropped = hooks.driverResend();
        answer = await send(request);
        if (dropped()) hooks.resent?.(operation, 'driver');
      } else {
        await send(request);
        answer = await send(request);
        hooks.resent?.(operation, 'wrapper');
      }
    } else answer = await send(request);
    if (cancelledBy(operation, answer)) hooks.learntCancel?.(operation);
    hooks.answered?.(operation, request, answer);
    if (planned && plan.mode === 'after-call') die();
    if (planned && plan.mode === 'lost-reply')
      throw new Error(`ECONNRESET: the answer to ${operation} was lost`);
    return answer;
  });
};
