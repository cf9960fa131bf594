/** A table as Markdown with padded columns: readable in a terminal and rendered in docs. */
export const table = (headers: readonly string[], rows: readonly (readonly string[])[]): string => {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
};

export const fixed = (n: number | undefined, digits = 2): string =>
  n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits);

/** Milliseconds as µs below 1 ms (step costs), else ms. */
export const duration = (ms: number): string =>
  !Number.isFinite(ms) ? 'n/a' : ms < 1 ? `${Math.round(ms * 1000)} µs` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
