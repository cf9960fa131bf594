import type { LivenessCheck, PutStepOutcome, PutStepRequest, Storage } from '@td7x/durable-x';
import { postgresStorage, type TableOptions, tableNames } from '@td7x/durable-x-postgres';
import { type DatatableSql, DEFAULT_DATATABLE, importDatatable } from './datatable.ts';
import { checkJobEnvironment } from './environment.ts';
import { datatableExecute } from './execute.ts';
import { windmillJobLiveness } from './liveness.ts';
import { processEnv, windmillLoadOptions } from './run-id.ts';
import { creatingTables } from './tables.ts';

export interface WindmillStorageOptions extends TableOptions {
  /**
   * Name of the Windmill data table (Workspace settings → Data Tables). Default `main`. Put the
   * tables in a schema of their own with `schema`, not with the client's `name:schema` form,
   * which would add a `SET search_path` statement to every request.
   */
  readonly datatable?: string;
  /** A data table role to connect as (`wmill.datatable(name, { role })`). */
  readonly role?: string;
  /**
   * The liveness check `load` asks about the owner of a busy run. Default `windmillJobLiveness()`:
   * a run whose job Windmill recorded completed is taken over at once. `null`: none (wait out
   * the lease).
   */
  readonly liveness?: LivenessCheck | null;
  /**
   * The data table function to use instead of importing windmill-client: `wmill.datatable('main')`,
   * or any object with `query(sql, ...params).fetch()`. `datatable` and `role` are then ignored.
   */
  readonly sql?: DatatableSql;
  /** Create the tables on first use when they are missing. Default true. */
  readonly createTables?: boolean;
  /** Largest encoded value in UTF-8 bytes; every value crosses Windmill's API in a request body. Default 2 MiB. */
  readonly maxValueBytes?: number;
  /** Re-runs of a statement that lost a snapshot race (see the Postgres package). Default 20. */
  readonly maxRetries?: number;
  /**
   * Limits on what signals may add to one run, lower than the core's (which apply where these say
   * nothing). Default {@link DEFAULT_SIGNAL_LIMITS}.
   */
  readonly signalLimits?: Storage['signalLimits'];
}

/**
 * Default cap on one value. A checkpoint value travels as a JSON argument in the body of a request
 * to Windmill's API, whose size limit the instance sets (REQUEST_SIZE_LIMIT); large payloads
 * belong in object storage (`@td7x/durable-x-s3`, or `wmill.writeS3File` and a step returning the key).
 */
export const DEFAULT_MAX_VALUE_BYTES = 2 * 1024 * 1024;

/**
 * Default limits on signals: 8 KiB each, so that the core's 256 signals of a run add at most 2 MiB
 * (the default `maxValueBytes`) to the response of every load, which carries them all through
 * Windmill's API. The core's own 64 KiB would allow 16 MiB per load (200–340 ms through the
 * stand-in, `scripts/signal-load.ts`), more than an instance may be set to pass.
 */
export const DEFAULT_SIGNAL_LIMITS = { bytes: 8 * 1024 } as const;

const checkDatatableName = (name: string): string => {
  if (name.includes(':')) {
    throw new TypeError(
      `windmill storage: datatable ${JSON.stringify(name)}: use the schema option instead of "name:schema"`,
    );
  }
  return name;
};

/**
 * durable-x storage in a Windmill data table (Postgres): the Postgres package's statements, each
 * sent as ONE request through windmill-client's `datatable().query()`, so every operation is one
 * HTTP call running one SQL statement (Windmill holds no transaction across calls, and none is
 * needed). No I/O and no import of windmill-client until the first operation.
 */
export const datatableStorage = (options: WindmillStorageOptions = {}): Storage => {
  tableNames(options); // validate schema and prefix now, not at the first call
  const name = checkDatatableName(options.datatable ?? DEFAULT_DATATABLE);
  let client: Promise<DatatableSql> | undefined;
  const sql = (): Promise<DatatableSql> => {
    if (options.sql !== undefined) return Promise.resolve(options.sql);
    // Before every request: the client's own fallbacks would fail later and less clearly.
    checkJobEnvironment(processEnv());
    client ??= importDatatable(name, options.role).catch((error: unknown) => {
      client = undefined;
      throw error;
    });
    return client;
  };
  const plain = datatableExecute(sql);
  const execute = options.createTables === false ? plain : creatingTables(plain, options);
  const storage = postgresStorage({
    execute,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.tablePrefix === undefined ? {} : { tablePrefix: options.tablePrefix }),
    ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
  });
  const maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
  if (!Number.isSafeInteger(maxValueBytes) || maxValueBytes < 1) {
    throw new TypeError(
      `durable-x windmill: maxValueBytes must be a positive whole number, not ${String(maxValueBytes)}`,
    );
  }
  for (const [name, limit] of Object.entries(options.signalLimits ?? {})) {
    if (limit !== undefined && !(Number.isSafeInteger(limit) && limit > 0)) {
      throw new TypeError(
        `durable-x windmill: signalLimits.${name} must be a positive integer, not ${String(limit)}`,
      );
    }
  }
  return {
    ...storage,
    // Group commit: one request per batch, each request body at most about one value's size.
    putSteps: async (requests) => {
      const outcomes: PutStepOutcome[] = [];
      for (const chunk of chunksOf(requests, maxValueBytes)) {
        outcomes.push(...(await (storage.putSteps as NonNullable<Storage['putSteps']>)(chunk)));
      }
      return outcomes;
    },
    name: 'windmill',
    maxValueBytes,
    signalLimits: options.signalLimits ?? DEFAULT_SIGNAL_LIMITS,
    // Read at each load, so `load(windmillStorage)` names the job in the owner token.
    get ownerPrefix() {
      return windmillLoadOptions().ownerPrefix;
    },
    get liveness() {
      return options.liveness === undefined ? windmillJobLiveness() : (options.liveness ?? undefined);
    },
  };
};

/** Requests in order, in chunks whose outputs add up to at most `bytes` (one at least each). */
const chunksOf = (requests: readonly PutStepRequest[], bytes: number): PutStepRequest[][] => {
  const chunks: PutStepRequest[][] = [];
  let chunk: PutStepRequest[] = [];
  let size = 0;
  for (const request of requests) {
    const length = request.record.output.length;
    if (chunk.length > 0 && size + length > bytes) {
      chunks.push(chunk);
      chunk = [];
      size = 0;
    }
    chunk.push(request);
    size += length;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
};

/**
 * The ready storage of the README's Windmill quick start: data table `main`, tables `public.durable_x_*`
 * created on first use, windmill-client configured from the job's environment (BASE_INTERNAL_URL,
 * WM_TOKEN, WM_WORKSPACE). Importing it does nothing; its first operation imports the client.
 */
export const windmillStorage: Storage = datatableStorage();
