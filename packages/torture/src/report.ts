import type { BackendFigures, CampaignOptions } from './run-backend.ts';

export type RunOptions = Omit<CampaignOptions, 'log' | 'child'>;

/** One backend's campaign, as saved when it ends (so backends may be run, and rerun, apart). */
export interface BackendRun {
  readonly figures: BackendFigures;
  readonly options: RunOptions;
  readonly startedAt: string;
}

const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;

/** docs/reliability.md: one table per backend, with its seed, and the versions. */
export const reliabilityMarkdown = (
  runs: readonly BackendRun[],
  versions: Readonly<Record<string, string>>,
): string => {
  const lines = [
    '# Reliability figures',
    '',
    'Written by `npm run torture` (`scripts/torture.sh` → `pnpm --filter @td7x/torture campaign`); do not edit by hand.',
    'Every figure below was measured by that command; rerun it with the same seed to replay the same trial plans',
    '(kill points counted in storage calls are exact; lease renewals, being timed, can shift which call is the k-th).',
    '',
    '- **Kill trial** (every process real): worker processes run the reference workflow of `@td7x/testing` (`packages/testing/src/crash/workflow.ts`): sequential steps, a step fed by an earlier output, two sibling steps, an upload inside a `beforeRisky`/`afterSafe` window whose cleanup names the upload it undoes, a durable sleep, a wait for the signal `approval`, a `charge` step under a retry policy that fails its first 0–2 attempts, then `publish`. The first attempts run under a seeded fault plan: SIGKILL right before the k-th storage call, right after it resolved, or inside the k-th step body or cleanup; the answer of the k-th call lost after the backend applied it; or the k-th request sent twice — by the driver itself where it resends (ioredis with its defaults and the AWS SDK, behind a TCP proxy that drops one answer), else by a storage wrapper. Plain attempts follow until the run ends. Beside them a housekeeper process polls `findDue` (the host: a suspended run is resumed only once it finds it due), runs `recoverAbandoned`, sends the approval from another process at a seeded moment and, in 15 % of trials, a `cancel`; in 30 % of trials it is itself killed (and restarted) or resends a request. In 35 % of the trials that complete, 1–3 duplicate requests race `purgeRuns`.',
    "  After every attempt the run is read straight from the backend with the adapter's own raw reader (plain SQL, GETs, HGETALL: not the adapter under test), so a write that landed as its process died counts as stored. Checked: each attempt ends as its plan allows (killed only by a kill plan; an error only as a lost answer's StorageUnavailable, or as `LeaseLost` once another process took the run over — the owner the backend holds once it ended is not its own; never busy, hung or crashed); every output equals the crash-free run's; no step whose record the backend held runs again (an upload only after the cleanup of that very upload); every record names an execution that ran; every upload not kept was compensated after it was made, the kept one never; the run ends completed (every step stored, nothing pending, no owner) or, when a cancel was stored first, cancelled with nothing pending; nothing starts in a process after it learnt of the cancel, nor in an attempt started after it; a suspended run is found due; duplicates replay without running anything, are told the run is busy, or start it afresh after a purge — never another error, never a completed run without its records; the housekeeper meets no error but a lost race (`RunBusy`).",
    "- **Outage**: the storage server goes down inside a step body; the workflow, an inspection and a load of another run during the outage must each end in a typed `StorageUnavailable`; once the server is back, what it holds is read raw, and the run resumes to the crash-free output under the kill trial's invariants.",
    '- **Race**: N processes start the same new run id at once; exactly one executes each step (once) and completes, the others get `RunBusy` or the memoized output.',
    "- **Fuzz**: fast-check cases of arbitrary run ids, step names, inputs and outputs (two interleaved runs per case), each answer judged against what its input deserves by the documented rules (names of 1–256 well-formed characters without NUL, values the codec round-trips within the storage's `maxValueBytes`): valid input gets a value, invalid input its own typed error and nothing else (a `StorageUnavailable` on valid input is a violation); every recorded step replays unchanged in its own run.",
    "- The campaign's own mutation test (`packages/torture/test/mutants.test.ts`, in `npm test`) runs kill trials on storages broken behind the adapter and requires it to report them.",
    '',
  ];
  for (const { figures: b, options, startedAt } of runs) {
    const modes = Object.entries(b.killsByMode)
      .map(([mode, n]) => `${mode} ${n}`)
      .join(', ');
    lines.push(
      `## ${b.backend}`,
      '',
      `Seed **${options.seed}**, run ${startedAt}, lease ${options.leaseMs} ms, ${options.parallel} kill trials at a time, ${Math.round(b.seconds / 60)} min.`,
      '',
      row(['figure', 'value']),
      row(['---', '---']),
      row(['kills survived (SIGKILLs in kill trials)', `${b.kills} (${modes || 'none'})`]),
      row(['kill trials', `${b.killTrials} (${ends(b.ends)})`]),
      row(['requests applied twice (resends)', resent(b.resends)]),
      row(['answers lost after the write was applied', b.lostReplies]),
      row(['cleanups run by recoverAbandoned', b.recoveredCleanups]),
      row(['duplicate requests beside a purge', b.duplicates]),
      row(['invariant violations', b.violations.length]),
      row([
        'outages survived',
        b.outage ? `${b.outages} (${b.outageTypedErrors} typed errors during them)` : 'not run (see below)',
      ]),
      row(['race trials', `${b.races} × ${b.raceProcesses} processes`]),
      row(['fuzz cases', `${b.fuzzCases} (${b.fuzzCalls} calls)`]),
      '',
    );
    lines.push(b.outage ? `Outage: ${b.outage}.` : `Outage: ${NO_OUTAGE[b.backend] ?? 'none run'}.`, '');
    for (const v of b.violations.slice(0, 20)) lines.push(`- violation, ${v.part}: ${v.detail}`);
    if (b.violations.length > 0) lines.push('');
  }
  lines.push('## Versions', '', row(['component', 'version']), row(['---', '---']));
  for (const [name, version] of Object.entries(versions)) lines.push(row([name, version]));
  lines.push('');
  return lines.join('\n');
};

const ends = (counts: Readonly<Record<string, number>>): string =>
  Object.entries(counts)
    .map(([end, n]) => `${n} ${end}`)
    .join(', ') || 'none';

const resent = (counts: Readonly<Record<string, number>>): string => {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const by = Object.entries(counts).map(
    ([how, n]) => `${n} by the ${how === 'driver' ? 'driver' : 'storage wrapper'}`,
  );
  return total === 0 ? '0' : `${total} (${by.join(', ')})`;
};

const NO_OUTAGE: Record<string, string> = {
  sqlite: 'none (an embedded file, no server to lose)',
};
