import { defaultCodec, describeRun, inspectRun, type RunSnapshot, type Storage } from '@td7x/durable-x';
import { CliError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import { toJson } from '../output/json.ts';
import { leaseText, preview, statusText } from '../output/run-format.ts';
import { formatBytes, formatInstant, formatSpan } from '../output/time.ts';
import type { Context } from './context.ts';

const utf8 = new TextEncoder();

/** A storage that answers `read` with a snapshot already read: describe what was inspected, in one read. */
const snapshotStorage = (storage: Storage, snapshot: RunSnapshot): Storage => ({
  ...storage,
  read: async () => snapshot,
});

const decoded = (text: string | null): unknown => {
  if (text === null) return null;
  try {
    return defaultCodec.decode(text);
  } catch {
    return text; // another codec: shown as stored
  }
};

/** `durable-x show <run>`: the run decoded, from one storage read. */
export const show = async (ctx: Context, runId: string): Promise<void> => {
  const snapshot = await inspectRun(ctx.storage)(runId);
  if (!snapshot) throw new CliError(EXIT.notFound, `run ${JSON.stringify(runId)} does not exist`);
  const description = await describeRun(snapshotStorage(ctx.storage, snapshot))(runId);
  if (!description) throw new CliError(EXIT.notFound, `run ${JSON.stringify(runId)} does not exist`);
  const bytes = new Map(snapshot.steps.map((s) => [s.key, utf8.encode(s.output).length]));
  const steps = description.steps.map((s) => ({ ...s, outputBytes: bytes.get(s.key) ?? null }));
  const cleanups = description.cleanups.map((c) => ({
    id: c.id,
    name: c.name,
    seq: c.seq,
    at: c.at,
    params: decoded(c.params),
  }));
  const run = description.run;
  if (ctx.out.json) {
    return ctx.out.data({ ...description, run: { ...run, error: decoded(run.error) }, steps, cleanups });
  }
  const { out } = ctx;
  const c = out.color;
  const now = ctx.now();
  const when = (t: number) => `${formatInstant(t)} (${formatSpan(now - t)} ${t <= now ? 'ago' : 'from now'})`;
  out.line(`${c.bold('run')}      ${run.runId}`);
  out.line(`${c.bold('status')}   ${statusText(out, run.status)}, attempt ${run.attempt}`);
  out.line(`${c.bold('version')}  ${description.version ?? c.dim('—')}`);
  out.line(`${c.bold('owner')}    ${run.owner ?? c.dim('—')}`);
  out.line(`${c.bold('lease')}    ${leaseText(out, run, now)}`);
  out.line(`${c.bold('created')}  ${when(run.createdAt)}`);
  out.line(`${c.bold('updated')}  ${when(run.updatedAt)}`);
  if (run.error !== null)
    out.line(`${c.bold('error')}    ${c.red(preview(toJson(decoded(run.error)), 200))}`);

  out.line();
  out.line(c.bold(`Steps (${steps.length})`));
  if (steps.length > 0)
    out.table(
      ['#', 'STEP', 'STATE', 'ATTEMPTS', 'OUTPUT', 'AT', 'LAST ERROR'],
      steps.map((s, k) => [
        String(k + 1),
        s.name,
        s.state === 'recorded' ? c.green(s.state) : c.red(s.state),
        String(s.attempts),
        s.outputBytes === null ? c.dim('—') : formatBytes(s.outputBytes),
        formatInstant(s.at),
        s.lastError === undefined ? '' : c.red(preview(toJson(s.lastError))),
      ]),
    );
  if (cleanups.length > 0) {
    out.line();
    out.line(c.bold(`Pending cleanups (${cleanups.length}, run newest first)`));
    out.table(
      ['ID', 'CLEANUP', 'PARAMS', 'REGISTERED'],
      cleanups.map((x) => [String(x.id), x.name, preview(toJson(x.params)), formatInstant(x.at)]),
    );
  }
  if (description.sleeps.length + description.waits.length > 0) {
    out.line();
    out.line(c.bold('Sleeps and waits'));
    out.table(
      ['KIND', 'NAME', 'UNTIL'],
      [
        ...description.sleeps.map((s) => ['sleep', s.name, formatInstant(s.wakeAt)]),
        ...description.waits.map((w) => ['wait', w.name, formatInstant(w.deadline)]),
      ],
    );
  }
  if (description.signals.length > 0) {
    out.line();
    out.line(c.bold(`Signals (${description.signals.length})`));
    out.table(
      ['SIGNAL', 'KIND', 'PAYLOAD', 'AT'],
      description.signals.map((s) => [
        s.name,
        s.kind === 'timeout' ? c.yellow('timeout') : 'signal',
        s.kind === 'signal' ? preview(toJson(s.payload)) : '',
        formatInstant(s.at),
      ]),
    );
  }
};
