import { defaultCodec, type RunHead, type RunSnapshot } from '@td7x/durable-x';
import type { Operation } from './sim-storage.ts';
import { type SimProcess, tracked, type World } from './world.ts';

/** How the model reads what is really stored (the reference storage's data, or a real backend). */
export interface Truth {
  head(runId: string): Promise<RunHead | undefined>;
  read(runId: string): Promise<RunSnapshot | undefined>;
}

interface Body {
  readonly process: SimProcess;
  readonly runId: string;
  readonly kind: 'step' | 'cleanup';
  readonly name: string;
}

interface StepEffects {
  readonly applied: Set<string>;
  readonly undone: Set<string>;
}

/** What the params of a simulated cleanup hold. */
export interface UndoParams {
  readonly run: string;
  readonly step: string;
  /** Unique to the `beforeRisky` call that registered it. */
  readonly reg: string;
}

const HOUSEKEEPING_ANSWERS = new Set([
  'RunBusy',
  'LeaseLost',
  'Cancelled',
  'StorageUnavailable',
  'CleanupFailed',
]);

/**
 * The ground truth a schedule is checked against: which step functions ran and what their effects
 * are (applied, undone by a cleanup), which cleanup registrations were stored, what each process
 * learnt. The invariants (see docs/semantics.md, "When actors meet"):
 * - a step's function starts only in the run's owner, with a live lease, before `completed`, and
 *   never after its process learnt of a cancellation;
 * - a cleanup runs only in the owner, for a registration that was stored, never beside another
 *   cleanup or a step of the run in a process that holds it;
 * - a stored step record names an effect that happened and was not undone;
 * - every run reaches `completed` or `cancelled` when the world calms down (none is stranded);
 * - housekeeping leaves a run alone only after a lost race, a storage fault or a failed cleanup.
 * A process that lost its lease while stalled inside a function ("zombie") may still finish what it
 * was doing: no lease can stop a paused process; that is what idempotent effects are for.
 */
export class Model {
  readonly violations: string[] = [];
  private readonly effects = new Map<string, StepEffects>();
  private readonly running = new Set<Body>();
  private readonly registrations = new Set<string>();
  private readonly knowsCancelled = new Set<string>();
  /** Which process each owner token it received belongs to. */
  private readonly tokenOwners = new Map<string, SimProcess>();
  private readonly failures = new Map<string, number>();
  private executions = 0;
  private registrationCount = 0;

  constructor(
    private readonly world: World,
    private readonly truth: Truth,
  ) {}

  private violation(what: string): void {
    this.world.log(`VIOLATION ${what}`);
    this.violations.push(`t=${this.world.time}: ${what}`);
  }

  private effectsOf(runId: string, step: string): StepEffects {
    const key = `${runId}\u0000${step}`;
    let effects = this.effects.get(key);
    if (!effects) {
      effects = { applied: new Set(), undone: new Set() };
      this.effects.set(key, effects);
    }
    return effects;
  }

  /**
   * Housekeeping left a run alone: only for a lost race (moved on, taken over, cancelled), a storage
   * fault, or a cleanup that failed. Anything else says it mistook the run's state.
   */
  housekeepingAnswered(what: string, runId: string, error: { readonly type: string }): void {
    if (!HOUSEKEEPING_ANSWERS.has(error.type)) this.violation(`${what} answered ${error.type} for ${runId}`);
  }

  /** Storage applied a request (its reply may never arrive). */
  applied(process: SimProcess, op: Operation, request: unknown, answer: unknown): void {
    if (op === 'claim') {
      this.housekeepingClaim(process, request, answer);
      return;
    }
    if (op !== 'putCleanup' || answer !== 'ok') return;
    const params = defaultCodec.decode(
      (request as { record: { params: string } }).record.params,
    ) as UndoParams;
    this.registrations.add(params.reg);
  }

  /**
   * Housekeeping takes over only a run it listed as abandoned, still in that state: running under
   * the same owner and lease — or cancelled since, which keeps both (its owner is dead: undoing it
   * is what any load must do).
   */
  private housekeepingClaim(process: SimProcess, request: unknown, answer: unknown): void {
    if (!process.name.startsWith('recover')) return;
    const outcome = answer as { kind: string; previousStatus?: string | null };
    const listed = outcome.previousStatus === 'running' || outcome.previousStatus === 'cancelled';
    if (outcome.kind === 'claimed' && !listed && outcome.previousStatus !== undefined) {
      const runId = (request as { runId: string }).runId;
      this.violation(
        `${process.name} took over ${runId}, which was ${outcome.previousStatus}, not abandoned`,
      );
    }
  }

  /** A process received an answer. */
  received(process: SimProcess, op: Operation, request: unknown, answer: unknown): void {
    if (op === 'putSteps') {
      // A group of step writes: each answer is the answer to its own request.
      const requests = request as readonly unknown[];
      (answer as readonly unknown[]).forEach((one, i) => this.received(process, 'putStep', requests[i], one));
      return;
    }
    const runId = (request as { runId?: string }).runId;
    if (runId === undefined) return;
    if (op === 'claim') {
      const outcome = answer as { kind: string; snapshot?: RunSnapshot };
      if (outcome.kind === 'claimed') {
        const token = (request as { owner: string }).owner;
        process.tokens.set(runId, token);
        this.tokenOwners.set(token, process);
        if (outcome.snapshot?.run.status === 'cancelled') this.knowsCancelled.add(`${process.id}|${runId}`);
      }
      return;
    }
    const cancelled = answer === 'cancelled' || (answer as { kind?: string } | null)?.kind === 'cancelled';
    if (cancelled && op !== 'cancel') this.knowsCancelled.add(`${process.id}|${runId}`);
  }

  /**
   * A liveness check that knows which simulated processes were killed (a stalled one is alive): a
   * dead owner's run is taken over at once, racing everything else.
   */
  readonly liveness = {
    check: (owner: string): 'dead' | 'unknown' => {
      if (this.tokenOwners.get(owner)?.alive !== false) return 'unknown';
      this.deadOwners++;
      return 'dead';
    },
  };

  /** Busy runs whose owner the liveness check found dead. */
  deadOwners = 0;

  newRegistration(): string {
    return `reg${++this.registrationCount}`;
  }

  /** True for the first `times` calls under `key`: a function that fails that often, then works. */
  flaky(key: string, times: number): boolean {
    const failed = this.failures.get(key) ?? 0;
    if (failed >= times) return false;
    this.failures.set(key, failed + 1);
    return true;
  }

  /** Is this body's process the run's owner with a live lease, per what is stored? */
  private async checkOwner(body: Body, what: string): Promise<RunHead | undefined> {
    const head = await tracked(this.world, this.truth.head(body.runId));
    const token = body.process.tokens.get(body.runId);
    if (!head) {
      this.violation(`${what} in ${body.process.name} on run ${body.runId}, which does not exist`);
    } else if (head.owner === null || head.owner !== token) {
      this.violation(
        `${what} in ${body.process.name}, which is not the owner of ${body.runId} (a stale owner)`,
      );
    } else if (head.leaseExpiresAt <= this.world.time) {
      this.violation(`${what} in ${body.process.name} without a live lease on ${body.runId}`);
    }
    return head;
  }

  /** Bodies of the run running in a process that still holds it (not zombies). */
  private live(runId: string, head: RunHead | undefined, except: Body): Body[] {
    return [...this.running].filter(
      (b) =>
        b !== except &&
        b.runId === runId &&
        b.process.alive &&
        head?.owner !== null &&
        b.process.tokens.get(runId) === head?.owner,
    );
  }

  async stepStarted(process: SimProcess, runId: string, name: string): Promise<() => void> {
    const body: Body = { process, runId, kind: 'step', name };
    const head = await this.checkOwner(body, `step ${name} started`);
    if (head?.status === 'completed') this.violation(`step ${name} started on ${runId} after it completed`);
    if (this.knowsCancelled.has(`${process.id}|${runId}`)) {
      this.violation(`step ${name} started in ${process.name} after it learnt that ${runId} was cancelled`);
    }
    this.running.add(body);
    return () => this.running.delete(body);
  }

  /** The step's effect: applied now, named by a fresh execution id (its output carries it). */
  effect(runId: string, name: string): string {
    const exec = `e${++this.executions}`;
    this.effectsOf(runId, name).applied.add(exec);
    return exec;
  }

  async cleanupStarted(process: SimProcess, runId: string, params: UndoParams): Promise<() => void> {
    const body: Body = { process, runId, kind: 'cleanup', name: params.step };
    const head = await this.checkOwner(body, `cleanup of ${params.step} started`);
    if (!this.registrations.has(params.reg)) {
      this.violation(`cleanup ${params.reg} of ${runId} ran, but it was never stored`);
    }
    for (const other of this.live(runId, head, body)) {
      this.violation(
        other.kind === 'cleanup'
          ? `two cleanups of ${runId} ran at once in ${process.name} and ${other.process.name}`
          : `a cleanup of ${runId} started while step ${other.name} ran in ${other.process.name}`,
      );
    }
    this.running.add(body);
    return () => this.running.delete(body);
  }

  /** Undoes every effect of the step, unless the cleanup was finished late by a zombie (see above). */
  async undo(process: SimProcess, runId: string, step: string): Promise<void> {
    if (await this.zombie(process, runId)) {
      this.late++;
      this.world.log(
        `${process.name} finished a cleanup of ${runId} after losing its lease (a paused process)`,
      );
      return;
    }
    const effects = this.effectsOf(runId, step);
    for (const exec of effects.applied) effects.undone.add(exec);
  }

  /** Effects finished by a process that lost the run while it was paused inside the function. */
  late = 0;

  private async zombie(process: SimProcess, runId: string): Promise<boolean> {
    const head = await tracked(this.world, this.truth.head(runId));
    return !process.alive || head?.owner == null || head.owner !== process.tokens.get(runId);
  }

  /** Once the world is calm: what is stored must agree with what happened. */
  async checkFinal(runId: string, steps: ReadonlySet<string>): Promise<void> {
    const snapshot = await this.truth.read(runId);
    if (!snapshot) return;
    for (const record of snapshot.steps) {
      if (!steps.has(record.name) || !/#[0-9a-f]{64}$/.test(record.key)) continue;
      const exec = (defaultCodec.decode(record.output) as { exec?: string }).exec;
      const effects = this.effectsOf(runId, record.name);
      if (exec === undefined || !effects.applied.has(exec)) {
        this.violation(`the record of ${record.name} in ${runId} names an effect that never happened`);
      } else if (effects.undone.has(exec)) {
        this.violation(`the record of ${record.name} in ${runId} names an effect that a cleanup undid`);
      }
    }
    const status = snapshot.run.status;
    if (status === 'completed' && snapshot.cleanups.length > 0) {
      this.violation(`${runId} completed with cleanups still pending`);
    }
    if (status === 'cancelled' && snapshot.cleanups.length > 0) {
      this.violation(`${runId} was cancelled and left with cleanups pending`);
    }
  }
}
