import type { Clock } from '../clock.ts';

/**
 * What a liveness check knows of the process that holds a run: `dead` only when that is proven
 * (its pid is gone, its job has finished, its executor restarted); `alive` when it is known to
 * run; `unknown` otherwise. Only `dead` changes what `load` does: it takes the run over at once.
 */
export type Liveness = 'dead' | 'alive' | 'unknown';

/**
 * Pass one to `load` (`liveness`), or let the storage carry one: when a run is held by another
 * owner's live lease, `load` asks `check` about that owner, and takes the run over at once when
 * the answer is `dead`, with a claim that succeeds only if that owner still holds it.
 * Ships: `sameHostLiveness()` (`@td7x/durable-x/node`), `executorLiveness(id)`, and
 * `windmillJobLiveness()` (`@td7x/durable-x-windmill`).
 */
export interface LivenessCheck {
  /**
   * The identity this process writes into its owner tokens (`ownerIdentity(kind, ...fields)`), so
   * that the same check in another process can recognise it. Absent: the tokens keep the
   * `ownerPrefix` (or the storage's, or `dx`).
   */
  readonly identity?: string | undefined;
  /**
   * Whether the process that wrote `owner` (another load's token; `parseOwner` reads it) is gone.
   * A token it does not recognise is `unknown`. A check that throws, answers anything else, or
   * takes longer than `livenessTimeoutMs` counts as `unknown`; `signal` aborts then.
   */
  check(owner: string, signal: AbortSignal): Liveness | Promise<Liveness>;
}

export const DEFAULT_LIVENESS_TIMEOUT_MS = 2_000;

const isLiveness = (answer: unknown): answer is Liveness =>
  answer === 'dead' || answer === 'alive' || answer === 'unknown';

/**
 * Asks `liveness` about `owner`, bounded by `timeoutMs` on `clock`: a check that throws, hangs or
 * answers nonsense is `unknown`, never a reason to take a run over.
 */
export const askLiveness = (
  liveness: LivenessCheck,
  owner: string,
  clock: Clock,
  timeoutMs: number,
): Promise<Liveness> =>
  new Promise((resolve) => {
    const controller = new AbortController();
    let settled = false;
    const settle = (answer: Liveness) => {
      if (settled) return;
      settled = true;
      stop();
      resolve(answer);
    };
    const stop = clock.every(timeoutMs, () => {
      controller.abort();
      settle('unknown');
    });
    Promise.resolve()
      .then(() => liveness.check(owner, controller.signal))
      .then(
        (answer) => settle(isLiveness(answer) ? answer : 'unknown'),
        () => settle('unknown'),
      );
  });
