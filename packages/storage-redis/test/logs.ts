import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh, empty execution log file for child workflows. */
export const newLog = (label: string): string =>
  join(mkdtempSync(join(tmpdir(), `dx-redis-${label}-`)), 'log');

/** The log as `[event, detail, pid]` triples (`['run', 's3', '1234']`, `['undo', '3', '1234']`). */
export const readLog = (file: string): [string, string, string][] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(' ') as [string, string, string])
    : [];
