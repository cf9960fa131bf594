/**
 * `@td7x/durable-x-cli`: the `durable-x` command, and the pieces it is made of for programs that
 * want them: open a storage by URL, export and import runs.
 */
export { EXIT, type ExitCode } from './exit-codes.ts';
export { main } from './main.ts';
export { type OpenedStorage, type OpenOptions, openStorage } from './target/open.ts';
export { describeTarget, parseTarget, type Target, type TargetKind } from './target/parse.ts';
export {
  EXPORT_FORMAT,
  type ExportedRun,
  exportedRun,
  NotAnExportedRun,
  parseExportedRun,
} from './transfer/format.ts';
export {
  differences,
  IMPORT_LEASE_MS,
  IMPORT_OWNER_PREFIX,
  type ImportOutcome,
  importRun,
} from './transfer/import.ts';
