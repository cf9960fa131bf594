// A Windmill script run as a job of the stand-in by test/process.test.ts: one run, completed.
import { complete, load } from '@td7x/durable-x';
import { windmillStorage } from '@td7x/durable-x-windmill';

export async function main(runId: string) {
  const cp = await load(windmillStorage)({})(runId);
  await complete(windmillStorage)(cp);
  return { runId, attempt: cp.attempt };
}
