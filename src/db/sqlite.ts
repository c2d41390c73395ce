/** SqlDriver on better-sqlite3: the file-backed database a laptop or CI job uses. */
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import type { SqlDriver, SqlStatement, SqlValue } from './driver.js';

// The native addon is loaded on the first open, not at start-up: commands that never open a
// database (`sbom`, `lint`, `verify`) skip its ~6 ms.
let addon: typeof Database | undefined;
const sqlite = (): typeof Database => (addon ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database);

export interface SqliteDriver extends SqlDriver {
  readonly dialect: 'sqlite';
  /** `PRAGMA user_version`: read on open before any table is trusted. */
  userVersion(): number;
  setUserVersion(v: number): void;
}

export function openSqlite(file: string, opts: { readonly: boolean }): SqliteDriver {
  const Sqlite = sqlite();
  const db = opts.readonly ? new Sqlite(file, { readonly: true, fileMustExist: true }) : new Sqlite(file);
  if (!opts.readonly) {
    // The file is a private temp file renamed into place when complete: no journal needed.
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
  }
  return {
    dialect: 'sqlite',
    exec: (sql) => void db.exec(sql),
    prepare(sql): SqlStatement {
      const st = db.prepare(sql);
      return {
        run: (...params: SqlValue[]) => void st.run(...params),
        all: <T>(...params: SqlValue[]) => st.all(...params) as T[],
        get: <T>(...params: SqlValue[]) => st.get(...params) as T | undefined,
      };
    },
    transaction: (fn) => db.transaction(fn)(),
    close: () => db.close(),
    userVersion: () => db.pragma('user_version', { simple: true }) as number,
    setUserVersion: (v) => void db.pragma(`user_version = ${Math.trunc(v)}`),
  };
}
