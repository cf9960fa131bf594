// Attempt 1, in a child process of main.mjs: runs the workflow and reports each event as a JSON
// line on stdout. Its upload stalls half-way, and main.mjs kills it there with SIGKILL.
import { sqliteStorage } from '@td7x/durable-x-sqlite';
import Database from 'better-sqlite3';
import { processFile } from './workflow.mjs';

const [dbFile, dir, fileId] = process.argv.slice(2);
const report = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);

const storage = sqliteStorage(new Database(dbFile));
await processFile(storage, fileId, {
  dir,
  onEvent: report,
  note: report,
  slowUpload: async (progress) => {
    report({ type: 'upload.stalled', ...progress });
    await new Promise((resolve) => setTimeout(resolve, 60_000)); // a very slow network
  },
});
report({ type: 'attempt.finished' }); // not reached: the process is killed during the upload
