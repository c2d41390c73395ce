/** Opens a built advisory database read-only and answers lookups by (namespace, package), fast enough for bulk matching. */
import { statSync } from 'node:fs';
import path from 'node:path';
import { ShipshapeError } from '../errors.js';
import type { Advisory, CveScore } from '../model/index.js';
import type { SqlStatement } from './driver.js';
import { fromCvssRow, fromRow, SCHEMA_VERSION, SELECT_ADVISORIES, SELECT_CVSS, type AdvisoryRow, type CvssRow } from './schema.js';
import { openSqlite, type SqliteDriver } from './sqlite.js';
import type { DbStatus, FeedStatus } from './status.js';

export interface AdvisoryDb {
  readonly path: string;
  /**
   * Advisories of one package in one namespace. The arrays and objects are shared between calls
   * (cached): read them, do not change them.
   */
  lookup(namespace: string, pkg: string): Advisory[];
  /** Every namespace with advisories or covered by a feed: a scan of a release outside it warns. */
  namespaces(): Set<string>;
  /** The CVSS score of a CVE from a score feed (NVD), or undefined. */
  cvss(cve: string): CveScore | undefined;
  /** Loads a whole namespace into memory in one query; later lookups there are map reads. */
  preload(namespace: string): void;
  status(): DbStatus;
  close(): void;
}

/*
 * A namespace is loaded whole once lookups there pass a quarter of its package count (at least 32):
 * one query then beats many, while a small image against a big namespace stays on single queries.
 */
const PRELOAD_MIN = 32;
// Shared by every empty answer; frozen so a caller's push cannot leak into other lookups.
const NONE = Object.freeze([]) as unknown as Advisory[];

function notOurs(file: string, cause?: unknown): ShipshapeError {
  return new ShipshapeError('bad-db', `${file} is not a shipshape database`, cause ? { cause } : undefined);
}

export function openDb(file: string): AdvisoryDb {
  const dbPath = path.resolve(file);
  let st;
  try {
    st = statSync(dbPath);
  } catch {
    throw new ShipshapeError('not-found', `no database at ${dbPath}: run shipshape db build`);
  }
  if (!st.isFile()) throw notOurs(dbPath);

  let driver: SqliteDriver;
  try {
    driver = openSqlite(dbPath, { readonly: true });
  } catch (err) {
    throw notOurs(dbPath, err);
  }
  try {
    // Any query on a file that is not SQLite fails here (SQLITE_NOTADB).
    const userVersion = driver.userVersion();
    const hasMeta = driver.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    if (!hasMeta) throw notOurs(dbPath);
    const version = Number(driver.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get<{ value: string }>()?.value);
    if (!Number.isInteger(version)) throw notOurs(dbPath);
    // Both markers agree in every file buildDb wrote; a file where they differ was made by something else.
    if (version !== userVersion) throw notOurs(dbPath);
    if (version !== SCHEMA_VERSION) {
      throw new ShipshapeError('bad-db', `${dbPath}: schema version ${version}, expected ${SCHEMA_VERSION}: run shipshape db build`);
    }
  } catch (err) {
    driver.close();
    if (err instanceof ShipshapeError) throw err;
    throw notOurs(dbPath, err);
  }
  return new SqliteAdvisoryDb(dbPath, driver);
}

class SqliteAdvisoryDb implements AdvisoryDb {
  private readonly byPackage: SqlStatement;
  private readonly byNamespace: SqlStatement;
  private readonly packageCount: SqlStatement;
  private readonly cvssById: SqlStatement;
  private readonly scores = new Map<string, CveScore | undefined>();
  /** namespace → package → advisories: two map reads per lookup, no key strings built. */
  private readonly cache = new Map<string, Map<string, Advisory[]>>();
  private readonly loaded = new Set<string>();
  private readonly misses = new Map<string, number>();
  private readonly preloadAt = new Map<string, number>();
  private namespaceSet: Set<string> | undefined;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly driver: SqliteDriver,
  ) {
    this.byPackage = driver.prepare(`${SELECT_ADVISORIES} WHERE namespace = ? AND package = ? ORDER BY id`);
    this.byNamespace = driver.prepare(`${SELECT_ADVISORIES} WHERE namespace = ? ORDER BY package, id`);
    this.packageCount = driver.prepare('SELECT COUNT(DISTINCT package) AS n FROM advisories WHERE namespace = ?');
    this.cvssById = driver.prepare(SELECT_CVSS);
  }

  cvss(cve: string): CveScore | undefined {
    if (this.scores.has(cve)) return this.scores.get(cve);
    const row = this.cvssById.get<CvssRow>(cve);
    const s = row ? fromCvssRow(row) : undefined;
    this.scores.set(cve, s);
    return s;
  }

  lookup(namespace: string, pkg: string): Advisory[] {
    let byPkg = this.cache.get(namespace);
    const hit = byPkg?.get(pkg);
    if (hit) return hit;
    if (this.loaded.has(namespace)) return NONE;
    const n = (this.misses.get(namespace) ?? 0) + 1;
    this.misses.set(namespace, n);
    if (n >= PRELOAD_MIN && n >= this.threshold(namespace)) {
      this.preload(namespace);
      return this.cache.get(namespace)?.get(pkg) ?? NONE;
    }
    const rows = this.byPackage.all<AdvisoryRow>(namespace, pkg);
    const list = rows.length ? rows.map(fromRow) : NONE;
    if (!byPkg) this.cache.set(namespace, (byPkg = new Map()));
    byPkg.set(pkg, list);
    return list;
  }

  private threshold(namespace: string): number {
    let t = this.preloadAt.get(namespace);
    if (t === undefined) {
      const row = this.packageCount.get<{ n: number }>(namespace);
      t = Math.max(PRELOAD_MIN, Math.ceil((row?.n ?? 0) / 4));
      this.preloadAt.set(namespace, t);
    }
    return t;
  }

  preload(namespace: string): void {
    if (this.loaded.has(namespace)) return;
    // Replaces what single lookups cached, so every answer in the namespace comes from one load.
    const byPkg = new Map<string, Advisory[]>();
    for (const row of this.byNamespace.all<AdvisoryRow>(namespace)) {
      let list = byPkg.get(row.package);
      if (!list) byPkg.set(row.package, (list = []));
      list.push(fromRow(row));
    }
    this.cache.set(namespace, byPkg);
    this.loaded.add(namespace);
  }

  namespaces(): Set<string> {
    if (!this.namespaceSet) {
      const set = new Set<string>();
      // Namespaces one index jump at a time (a skip scan): DISTINCT would read every advisory's key,
      // a few ms on every scan; this reads one key per namespace, in the same (ascending) order.
      const distinct =
        'WITH RECURSIVE ns(n) AS (SELECT MIN(namespace) FROM advisories UNION ALL ' +
        'SELECT (SELECT MIN(namespace) FROM advisories WHERE namespace > n) FROM ns WHERE n IS NOT NULL) ' +
        'SELECT n AS namespace FROM ns WHERE n IS NOT NULL';
      for (const r of this.driver.prepare(distinct).all<{ namespace: string }>()) set.add(r.namespace);
      for (const f of this.feeds()) for (const ns of f.namespaces) set.add(ns);
      this.namespaceSet = set;
    }
    return new Set(this.namespaceSet);
  }

  private feeds(): FeedStatus[] {
    type Row = { id: string; source: string; fetched_at: string; records: number; namespaces: string };
    return this.driver
      .prepare('SELECT id, source, fetched_at, records, namespaces FROM feeds ORDER BY id')
      .all<Row>()
      .map((r) => ({ id: r.id, source: r.source, fetchedAt: r.fetched_at, records: r.records, namespaces: JSON.parse(r.namespaces) as string[] }));
  }

  status(): DbStatus {
    const meta = new Map(this.driver.prepare('SELECT key, value FROM meta').all<{ key: string; value: string }>().map((r) => [r.key, r.value]));
    return {
      path: this.path,
      schemaVersion: Number(meta.get('schema_version')),
      builtAt: meta.get('built_at') ?? '',
      digest: meta.get('digest') ?? '',
      feeds: this.feeds(),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cache.clear();
    this.scores.clear();
    this.driver.close();
  }
}
