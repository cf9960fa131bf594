import { usage } from '../errors.ts';

/**
 * Where the runs are, as the user named it. Layout options that must match the application's
 * (schema, table prefix, key prefix, buckets) ride in the URL's query, so that `export` and
 * `import` each take one self-contained URL.
 */
export type Target =
  | {
      readonly kind: 'postgres';
      /** The connection URL without our own query parameters. */
      readonly url: string;
      readonly schema?: string;
      readonly tablePrefix?: string;
    }
  | { readonly kind: 'redis'; readonly url: string; readonly prefix?: string; readonly buckets?: number }
  | { readonly kind: 'sqlite'; readonly file: string; readonly tablePrefix?: string }
  | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string; readonly pathStyle?: boolean }
  | {
      readonly kind: 'windmill';
      readonly datatable?: string;
      readonly schema?: string;
      readonly tablePrefix?: string;
    };

export type TargetKind = Target['kind'];

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

/** The query parameters a backend understands; any other one is a usage error, not ignored. */
const OWN_PARAMS: Readonly<Record<TargetKind, readonly string[]>> = {
  postgres: ['schema', 'tablePrefix'],
  redis: ['prefix', 'buckets'],
  sqlite: ['tablePrefix'],
  s3: ['pathStyle'],
  windmill: ['schema', 'tablePrefix'],
};

/** Takes our parameters out of `params` (the rest stays for the driver), refusing unknown ones where we own the URL. */
const takeParams = (
  kind: TargetKind,
  params: URLSearchParams,
  strict: boolean,
): Readonly<Record<string, string>> => {
  const own: Record<string, string> = {};
  for (const name of OWN_PARAMS[kind]) {
    const value = params.get(name);
    if (value !== null) own[name] = value;
    params.delete(name);
  }
  if (strict) {
    const unknown = [...params.keys()];
    if (unknown.length > 0) {
      throw usage(
        `${kind} URL: unknown parameter ${JSON.stringify(unknown[0])} (known: ${OWN_PARAMS[kind].join(', ')})`,
      );
    }
  }
  return own;
};

const parseUrl = (text: string): URL => {
  try {
    return new URL(text);
  } catch {
    throw usage(`not a valid URL: ${JSON.stringify(text)}`);
  }
};

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

const positiveInteger = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(text))
    throw usage(`${name}: expected a positive integer, got ${JSON.stringify(text)}`);
  return Number(text);
};

const bool = (name: string, text: string | undefined): boolean | undefined => {
  if (text === undefined) return undefined;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw usage(`${name}: expected true or false, got ${JSON.stringify(text)}`);
};

/** `sqlite:path`, `sqlite://path`, `sqlite:///abs/path` or a bare file path. */
const sqliteTarget = (text: string): Target => {
  const withoutScheme = text.replace(/^sqlite:(\/\/)?/i, '');
  const q = withoutScheme.indexOf('?');
  const file = q < 0 ? withoutScheme : withoutScheme.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : withoutScheme.slice(q + 1));
  if (file === '') throw usage('sqlite: no file path given');
  const own = takeParams('sqlite', params, true);
  return { kind: 'sqlite', file: decodeURIComponent(file), ...optional('tablePrefix', own.tablePrefix) };
};

/**
 * Reads a storage URL: `postgres://…` (`postgresql://`), `redis://…` (`rediss://`), `sqlite:file`
 * or a plain file path, `s3://bucket/prefix`, `windmill:` (`windmill://datatable`).
 */
export const parseTarget = (text: string): Target => {
  if (typeof text !== 'string' || text.trim() === '') {
    throw usage('no storage given: pass --storage <url> or set DURABLE_X_STORAGE');
  }
  const scheme = SCHEME.exec(text)?.[1]?.toLowerCase();
  // A one-letter "scheme" is a Windows drive (C:\runs.db); no scheme at all is a file path.
  if (scheme === undefined || scheme.length === 1 || scheme === 'sqlite' || scheme === 'file') {
    return sqliteTarget(scheme === 'file' ? decodeURIComponent(parseUrl(text).pathname) : text);
  }
  switch (scheme) {
    case 'postgres':
    case 'postgresql': {
      const url = parseUrl(text);
      const own = takeParams('postgres', url.searchParams, false);
      return {
        kind: 'postgres',
        url: url.toString(),
        ...optional('schema', own.schema),
        ...optional('tablePrefix', own.tablePrefix),
      };
    }
    case 'redis':
    case 'rediss': {
      const url = parseUrl(text);
      const own = takeParams('redis', url.searchParams, false);
      return {
        kind: 'redis',
        url: url.toString(),
        ...optional('prefix', own.prefix),
        ...optional('buckets', positiveInteger('buckets', own.buckets)),
      };
    }
    case 's3': {
      const url = parseUrl(text);
      if (url.hostname === '') throw usage('s3 URL: no bucket (expected s3://bucket/prefix)');
      const own = takeParams('s3', url.searchParams, true);
      return {
        kind: 's3',
        bucket: url.hostname,
        prefix: decodeURIComponent(url.pathname.replace(/^\//, '')),
        ...optional('pathStyle', bool('pathStyle', own.pathStyle)),
      };
    }
    case 'windmill': {
      const url = parseUrl(text);
      const own = takeParams('windmill', url.searchParams, true);
      const datatable = url.hostname === '' ? undefined : decodeURIComponent(url.hostname);
      return {
        kind: 'windmill',
        ...optional('datatable', datatable),
        ...optional('schema', own.schema),
        ...optional('tablePrefix', own.tablePrefix),
      };
    }
    default:
      throw usage(
        `unknown storage scheme ${JSON.stringify(`${scheme}:`)}: use postgres://, redis://, rediss://, s3://, windmill:, sqlite: or a file path`,
      );
  }
};

/** The URL without credentials, for messages. */
export const describeTarget = (target: Target): string => {
  switch (target.kind) {
    case 'postgres':
    case 'redis': {
      const url = new URL(target.url);
      url.password = url.password === '' ? '' : '***';
      return url.toString();
    }
    case 'sqlite':
      return `sqlite:${target.file}`;
    case 's3':
      return `s3://${target.bucket}/${target.prefix}`;
    case 'windmill':
      return `windmill://${target.datatable ?? 'main'}`;
  }
};
