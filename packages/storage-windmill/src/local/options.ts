/**
 * The stand-in's one required option, checked before anything is opened: each data table needs
 * the connection string of a PostgreSQL database the caller provides (the stand-in brings none).
 */
export const checkDatatables = (datatables: unknown): Readonly<Record<string, string>> => {
  const example = 'postgres://user:password@127.0.0.1:5432/mydb';
  if (typeof datatables !== 'object' || datatables === null || Object.keys(datatables).length === 0) {
    throw new TypeError(
      `windmill stand-in: datatables is required: the PostgreSQL database of each data table, e.g. { main: '${example}' } (the stand-in runs no database of its own)`,
    );
  }
  for (const [name, url] of Object.entries(datatables)) {
    if (typeof url !== 'string' || !/^postgres(ql)?:\/\//.test(url)) {
      throw new TypeError(
        `windmill stand-in: datatables.${name} must be the connection string of a PostgreSQL database you provide, like '${example}'; got ${typeof url === 'string' ? JSON.stringify(redact(url)) : typeof url}`,
      );
    }
  }
  return datatables as Readonly<Record<string, string>>;
};

/** A connection string without its password, for messages. */
export const redact = (url: string): string => {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
};
