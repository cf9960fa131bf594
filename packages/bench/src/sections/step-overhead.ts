import type { Backend } from '../backends.ts';
import { dbosQueries, dbosTimings, dbosWorkflow } from '../dbos.ts';
import { type Lockstep, lockstep } from '../lockstep.ts';
import { stepOutput } from '../output.ts';
import { median, nowMs, p95 } from '../stats.ts';
import { dxWorkflow, freshRunId } from '../workflow.ts';

export interface StepRow {
  readonly variant: string;
  readonly medianMs: number;
  readonly p95Ms: number;
  /** Backend requests per 100-step workflow (load + steps + complete), when counted. */
  readonly roundTrips: number | undefined;
}

export interface StepOverhead {
  readonly backend: string;
  readonly steps: number;
  readonly rounds: number;
  /** COMMIT statements DBOS sent for one workflow (its other transactions are implicit). */
  readonly dbosCommits: number | undefined;
  readonly rows: readonly StepRow[];
}

type Run = (turns: Lockstep, onStep: (ms: number) => void) => Promise<number | undefined>;
type Variant = { readonly label: string; readonly run: Run };

/** `steps` operations, each timed alone while holding the turn. */
const timedLoop = async (
  turns: Lockstep,
  steps: number,
  onStep: (ms: number) => void,
  op: (i: number) => Promise<unknown>,
): Promise<void> => {
  for (let i = 0; i < steps; i++) {
    const done = await turns.turn();
    const started = nowMs();
    await op(i);
    onStep(nowMs() - started);
    done();
  }
};

/**
 * Per-step wall time inside a `steps`-step workflow, for durable-x, the adapter's `putStep`
 * alone (no core: what the backend statement costs), each raw floor and (on Postgres) DBOS.
 * All variants of a round run side by side and take turns step by step (lockstep.ts), so noise
 * hits them alike. The first round is a warm-up and is dropped.
 */
export const measureStepOverhead = async (
  backend: Backend,
  options: { steps: number; rounds: number; withDbos: boolean },
): Promise<StepOverhead> => {
  const { storage } = backend;
  const variants: Variant[] = [
    {
      label: 'durable-x',
      run: async (turns, onStep) => {
        await dxWorkflow(storage, freshRunId('step'), options.steps, { onStep, turn: turns.turn });
        return undefined;
      },
    },
    ...backend.alternatives.map(
      (alternative): Variant => ({
        label: alternative.label,
        run: async (turns, onStep) => {
          await dxWorkflow(alternative.storage, freshRunId('alt'), options.steps, {
            onStep,
            turn: turns.turn,
          });
          return undefined;
        },
      }),
    ),
    {
      label: 'adapter putStep alone (no core)',
      run: async (turns, onStep) => {
        const runId = freshRunId('adapter');
        const owner = `bench:${runId}`;
        const claimed = await storage.claim({ runId, owner, now: Date.now(), leaseMs: 60_000 });
        if (claimed.kind !== 'claimed') throw new Error(`bench: claim gave ${claimed.kind}`);
        await timedLoop(turns, options.steps, onStep, async (i) => {
          const record = {
            key: `s${i}#${i}`,
            name: `s${i}`,
            seq: i + 1,
            output: JSON.stringify(stepOutput(i)),
            at: Date.now(),
          };
          const outcome = await storage.putStep({ runId, owner, record });
          if (outcome.kind !== 'written') throw new Error(`bench: putStep gave ${outcome.kind}`);
        });
        return undefined;
      },
    },
    ...backend.floors.map(
      (floor): Variant => ({
        label: `floor: ${floor.label}`,
        run: async (turns, onStep) => {
          const runId = freshRunId('floor');
          await timedLoop(turns, options.steps, onStep, (i) =>
            floor.write(runId, i, JSON.stringify(stepOutput(i))),
          );
          return options.steps;
        },
      }),
    ),
  ];
  if (options.withDbos) {
    variants.push({
      label: 'DBOS Transact 5.3',
      run: async (turns, onStep) => {
        dbosTimings.onStep = onStep;
        dbosTimings.turn = turns.turn;
        try {
          await dbosWorkflow(options.steps);
        } finally {
          delete dbosTimings.onStep;
          delete dbosTimings.turn;
        }
        return undefined;
      },
    });
  }
  const samples = new Map<string, number[]>(variants.map((v) => [v.label, []]));
  const trips = new Map<string, number | undefined>();
  // Requests are counted on a workflow run alone (the variants of a round share the storage),
  // after a first one: on a fresh server each Redis script's first call costs a NOSCRIPT + EVAL.
  await dxWorkflow(storage, freshRunId('warm'), options.steps);
  const before = backend.roundTrips();
  await dxWorkflow(storage, freshRunId('count'), options.steps);
  const dxTrips = backend.roundTrips() - before;
  let dbosTrips: number | undefined;
  let dbosCommits: number | undefined;
  if (options.withDbos) {
    const sent = dbosQueries();
    await dbosWorkflow(options.steps);
    dbosTrips = dbosQueries().statements - sent.statements;
    dbosCommits = dbosQueries().commits - sent.commits;
  }
  for (let round = 0; round <= options.rounds; round++) {
    const turns = lockstep();
    await Promise.all(
      variants.map(async (variant) => {
        const times: number[] = [];
        const rt = await variant.run(turns, (ms) => times.push(ms));
        if (round === 0) return;
        samples.get(variant.label)?.push(...times);
        trips.set(variant.label, rt);
      }),
    );
  }
  return {
    backend: backend.name,
    steps: options.steps,
    rounds: options.rounds,
    dbosCommits,
    rows: variants.map((v) => {
      const s = samples.get(v.label) ?? [];
      const rt =
        v.label === 'durable-x' ? dxTrips : v.label.startsWith('DBOS') ? dbosTrips : trips.get(v.label);
      return { variant: v.label, medianMs: median(s), p95Ms: p95(s), roundTrips: rt };
    }),
  };
};
