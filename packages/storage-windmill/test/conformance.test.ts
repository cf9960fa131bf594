import { describeConformance } from '@td7x/durable-x-testkit';
import { windmillHarness } from './support/harness.ts';

// Real windmill-client → loopback stand-in of Windmill's API (run_inline route) → real PostgreSQL.
describeConformance('windmill data table (run_inline)', windmillHarness('conformance', 'inline'));
