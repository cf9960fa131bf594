// The shared process suite imports vitest: it has its own entry, `@td7x/testing/process-suite`,
// so that child processes importing `@td7x/testing` never load vitest.
import type { RawReader } from '@td7x/durable-x-testkit';
import { describe, expect, it } from 'vitest';
import { describeResumeAtOnce } from './at-once.ts';
import { countEffects, type LedgerEntry } from './ledger.ts';
import { crashFreeOutput } from './reference.ts';
import { crashAndResume, race } from './scenarios.ts';
import { REFERENCE_CLEANUP, REFERENCE_STEPS } from './workflow.ts';

type Env = Readonly<Record<string, string>>;

/** What an adapter gives the process suite: how children reach its backend, and a way to look. */
export interface ProcessHarness {
  /** Absolute path of the storage module the children load. */
  readonly storageModule: string;
  /** Children's environment for one scenario. Scenarios use distinct run ids: one namespace may serve all. */
  namespace(): Env | Promise<Env>;
  /** The adapter's raw reader (the testkit's `RawReader`) on that namespace: what the backend really holds. */
  raw(env: Env): RawReader;
}

/** What a child did (its bodies, cleanups and windows made safe), not what it was told. */
const effectsOf = (ledger: readonly LedgerEntry[], child: string) =>
  ledger
    .filter((e) => e.child === child && (e.kind === 'step' || e.kind === 'cleanup' || e.kind === 'safe'))
    .map((e) => `${e.kind}:${e.name}`);

/** Names of the step records a raw read shows (the core's own records, without a hash, left out). */
export const storedSteps = (stepKeys: readonly string[] | undefined): string[] =>
  (stepKeys ?? [])
    .filter((key) => /#[0-9a-f]{64}$/.test(key))
    .map((key) => key.slice(0, key.lastIndexOf('#')))
    .sort();

/**
 * The checks every adapter runs with real processes beside the conformance suite: a SIGKILL in the
 * risky window and in other steps, then a resume; and N processes racing on one run id.
 */
export const describeProcessSuite = (
  name: string,
  harness: () => ProcessHarness,
  options: { processes?: number } = {},
) => {
  const processes = options.processes ?? 16;

  describe(`${name}: real processes, real SIGKILL`, () => {
    it('killed inside the risky upload, the run resumes: skips finished steps, cleans up once, redoes the upload', async () => {
      const { storageModule, namespace, raw } = harness();
      const env = await namespace();
      const runId = "crash:file-42'; DROP TABLE x; -- ../a%2Fb {tag} 🚀";
      const { first, second, ledger } = await crashAndResume({
        storageModule,
        env,
        runId,
        killWhen: { inStep: 'upload' },
        betweenAttempts: async () => {
          // What the kill left: the cleanup registered, the upload not recorded, the run still running.
          const left = await raw(env).readRun(runId);
          expect(left?.status).toBe('running');
          expect(left?.cleanupNames).toEqual([REFERENCE_CLEANUP]);
          expect(storedSteps(left?.stepKeys)).toEqual(['fetch', 'metadata', 'parse', 'thumbnail']);
        },
      });
      expect(first.kind).toBe('killed');
      if (second.kind !== 'completed') throw new Error(`resume did not complete: ${JSON.stringify(second)}`);
      const attempt1 = effectsOf(ledger, 'attempt-1');
      expect(attempt1.slice(0, 2)).toEqual(['step:fetch', 'step:parse']);
      expect(attempt1.slice(2, 4).sort()).toEqual(['step:metadata', 'step:thumbnail']); // concurrent
      expect(attempt1.slice(4)).toEqual(['step:upload']);
      // The pending cleanup ran exactly once, first; then the rolled-back upload and the rest.
      expect(effectsOf(ledger, 'attempt-2')).toEqual([
        `cleanup:${REFERENCE_CLEANUP}`,
        'step:upload',
        'safe:upload',
        'step:charge',
        'step:publish',
      ]);
      // The cleanup undid the very upload attempt 1 made.
      const undone = ledger.find((e) => e.kind === 'cleanup')?.exec;
      expect(undone).toBe(ledger.find((e) => e.child === 'attempt-1' && e.name === 'upload')?.exec);
      expect(second).toMatchObject({ attempt: 2, cleanupsRun: [REFERENCE_CLEANUP] });
      const skipped = second.events.filter((e) => e.type === 'step.skipped').map((e) => e.name);
      expect(skipped.sort()).toEqual(['fetch', 'metadata', 'parse', 'thumbnail']);
      expect(second.output).toEqual(await crashFreeOutput(runId));
      const stored = await raw(env).readRun(runId);
      expect(stored).toMatchObject({ status: 'completed', owner: null, cleanupNames: [] });
      expect(storedSteps(stored?.stepKeys)).toEqual([...REFERENCE_STEPS].sort());
    }, 90_000);

    it.each(['metadata', 'publish'] as const)(
      'killed inside %s, the resume runs exactly the steps that were not recorded',
      async (inStep) => {
        const { storageModule, namespace, raw } = harness();
        const env = await namespace();
        const runId = `kill-in-${inStep}`;
        let recorded: string[] = [];
        const { first, second, ledger } = await crashAndResume({
          storageModule,
          env,
          runId,
          killWhen: { inStep },
          betweenAttempts: async () => {
            recorded = storedSteps((await raw(env).readRun(runId))?.stepKeys);
          },
        });
        expect(first.kind).toBe('killed');
        if (second.kind !== 'completed')
          throw new Error(`resume did not complete: ${JSON.stringify(second)}`);
        expect(recorded).not.toContain(inStep);
        const rerun = ledger.filter((e) => e.child === 'attempt-2' && e.kind === 'step').map((e) => e.name);
        expect(rerun.sort()).toEqual(REFERENCE_STEPS.filter((s) => !recorded.includes(s)).sort());
        // Outside the risky window no cleanup is pending, so none runs.
        expect(ledger.filter((e) => e.kind === 'cleanup')).toEqual([]);
        expect(second.output).toEqual(await crashFreeOutput(runId));
      },
      90_000,
    );

    it(`${processes} processes race on one run id: exactly one executes each step`, async () => {
      const { storageModule, namespace } = harness();
      const { outcomes, ledger } = await race({
        storageModule,
        env: await namespace(),
        runId: 'race/{1}',
        processes,
      });
      expect(outcomes.filter((o) => o.kind === 'error')).toEqual([]);
      expect(outcomes.filter((o) => o.kind === 'completed')).toHaveLength(1);
      for (const o of outcomes) expect(['completed', 'busy', 'memoized']).toContain(o.kind);
      expect(countEffects(ledger, 'step')).toEqual(Object.fromEntries(REFERENCE_STEPS.map((s) => [s, 1])));
      expect(countEffects(ledger, 'cleanup')).toEqual({});
      expect(new Set(ledger.filter((e) => e.kind === 'step').map((e) => e.pid)).size).toBe(1);
    }, 180_000); // N node processes compiling TypeScript on a small machine

    describeResumeAtOnce(harness);
  });
};
