/**
 * How one attempt of a run ended in this host. Only `completed` carries the workflow's value;
 * `interrupted` runs are left to a later attempt (the storage failed, or a cleanup could not run).
 */
export type RunOutcome = { readonly runId: string; readonly workflow: string } & (
  | { readonly status: 'completed'; readonly value: unknown; readonly replay: boolean }
  | {
      readonly status: 'suspended';
      readonly reason: 'sleep' | 'signal';
      readonly name: string;
      /** Epoch ms; null when only a signal can wake it. */
      readonly resumeAt: number | null;
    }
  /** The workflow threw: the host ran `fail` (cleanups run, error recorded); or the run failed itself. */
  | { readonly status: 'failed'; readonly error: unknown }
  /** Recovered as an orphan under the `compensate` policy, or compensated by the workflow. */
  | { readonly status: 'compensated' }
  | { readonly status: 'cancelled' }
  /** Another process took the run over while this one ran it: it stopped here. */
  | { readonly status: 'lost' }
  /** Another process holds the run's lease: nothing was done. */
  | { readonly status: 'busy'; readonly leaseExpiresAt: number }
  /** The storage failed, or a pending cleanup could not run: the run is resumed later. */
  | { readonly status: 'interrupted'; readonly error: unknown }
);
