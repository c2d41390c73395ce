/** The small interface the database code talks to, so the SQL driver (SQLite now, PostgreSQL later) can be swapped. */

export type SqlValue = string | number | null;

export interface SqlStatement {
  run(...params: SqlValue[]): void;
  all<T = Record<string, SqlValue>>(...params: SqlValue[]): T[];
  get<T = Record<string, SqlValue>>(...params: SqlValue[]): T | undefined;
}

/**
 * What build and query need: statements with `?` placeholders and one transaction. Synchronous,
 * as better-sqlite3 is; a PostgreSQL driver would offer the same calls returning promises and
 * number the placeholders ($1, $2 ...) itself.
 */
export interface SqlDriver {
  readonly dialect: 'sqlite' | 'postgres';
  exec(sql: string): void;
  prepare(sql: string): SqlStatement;
  transaction(fn: () => void): void;
  close(): void;
}
