import type Database from 'better-sqlite3';

/**
 * The data being migrated: `legacy_users` (one `full_name`, upper-case emails) becomes `users`
 * (first and last name, lower-case emails). The legacy table is filled with made-up people the
 * first time, so that the example has something to migrate.
 */
export const seed = (db: Database.Database, rows: number): number => {
  db.exec(`CREATE TABLE IF NOT EXISTS legacy_users (id INTEGER PRIMARY KEY, full_name TEXT NOT NULL, email TEXT NOT NULL);
           CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL, email TEXT NOT NULL)`);
  const count = () => (db.prepare('SELECT count(*) AS n FROM legacy_users').get() as { n: number }).n;
  if (count() > 0) return count();
  const insert = db.prepare('INSERT INTO legacy_users (id, full_name, email) VALUES (?, ?, ?)');
  const first = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken'];
  const last = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson'];
  db.transaction(() => {
    for (let id = 1; id <= rows; id++) {
      const [f, l] = [first[id % first.length], last[(id * 7) % last.length]];
      insert.run(id, `${f} ${l}`, `${f}.${l}.${id}@EXAMPLE.COM`.toUpperCase());
    }
  })();
  return count();
};

/** What one batch did: the last legacy id it read, and how many rows it wrote. */
export interface Batch {
  readonly lastId: number;
  readonly rows: number;
}

/**
 * Migrates the `size` legacy rows after `afterId`, in one transaction. INSERT OR REPLACE: a batch
 * whose process died after its commit but before durable-x recorded it runs again, harmlessly.
 */
export const migrateBatch = (db: Database.Database, afterId: number, size: number): Batch => {
  const rows = db
    .prepare('SELECT id, full_name, email FROM legacy_users WHERE id > ? ORDER BY id LIMIT ?')
    .all(afterId, size) as { id: number; full_name: string; email: string }[];
  const write = db.prepare(
    'INSERT OR REPLACE INTO users (id, first_name, last_name, email) VALUES (?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (const row of rows) {
      const [first = '', ...rest] = row.full_name.split(' ');
      write.run(row.id, first, rest.join(' '), row.email.toLowerCase());
    }
  })();
  return { lastId: rows.at(-1)?.id ?? afterId, rows: rows.length };
};
