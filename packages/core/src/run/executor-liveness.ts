import type { LivenessCheck } from './liveness.ts';
import { ownerIdentity, parseOwner } from './owner.ts';

const INCARNATION = Symbol.for('@td7x/durable-x/incarnation');

/**
 * This process's incarnation: random, shared by every copy of this module loaded in the process
 * (ESM and CJS builds side by side), new in every process.
 */
const incarnation = (): string => {
  const global = globalThis as { [INCARNATION]?: string };
  global[INCARNATION] ??= crypto.randomUUID();
  return global[INCARNATION];
};

/**
 * DBOS's model: every process runs under an executor id given by the deployment (a StatefulSet
 * pod name, a systemd instance name, a fixed worker slot), and a restarted executor takes over
 * its own runs at once: a run held by the same executor id under an earlier incarnation (a
 * process that is gone) is `dead`; one held by this very process is `alive`; any other is
 * `unknown`, so the lease decides.
 *
 * It assumes that at most one process runs under an executor id at a time. Kubernetes gives a
 * StatefulSet that only while no pod is force-deleted and no node is cut off: a process that
 * still runs under a reused id may then run a step while its successor runs the cleanups. Every
 * storage write stays fenced (the old process gets `LeaseLost`), but side effects may overlap.
 * Worker threads of one process are one executor: give each thread its own id, or share runs
 * between them only through the lease. An id too long for an owner token (its identity is over
 * 256 characters) makes `load` answer `InvalidArgument`.
 */
export const executorLiveness = (executorId: string): LivenessCheck => {
  const self = incarnation();
  return {
    identity: ownerIdentity('exec', executorId, self),
    check: (owner) => {
      const parsed = parseOwner(owner);
      if (parsed?.kind !== 'exec' || parsed.fields.length !== 2 || parsed.fields[0] !== executorId) {
        return 'unknown';
      }
      return parsed.fields[1] === self ? 'alive' : 'dead';
    },
  };
};
