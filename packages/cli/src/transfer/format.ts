import {
  type CleanupRecord,
  MAX_NAME_CHARS,
  RUN_STATUSES,
  type RunHead,
  type RunSnapshot,
  type RunStatus,
  type StepRecord,
} from '@td7x/durable-x';

/**
 * One exported run: one line of JSON, everything the storage holds for the run, as stored. Values
 * (outputs, params, errors, signal payloads) are the codec's strings byte for byte, so the run
 * reads back exactly wherever it is imported, as long as the application uses the same codec.
 */
export interface ExportedRun {
  readonly format: typeof EXPORT_FORMAT;
  readonly run: RunHead;
  readonly steps: readonly StepRecord[];
  readonly cleanups: readonly CleanupRecord[];
}

export const EXPORT_FORMAT = 'durable-x.run/1';

export const exportedRun = (snapshot: RunSnapshot): ExportedRun => ({
  format: EXPORT_FORMAT,
  run: snapshot.run,
  steps: [...snapshot.steps].sort((a, b) => a.seq - b.seq || (a.key < b.key ? -1 : 1)),
  cleanups: [...snapshot.cleanups].sort((a, b) => a.seq - b.seq),
});

/** A line that is not an exported run; `line` counts from 1. */
export class NotAnExportedRun extends Error {
  override readonly name = 'NotAnExportedRun';
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: not an exported run: ${reason}`);
  }
}

type Check = (value: unknown) => string | undefined;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const epoch: Check = (v) =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? undefined : 'expected epoch milliseconds';
const count: Check = (v) =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? undefined : 'expected an integer ≥ 0';
const text: Check = (v) => (typeof v === 'string' ? undefined : 'expected a string');
const textOrNull: Check = (v) =>
  v === null || typeof v === 'string' ? undefined : 'expected a string or null';

/** The core's rule for ids and names: 1–256 Unicode characters, well-formed, no NUL. */
const name: Check = (v) => {
  if (typeof v !== 'string' || v.length === 0) return 'expected a non-empty string';
  if (v.includes('\u0000') || !v.isWellFormed()) return 'expected well-formed Unicode without NUL';
  return [...v].length > MAX_NAME_CHARS ? `longer than ${MAX_NAME_CHARS} characters` : undefined;
};

const status: Check = (v) =>
  RUN_STATUSES.includes(v as RunStatus) ? undefined : `expected one of ${RUN_STATUSES.join(', ')}`;

const checkFields = (
  where: string,
  value: unknown,
  fields: Readonly<Record<string, Check>>,
): string | undefined => {
  if (!isRecord(value)) return `${where}: expected an object`;
  for (const [field, check] of Object.entries(fields)) {
    const problem = check(value[field]);
    if (problem !== undefined) return `${where}.${field}: ${problem}`;
  }
  return undefined;
};

const HEAD: Readonly<Record<string, Check>> = {
  runId: name,
  status,
  owner: textOrNull,
  leaseExpiresAt: epoch,
  attempt: count,
  createdAt: epoch,
  updatedAt: epoch,
  error: textOrNull,
};
const STEP: Readonly<Record<string, Check>> = { key: text, name: text, seq: count, output: text, at: epoch };
const CLEANUP: Readonly<Record<string, Check>> = { id: count, name, seq: count, params: text, at: epoch };

const problemOf = (value: unknown): string | undefined => {
  if (!isRecord(value)) return 'expected a JSON object';
  if (value.format !== EXPORT_FORMAT) return `format is not ${JSON.stringify(EXPORT_FORMAT)}`;
  const head = checkFields('run', value.run, HEAD);
  if (head !== undefined) return head;
  if ((value.run as RunHead).attempt < 1) return 'run.attempt: expected at least 1';
  for (const [field, fields] of [
    ['steps', STEP],
    ['cleanups', CLEANUP],
  ] as const) {
    const list = value[field];
    if (!Array.isArray(list)) return `${field}: expected an array`;
    for (const [k, record] of list.entries()) {
      const problem = checkFields(`${field}[${k}]`, record, fields);
      if (problem !== undefined) return problem;
    }
  }
  const keys = new Set((value.steps as StepRecord[]).map((s) => s.key));
  if (keys.size !== (value.steps as StepRecord[]).length) return 'steps: two records with the same key';
  const ids = new Set((value.cleanups as CleanupRecord[]).map((c) => c.id));
  if (ids.size !== (value.cleanups as CleanupRecord[]).length) return 'cleanups: two with the same id';
  return undefined;
};

/** Reads one line of an export, checking every field before anything is written anywhere. */
export const parseExportedRun = (line: string, lineNumber: number): ExportedRun => {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new NotAnExportedRun(lineNumber, `not JSON (${(error as Error).message})`);
  }
  const problem = problemOf(value);
  if (problem !== undefined) throw new NotAnExportedRun(lineNumber, problem);
  const { run, steps, cleanups } = value as unknown as ExportedRun;
  // Only the fields of the format: anything else on the line is not carried.
  return {
    format: EXPORT_FORMAT,
    run: {
      runId: run.runId,
      status: run.status,
      owner: run.owner,
      leaseExpiresAt: run.leaseExpiresAt,
      attempt: run.attempt,
      createdAt: run.createdAt,
      updatedAt: run.updatedAt,
      error: run.error,
    },
    steps: steps.map(({ key, name, seq, output, at }) => ({ key, name, seq, output, at })),
    cleanups: cleanups.map(({ id, name, seq, params, at }) => ({ id, name, seq, params, at })),
  };
};
