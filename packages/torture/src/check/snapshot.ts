import { defaultCodec, type RunSnapshot } from '@td7x/durable-x';
import type { FinalState } from './invariants.ts';

/** The token of the risky effect the run kept: the one in its stored upload record. */
export const keptToken = (snapshot: RunSnapshot | undefined): string | undefined => {
  const upload = snapshot?.steps.find((s) => s.name === 'upload');
  if (!upload) return undefined;
  return (defaultCodec.decode(upload.output) as { token?: string }).token;
};

export const finalStateOf = (snapshot: RunSnapshot | undefined): FinalState => ({
  status: snapshot?.run.status,
  owner: snapshot?.run.owner,
  pendingCleanups: snapshot?.cleanups.length ?? 0,
  steps: snapshot?.steps.map((s) => s.name) ?? [],
});
