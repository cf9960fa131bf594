// Another process: an operator's tool that approves a run. It only needs the storage.
import { signal } from '@td7x/durable-x';
import { sqliteStorage } from '@td7x/durable-x-sqlite';
import Database from 'better-sqlite3';

const [dbFile, runId, by] = process.argv.slice(2);
const report = await signal(sqliteStorage(new Database(dbFile)))(runId)('approval')({ by });
process.stdout.write(`${JSON.stringify(report)}\n`);
