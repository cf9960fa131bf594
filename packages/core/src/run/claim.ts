import { err, ok, type Result } from 'neverthrow';
import { type Clock, waitOn } from '../clock.ts';
import type { RunBusy, StorageUnavailable } from '../errors.ts';
import { callStorage } from '../storage/call.ts';
import type { ClaimOutcome, RunHead, Storage } from '../storage/contract.ts';
import type { DurableEvent } from './events.ts';
import { askLiveness, type LivenessCheck } from './liveness.ts';

/** What `load` claims with: everything but the snapshot it gets back. */
export interface ClaimPlan {
  readonly storage: Storage;
  readonly runId: string;
  readonly owner: string;
  readonly clock: Clock;
  readonly leaseMs: number;
  /**
   * Housekeeping: take over only from exactly this owner, under exactly this lease (the run it
   * listed); no liveness check, no waiting.
   */
  readonly seen: Seen | undefined;
  readonly liveness: LivenessCheck | undefined;
  readonly livenessTimeoutMs: number;
  /** Wait for a busy run's lease instead of answering `RunBusy`, until `deadline` (clock ms). */
  readonly wait: { readonly deadline: number; readonly signal: AbortSignal | undefined } | undefined;
  readonly emit: (event: DurableEvent) => void;
}

export type Claimed = Extract<ClaimOutcome, { kind: 'claimed' | 'completed' }>;

/** A run as someone saw it: take it over only if it is still so (`ifOwner`, `ifLeaseExpiresAt`). */
export interface Seen {
  readonly owner: string;
  readonly leaseExpiresAt: number;
}

/** While waiting with a liveness check, ask it again this often: its owner may die meanwhile. */
const LIVENESS_POLL_MS = 1_000;

const claim = (plan: ClaimPlan, seen: Seen | undefined) =>
  callStorage(plan.storage, 'claim', {
    runId: plan.runId,
    owner: plan.owner,
    now: plan.clock.now(),
    leaseMs: plan.leaseMs,
    ...(seen === undefined ? {} : { ifOwner: seen.owner, ifLeaseExpiresAt: seen.leaseExpiresAt }),
  });

/**
 * The busy path: the run is held by `head.owner` under a live lease. When the liveness check
 * proves that owner dead, take the run over at once with a claim that succeeds only while that
 * owner still holds it under the lease we saw (one more round trip): of several loaders racing
 * for a dead owner's run exactly one gets it, and a run that moved on meanwhile (resumed,
 * suspended, finished, or renewed: its owner was alive after all) is left alone.
 */
const takeOverIfDead = async (
  plan: ClaimPlan,
  head: RunHead,
): Promise<Result<ClaimOutcome, StorageUnavailable>> => {
  if (!plan.liveness || head.owner === null) return ok({ kind: 'busy', run: head });
  const answer = await askLiveness(plan.liveness, head.owner, plan.clock, plan.livenessTimeoutMs);
  plan.emit({ type: 'owner.checked', runId: plan.runId, owner: head.owner, answer });
  if (answer !== 'dead') return ok({ kind: 'busy', run: head });
  return claim(plan, { owner: head.owner, leaseExpiresAt: head.leaseExpiresAt });
};

const busy = (plan: ClaimPlan, outcome: ClaimOutcome): RunBusy => ({
  type: 'RunBusy',
  runId: plan.runId,
  leaseExpiresAt: outcome.kind === 'busy' ? outcome.run.leaseExpiresAt : 0,
});

/**
 * Claims the run: one round trip when it is free (created, taken over after its lease, replayed
 * when completed); on a live lease, a liveness check and a conditional takeover when the owner is
 * dead; with `wait`, sleeps until the lease runs out (asking the check again every second) and
 * claims again, until the deadline or the signal. `RunBusy` otherwise.
 */
export const claimRun = async (plan: ClaimPlan): Promise<Result<Claimed, RunBusy | StorageUnavailable>> => {
  for (;;) {
    const first = await claim(plan, plan.seen);
    if (first.isErr()) return err(first.error);
    let outcome = first.value;
    if (outcome.kind === 'busy' && plan.seen === undefined) {
      const taken = await takeOverIfDead(plan, outcome.run);
      if (taken.isErr()) return err(taken.error);
      outcome = taken.value;
    }
    if (outcome.kind === 'claimed' || outcome.kind === 'completed') return ok(outcome);
    const now = plan.clock.now();
    if (!plan.wait || plan.wait.signal?.aborted || now >= plan.wait.deadline) return err(busy(plan, outcome));
    const leaseEnd = outcome.kind === 'busy' ? outcome.run.leaseExpiresAt : now;
    const until = Math.min(plan.wait.deadline, plan.liveness ? now + LIVENESS_POLL_MS : Infinity, leaseEnd);
    if (until <= now) continue; // free again already (or gone): claim at once
    plan.emit({ type: 'lease.waiting', runId: plan.runId, until });
    await waitOn(plan.clock, until - now, plan.wait.signal);
    if (plan.wait.signal?.aborted) return err(busy(plan, outcome));
  }
};
