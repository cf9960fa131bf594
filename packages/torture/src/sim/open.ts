import { createNamespace } from '../backends/namespace.ts';
import { type BackendName, openBackend } from '../backends/open.ts';
import { backendOf, memoryBackend } from './backends.ts';
import type { SimBackend } from './schedule.ts';

export type SimTarget = 'memory' | BackendName;

/**
 * A backend for a sweep: the reference storage, fresh for every schedule, or one real adapter on a
 * namespace of its own (schedules keep to their own run ids there), with how to drop it.
 */
export const openSimTarget = async (
  target: SimTarget,
  label: string,
): Promise<{ backend: () => SimBackend; close: () => Promise<void> }> => {
  if (target === 'memory') return { backend: memoryBackend, close: async () => {} };
  const namespace = await createNamespace(target, label);
  const opened = await openBackend(namespace.env);
  const backend = backendOf(opened.storage);
  return {
    backend: () => backend,
    close: async () => {
      await opened.close();
      await namespace.drop();
    },
  };
};
