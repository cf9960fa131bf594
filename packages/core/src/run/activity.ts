import type { Clock } from '../clock.ts';
import { type Body, bodyContext } from './body-context.ts';

export type { Body };

/**
 * What this process is running for the run right now. A cleanup must not start before the step
 * functions whose effects it may undo have ended: a cancellation, a `fail` and a step that spent
 * its retries all wait here first — for every body except those that are blocked waiting for
 * that very answer (a step's function that called the step being answered), which could
 * otherwise never end.
 */
export interface Activity {
  readonly bodies: Set<Body>;
  /** Bodies blocked on a call that waits for the others, with how many such calls each. */
  readonly blocked: Map<Body, number>;
  /** Re-checked whenever a body ends or a call starts waiting. */
  readonly watchers: Set<() => void>;
}

export const noActivity = (): Activity => ({ bodies: new Set(), blocked: new Map(), watchers: new Set() });

/** The body whose code is running now (the caller of a core function), if any. */
export const currentBody = (): Body | undefined => bodyContext.get();

/** True when `body` is `of` or one of the bodies it was called from. */
export const isWithin = (of: Body | undefined, body: Body): boolean => {
  for (let b = of; b !== undefined; b = b.parent) if (b === body) return true;
  return false;
};

const notify = (activity: Activity): void => {
  if (activity.watchers.size === 0) return;
  for (const check of [...activity.watchers]) check();
};

const ended = (activity: Activity, body: Body): void => {
  activity.bodies.delete(body);
  notify(activity);
};

/**
 * Runs user code as `body` of the run: counted while it runs, known to the calls it makes. `fn`
 * must not throw; a synchronous answer comes back synchronously.
 */
export const runBody = <T>(activity: Activity, body: Body, fn: () => T | Promise<T>): T | Promise<T> => {
  activity.bodies.add(body);
  let answer: T | Promise<T>;
  try {
    answer = bodyContext.run(body, fn);
  } catch (cause) {
    ended(activity, body);
    throw cause;
  }
  if (!(answer instanceof Promise)) {
    ended(activity, body);
    return answer;
  }
  return answer.then(
    (value) => {
      ended(activity, body);
      return value;
    },
    (cause: unknown) => {
      ended(activity, body);
      throw cause;
    },
  );
};

/** Runs `fn` as no body's code: what the core starts on its own (undoing a cancelled run). */
export const outsideBodies = <T>(fn: () => T): T => bodyContext.run(undefined, fn);

/**
 * Marks the caller, and the bodies it was called from, as blocked until `waiting` settles: they
 * cannot go on (nor produce an effect) before this call answers, so nothing should wait for them.
 */
export const blockedWhile = async <T>(
  activity: Activity,
  caller: Body | undefined,
  waiting: Promise<T>,
): Promise<T> => {
  const chain: Body[] = [];
  for (let b = caller; b !== undefined; b = b.parent) chain.push(b);
  for (const b of chain) activity.blocked.set(b, (activity.blocked.get(b) ?? 0) + 1);
  notify(activity);
  try {
    return await waiting;
  } finally {
    for (const b of chain) {
      const n = (activity.blocked.get(b) ?? 1) - 1;
      if (n === 0) activity.blocked.delete(b);
      else activity.blocked.set(b, n);
    }
  }
};

/**
 * Resolves once every running body has ended or is blocked (see `blockedWhile`). Where the
 * runtime cannot tell which body a call comes from (no async context), a nested step would wait
 * for its own parent forever: the wait is then bounded by `fallbackBoundMs`.
 */
export const settled = (activity: Activity, clock: Clock, fallbackBoundMs: number): Promise<void> =>
  new Promise<void>((resolve) => {
    let stopBound: (() => void) | undefined;
    const check = () => {
      for (const body of activity.bodies) if (!activity.blocked.has(body)) return;
      done();
    };
    const done = () => {
      activity.watchers.delete(check);
      stopBound?.();
      resolve();
    };
    activity.watchers.add(check);
    if (!bodyContext.tracksAsync && activity.bodies.size > 0) stopBound = clock.every(fallbackBoundMs, done);
    check();
  });

/** Waits, as `caller`, for the other bodies of the run to settle. */
export const othersSettled = (
  activity: Activity,
  caller: Body | undefined,
  clock: Clock,
  fallbackBoundMs: number,
): Promise<void> => blockedWhile(activity, caller, settled(activity, clock, fallbackBoundMs));
