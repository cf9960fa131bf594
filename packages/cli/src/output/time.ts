import { usage } from '../errors.ts';

const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;

/** `90s`, `15m`, `1h30m`, `7d`, `500ms` → milliseconds. Anything else is a usage error. */
export const parseDuration = (option: string, text: string): number => {
  const trimmed = text.trim();
  if (!/^(\d+(?:\.\d+)?(ms|s|m|h|d|w))+$/.test(trimmed)) {
    throw usage(`${option}: expected a duration such as 90s, 15m, 1h30m or 7d, got ${JSON.stringify(text)}`);
  }
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART)) total += Number(amount) * (UNITS[unit ?? 'ms'] ?? 1);
  return Math.round(total);
};

/** A compact span for tables: `42s`, `3m`, `5h`, `12d`. */
export const formatSpan = (ms: number): string => {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(abs)}ms`;
  if (abs < 60_000) return `${Math.floor(abs / 1000)}s`;
  if (abs < 3_600_000) return `${Math.floor(abs / 60_000)}m`;
  if (abs < 86_400_000) return `${Math.floor(abs / 3_600_000)}h`;
  return `${Math.floor(abs / 86_400_000)}d`;
};

/** An instant as ISO-8601 in UTC, seconds precision. */
export const formatInstant = (epochMs: number): string =>
  new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Bytes for tables: `312 B`, `4.1 KiB`, `2.0 MiB`. */
export const formatBytes = (bytes: number): string => {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
};
