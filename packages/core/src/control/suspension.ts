import { isDurableXError, type Suspended } from '../errors.ts';

/**
 * For a host: when to run a suspended run again, from whatever its workflow threw or returned.
 * `undefined` when `error` is not a suspension (a real failure); `resumeAt` null when only a
 * signal can wake the run. Takes a thrown `DurableXError` or a Result's error.
 */
export const suspensionOf = (error: unknown): Suspended | undefined => {
  if (isDurableXError(error, 'Suspended')) return error.error;
  const typed = error as Partial<Suspended> | null;
  return typeof typed === 'object' && typed !== null && typed.type === 'Suspended'
    ? (typed as Suspended)
    : undefined;
};
