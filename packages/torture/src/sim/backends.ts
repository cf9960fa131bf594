import { memoryStorage, type Storage } from '@td7x/durable-x';
import type { SimBackend } from './schedule.ts';

/** The truth of a backend as its own adapter reads it (real backends: a fresh namespace per sweep). */
export const backendOf = (storage: Storage): SimBackend => ({
  storage,
  truth: {
    head: async (runId) => (await storage.read(runId))?.run,
    read: (runId) => storage.read(runId),
  },
});

/** The reference storage, fresh for each schedule. */
export const memoryBackend = (): SimBackend => backendOf(memoryStorage());
