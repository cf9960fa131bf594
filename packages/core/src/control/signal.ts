import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { type Clock, systemClock } from '../clock.ts';
import { type Codec, defaultCodec } from '../codec/codec.ts';
import type {
  InvalidName,
  InvalidRunId,
  NotEncodable,
  PayloadTooLarge,
  RunNotFound,
  StorageUnavailable,
  TooManySignals,
} from '../errors.ts';
import { checkName, checkRunId } from '../run/names.ts';
import { SIGNAL_LIMITS, signalRecord } from '../run/signal-record.ts';
import { callStorage } from '../storage/call.ts';
import type { RunStatus, Storage } from '../storage/contract.ts';

export interface SignalOptions {
  /** Must be the codec the run uses. */
  readonly codec?: Codec;
  readonly clock?: Clock;
}

export interface SignalReport {
  readonly runId: string;
  readonly name: string;
  /** False when an earlier signal of this name (or the wait's timeout) was recorded first. */
  readonly accepted: boolean;
  /**
   * The run's status after the signal. `suspended`: the run is parked, due now if it waited for
   * this signal; run it again (or let the host's `findDue` poll find it).
   */
  readonly status: RunStatus;
}

export type SignalError =
  | InvalidRunId
  | InvalidName
  | NotEncodable
  | PayloadTooLarge
  | RunNotFound
  | TooManySignals
  | StorageUnavailable;

/**
 * Sends the signal `name` to a run, from any process, before or after the run waits for it:
 * `signal(storage)(runId)(name)(payload)`. One storage write. The first signal of a name wins
 * and is what `waitFor` returns on every replay; later ones are reported `accepted: false` (a
 * request the driver resent is recognised as this sender's own, and reported accepted).
 * A run holds at most `signalLimits.perRun` signals (256 unless the storage says fewer) of at most
 * `signalLimits.bytes` each (64 KiB encoded): past them, `TooManySignals` and `PayloadTooLarge`.
 */
export const signal =
  (storage: Storage, options: SignalOptions = {}) =>
  (runId: string) =>
  (name: string) =>
  (payload?: unknown): ResultAsync<SignalReport, SignalError> => {
    const checkedId = checkRunId(runId);
    if (checkedId.isErr()) return errAsync(checkedId.error);
    const checkedName = checkName('signal', name);
    if (checkedName.isErr()) return errAsync(checkedName.error);
    const now = (options.clock ?? systemClock).now();
    const codec = options.codec ?? defaultCodec;
    const limits = {
      perRun: Math.min(SIGNAL_LIMITS.perRun, storage.signalLimits?.perRun ?? SIGNAL_LIMITS.perRun),
      bytes: Math.min(SIGNAL_LIMITS.bytes, storage.signalLimits?.bytes ?? SIGNAL_LIMITS.bytes),
    };
    const maxBytes = Math.min(limits.bytes, storage.maxValueBytes ?? Number.POSITIVE_INFINITY);
    const record = signalRecord(codec, maxBytes, name, { kind: 'signal', payload }, now);
    if (record.isErr()) return errAsync(record.error);
    const sent = record.value;
    return callStorage(storage, 'putSignal', { runId, record: sent, now, maxSignals: limits.perRun }).andThen(
      (outcome): ResultAsync<SignalReport, RunNotFound | TooManySignals> => {
        switch (outcome.kind) {
          case 'not-found':
            return errAsync({ type: 'RunNotFound', runId });
          case 'full':
            return errAsync({ type: 'TooManySignals', runId, name, limit: limits.perRun });
          case 'written':
            return okAsync({ runId, name, accepted: true, status: outcome.status });
          case 'exists':
            return okAsync({
              runId,
              name,
              accepted: outcome.record.output === sent.output,
              status: outcome.status,
            });
        }
      },
    );
  };
