/**
 * A workflow run as its own OS process by the crash and race tests. Every step body appends
 * `run <step> <pid>` to DX_LOG before doing anything else, so the parent can count executions;
 * the `undo` cleanup appends `undo <at> <pid>`.
 *
 * Environment: DX_STORAGE_MODULE, DX_RUN_ID, DX_LOG, DX_STEPS (count), DX_STEP_MS (work per step),
 * DX_LEASE_MS, DX_RISKY_AT (register `undo` before that step, remove it after), DX_HANG_AT (print
 * `hanging` inside that step and wait to be killed), DX_EXIT_AFTER (exit abruptly, releasing
 * nothing, once this process recorded that step), DX_BUSY_UNTIL (epoch ms: retry a busy load until then).
 * DX_GO_FILE: print `ready`, then claim only once that file exists (a start line for races).
 * Prints `result <json>` when the run completes.
 */
import { appendFileSync, existsSync } from 'node:fs';
import {
  afterSafe,
  beforeRisky,
  complete,
  DurableXError,
  durable,
  load,
  type Storage,
} from '@td7x/durable-x';

const env = (name: string): string | undefined => process.env[name];
const int = (name: string, fallback: number): number => Number(env(name) ?? fallback);
const log = (line: string) => appendFileSync(env('DX_LOG') as string, `${line} ${process.pid}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const { default: open } = (await import(env('DX_STORAGE_MODULE') as string)) as {
  default: () => Promise<{ storage: Storage; close: () => Promise<unknown> }>;
};
const { storage, close } = await open();
const runId = env('DX_RUN_ID') as string;
const steps = int('DX_STEPS', 5);
const stepMs = int('DX_STEP_MS', 0);
const riskyAt = int('DX_RISKY_AT', -1);
const hangAt = int('DX_HANG_AT', -1);
const exitAfter = int('DX_EXIT_AFTER', -1);
const busyUntil = int('DX_BUSY_UNTIL', 0);
const registry = { undo: (params: Record<string, unknown>) => log(`undo ${String(params.at)}`) };

const claim = async () => {
  for (;;) {
    try {
      return await load(storage, { leaseMs: int('DX_LEASE_MS', 30_000), ownerPrefix: `pid${process.pid}` })(
        registry,
      )(runId);
    } catch (error) {
      const busy = error instanceof DurableXError && error.error.type === 'RunBusy';
      if (!busy || Date.now() > busyUntil) throw error;
      await sleep(10 + Math.random() * 40);
    }
  }
};

// Line up with the other contenders: claim only once the parent says go, all at once.
const go = env('DX_GO_FILE');
if (go) {
  console.log('ready');
  while (!existsSync(go)) await sleep(2);
}
const cp = await claim();
const step = durable(storage)(cp);
const outputs: number[] = [];
const executedHere = new Set<number>();
for (let i = 0; i < steps; i++) {
  if (i === riskyAt) await beforeRisky(storage)(cp)('undo')({ at: i });
  outputs.push(
    await step(`s${i}`)({ i })(async () => {
      log(`run s${i}`);
      executedHere.add(i);
      if (i === hangAt) {
        console.log('hanging');
        await new Promise(() => {});
      }
      await sleep(stepMs);
      return i * 10;
    }),
  );
  if (i === riskyAt) await afterSafe(storage)(cp)('undo');
  // Only the process that executed the step dies, as if killed right after its write.
  if (i === exitAfter && executedHere.has(i)) process.exit(3);
}
const report = await complete(storage)(cp);
console.log(`result ${JSON.stringify({ outputs, attempt: cp.attempt, report })}`);
await close();
