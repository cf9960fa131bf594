/**
 * What Windmill's worker does to the text of a `postgresql` preview before running it
 * (windmill-parser-sql: `parse_sql_blocks` with dollar quotes tracked, `parse_pg_statement_arg_positions`):
 * split it into statements at `;` outside quotes, comments and dollar-quoted bodies, and find the
 * `$n` placeholders of each statement. Test support for the stand-in only.
 */

type Piece = { kind: 'code' | 'quoted'; text: string };

/** Splits SQL into code and non-code (quotes, comments, dollar bodies), preserving every character. */
const pieces = (sql: string): Piece[] => {
  const out: Piece[] = [];
  let i = 0;
  let code = '';
  const flush = () => {
    if (code) out.push({ kind: 'code', text: code });
    code = '';
  };
  while (i < sql.length) {
    const rest = sql.slice(i);
    let end = -1;
    if (rest.startsWith("'")) end = closing(sql, i + 1, "'");
    else if (rest.startsWith('"')) end = closing(sql, i + 1, '"');
    else if (rest.startsWith('--')) end = until(sql, i, '\n');
    else if (rest.startsWith('/*')) end = until(sql, i + 2, '*/') + 1;
    else {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(rest);
      if (tag) end = until(sql, i + tag[0].length, tag[0]) + tag[0].length - 1;
    }
    if (end < 0) {
      code += sql[i];
      i++;
      continue;
    }
    flush();
    out.push({ kind: 'quoted', text: sql.slice(i, end + 1) });
    i = end + 1;
  }
  flush();
  return out;
};

/** Index of the closing quote (a doubled quote is an escaped one), or the last index. */
const closing = (sql: string, from: number, quote: string): number => {
  let i = from;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i;
    } else i++;
  }
  return sql.length - 1;
};

/** Index of the last character of `marker` found from `from`, or the last index. */
const until = (sql: string, from: number, marker: string): number => {
  const at = sql.indexOf(marker, from);
  return at < 0 ? sql.length - 1 : at + marker.length - 1;
};

/** The statements of a script: split at `;` in code, empty or comment-only ones dropped. */
export const statementsOf = (sql: string): string[] => {
  const blocks: string[] = [];
  let current = '';
  let hasCode = false;
  for (const piece of pieces(sql)) {
    if (piece.kind === 'quoted') {
      current += piece.text;
      if (!piece.text.startsWith('--') && !piece.text.startsWith('/*')) hasCode = true;
      continue;
    }
    const parts = piece.text.split(';');
    parts.forEach((part, k) => {
      current += part;
      if (part.trim()) hasCode = true;
      if (k < parts.length - 1) {
        if (hasCode) blocks.push(current);
        current = '';
        hasCode = false;
      }
    });
  }
  if (hasCode) blocks.push(current);
  return blocks;
};

/**
 * Rewrites a statement's placeholders to `$1..$k` in ascending order of the numbers it uses (as
 * Windmill does) and returns the original numbers, so only those arguments are bound.
 */
export const renumberPlaceholders = (statement: string): { text: string; used: number[] } => {
  const numbers = new Set<number>();
  for (const piece of pieces(statement)) {
    if (piece.kind !== 'code') continue;
    for (const m of piece.text.matchAll(/\$(\d+)/g)) numbers.add(Number(m[1]));
  }
  const used = [...numbers].sort((a, b) => a - b);
  const to = new Map(used.map((n, k) => [n, k + 1]));
  const text = pieces(statement)
    .map((p) =>
      p.kind === 'code' ? p.text.replace(/\$(\d+)/g, (_, n: string) => `$${to.get(Number(n))}`) : p.text,
    )
    .join('');
  return { text, used };
};
