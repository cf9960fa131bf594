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
    "- **Kill trial**: the reference workflow (sequential steps, a step fed by an earlier output, two concurrent steps, an upload in a `beforeRisky`/`afterSafe` window with a compensating cleanup) runs in a child process that SIGKILLs itself at seeded points: right before its k-th storage call is sent, right after its k-th call resolved, or inside its k-th step body or cleanup; new processes resume (after the dead owner's lease) until the run completes. Checked after every trial: the final output equals the crash-free output; no stored step executed again unless a cleanup rolled it back; every risky effect not kept was compensated after it was made, and the one kept never was; the final record is complete with nothing pending; nothing is left running and abandoned after a recovery pass past the lease.",
    '- **Outage**: the storage server goes down inside a step body; the workflow, an inspection and a load of another run during the outage must each end in a typed `StorageUnavailable`; once the server is back, the run resumes to the crash-free output under the same invariants.',
    '- **Race**: N processes start the same new run id at once; exactly one executes each step (once) and completes, the others get `RunBusy` or the memoized output.',
    '- **Fuzz**: fast-check cases of arbitrary run ids, step names, inputs and outputs (two interleaved runs per case); every call ends in a value or a typed error, and every recorded step replays unchanged in its own run.',
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
      row(['kill trials', b.killTrials]),
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

const NO_OUTAGE: Record<string, string> = {
  sqlite: 'none (an embedded file, no server to lose)',
};
