import type { PutStepOutcome, PutStepRequest, Storage } from '@td7x/durable-x';
import type { KillPlan } from './plan.ts';

/** Dies now, as a power cut would: no finally blocks, no flush, no goodbye to the server. */
export const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL of oneself is delivered before kill(2) returns; this line is never reached.
  throw new Error('unreachable');
};

export interface KillingStorageHooks {
  /** A putStep answered `written`: the record is on the server. */
  readonly stored: (name: string) => void;
}

/**
 * The storage seam as a kill switch: counts every contract call of this process and, per the plan,
 * SIGKILLs the process right before the k-th one is sent or right after it resolved.
 */
export const killingStorage = (inner: Storage, plan: KillPlan, hooks: KillingStorageHooks): Storage => {
  let calls = 0;
  const wrap =
    (method: string, call: (request: unknown) => Promise<unknown>) =>
    async (request: unknown): Promise<unknown> => {
      const n = ++calls;
      if (plan.mode === 'before-call' && plan.k === n) die();
      const answer = await call(request);
      if (method === 'putStep' && (answer as PutStepOutcome).kind === 'written') {
        hooks.stored((request as PutStepRequest).record.name);
      }
      if (plan.mode === 'after-call' && plan.k === n) die();
      return answer;
    };
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return wrap(property, (request) => value.call(target, request));
    },
  });
};
