import { signal as sendSignal } from '@td7x/durable-x';
import { usage } from '../errors.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { statusText } from '../output/run-format.ts';
import type { Context } from './context.ts';

/** The payload as given on the command line: JSON, or nothing at all (an undefined payload). */
export const parsePayload = (text: string | undefined): unknown => {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw usage(`payload: not JSON (${(error as Error).message}); quote it, e.g. '{"by":"ops"}' or '"yes"'`);
  }
};

/**
 * `durable-x signal <run> <name> [json]`: sends the signal (the first of a name wins). Exit 4 when
 * an earlier signal of that name (or the wait's timeout) was there first.
 */
export const signal = async (
  ctx: Context,
  runId: string,
  name: string,
  payload: unknown,
): Promise<ExitCode> => {
  const report = await sendSignal(ctx.storage)(runId)(name)(payload);
  if (ctx.out.json) ctx.out.data(report);
  else if (report.accepted)
    ctx.out.line(
      `signal ${name} sent to ${runId} (${statusText(ctx.out, report.status)}${report.status === 'suspended' ? ': due now if it waits for it' : ''})`,
    );
  else
    ctx.out.line(
      `signal ${name} not accepted: ${runId} already has one of that name (or its wait timed out)`,
    );
  return report.accepted ? EXIT.ok : EXIT.refused;
};
