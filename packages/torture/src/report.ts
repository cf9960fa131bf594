import type { BackendFigures, CampaignOptions } from './run-backend.ts';

export interface CampaignReport {
  readonly options: Omit<CampaignOptions, 'log' | 'child'>;
  readonly startedAt: string;
  readonly seconds: number;
  readonly versions: Readonly<Record<string, string>>;
  readonly backends: readonly BackendFigures[];
}

const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;

/** docs/reliability.md: one table per backend, with the seed and the versions. */
export const reliabilityMarkdown = (report: CampaignReport): string => {
  const { options } = report;
  const lines = [
    '# Reliability figures',
    '',
    'Written by `npm run torture` (`scripts/torture.sh` → `pnpm --filter @td7x/torture campaign`); do not edit by hand.',
    'Every figure below was measured by that run; rerun it to reproduce them (same seed, same trial plans).',
    '',
    `- Run: ${report.startedAt}, ${Math.round(report.seconds / 60)} min, seed **${options.seed}**, lease ${options.leaseMs} ms, ${options.parallel} kill trials at a time.`,
    '- Kill trial: the reference workflow (sequential steps, a step fed by an earlier output, two concurrent steps, an upload in a `beforeRisky`/`afterSafe` window with a compensating cleanup) runs in a child process that SIGKILLs itself at seeded points: right before its k-th storage call, right after its k-th call resolved, or inside its k-th step body or cleanup; new processes resume until the run completes. Checked after every trial: final output equals the crash-free output; no stored step executed again unless a cleanup rolled it back; every risky effect not kept was compensated, none kept was; final record complete with nothing pending; nothing left running and abandoned after a recovery pass past the lease.',
    '- Outage: the storage server goes down inside a step body; every call during the outage must end in a typed `StorageUnavailable`; once it is back, the run resumes to the crash-free output with the same invariants.',
    `- Race: ${options.raceProcesses} processes start the same new run id at once; exactly one executes each step (once) and completes, the others get \`RunBusy\` or the memoized output.`,
    '- Fuzz: fast-check cases of arbitrary run ids, step names, inputs and outputs (two interleaved runs per case); every call ends in a value or a typed error, every recorded step replays unchanged in its own run.',
    '',
  ];
  for (const b of report.backends) {
    const modes = Object.entries(b.killsByMode)
      .map(([mode, n]) => `${mode} ${n}`)
      .join(', ');
    lines.push(
      `## ${b.backend}`,
      '',
      row(['figure', 'value']),
      row(['---', '---']),
      row(['kills survived (SIGKILLs in kill trials)', `${b.kills} (${modes || 'none'})`]),
      row(['kill trials', b.killTrials]),
      row(['invariant violations', b.violations.length]),
      row([
        'outages survived',
        b.outage ? `${b.outages} (${b.outageTypedErrors} typed errors during them)` : 'n/a (no server)',
      ]),
      row(['race trials', `${b.races} × ${b.raceProcesses} processes`]),
      row(['fuzz cases', `${b.fuzzCases} (${b.fuzzCalls} calls)`]),
      row(['time', `${b.seconds} s`]),
      '',
    );
    if (b.outage) lines.push(`Outage on this backend: ${b.outage}.`, '');
    for (const v of b.violations.slice(0, 20)) lines.push(`- violation, ${v.part}: ${v.detail}`);
    if (b.violations.length > 0) lines.push('');
  }
  lines.push('## Versions', '', row(['component', 'version']), row(['---', '---']));
  for (const [name, version] of Object.entries(report.versions)) lines.push(row([name, version]));
  lines.push('');
  return lines.join('\n');
};
