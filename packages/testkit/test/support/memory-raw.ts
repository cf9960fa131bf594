import type { MemoryData } from '@td7x/durable-x';
import type { RawReader } from '../../src/index.ts';

/**
 * The raw reader of the memory storage: its `MemoryData` read directly, not through the
 * storage's methods.
 */
export const memoryRawReader = (data: MemoryData): RawReader => ({
  async readRun(runId) {
    const run = data.get(runId);
    if (!run) return undefined;
    const steps = [...run.steps.values()];
    return {
      status: run.head.status,
      owner: run.head.owner,
      stepKeys: steps.map((s) => s.key),
      outputs: Object.fromEntries(steps.map((s) => [s.key, s.output])),
      cleanupNames: [...run.cleanups.values()].sort((a, b) => a.seq - b.seq).map((c) => c.name),
    };
  },
});
