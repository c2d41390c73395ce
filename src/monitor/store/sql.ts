/** The async SQL door the monitor store talks through: one for SQLite (better-sqlite3), one for PostgreSQL (pg). */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ShipshapeError, describeError } from '../../errors.js';

export type Param = string | number | null;

/** Statements use `?` placeholders; the PostgreSQL door numbers them. */
export interface Sql {
  readonly dialect: 'sqlite' | 'postgres';
  all<T>(sql: string, params?: Param[]): Promise<T[]>;
  /** Rows changed. */
  run(sql: string, params?: Param[]): Promise<number>;
  /** Runs `fn` in one transaction on one connection; rolled back when it throws. */
  tx<T>(fn: (q: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

function storeError(err: unknown, where: string): ShipshapeError {
  if (err instanceof ShipshapeError) return err;
  return new ShipshapeError('store', `${where}: ${describeError(err)}`, { cause: err });
}

/** A file-backed SQLite store (WAL, so a serve process and worker processes on one host can share it). */
export function sqliteSql(file: string): Sql {
  let db: Database.Database;
  try {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 10000');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  } catch (err) {
    throw storeError(err, `cannot open the monitor store ${file}`);
  }
  const cache = new Map<string, Database.Statement>();
  const prep = (sql: string) => {
    let st = cache.get(sql);
    if (!st) cache.set(sql, (st = db.prepare(sql)));
    return st;
  };
  // One connection: a transaction must not interleave with other awaits of this process.
  let chain: Promise<unknown> = Promise.resolve();
  const queued = <T>(f: () => Promise<T>): Promise<T> => {
    const p = chain.then(f, f);
    chain = p.catch(() => undefined);
    return p;
  };
  const direct: Sql = {
    dialect: 'sqlite',
    async all<T>(sql: string, params: Param[] = []) {
      try {
        const st = prep(sql);
        return (st.reader ? st.all(...params) : (st.run(...params), [])) as T[];
      } catch (err) {
        throw storeError(err, 'monitor store');
      }
    },
    async run(sql: string, params: Param[] = []) {
      try {
        return prep(sql).run(...params).changes;
      } catch (err) {
        throw storeError(err, 'monitor store');
      }
    },
    tx: (fn) => fn(direct),
    async close() {},
  };
  const outer: Sql = {
    dialect: 'sqlite',
    all: (sql, params) => queued(() => direct.all(sql, params)),
    run: (sql, params) => queued(() => direct.run(sql, params)),
    tx<T>(fn: (q: Sql) => Promise<T>): Promise<T> {
      return queued(async () => {
        try {
          db.exec('BEGIN IMMEDIATE');
        } catch (err) {
          throw storeError(err, 'monitor store');
        }
        try {
          const r = await fn(direct);
          db.exec('COMMIT');
          return r;
        } catch (err) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        }
      });
    },
    async close() {
      await chain.catch(() => undefined);
      db.close();
    },
  };
  return outer;
}

/** Numbers `?` placeholders as $1, $2 … (no `?` appears in our SQL text otherwise). */
function numbered(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

/** A PostgreSQL store through a pg Pool (pg is loaded only when a postgres:// URL is given). */
export async function postgresSql(url: string, opts: { max?: number } = {}): Promise<Sql> {
  const pg = (await import('pg')).default;
  // BIGINT (epoch ms) and COUNT(*) come back as numbers, not strings.
  pg.types.setTypeParser(20, (v: string) => Number(v));
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 4, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => undefined); // an idle client's broken connection is reported on its next use
  const on = (c: { query: (t: string, v?: unknown[]) => Promise<{ rows: unknown[]; rowCount: number | null }> }): Sql => ({
    dialect: 'postgres',
    async all<T>(sql: string, params: Param[] = []) {
      try {
        return (await c.query(numbered(sql), params)).rows as T[];
      } catch (err) {
        throw storeError(err, 'monitor store');
      }
    },
    async run(sql: string, params: Param[] = []) {
      try {
        return (await c.query(numbered(sql), params)).rowCount ?? 0;
      } catch (err) {
        throw storeError(err, 'monitor store');
      }
    },
    tx: (fn) => fn(on(c)),
    async close() {},
  });
  try {
    const c = await pool.connect();
    c.release();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw storeError(err, `cannot reach PostgreSQL at ${redact(url)}`);
  }
  const base = on(pool as never);
  return {
    ...base,
    async tx<T>(fn: (q: Sql) => Promise<T>): Promise<T> {
      let client;
      try {
        client = await pool.connect();
      } catch (err) {
        throw storeError(err, 'monitor store');
      }
      try {
        await client.query('BEGIN');
        const r = await fn(on(client as never));
        await client.query('COMMIT');
        return r;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}

/** A URL with its password hidden, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
