import {
  OPTIONAL_STORAGE_OPERATIONS,
  STORAGE_OPERATIONS,
  type Storage,
  type StorageOperation,
} from '@td7x/durable-x';
import type { SimProcess, World } from './world.ts';

/** The operations a wrapper forwards: every required one, and the optional ones the storage has. */
export type Operation = StorageOperation | 'putSteps';

/** A network hop's latency, at most (ms of virtual time). */
const HOP_MS = 20;

/** How a simulated network and server treat a request. */
export interface Faults {
  /** The request is applied twice (a driver resent it after a lost reply). */
  readonly resend: number;
  /** The request is applied, but its reply is lost: the caller sees an error. */
  readonly lostReply: number;
  /** The request never arrives: the caller sees an error, nothing changed. */
  readonly refused: number;
}

export const CALM: Faults = { resend: 0, lostReply: 0, refused: 0 };

/**
 * What the model is told: `applied` when the storage applied a request (whether or not its reply
 * ever arrives), `received` when the process got the answer.
 */
export interface Observer {
  applied(process: SimProcess, op: Operation, request: unknown, answer: unknown): void;
  received(process: SimProcess, op: Operation, request: unknown, answer: unknown): void;
}

/**
 * A process's view of the shared storage: every call is two scheduler events, its delivery (the
 * request is applied to the real storage) and its reply (the caller's promise settles), so replies
 * come late and out of order. A killed process's requests not yet delivered are never applied, and
 * no reply reaches it; one already delivered stays applied (it crashed after the commit).
 */
export const simStorage = (
  world: World,
  process: SimProcess,
  inner: Storage,
  faults: () => Faults,
  observe: Observer,
): Storage => {
  const wrapped: Record<string, unknown> = {
    name: inner.name,
    maxValueBytes: inner.maxValueBytes,
    signalLimits: inner.signalLimits,
  };
  const present = OPTIONAL_STORAGE_OPERATIONS.filter((op) => typeof inner[op] === 'function');
  for (const op of [...STORAGE_OPERATIONS, ...present]) {
    const method = (inner[op] as (request: unknown) => Promise<unknown>).bind(inner);
    wrapped[op] = (request: unknown) =>
      new Promise((resolve, reject) => {
        world.schedule(
          process,
          `${process.name} → ${op}`,
          async () => {
            const fault = faults();
            if (world.rng.chance(fault.refused)) {
              world.schedule(process, `${process.name} ✗ ${op} refused`, () =>
                reject(new Error('ECONNREFUSED')),
              );
              return;
            }
            let answer: unknown;
            try {
              answer = await method(request);
              observe.applied(process, op, request, answer);
              if (op !== 'read' && op !== 'list' && world.rng.chance(fault.resend)) {
                world.log(`${process.name} ↻ ${op} resent`);
                answer = await method(request);
                observe.applied(process, op, request, answer);
              }
            } catch (error) {
              world.schedule(process, `${process.name} ✗ ${op}`, () => reject(error), world.after(HOP_MS));
              return;
            }
            if (world.rng.chance(fault.lostReply)) {
              world.schedule(process, `${process.name} ✗ ${op} reply lost`, () =>
                reject(new Error('ECONNRESET')),
              );
              return;
            }
            world.schedule(
              process,
              `${process.name} ← ${op}`,
              () => {
                observe.received(process, op, request, answer);
                resolve(answer);
              },
              world.after(HOP_MS),
            );
          },
          world.after(HOP_MS),
        );
      });
  }
  return wrapped as unknown as Storage;
};
