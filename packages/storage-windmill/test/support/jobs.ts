import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type LedgerEntry, readLedger } from '@td7x/testing';

const JOB = fileURLToPath(new URL('../quickstart/job.ts', import.meta.url));
// `--import tsx` resolves from the working directory: the repository root.
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export type JobOutcome =
  | { readonly kind: 'completed'; readonly result: unknown }
  | { readonly kind: 'error'; readonly type: string; readonly message: string }
  | { readonly kind: 'killed' }
  | { readonly kind: 'crashed'; readonly code: number | null; readonly stderr: string };

export interface Job {
  readonly id: string;
  readonly label: string;
  readonly process: ChildProcess;
  readonly outcome: Promise<JobOutcome>;
}

export const newLedger = (): string => join(mkdtempSync(join(tmpdir(), 'dx-wm-quickstart-')), 'ledger.jsonl');

export const newJobId = (): string => randomUUID();

/** Starts the quick start script as a Windmill job (its own process, a job's environment). */
export const startJob = (options: {
  readonly label: string;
  readonly env: Readonly<Record<string, string>>;
  readonly ledger: string;
  readonly fileId: string;
  readonly hangInUpload?: boolean;
}): Job => {
  const child = spawn(process.execPath, ['--conditions=@td7x/source', '--import', 'tsx', JOB], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...options.env,
      DX_LEDGER: options.ledger,
      DX_FILE_ID: options.fileId,
      DX_JOB_LABEL: options.label,
      DX_HANG_IN_UPLOAD: options.hangInUpload ? '1' : '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const outcome = new Promise<JobOutcome>((resolve) => {
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') return resolve({ kind: 'killed' });
      const line = stdout.split('\n').find((l) => l.startsWith('DX_JOB_OUTCOME '));
      if (line) return resolve(JSON.parse(line.slice('DX_JOB_OUTCOME '.length)) as JobOutcome);
      resolve({ kind: 'crashed', code, stderr });
    });
  });
  return { id: options.env.WM_JOB_ID ?? '', label: options.label, process: child, outcome };
};

/** Waits until the ledger shows `label` ran `name`; fails if the job ends first. */
export const waitForEffect = async (ledger: string, job: Job, name: string, timeoutMs = 30_000) => {
  let ended: JobOutcome | undefined;
  void job.outcome.then((o) => {
    ended = o;
  });
  const deadline = Date.now() + timeoutMs;
  while (!readLedger(ledger).some((e) => e.child === job.label && e.name === name)) {
    if (ended) throw new Error(`${job.label} ended before ${name}: ${JSON.stringify(ended)}`);
    if (Date.now() > deadline) throw new Error(`${job.label} did not reach ${name} in ${timeoutMs} ms`);
    await sleep(25);
  }
};

/** `kind:name` of every effect a job executed, in order. */
export const effectsOf = (ledger: string, label: string): string[] =>
  readLedger(ledger)
    .filter((e: LedgerEntry) => e.child === label)
    .map((e) => `${e.kind}:${e.name}`);
