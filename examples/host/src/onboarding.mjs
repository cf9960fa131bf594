// The workflow: plain async code over its context. It sleeps (a cool-off), then waits for an
// operator's approval; no process sits in it while it waits: the host runs it again when it is due.
export const onboarding =
  (log) =>
  async ({ step, sleep, waitFor, input }) => {
    const account = await step('create-account')(input)(() => {
      log(`effect: created account for ${input.email}`);
      return { id: `acct-${input.email.split('@')[0]}` };
    });
    await sleep('cool-off')(1500);
    await step('request-approval')(account)(() => log(`effect: sent the approval request for ${account.id}`));
    const approval = await waitFor('approval')({ timeout: 3_600_000 });
    if (approval.kind === 'timeout') return `${account.id} not approved in time`;
    await step('activate')(account)(() => log(`effect: activated ${account.id}`));
    return `${account.id} approved by ${approval.payload.by}`;
  };
