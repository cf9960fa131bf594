import { describeConformance } from '@td7x/durable-x-testkit';
import { sqliteHarness } from './harness.ts';

// The shared suite, on a temp FILE database per test: reopen() is a second connection on the
// file, raw reads are plain SQL, roundTrips() counts the adapter's transactions (see counting.ts).
describeConformance('sqlite', sqliteHarness);
