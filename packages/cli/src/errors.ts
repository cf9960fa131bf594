import { isDurableXError } from '@td7x/durable-x';
import { EXIT, type ExitCode } from './exit-codes.ts';

/** A failure the command reports in one line and exits with `code`. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly code: ExitCode,
    message: string,
  ) {
    super(message);
  }
}

export const usage = (message: string): CliError => new CliError(EXIT.usage, message);

/** The exit code and message for anything a command threw. */
export const exitOf = (error: unknown): { code: ExitCode; message: string } => {
  if (error instanceof CliError) return { code: error.code, message: error.message };
  if (isDurableXError(error)) {
    switch (error.error.type) {
      case 'RunNotFound':
        return { code: EXIT.notFound, message: error.message };
      case 'InvalidArgument':
      case 'InvalidRunId':
      case 'InvalidName':
      case 'NotEncodable':
      case 'PayloadTooLarge':
        return { code: EXIT.usage, message: error.message };
      default:
        return { code: EXIT.failure, message: error.message };
    }
  }
  return { code: EXIT.failure, message: error instanceof Error ? error.message : String(error) };
};
