import * as V from '@td7x/durable-x';
import type { Model, UndoParams } from './model.ts';
import type { Prng } from './prng.ts';
import type { SimProcess, World } from './world.ts';

/** One instruction of a simulated workflow. */
export type Instr =
  | { readonly kind: 'step'; readonly name: string; readonly flaky: number; readonly retry: number }
  | { readonly kind: 'parallel'; readonly names: readonly string[]; readonly flaky: number }
  | { readonly kind: 'risky'; readonly name: string; readonly safe: boolean; readonly flakyCleanup: boolean }
  | { readonly kind: 'sleep'; readonly name: string; readonly ms: number }
  | { readonly kind: 'wait'; readonly name: string; readonly timeout: number | undefined };

export type Program = readonly Instr[];

export const LEASE_MS = 1_000;

/** A random workflow: steps, siblings, risky windows, sleeps, waits; the same code in every process. */
export const generateProgram = (rng: Prng, size: number): Program => {
  const program: Instr[] = [];
  for (let i = 0; i < size; i++) {
    const roll = rng.next();
    const flaky = rng.chance(0.2) ? 1 + rng.int(2) : 0;
    if (roll < 0.3)
      program.push({ kind: 'step', name: `s${i}`, flaky, retry: rng.chance(0.4) ? 1 + rng.int(3) : 0 });
    else if (roll < 0.5)
      program.push({
        kind: 'parallel',
        names: [`p${i}a`, `p${i}b`, `p${i}c`].slice(0, 2 + rng.int(2)),
        flaky,
      });
    else if (roll < 0.75)
      program.push({ kind: 'risky', name: `r${i}`, safe: rng.chance(0.6), flakyCleanup: rng.chance(0.15) });
    else if (roll < 0.87) program.push({ kind: 'sleep', name: `z${i}`, ms: rng.int(3 * LEASE_MS) });
    else
      program.push({
        kind: 'wait',
        name: `w${i}`,
        timeout: rng.chance(0.6) ? rng.int(3 * LEASE_MS) : undefined,
      });
  }
  return program;
};

/** The names of a program's steps (what its records may be called). */
export const stepNames = (program: Program): Set<string> =>
  new Set(
    program.flatMap((i) =>
      i.kind === 'step' || i.kind === 'risky' ? [i.name] : i.kind === 'parallel' ? i.names : [],
    ),
  );

export interface ProcessEnv {
  readonly world: World;
  readonly model: Model;
  readonly process: SimProcess;
  readonly storage: V.Storage;
  readonly clock: V.Clock;
}

/** The cleanup every risky window registers; its params name the run, the step and the registration. */
export const registry = (env: ProcessEnv, programs: ReadonlyMap<string, Program>): V.CleanupRegistry => ({
  undo: async (params) => {
    const undo = params as unknown as UndoParams;
    const end = await env.model.cleanupStarted(env.process, undo.run, undo);
    await env.world.pause(env.process, `${env.process.name} undoing ${undo.step}`, LEASE_MS / 5);
    const flaky = programs
      .get(undo.run)
      ?.some((i) => i.kind === 'risky' && i.name === undo.step && i.flakyCleanup);
    end();
    if (flaky && env.model.flaky(`${undo.run}|cleanup|${undo.reg}`, 1))
      throw new Error('cleanup failed once');
    await env.model.undo(env.process, undo.run, undo.step);
  },
});

/** A step's function: it runs for a while, has its effect, and sometimes fails after it. */
const body = (env: ProcessEnv, runId: string, name: string, flaky: number) => async () => {
  const end = await env.model.stepStarted(env.process, runId, name);
  // Functions take a while (up to a third of the lease): a cancel or a sibling's failure lands meanwhile.
  await env.world.pause(env.process, `${env.process.name} in ${name}`, LEASE_MS / 3);
  const exec = env.model.effect(runId, name);
  end();
  if (flaky > 0 && env.model.flaky(`${runId}|${name}`, flaky)) throw new Error(`${name} failed`);
  return { exec };
};

/**
 * What a worker does with a run, as an application would with the value API: load, run the
 * workflow, complete; a step that failed is sometimes answered with `fail` (a catch-all), sometimes
 * left to the lease; a suspension is left to the host.
 */
export const job = async (
  env: ProcessEnv,
  runId: string,
  programs: ReadonlyMap<string, Program>,
  version: string | undefined,
  liveness?: V.LivenessCheck,
) => {
  const { storage, clock } = env;
  const program = programs.get(runId) ?? [];
  let cp: V.Checkpoint | undefined;
  try {
    cp = await V.load(storage, {
      clock,
      leaseMs: LEASE_MS,
      ...(version === undefined ? {} : { version }),
      ...(liveness === undefined ? {} : { liveness }),
    })(registry(env, programs))(runId);
    const step = V.durable(storage)(cp);
    for (const instr of program) {
      switch (instr.kind) {
        case 'step':
          await step(
            instr.name,
            instr.retry > 0 ? { retry: { attempts: instr.retry, initialDelayMs: 100 } } : {},
          )({})(body(env, runId, instr.name, instr.flaky));
          break;
        case 'parallel':
          await Promise.all(instr.names.map((name) => step(name)({})(body(env, runId, name, instr.flaky))));
          break;
        case 'risky':
          await V.beforeRisky(storage)(cp)('undo')({
            run: runId,
            step: instr.name,
            reg: env.model.newRegistration(),
          } satisfies UndoParams);
          await step(instr.name)({})(body(env, runId, instr.name, 0));
          if (instr.safe) await V.afterSafe(storage)(cp)('undo');
          break;
        case 'sleep':
          await V.sleep(storage)(cp)(instr.name)(instr.ms);
          break;
        case 'wait':
          await V.waitFor(storage)(cp)(instr.name)(
            instr.timeout === undefined ? {} : { timeout: instr.timeout },
          );
          break;
      }
    }
    await V.complete(storage)(cp);
    env.world.log(`${env.process.name} completed ${runId}`);
  } catch (error) {
    const type = V.isDurableXError(error) ? error.type : 'Error';
    env.world.log(`${env.process.name} ${runId}: ${type}`);
    if (cp && type === 'StepFailed' && env.world.rng.chance(0.5)) {
      await V.fail(storage)(cp)(error).catch(() => undefined);
    }
  }
};
