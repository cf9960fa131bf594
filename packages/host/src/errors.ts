/** What the host refuses, before it touches a run. */
export type HostErrorCode =
  /** `start` named a workflow that was not registered. */
  | 'UnknownWorkflow'
  /** The run exists under another workflow or input, or was not started by a host. */
  | 'WorkflowMismatch'
  /** `start` after `stop`. */
  | 'HostStopped'
  /** A registration or option out of range. */
  | 'InvalidArgument';

export class HostError extends Error {
  override readonly name = 'HostError';
  constructor(
    readonly code: HostErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const isHostError = (error: unknown, code?: HostErrorCode): error is HostError =>
  error instanceof Error &&
  error.name === 'HostError' &&
  (code === undefined || (error as HostError).code === code);
