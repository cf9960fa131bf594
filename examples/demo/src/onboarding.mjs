// A workflow that waits: create an account, let it cool off for a while (a durable sleep), then
// wait for an operator's approval (a signal from another process), then activate it. Each wait
// parks the run and ends the process's work on it; the host runs it again when told.
import { complete, durable, load, sleep, waitFor } from '@td7x/durable-x';

export const COOL_OFF_MS = 1500;
export const APPROVAL_TIMEOUT_MS = 20_000;

export async function onboard(storage, runId, { onEvent, log }) {
  const cp = await load(storage, { onEvent })({})(runId);
  const step = durable(storage)(cp);

  const account = await step('create-account')({ runId })(() => {
    log(`created account for ${runId}`);
    return { id: `acct-${runId}` };
  });

  await sleep(storage)(cp)('cool-off')(COOL_OFF_MS);

  await step('send-reminder')({ account: account.id })(() =>
    log(`sent the approval request for ${account.id}`),
  );

  const approval = await waitFor(storage)(cp)('approval')({ timeout: APPROVAL_TIMEOUT_MS });
  const outcome = approval.kind === 'signal' ? `approved by ${approval.payload.by}` : 'timed out: closed';

  await step('activate')({ account: account.id, outcome })(() => log(`activate ${account.id}: ${outcome}`));
  await complete(storage)(cp);
  return outcome;
}
