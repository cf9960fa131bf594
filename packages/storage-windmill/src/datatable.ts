/**
 * The part of windmill-client's data table API this package uses: `query(text, ...params)` builds
 * ONE statement with positional `$1..$n` parameters, and `fetch` sends it as ONE HTTP request
 * (a preview job of language `postgresql` that Windmill runs on the data table's database).
 * `wmill.datatable(name)` returns a function of this shape; tests may pass their own.
 */
export interface DatatableStatement {
  fetch(params?: { resultCollection?: 'last_statement_all_rows' }): Promise<unknown>;
}

export interface DatatableSql {
  query(sql: string, ...params: unknown[]): DatatableStatement;
}

export const DEFAULT_DATATABLE = 'main';

/**
 * `windmill-client` reads BASE_INTERNAL_URL and WM_TOKEN once, when it is first imported. Importing
 * it on the first storage call (not when this package is imported) lets a host that sets them
 * later still be heard, and keeps `windmillStorage` free of I/O until it is used.
 */
export const importDatatable = async (name: string, role: string | undefined): Promise<DatatableSql> => {
  const { datatable } = await import('windmill-client');
  return datatable(name, role === undefined ? undefined : { role });
};
