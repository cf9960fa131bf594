import { describeConformance } from '@td7x/durable-x-testkit';
import { windmillHarness } from './support/harness.ts';

// The client's other route: a BASE_INTERNAL_URL that is not localhost/127.0.0.1 (here 127.0.0.2)
// makes it queue a preview job and wait for its result (run_wait_result/preview).
describeConformance(
  'windmill data table (run_wait_result)',
  windmillHarness('conformance_wr', 'wait_result'),
);
