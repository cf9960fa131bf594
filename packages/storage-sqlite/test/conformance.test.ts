import { describeConformance } from '@td7x/durable-x-testkit';
import { sqliteHarnessFor } from './harness.ts';
import { betterSqlite3Opener } from './openers.ts';

// The shared suite, on a temp FILE database per test: reopen() is a second connection on the
// file, raw reads are plain SQL, roundTrips() counts the adapter's transactions (see counting.ts).
describeConformance('sqlite', sqliteHarnessFor(await betterSqlite3Opener()));
