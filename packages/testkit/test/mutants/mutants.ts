import type { ListQuery, MemoryData, PutStepOutcome, RunHead, Storage } from '@td7x/durable-x';
import { adopt, type MemoryRun, type Mutant, mutant, patchHead, snapshotOf } from './kit.ts';

// Each mutant breaks ONE sentence of contract.ts, quoted in its rule. The conformance groups that
// call the contract directly must fail on every one of them (see ../mutation.test.ts).

const byAge = (a: RunHead, b: RunHead): number =>
  a.updatedAt - b.updatedAt || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0);

/** The memory storage's `list`, with the order and the cursor test given. */
const listWith =
  (
    runs: MemoryData,
    order: (a: RunHead, b: RunHead) => number,
    isAfter: (head: RunHead, query: ListQuery) => boolean,
  ) =>
  async (query: ListQuery): Promise<readonly RunHead[]> =>
    [...runs.values()]
      .map((r) => r.head)
      .filter(
        (h) =>
          (query.statuses === undefined || query.statuses.includes(h.status)) &&
          (query.updatedBefore === undefined || h.updatedAt < query.updatedBefore) &&
          (query.leaseExpiredAt === undefined || h.leaseExpiresAt <= query.leaseExpiredAt) &&
          (query.after === undefined || isAfter(h, query)),
      )
      .sort(order)
      .slice(0, query.limit)
      .map((h) => ({ ...h }));

const afterByAge = (head: RunHead, query: ListQuery) => byAge(head, { ...head, ...query.after }) > 0;

const codePoints = (a: string, b: string): number => {
  const [x, y] = [[...a], [...b]];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i]?.codePointAt(0) ?? 0) - (y[i]?.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
};

/** The memory storage's `purge`, deleting what `doomed` picks among the runs that match. */
const purgeWith =
  (runs: MemoryData, pick: (matching: RunHead[], limit: number) => RunHead[], matches = purgeMatch) =>
  async (query: { statuses: readonly string[]; updatedBefore: number; limit: number }) => {
    const doomed = pick(
      [...runs.values()].map((r) => r.head).filter((h) => matches(h, query)),
      query.limit,
    );
    for (const head of doomed) runs.delete(head.runId);
    return doomed.length;
  };

const purgeMatch = (h: RunHead, q: { statuses: readonly string[]; updatedBefore: number }) =>
  q.statuses.includes(h.status) && h.updatedAt < q.updatedBefore;

/**
 * A purge that deletes heads but leaves `part` of the records behind, where the run created next
 * under the same id finds them (as rows of another table would be).
 */
const leavesBehind =
  (part: 'steps' | 'cleanups') =>
  (inner: Storage, runs: MemoryData): Partial<Storage> => {
    const orphans = new Map<string, MemoryRun>();
    const purge = purgeWith(runs, (m, limit) => m.sort(byAge).slice(0, limit));
    return {
      async purge(query) {
        const before = new Map(runs);
        const count = await purge(query);
        for (const [runId, run] of before) if (!runs.has(runId)) orphans.set(runId, run);
        return count;
      },
      async claim(request) {
        const orphan = orphans.get(request.runId);
        if (!orphan || runs.has(request.runId) || request.ifOwner !== undefined) return inner.claim(request);
        orphans.delete(request.runId);
        adopt(runs, request.runId, request.owner, request.now);
        const run = runs.get(request.runId) as MemoryRun;
        run.head = { ...run.head, leaseExpiresAt: request.now + request.leaseMs };
        if (part === 'steps') run.steps = new Map(orphan.steps);
        else run.cleanups = new Map(orphan.cleanups);
        return { kind: 'claimed', snapshot: snapshotOf(run), previousStatus: null };
      },
    };
  };

export const mutants: readonly Mutant[] = [
  // ── claim ───────────────────────────────────────────────────────────────────────────────────
  mutant(
    'claim-lease-boundary',
    'contract',
    'claim: no ifOwner: owner is null, or `leaseExpiresAt <= now` → take it over (a lease ending exactly at now treated as live)',
    (inner, runs) => ({
      claim: async (r) => {
        const head = runs.get(r.runId)?.head;
        if (
          head &&
          r.ifOwner === undefined &&
          head.owner !== null &&
          head.owner !== r.owner &&
          head.status !== 'completed' &&
          head.leaseExpiresAt === r.now
        ) {
          return { kind: 'busy', run: { ...head } };
        }
        return inner.claim(r);
      },
    }),
  ),
  mutant(
    'claim-own-clock',
    'contract',
    'a storage never reads its own clock (a created run with createdAt from Date.now())',
    (inner, runs) => ({
      claim: async (r) => {
        const outcome = await inner.claim(r);
        const run = runs.get(r.runId);
        if (outcome.kind !== 'claimed' || outcome.previousStatus !== null || !run || run.head.attempt !== 1)
          return outcome;
        run.head = { ...run.head, createdAt: Date.now() };
        return { ...outcome, snapshot: snapshotOf(run) };
      },
    }),
  ),
  mutant(
    'claim-takeover-keeps-lease',
    'contract',
    'claim: take it over: set the owner and lease (a takeover keeping the old lease expiry)',
    (inner, runs) => ({
      claim: async (r) => {
        const before = runs.get(r.runId)?.head;
        const outcome = await inner.claim(r);
        const run = runs.get(r.runId);
        if (outcome.kind !== 'claimed' || !before || !run || before.owner === r.owner) return outcome;
        run.head = { ...run.head, leaseExpiresAt: before.leaseExpiresAt };
        return { ...outcome, snapshot: snapshotOf(run) };
      },
    }),
  ),
  mutant(
    'claim-no-attempt',
    'contract',
    'claim: take it over: … `attempt + 1` (a takeover not counting the attempt)',
    (inner, runs) => ({
      claim: async (r) => {
        const before = runs.get(r.runId)?.head;
        const outcome = await inner.claim(r);
        const run = runs.get(r.runId);
        if (outcome.kind !== 'claimed' || !before || !run || before.owner === r.owner) return outcome;
        run.head = { ...run.head, attempt: before.attempt };
        return { ...outcome, snapshot: snapshotOf(run) };
      },
    }),
  ),
  mutant(
    'claim-completed-taken-over',
    'contract',
    'claim: `completed` → change nothing → `completed` with the snapshot (a completed run taken over)',
    (inner, runs) => ({
      claim: async (r) => {
        const run = runs.get(r.runId);
        if (run?.head.status !== 'completed') return inner.claim(r);
        run.claimedFrom = 'completed';
        run.head = {
          ...run.head,
          status: 'running',
          owner: r.owner,
          leaseExpiresAt: r.now + r.leaseMs,
          attempt: run.head.attempt + 1,
        };
        return { kind: 'claimed', snapshot: snapshotOf(run), previousStatus: 'completed' };
      },
    }),
  ),
  mutant(
    'claim-busy-writes',
    'contract',
    'claim: otherwise → `busy` with the current head, changing nothing (a busy claim touching updatedAt)',
    (inner, runs) => ({
      claim: async (r) => {
        const outcome = await inner.claim(r);
        if (outcome.kind === 'busy') patchHead(runs, r.runId, { updatedAt: r.now });
        return outcome;
      },
    }),
  ),
  mutant(
    'claim-snapshot-without-cleanups',
    'contract',
    'claim: the snapshot must include every write that was applied before the claim took effect (a takeover missing the cleanups)',
    (inner) => ({
      claim: async (r) => {
        const outcome = await inner.claim(r);
        if (outcome.kind !== 'claimed' || outcome.previousStatus === null) return outcome;
        return { ...outcome, snapshot: { ...outcome.snapshot, cleanups: [] } };
      },
    }),
  ),
  mutant(
    'claim-if-owner-creates',
    'v1',
    'claim: absent → … with `ifOwner` given → `not-found`, creating nothing (an ifOwner claim creating the run)',
    (inner) => ({
      claim: async (r) => {
        const outcome = await inner.claim(r);
        if (outcome.kind !== 'not-found') return outcome;
        const { ifOwner: _, ...plain } = r;
        return inner.claim(plain);
      },
    }),
  ),
  mutant(
    'claim-if-owner-ignored',
    'v1',
    'claim: `ifOwner` given: … any other owner → `busy` (ifOwner ignored once the lease expired)',
    (inner) => ({
      claim: async (r) => {
        const { ifOwner, ...plain } = r;
        const outcome = await inner.claim(r);
        return ifOwner !== undefined && outcome.kind === 'busy' ? inner.claim(plain) : outcome;
      },
    }),
  ),
  mutant(
    'claim-if-owner-needs-expiry',
    'v1',
    'claim: `ifOwner` given: owner === `ifOwner` (whatever its lease) → take it over (refused while the lease is live)',
    (inner, runs) => ({
      claim: async (r) => {
        const head = runs.get(r.runId)?.head;
        if (
          r.ifOwner !== undefined &&
          head &&
          head.owner !== r.owner &&
          head.status !== 'completed' &&
          head.leaseExpiresAt > r.now
        ) {
          return { kind: 'busy', run: { ...head } };
        }
        return inner.claim(r);
      },
    }),
  ),
  mutant(
    'claim-if-owner-takes-free-run',
    'v1',
    'claim: `ifOwner` given: … any other owner, or none → `busy` (a run with no owner taken over)',
    (inner, runs) => ({
      claim: async (r) => {
        const head = runs.get(r.runId)?.head;
        if (r.ifOwner === undefined || head?.owner !== null) return inner.claim(r);
        const { ifOwner: _, ...plain } = r;
        return inner.claim(plain);
      },
    }),
  ),
  mutant(
    'claim-resend-attempt',
    'resend',
    'claim: owner === `owner` → this very claim arrived twice: change nothing (a resend counting another attempt)',
    (inner, runs) => ({
      claim: async (r) => {
        const resent = runs.get(r.runId)?.head.owner === r.owner;
        const outcome = await inner.claim(r);
        const run = runs.get(r.runId);
        if (!resent || outcome.kind !== 'claimed' || !run) return outcome;
        run.head = {
          ...run.head,
          attempt: run.head.attempt + 1,
          leaseExpiresAt: r.now + r.leaseMs,
          updatedAt: r.now,
        };
        return { ...outcome, snapshot: snapshotOf(run) };
      },
    }),
  ),
  mutant(
    'claim-resend-previous-status',
    'v1',
    'claim: a resent claim answers the `previousStatus` that the first arrival answered (the storage keeps it with the owner) (answered with the status now)',
    (inner, runs) => ({
      claim: async (r) => {
        const head = runs.get(r.runId)?.head;
        const outcome = await inner.claim(r);
        if (outcome.kind !== 'claimed' || head?.owner !== r.owner) return outcome;
        return { ...outcome, previousStatus: head.status };
      },
    }),
  ),
  mutant(
    'claim-cancelled-runs-again',
    'v1',
    'claim: take it over … status `running` — except a `cancelled` run, which stays `cancelled` (a cancelled run resumed)',
    (inner, runs) => ({
      claim: async (r) => {
        const outcome = await inner.claim(r);
        const run = runs.get(r.runId);
        if (outcome.kind !== 'claimed' || outcome.previousStatus !== 'cancelled' || !run) return outcome;
        run.head = { ...run.head, status: 'running' };
        return { ...outcome, snapshot: snapshotOf(run) };
      },
    }),
  ),

  // ── fencing ─────────────────────────────────────────────────────────────────────────────────
  mutant(
    'fence-null-owner',
    'contract',
    '"Fenced" means: apply the change only while `run.owner === owner` (a write applied to a run with no owner)',
    (inner, runs) => ({
      putStep: async (r) => {
        const run = runs.get(r.runId);
        if (run?.head.owner !== null || run.steps.has(r.record.key)) return inner.putStep(r);
        run.steps.set(r.record.key, { ...r.record });
        return { kind: 'written' };
      },
    }),
  ),
  mutant(
    'set-lease-expired-refused',
    'contract',
    'A lease that merely expired is still held by its owner until someone else claims the run (setLease refused after expiry)',
    (inner, runs) => ({
      setLease: async (r) => {
        const head = runs.get(r.runId)?.head;
        return head && head.owner === r.owner && head.leaseExpiresAt <= r.now
          ? 'lease-lost'
          : inner.setLease(r);
      },
    }),
  ),

  // ── putStep ─────────────────────────────────────────────────────────────────────────────────
  mutant(
    'put-step-absent-creates',
    'contract',
    'putStep: fenced → on an absent run `lease-lost`, change nothing (the run created)',
    (inner, runs) => ({
      putStep: async (r) => {
        adopt(runs, r.runId, r.owner, r.record.at);
        return inner.putStep(r);
      },
    }),
  ),
  mutant(
    'put-step-last-wins',
    'contract',
    'putStep: the first stored record wins (a second writer overwriting it)',
    (inner, runs) => ({
      putStep: async (r) => {
        const outcome = await inner.putStep(r);
        if (outcome.kind === 'exists') runs.get(r.runId)?.steps.set(r.record.key, { ...r.record });
        return outcome.kind === 'exists' ? { kind: 'written' } : outcome;
      },
    }),
  ),
  mutant(
    'put-step-exists-own',
    'contract',
    'putStep: a second writer of the same key gets `exists` with the stored record, not its own',
    (inner) => ({
      putStep: async (r) => {
        const outcome = await inner.putStep(r);
        return outcome.kind === 'exists' ? { kind: 'exists', record: { ...r.record } } : outcome;
      },
    }),
  ),
  mutant(
    'put-step-resend-written',
    'resend',
    'putStep: a resent request gets `exists` with its own (answered `written`)',
    (inner) => ({
      putStep: async (r) => {
        const outcome = await inner.putStep(r);
        return outcome.kind === 'exists' && JSON.stringify(outcome.record) === JSON.stringify(r.record)
          ? { kind: 'written' }
          : outcome;
      },
    }),
  ),
  mutant(
    'put-step-on-cancelled',
    'v1',
    'putStep: on a cancelled run → `cancelled`, nothing written (written)',
    (inner, runs) => ({
      putStep: async (r) => {
        const outcome = await inner.putStep(r);
        const run = runs.get(r.runId);
        if (outcome.kind === 'cancelled' && run && !run.steps.has(r.record.key))
          run.steps.set(r.record.key, { ...r.record });
        return outcome;
      },
    }),
  ),
  // ── putSteps (optional: group commit) ─────────────────────────────────────────────────────
  mutant(
    'put-steps-one-fence',
    'contract',
    'putSteps: Each request is fenced … on its own (the first request’s fence let every write through)',
    (inner, runs) => ({
      putSteps: async (requests) => {
        const first = requests[0];
        const passed = first !== undefined && runs.get(first.runId)?.head.owner === first.owner;
        const outcomes = [];
        for (const r of requests) {
          const holder = runs.get(r.runId)?.head.owner;
          outcomes.push(await inner.putStep(passed && holder ? { ...r, owner: holder } : r));
        }
        return outcomes;
      },
    }),
  ),
  mutant(
    'put-steps-all-or-nothing',
    'contract',
    'putSteps: one lost lease or cancelled run fails only its own write (one refusal failed the whole call)',
    (inner, runs) => ({
      putSteps: async (requests) => {
        const refused = requests.some((r) => {
          const head = runs.get(r.runId)?.head;
          return head?.owner !== r.owner || head.status === 'cancelled';
        });
        if (refused) return requests.map(() => ({ kind: 'lease-lost' as const }));
        const outcomes = [];
        for (const r of requests) outcomes.push(await inner.putStep(r));
        return outcomes;
      },
    }),
  ),
  mutant(
    'put-steps-answers-reordered',
    'contract',
    'putSteps: answered on its own, at its index (the answers in another order)',
    (inner) => ({
      putSteps: async (requests) => {
        const outcomes = [];
        for (const r of requests) outcomes.push(await inner.putStep(r));
        return outcomes.reverse();
      },
    }),
  ),
  mutant(
    'put-steps-last-first',
    'contract',
    'putSteps: in the order given (a later request of the same key applied before an earlier one)',
    (inner) => ({
      putSteps: async (requests) => {
        const outcomes: PutStepOutcome[] = new Array(requests.length);
        for (let i = requests.length - 1; i >= 0; i--) {
          outcomes[i] = await inner.putStep(requests[i] as (typeof requests)[number]);
        }
        return outcomes;
      },
    }),
  ),
  mutant(
    'put-step-cancelled-lease-lost',
    'v1',
    "When the owner matches but the run is `cancelled`, resolve `'cancelled'` (putStep answering lease-lost)",
    (inner) => ({
      putStep: async (r) => {
        const outcome = await inner.putStep(r);
        return outcome.kind === 'cancelled' ? { kind: 'lease-lost' } : outcome;
      },
    }),
  ),
  mutant(
    'step-keys-case-insensitive',
    'names',
    'Run ids, step keys and names are arbitrary Unicode: stored distinctly (keys compared case-insensitively, as a collation would)',
    (inner, runs) => ({
      putStep: async (r) => {
        const run = runs.get(r.runId);
        const folded = r.record.key.toLowerCase();
        const twin =
          run && run.head.owner === r.owner
            ? [...run.steps.values()].find((s) => s.key.toLowerCase() === folded)
            : undefined;
        return twin && twin.key !== r.record.key ? { kind: 'exists', record: { ...twin } } : inner.putStep(r);
      },
    }),
  ),
  mutant(
    'values-reencoded',
    'names',
    'Values (`output`, `params`, `error`) are opaque strings …: store them byte for byte (outputs re-serialized, as a JSON column would)',
    (inner) => ({
      putStep: async (r) => {
        let output = r.record.output;
        try {
          output = JSON.stringify(JSON.parse(output));
        } catch {}
        return inner.putStep({ ...r, record: { ...r.record, output } });
      },
    }),
  ),

  // ── putCleanup, removeCleanup, rollback ─────────────────────────────────────────────────────
  mutant(
    'put-cleanup-absent-creates',
    'contract',
    'putCleanup: fenced → on an absent run `lease-lost` (the run created)',
    (inner, runs) => ({
      putCleanup: async (r) => {
        adopt(runs, r.runId, r.owner, r.record.at);
        return inner.putCleanup(r);
      },
    }),
  ),
  mutant(
    'put-cleanup-keeps-first',
    'resend',
    'putCleanup: a second put of the same id replaces the first (the first kept)',
    (inner, runs) => ({
      putCleanup: async (r) =>
        runs.get(r.runId)?.cleanups.has(r.record.id) && runs.get(r.runId)?.head.owner === r.owner
          ? 'ok'
          : inner.putCleanup(r),
    }),
  ),
  mutant(
    'put-cleanup-on-cancelled',
    'v1',
    'on a cancelled run every other fenced write changes nothing (putCleanup applied)',
    (inner, runs) => ({
      putCleanup: async (r) => {
        const outcome = await inner.putCleanup(r);
        if (outcome === 'cancelled') runs.get(r.runId)?.cleanups.set(r.record.id, { ...r.record });
        return outcome;
      },
    }),
  ),
  mutant(
    'cleanup-names-truncated',
    'names',
    'names are arbitrary Unicode (≤ 256 characters): stored byte for byte (cleanup names cut at 255)',
    (inner) => ({
      putCleanup: async (r) =>
        inner.putCleanup({ ...r, record: { ...r.record, name: [...r.record.name].slice(0, 255).join('') } }),
    }),
  ),
  mutant(
    'remove-cleanup-all',
    'contract',
    'removeCleanup: fenced delete of ONE pending cleanup by id (all deleted)',
    (inner, runs) => ({
      removeCleanup: async (r) => {
        const outcome = await inner.removeCleanup(r);
        if (outcome === 'ok') runs.get(r.runId)?.cleanups.clear();
        return outcome;
      },
    }),
  ),
  mutant(
    'remove-cleanup-absent-id',
    'contract',
    'removeCleanup: absent is fine (answered lease-lost)',
    (inner, runs) => ({
      removeCleanup: async (r) =>
        runs.get(r.runId)?.cleanups.has(r.id) ? inner.removeCleanup(r) : 'lease-lost',
    }),
  ),
  mutant(
    'rollback-at-seq',
    'contract',
    'rollback: delete … every step whose `seq` is greater than `afterSeq` (the step at afterSeq deleted too)',
    (inner, runs) => ({
      rollback: async (r) => {
        const outcome = await inner.rollback(r);
        const run = runs.get(r.runId);
        if (outcome !== 'lease-lost' && run)
          for (const [k, s] of run.steps) if (s.seq === r.afterSeq) run.steps.delete(k);
        return outcome;
      },
    }),
  ),
  mutant(
    'rollback-later-cleanups',
    'contract',
    'rollback: delete the cleanup `cleanupId` AND every step whose `seq` is greater than `afterSeq` (later cleanups deleted too)',
    (inner, runs) => ({
      rollback: async (r) => {
        const outcome = await inner.rollback(r);
        const run = runs.get(r.runId);
        if (outcome !== 'lease-lost' && run)
          for (const [id, c] of run.cleanups) if (c.seq > r.afterSeq) run.cleanups.delete(id);
        return outcome;
      },
    }),
  ),
  mutant(
    'rollback-not-on-cancelled',
    'v1',
    'the writes that run the cleanups of a cancelled run (`rollback`, `setLease`, and `finish` to `cancelled`) are applied all the same (rollback not applied)',
    (inner, runs) => ({
      rollback: async (r) =>
        runs.get(r.runId)?.head.status === 'cancelled' && runs.get(r.runId)?.head.owner === r.owner
          ? 'cancelled'
          : inner.rollback(r),
    }),
  ),

  // ── setLease ────────────────────────────────────────────────────────────────────────────────
  mutant(
    'set-lease-no-updated-at',
    'contract',
    'setLease: set the lease expiry and `updatedAt = now` (updatedAt kept)',
    (inner, runs) => ({
      setLease: async (r) => {
        const before = runs.get(r.runId)?.head.updatedAt;
        const outcome = await inner.setLease(r);
        if (outcome !== 'lease-lost' && before !== undefined) patchHead(runs, r.runId, { updatedAt: before });
        return outcome;
      },
    }),
  ),
  mutant(
    'set-lease-release-clears-owner',
    'contract',
    'setLease: expiry `0` to release the lease while keeping the owner (owner cleared)',
    (inner, runs) => ({
      setLease: async (r) => {
        const outcome = await inner.setLease(r);
        if (outcome === 'ok' && r.leaseExpiresAt === 0) patchHead(runs, r.runId, { owner: null });
        return outcome;
      },
    }),
  ),
  mutant(
    'set-lease-not-on-cancelled',
    'v1',
    'setLease: applied on a cancelled run too (answering `cancelled`) (not applied)',
    (inner, runs) => ({
      setLease: async (r) =>
        runs.get(r.runId)?.head.status === 'cancelled' && runs.get(r.runId)?.head.owner === r.owner
          ? 'cancelled'
          : inner.setLease(r),
    }),
  ),

  // ── finish ──────────────────────────────────────────────────────────────────────────────────
  mutant(
    'finish-absent-creates',
    'contract',
    'finish: fenced → on an absent run `lease-lost` (the run created)',
    (inner, runs) => ({
      finish: async (r) => {
        adopt(runs, r.runId, r.owner, r.at);
        return inner.finish(r);
      },
    }),
  ),
  mutant(
    'finish-no-updated-at',
    'contract',
    'finish: set `updatedAt = at` (updatedAt kept)',
    (inner, runs) => ({
      finish: async (r) => {
        const before = runs.get(r.runId)?.head.updatedAt;
        const outcome = await inner.finish(r);
        if (before !== undefined) patchHead(runs, r.runId, { updatedAt: before });
        return outcome;
      },
    }),
  ),
  mutant(
    'finish-keeps-lease',
    'contract',
    'finish: clear the owner and the lease (the lease kept)',
    (inner, runs) => ({
      finish: async (r) => {
        const before = runs.get(r.runId)?.head;
        const outcome = await inner.finish(r);
        if (before && before.owner !== null)
          patchHead(runs, r.runId, { leaseExpiresAt: before.leaseExpiresAt });
        return outcome;
      },
    }),
  ),
  mutant(
    'finish-keeps-owner',
    'contract',
    'finish: clear the owner and the lease (the owner kept)',
    (inner, runs) => ({
      finish: async (r) => {
        const before = runs.get(r.runId)?.head;
        const outcome = await inner.finish(r);
        if (before && before.owner === r.owner && outcome !== 'lease-lost')
          patchHead(runs, r.runId, { owner: before.owner });
        return outcome;
      },
    }),
  ),
  mutant('finish-no-error', 'contract', 'finish: store `error` (or null) (the error dropped)', (inner) => ({
    finish: async (r) => inner.finish({ ...r, error: null }),
  })),
  mutant(
    'finish-drops-kept-cleanups',
    'contract',
    'finish: when `dropCleanups` delete every pending cleanup (dropped when told to keep them)',
    (inner) => ({ finish: async (r) => inner.finish({ ...r, dropCleanups: true }) }),
  ),
  mutant(
    'finish-keeps-dropped-cleanups',
    'contract',
    'finish: when `dropCleanups` delete every pending cleanup (kept when told to drop them)',
    (inner) => ({ finish: async (r) => inner.finish({ ...r, dropCleanups: false }) }),
  ),
  mutant(
    'finish-resend-lease-lost',
    'resend',
    "finish: Idempotent: when the owner is already cleared and the status already is `status`, resolve `'ok'` (answered lease-lost)",
    (inner, runs) => ({
      finish: async (r) => {
        const head = runs.get(r.runId)?.head;
        return head?.owner === null && head.status === r.status ? 'lease-lost' : inner.finish(r);
      },
    }),
  ),
  mutant(
    'finish-completes-cancelled',
    'v1',
    'finish: on a cancelled run only `status: cancelled` is applied; any other status changes nothing (completed applied)',
    (inner, runs) => ({
      finish: async (r) => {
        const run = runs.get(r.runId);
        if (run?.head.status !== 'cancelled' || run.head.owner !== r.owner || r.status === 'cancelled')
          return inner.finish(r);
        run.head = {
          ...run.head,
          status: r.status,
          owner: null,
          leaseExpiresAt: 0,
          updatedAt: r.at,
          error: r.error,
        };
        if (r.dropCleanups) run.cleanups.clear();
        return 'cancelled';
      },
    }),
  ),
  mutant(
    'finish-cancelled-not-applied',
    'v1',
    'finish: on a cancelled run `status: cancelled` is applied (answering `cancelled`) (not applied)',
    (inner, runs) => ({
      finish: async (r) =>
        runs.get(r.runId)?.head.status === 'cancelled' && runs.get(r.runId)?.head.owner === r.owner
          ? 'cancelled'
          : inner.finish(r),
    }),
  ),
  mutant(
    'finish-cancelled-answers-ok',
    'v1',
    "When the owner matches but the run is `cancelled`, resolve `'cancelled'` (finish cancelled answering ok)",
    (inner) => ({
      finish: async (r) => {
        const outcome = await inner.finish(r);
        return outcome === 'cancelled' ? 'ok' : outcome;
      },
    }),
  ),

  // ── suspend ─────────────────────────────────────────────────────────────────────────────────
  mutant(
    'suspend-ignores-signal',
    'contract',
    'suspend: `leaseExpiresAt` … `at` when `signalKey` is given and a step record with that key already exists (wakeAt kept)',
    (inner) => ({
      suspend: async (r) => {
        const { signalKey: _, ...plain } = r;
        return inner.suspend(plain);
      },
    }),
  ),
  mutant(
    'suspend-drops-cleanups',
    'contract',
    'suspend: Keep steps and cleanups (cleanups dropped)',
    (inner, runs) => ({
      suspend: async (r) => {
        const outcome = await inner.suspend(r);
        if (outcome.kind === 'suspended') runs.get(r.runId)?.cleanups.clear();
        return outcome;
      },
    }),
  ),
  mutant(
    'suspend-keeps-owner',
    'contract',
    'suspend: Set status `suspended`, clear the owner (the owner kept)',
    (inner, runs) => ({
      suspend: async (r) => {
        const owner = runs.get(r.runId)?.head.owner;
        const outcome = await inner.suspend(r);
        if (outcome.kind === 'suspended' && owner === r.owner) patchHead(runs, r.runId, { owner });
        return outcome;
      },
    }),
  ),
  mutant(
    'suspend-resend-lease-lost',
    'resend',
    'suspend: Idempotent like `finish`: owner already cleared and status already `suspended` → resolve the stored wake time (answered lease-lost)',
    (inner, runs) => ({
      suspend: async (r) => {
        const head = runs.get(r.runId)?.head;
        return head?.owner === null && head.status === 'suspended'
          ? { kind: 'lease-lost' }
          : inner.suspend(r);
      },
    }),
  ),
  mutant(
    'suspend-on-cancelled',
    'v1',
    'suspend: On a cancelled run → `cancelled`, nothing changed (parked)',
    (inner, runs) => ({
      suspend: async (r) => {
        const run = runs.get(r.runId);
        if (run?.head.status !== 'cancelled' || run.head.owner !== r.owner) return inner.suspend(r);
        run.head = {
          ...run.head,
          status: 'suspended',
          owner: null,
          leaseExpiresAt: r.wakeAt,
          updatedAt: r.at,
        };
        return { kind: 'cancelled' };
      },
    }),
  ),

  // ── putSignal ───────────────────────────────────────────────────────────────────────────────
  mutant(
    'signal-exists-wakes',
    'contract',
    'putSignal: When the record is WRITTEN and the run is `suspended`, wake the run (woken by an existing record)',
    (inner, runs) => ({
      putSignal: async (r) => {
        const outcome = await inner.putSignal(r);
        const head = runs.get(r.runId)?.head;
        if (outcome.kind === 'exists' && head?.status === 'suspended') {
          patchHead(runs, r.runId, { leaseExpiresAt: Math.min(head.leaseExpiresAt, r.now) });
        }
        return outcome;
      },
    }),
  ),
  mutant(
    'signal-wakes-running',
    'contract',
    "putSignal: … and the run is `suspended`, wake the run (a running run's lease cut short)",
    (inner, runs) => ({
      putSignal: async (r) => {
        const outcome = await inner.putSignal(r);
        const head = runs.get(r.runId)?.head;
        if (outcome.kind === 'written' && head)
          patchHead(runs, r.runId, { leaseExpiresAt: Math.min(head.leaseExpiresAt, r.now) });
        return outcome;
      },
    }),
  ),
  mutant(
    'signal-resend-written',
    'resend',
    'putSignal: a resent request gets its own back (`exists`) (answered `written`)',
    (inner) => ({
      putSignal: async (r) => {
        const outcome = await inner.putSignal(r);
        return outcome.kind === 'exists' && JSON.stringify(outcome.record) === JSON.stringify(r.record)
          ? { kind: 'written', status: outcome.status }
          : outcome;
      },
    }),
  ),
  mutant(
    'signal-no-limit',
    'v1',
    'putSignal: when `maxSignals` is given and the run already holds that many signal records → `full`',
    (inner) => ({
      putSignal: async (r) => {
        const { maxSignals: _, ...plain } = r;
        return inner.putSignal(plain);
      },
    }),
  ),
  mutant(
    'signal-limit-counts-steps',
    'v1',
    'putSignal: the run already holds that many signal records (`seq` 0) (every step counted)',
    (inner, runs) => ({
      putSignal: async (r) => {
        const run = runs.get(r.runId);
        if (
          run &&
          r.maxSignals !== undefined &&
          !run.steps.has(r.record.key) &&
          run.steps.size >= r.maxSignals
        ) {
          return { kind: 'full', status: run.head.status };
        }
        return inner.putSignal(r);
      },
    }),
  ),
  mutant(
    'signal-full-before-exists',
    'v1',
    'putSignal: A record of that key already stored → `exists` with it. Otherwise, when `maxSignals` … → `full` (full first)',
    (inner, runs) => ({
      putSignal: async (r) => {
        const run = runs.get(r.runId);
        const signals = run ? [...run.steps.values()].filter((s) => s.seq === 0).length : 0;
        if (run && r.maxSignals !== undefined && signals >= r.maxSignals)
          return { kind: 'full', status: run.head.status };
        return inner.putSignal(r);
      },
    }),
  ),
  mutant(
    'signal-keys-normalized',
    'names',
    'step keys are arbitrary Unicode: stored distinctly (signal keys compared after NFC normalization)',
    (inner, runs) => ({
      putSignal: async (r) => {
        const run = runs.get(r.runId);
        const twin =
          run &&
          [...run.steps.values()].find((s) => s.key.normalize('NFC') === r.record.key.normalize('NFC'));
        return run && twin && twin.key !== r.record.key
          ? { kind: 'exists', record: { ...twin }, status: run.head.status }
          : inner.putSignal(r);
      },
    }),
  ),

  // ── cancel ──────────────────────────────────────────────────────────────────────────────────
  mutant(
    'cancel-clears-lease',
    'v1',
    "cancel: owner, lease, steps and cleanups kept. A running run's owner keeps its lease (owner and lease cleared)",
    (inner, runs) => ({
      cancel: async (r) => {
        const outcome = await inner.cancel(r);
        if (outcome.kind !== 'cancelled' || outcome.run.updatedAt !== r.at) return outcome;
        patchHead(runs, r.runId, { owner: null, leaseExpiresAt: 0 });
        return { kind: 'cancelled', run: { ...(runs.get(r.runId)?.head as RunHead) } };
      },
    }),
  ),
  mutant(
    'cancel-no-updated-at',
    'contract',
    'cancel: → status `cancelled`, `updatedAt = at` (updatedAt kept)',
    (inner, runs) => ({
      cancel: async (r) => {
        const before = runs.get(r.runId)?.head.updatedAt;
        const outcome = await inner.cancel(r);
        if (outcome.kind !== 'cancelled' || before === undefined) return outcome;
        patchHead(runs, r.runId, { updatedAt: before });
        return { kind: 'cancelled', run: { ...(runs.get(r.runId)?.head as RunHead) } };
      },
    }),
  ),
  mutant(
    'cancel-resend-touches',
    'resend',
    'cancel: `cancelled` or `completed` → change nothing (a resend bumping updatedAt)',
    (inner, runs) => ({
      cancel: async (r) => {
        const outcome = await inner.cancel(r);
        if (outcome.kind !== 'cancelled') return outcome;
        patchHead(runs, r.runId, { updatedAt: r.at });
        return { kind: 'cancelled', run: { ...(runs.get(r.runId)?.head as RunHead) } };
      },
    }),
  ),
  mutant(
    'cancel-completed',
    'contract',
    'cancel: `cancelled` or `completed` → change nothing (a completed run cancelled)',
    (inner, runs) => ({
      cancel: async (r) => {
        const run = runs.get(r.runId);
        if (run?.head.status !== 'completed') return inner.cancel(r);
        run.head = { ...run.head, status: 'cancelled', updatedAt: r.at };
        return { kind: 'cancelled', run: { ...run.head } };
      },
    }),
  ),
  mutant(
    'cancel-drops-cleanups',
    'contract',
    'cancel: owner, lease, steps and cleanups kept (cleanups dropped)',
    (inner, runs) => ({
      cancel: async (r) => {
        const outcome = await inner.cancel(r);
        if (outcome.kind === 'cancelled') runs.get(r.runId)?.cleanups.clear();
        return outcome;
      },
    }),
  ),

  // ── list ────────────────────────────────────────────────────────────────────────────────────
  mutant(
    'list-ties-unordered',
    'contract',
    'list: ordered by `(updatedAt, runId)` ascending (ties left in insertion order)',
    (_, runs) => ({
      list: listWith(runs, (a, b) => a.updatedAt - b.updatedAt, afterByAge),
    }),
  ),
  mutant(
    'list-ties-case-insensitive',
    'contract',
    "list: Run ids compare in the backend's own binary order (compared case-insensitively, as a collation would)",
    (_, runs) => {
      const order = (a: RunHead, b: RunHead) =>
        a.updatedAt - b.updatedAt ||
        a.runId.toLowerCase().localeCompare(b.runId.toLowerCase()) ||
        byAge(a, b);
      return { list: listWith(runs, order, (h, q) => order(h, { ...h, ...q.after }) > 0) };
    },
  ),
  mutant(
    'list-cursor-skips-ties',
    'contract',
    'list: strictly after `after` … continues exactly where a page ended (the rest of a tie skipped)',
    (_, runs) => ({
      list: listWith(runs, byAge, (h, q) => h.updatedAt > (q.after?.updatedAt ?? 0)),
    }),
  ),
  mutant(
    'list-cursor-repeats-ties',
    'contract',
    'list: strictly after `after` (a tie listed again)',
    (_, runs) => ({
      list: listWith(
        runs,
        byAge,
        (h, q) => h.updatedAt >= (q.after?.updatedAt ?? 0) && h.runId !== q.after?.runId,
      ),
    }),
  ),
  mutant(
    'list-cursor-other-order',
    'contract',
    'list: any total order will do, as long as `after` continues exactly where a page ended (pages sorted by code point, the cursor compared by UTF-16 unit)',
    (_, runs) => ({
      list: listWith(runs, (a, b) => a.updatedAt - b.updatedAt || codePoints(a.runId, b.runId), afterByAge),
    }),
  ),
  mutant(
    'list-updated-before-inclusive',
    'contract',
    'ListQuery: Only runs with `updatedAt < updatedBefore` (<= used)',
    (inner) => ({
      list: async (q) =>
        inner.list(q.updatedBefore === undefined ? q : { ...q, updatedBefore: q.updatedBefore + 1 }),
    }),
  ),
  mutant(
    'list-lease-expired-strict',
    'contract',
    'ListQuery: Only runs whose lease has expired: `leaseExpiresAt <= leaseExpiredAt` (< used)',
    (inner) => ({
      list: async (q) =>
        inner.list(q.leaseExpiredAt === undefined ? q : { ...q, leaseExpiredAt: q.leaseExpiredAt - 1 }),
    }),
  ),
  mutant(
    'list-ignores-statuses',
    'contract',
    'list: Run heads matching the query (statuses ignored)',
    (inner) => ({
      list: async (q) => {
        const { statuses: _, ...rest } = q;
        return inner.list(rest);
      },
    }),
  ),
  mutant('list-ignores-limit', 'contract', 'list: at most `limit`', (inner) => ({
    list: async (q) => inner.list({ ...q, limit: q.limit * 2 + 1 }),
  })),

  // ── purge ───────────────────────────────────────────────────────────────────────────────────
  mutant(
    'purge-leaves-steps',
    'contract',
    'purge: Delete up to `limit` runs (head, steps, cleanups) (steps left behind)',
    leavesBehind('steps'),
  ),
  mutant(
    'purge-leaves-cleanups',
    'contract',
    'purge: Delete up to `limit` runs (head, steps, cleanups) (cleanups left behind)',
    leavesBehind('cleanups'),
  ),
  mutant('purge-ignores-limit', 'contract', 'purge: Delete up to `limit` runs', (_, runs) => ({
    purge: purgeWith(runs, (m) => m),
  })),
  mutant('purge-newest-first', 'contract', 'purge: … oldest first', (_, runs) => ({
    purge: purgeWith(runs, (m, limit) => m.sort((a, b) => -byAge(a, b)).slice(0, limit)),
  })),
  mutant(
    'purge-updated-before-inclusive',
    'contract',
    'purge: whose `updatedAt < updatedBefore` (<= used)',
    (_, runs) => ({
      purge: purgeWith(
        runs,
        (m, limit) => m.sort(byAge).slice(0, limit),
        (h, q) => q.statuses.includes(h.status) && h.updatedAt <= q.updatedBefore,
      ),
    }),
  ),
  mutant('purge-ignores-statuses', 'contract', 'purge: whose status is in `statuses`', (_, runs) => ({
    purge: purgeWith(
      runs,
      (m, limit) => m.sort(byAge).slice(0, limit),
      (h, q) => h.updatedAt < q.updatedBefore,
    ),
  })),
  mutant(
    'purge-miscounts',
    'contract',
    'purge: resolve how many were deleted (the limit answered)',
    (inner) => ({
      purge: async (q) => {
        await inner.purge(q);
        return q.limit;
      },
    }),
  ),
  mutant(
    'claim-ignores-if-lease',
    'v1',
    'claim: owner === `ifOwner`, and when `ifLeaseExpiresAt` is given its lease still ends exactly then (a renewed lease taken over)',
    (inner) => ({
      claim: async (r) => {
        const { ifLeaseExpiresAt: _, ...plain } = r;
        return inner.claim(plain);
      },
    }),
  ),
  mutant(
    'remove-cleanup-drops-record',
    'v1',
    'removeCleanup: when `record` is given, an insert-if-absent of that step record … together (the record not stored)',
    (inner) => ({
      removeCleanup: async (r) => {
        const { record: _, ...plain } = r;
        return inner.removeCleanup(plain);
      },
    }),
  ),
  mutant(
    'remove-cleanup-record-replaces',
    'v1',
    'removeCleanup: an insert-if-absent of that step record (as `putStep`, the first one stays) (a resend replaces it)',
    (inner, runs) => ({
      removeCleanup: async (r) => {
        if (r.record) runs.get(r.runId)?.steps.delete(r.record.key);
        return inner.removeCleanup(r);
      },
    }),
  ),
];
