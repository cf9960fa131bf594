/**
 * `@td7x/durable-x-windmill`: durable-x storage in a Windmill data table, through windmill-client.
 * Every operation is one HTTP request running one SQL statement of `@td7x/durable-x-postgres`.
 */
export { type DatatableSql, type DatatableStatement, DEFAULT_DATATABLE } from './datatable.ts';
export { checkJobEnvironment, type JobVariable, WindmillEnvironmentError } from './environment.ts';
export { datatableExecute } from './execute.ts';
export { type GetJob, type WindmillLivenessOptions, windmillJobLiveness } from './liveness.ts';
export { type Env, windmillLoadOptions, windmillRunId } from './run-id.ts';
export {
  DEFAULT_MAX_VALUE_BYTES,
  DEFAULT_SIGNAL_LIMITS,
  datatableStorage,
  type WindmillStorageOptions,
  windmillStorage,
} from './storage.ts';
export { creatingTables } from './tables.ts';
