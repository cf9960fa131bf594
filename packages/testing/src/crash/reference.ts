import { manualClock, memoryStorage, signal, suspensionOf } from '@td7x/durable-x';
import {
  APPROVAL,
  approvalOf,
  type ReferenceOutput,
  referenceWorkflow,
  type WorkflowShape,
} from './workflow.ts';

/**
 * The reference workflow's output without any crash: in this process, on the memory storage, with
 * a manual clock and the host a suspended run needs (the clock moves past the sleep, the operator
 * sends the approval), so the long form ends too.
 */
export const crashFreeOutput = async (runId: string, shape: WorkflowShape = {}): Promise<ReferenceOutput> => {
  const storage = memoryStorage();
  const clock = manualClock(Date.UTC(2026, 0, 1));
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      // No failing charge: its retry would wait on the manual clock, and the output is the same.
      const { sleepMs, awaitApproval } = shape;
      return (await referenceWorkflow(storage, runId, { sleepMs, awaitApproval, clock, effect: () => {} }))
        .output;
    } catch (error) {
      const suspended = suspensionOf(error);
      if (!suspended) throw error;
      if (suspended.reason === 'sleep' && suspended.resumeAt !== null) clock.set(suspended.resumeAt);
      else await signal(storage, { clock })(runId)(APPROVAL)(approvalOf(runId));
    }
  }
  throw new Error(`the crash-free run of ${runId} did not end in 5 attempts`);
};
