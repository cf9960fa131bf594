import type { StepRecord } from '@td7x/durable-x';
import { expect, it } from 'vitest';
import { newClock, type SuiteContext } from '../context.ts';
import { createdRun, stored } from '../direct.ts';

/**
 * Step, cleanup and signal names that break naive SQL, key, path or URL building, or that a
 * collation, a normalization or a trim would merge: NUL-free Unicode up to 256 characters, each
 * stored distinctly and byte for byte.
 */
export const hostileNames: readonly string[] = [
  'quote \' and "double" and `back`',
  "'; DROP TABLE steps; --",
  'percent %s %d %25 %00',
  'slash /a/b and ../..',
  'hash # inside',
  'back\\slash',
  'emoji 🚀👩‍👩‍👧',
  // Pairs that a collation, a normalization or a trim would merge.
  'Case',
  'case',
  'space',
  'space ',
  ' space',
  'é',
  'e\u0301',
  'controls \u0001\u001f\u007f\t\n\r',
  'separators \u2028\u2029 bom \ufeff',
  'high \uffff \u{10ffff}',
  'glob *?[]{}: and $1 and $' + '{x}',
  'x'.repeat(256),
  'é'.repeat(200) + '🚀'.repeat(56),
];

/** Encoded values as the core's codec may produce them, which a JSON column would reformat. */
export const hostileValues: readonly string[] = [
  '{"b":1,"a":[1.0,1e2,-0,{"z":null}]}',
  '{ "spaced" :  true }',
  '"quotes \\" \' ` and \\\\ and \\u0000 and % and #"',
  '"🚀 é e\u0301 \u2028"',
  '"line\nbreak\ttab"',
  `"${'long '.repeat(20_000)}"`,
  'null',
];

/** A step key as the core builds it (`name#sha256(input)`): one input, so names alone tell keys apart. */
const keyOf = (name: string) => `${name}#${'5e'.repeat(32)}`;

/** Hostile names, called directly: step keys, cleanup names, signal keys and values, byte for byte. */
export const nameSuite = ({ harness }: SuiteContext) => {
  it('stores hostile step keys and names distinctly and byte for byte, with hostile outputs', async () => {
    const { storage, raw } = harness();
    const now = newClock().now();
    const runId = await createdRun(storage, 'hostile-steps', now);
    const records: StepRecord[] = hostileNames.map((name, i) => ({
      key: keyOf(name),
      name,
      seq: i + 1,
      output: hostileValues[i % hostileValues.length]!,
      at: now + i,
    }));
    for (const record of records) {
      expect(
        await storage.putStep({ runId, owner: 'a', record }),
        `putStep of the new key ${JSON.stringify(record.key)}: a distinct key, never merged with another (quoting, collation, normalization, trimming)`,
      ).toEqual({ kind: 'written' });
    }
    expect((await stored(storage, runId))?.steps, 'hostile step records read back byte for byte').toEqual(
      records,
    );
    for (const record of records) {
      expect(
        await storage.putStep({ runId, owner: 'a', record: { ...record, output: '"other"' } }),
        `putStep of the stored key ${JSON.stringify(record.key)} → exists with exactly that record`,
      ).toEqual({ kind: 'exists', record });
    }
    const row = await raw.readRun(runId);
    expect([...(row?.stepKeys ?? [])].sort(), 'hostile step keys as stored (raw read)').toEqual(
      records.map((r) => r.key).sort(),
    );
    expect(row?.outputs, 'hostile outputs as stored, byte for byte (raw read)').toEqual(
      Object.fromEntries(records.map((r) => [r.key, r.output])),
    );
  });

  it('stores hostile cleanup names and params byte for byte', async () => {
    const { storage, raw } = harness();
    const now = newClock().now();
    const runId = await createdRun(storage, 'hostile-cleanups', now);
    const cleanups = hostileNames.map((name, i) => ({
      id: i + 1,
      name,
      seq: i + 1,
      params: hostileValues[i % hostileValues.length]!,
      at: now + i,
    }));
    for (const record of cleanups) {
      expect(
        await storage.putCleanup({ runId, owner: 'a', record }),
        `putCleanup named ${JSON.stringify(record.name)}`,
      ).toBe('ok');
    }
    expect(
      (await stored(storage, runId))?.cleanups,
      'hostile cleanup records read back byte for byte',
    ).toEqual(cleanups);
    expect(
      (await raw.readRun(runId))?.cleanupNames,
      'hostile cleanup names as stored, in seq order (raw read)',
    ).toEqual(cleanups.map((c) => c.name));
  });

  it('stores hostile signal keys distinctly and byte for byte', async () => {
    const { storage, raw } = harness();
    const now = newClock().now();
    const runId = await createdRun(storage, 'hostile-signals', now);
    const signals: StepRecord[] = hostileNames.map((name, i) => ({
      key: `${name}#signal`,
      name,
      seq: 0,
      output: hostileValues[i % hostileValues.length]!,
      at: now + i,
    }));
    for (const record of signals) {
      expect(
        await storage.putSignal({ runId, record, now }),
        `putSignal of the new key ${JSON.stringify(record.key)}: a distinct key, never merged with another`,
      ).toEqual({ kind: 'written', status: 'running' });
    }
    expect((await stored(storage, runId))?.steps, 'hostile signal records read back byte for byte').toEqual(
      [...signals].sort((a, b) => (a.key < b.key ? -1 : 1)),
    );
    for (const record of signals) {
      expect(
        await storage.putSignal({ runId, record: { ...record, output: '"other"' }, now }),
        `putSignal of the stored key ${JSON.stringify(record.key)} → exists with exactly that record`,
      ).toEqual({ kind: 'exists', record, status: 'running' });
    }
    expect(
      (await raw.readRun(runId))?.outputs,
      'hostile signal keys and payloads as stored (raw read)',
    ).toEqual(Object.fromEntries(signals.map((r) => [r.key, r.output])));
  });

  it('stores a hostile error byte for byte', async () => {
    const { storage } = harness();
    const now = newClock().now();
    for (const [i, error] of hostileValues.entries()) {
      const runId = await createdRun(storage, `hostile-error-${i}`, now);
      await storage.finish({ runId, owner: 'a', status: 'failed', at: now, error, dropCleanups: true });
      expect((await storage.read(runId))?.run.error, 'finish stores error byte for byte').toBe(error);
    }
  });
};
