import type { ClaimOutcome } from '@td7x/durable-x';
import { type Around, interceptStorage } from '@td7x/durable-x-testkit';
import type { OpenedStorage } from '@td7x/testing/crash';

/**
 * Broken storages, to prove that the campaign reports what it claims to check (its own mutation
 * test): each breaks one guarantee in every child of a trial, behind the adapter's own answers.
 * `DX_TORTURE_MUTANT=<name>` puts one in front of the backend `openBackend` opens.
 */
export const MUTANTS = {
  /** A claim answers with a snapshot that lacks one stored step: the resume runs it again. */
  'claim-forgets-a-step': async (operation, request, send) => {
    const answer = (await send(request)) as ClaimOutcome;
    if (operation !== 'claim' || answer.kind !== 'claimed') return answer;
    return {
      ...answer,
      snapshot: { ...answer.snapshot, steps: answer.snapshot.steps.filter((s) => s.name !== 'parse') },
    };
  },
  /** A step's write is answered `written` and never stored. */
  'loses-a-write': async (operation, request, send) =>
    operation === 'putStep' && (request as { record: { name: string } }).record.name === 'publish'
      ? { kind: 'written' }
      : send(request),
} satisfies Record<string, Around>;

export type MutantName = keyof typeof MUTANTS;

export const MUTANT_ENV = 'DX_TORTURE_MUTANT';

export const withMutant = (opened: OpenedStorage, name: string | undefined): OpenedStorage => {
  if (name === undefined || name === '') return opened;
  const around = (MUTANTS as Record<string, Around>)[name];
  if (!around) throw new Error(`torture: unknown mutant ${name}`);
  return { ...opened, storage: interceptStorage(opened.storage, around) };
};
