import { bundleChild } from './bundle.ts';
import { runBackend } from './run-backend.ts';

const child = await bundleChild();
const f = await runBackend(process.argv[2] as 'sqlite', {
  seed: 7,
  kills: Number(process.argv[3] ?? 6),
  outages: 1,
  races: 1,
  raceProcesses: 16,
  fuzzCases: Number(process.argv[4] ?? 50),
  parallel: 2,
  leaseMs: 400,
  child,
  log: console.log,
});
console.log(JSON.stringify(f, null, 1).slice(0, 5000));
