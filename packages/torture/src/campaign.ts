/**
 * The full torture campaign (`npm run torture`): every part on every backend, then the figures in
 * docs/reliability.md. Options (all optional):
 *   --backends sqlite,postgres,redis,s3  --kills 500  --outages 5  --races 5  --race-processes 16
 *   --fuzz 1000  --seed 20261126  --parallel 2  --lease-ms 400  --out docs/reliability.md
 * Each backend's figures are saved when it ends (packages/torture/.cache/runs/<backend>.json) and the
 * document is written from every saved backend, so one backend can be rerun alone.
 * `--backends none` rewrites the document from what is saved. Exits 1 when any invariant was violated.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BACKENDS, type BackendName } from './backends/open.ts';
import { bundleChild } from './bundle.ts';
import { reliabilityMarkdown } from './report.ts';
import { type CampaignOptions, runBackend } from './run-backend.ts';
import { savedRuns, saveRun } from './saved-runs.ts';
import { collectVersions } from './versions.ts';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: BACKENDS.join(',') },
    kills: { type: 'string', default: '500' },
    outages: { type: 'string', default: '5' },
    races: { type: 'string', default: '5' },
    'race-processes': { type: 'string', default: '16' },
    fuzz: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '20261126' },
    parallel: { type: 'string', default: '2' },
    'lease-ms': { type: 'string', default: '400' },
    out: { type: 'string', default: fileURLToPath(new URL('../../../docs/reliability.md', import.meta.url)) },
  },
});

const backends = values.backends.split(',').filter((b) => b !== '' && b !== 'none') as BackendName[];
for (const b of backends)
  if (b !== ('none' as BackendName) && !BACKENDS.includes(b))
    throw new Error(`torture: unknown backend ${b}`);
const options: Omit<CampaignOptions, 'log' | 'child'> = {
  seed: Number(values.seed),
  kills: Number(values.kills),
  outages: Number(values.outages),
  races: Number(values.races),
  raceProcesses: Number(values['race-processes']),
  fuzzCases: Number(values.fuzz),
  parallel: Number(values.parallel),
  leaseMs: Number(values['lease-ms']),
};

const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const child = await bundleChild();
for (const backend of backends) {
  log(`${backend}: start`);
  const startedAt = new Date().toISOString();
  const figures = await runBackend(backend, { ...options, child, log });
  saveRun({ figures, options, startedAt });
  log(`${backend}: ${figures.violations.length} violation(s); saved`);
}
const runs = savedRuns();
writeFileSync(values.out, reliabilityMarkdown(runs, await collectVersions()));
const violations = runs.reduce((n, r) => n + r.figures.violations.length, 0);
log(`wrote ${values.out} (${runs.map((r) => r.figures.backend).join(', ')}): ${violations} violation(s)`);
process.exit(violations === 0 ? 0 : 1);
