import { describeConformance } from '@td7x/durable-x-testkit';
import { sqliteHarnessFor } from '../../storage-sqlite/test/harness.ts';
import { bunSqliteOpener, nodeSqliteOpener } from '../../storage-sqlite/test/openers.ts';

// The SQLite package's conformance harness (its own test/harness.ts) on the SQLite that comes with
// the runtime: bun:sqlite on Bun, node:sqlite on Deno. The matrix runs this file on each.
const onBun = (globalThis as { Bun?: unknown }).Bun !== undefined;
describeConformance(
  onBun ? 'sqlite on bun:sqlite' : 'sqlite on node:sqlite',
  sqliteHarnessFor(onBun ? await bunSqliteOpener() : await nodeSqliteOpener()),
);
