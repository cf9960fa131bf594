import { describeConformance } from '@td7x/durable-x-testkit';
import { answeringNull } from './answers-null.ts';
import { sqliteHarnessFor } from './harness.ts';
import { betterSqlite3Opener } from './openers.ts';

// The whole shared suite again, through a driver that answers null for no row (as bun:sqlite
// does): every "no row" the adapter decides on must read the same as undefined.
describeConformance(
  'sqlite, a driver answering null',
  sqliteHarnessFor(await betterSqlite3Opener(), answeringNull),
);
