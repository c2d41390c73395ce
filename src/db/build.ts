/** Builds the advisory database from feeds: into a temp file, renamed into place only when complete. */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ShipshapeError } from '../errors.js';
import { feeds as registryFeeds } from '../feeds/registry.js';
import type { AnyFeed, FeedFetchOptions } from '../feeds/types.js';
import { SEVERITIES, type Advisory, type CveScore } from '../model/index.js';
import { cvssRowValues, INSERT_ADVISORY, INSERT_CVSS, rowValues, SCHEMA_SQL, SCHEMA_VERSION, toCvssRow, toRow, type AdvisoryRow, type CvssRow } from './schema.js';
import { openSqlite } from './sqlite.js';
import type { DbStatus, FeedStatus } from './status.js';

export interface BuildOptions {
  /** The database file to write (replaced atomically). */
  path: string;
  /** A vulndata directory: each feed reads its `dirName` folder there instead of downloading. */
  from?: string;
  /** Mirror base URL for downloads (see docs/feeds.md). */
  mirror?: string;
  /** Feeds to run; default the registry's. */
  feeds?: readonly AnyFeed[];
  /** Download cache directory. */
  cacheDir: string;
  onProgress?: (done: number, total: number, label: string) => void;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

/** `<db>.tmp-<pid>`: one per building process, so two builds never write the same temp file. */
export function tempPath(dbPath: string, pid = process.pid): string {
  return `${dbPath}.tmp-${pid}`;
}

/** Removes temp files left by builds whose process is gone (killed, power loss). */
function removeStaleTemps(dbPath: string): void {
  const dir = path.dirname(dbPath);
  const prefix = `${path.basename(dbPath)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isInteger(pid) || pid <= 0) continue;
    if (pid !== process.pid && processAlive(pid)) continue;
    rmSync(path.join(dir, name), { force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The digest of a database's content: sha256 over its advisory rows in (namespace, package, id)
 * order, then its CVSS rows in id order (none: the digest is what it was before scores existed).
 */
export function digestRows(sortedRows: readonly AdvisoryRow[], sortedCvss: readonly CvssRow[] = []): string {
  const h = createHash('sha256');
  for (const r of sortedRows) h.update(`${JSON.stringify(rowValues(r))}\n`);
  if (sortedCvss.length) h.update('cvss\n');
  for (const r of sortedCvss) h.update(`${JSON.stringify(cvssRowValues(r))}\n`);
  return `sha256:${h.digest('hex')}`;
}

function compareRows(a: AdvisoryRow, b: AdvisoryRow): number {
  return cmp(a.namespace, b.namespace) || cmp(a.package, b.package) || cmp(a.id, b.id);
}

/** alpine:3.9 before alpine:3.10, for people reading `db status`. */
const naturalOrder = new Intl.Collator('en', { numeric: true });

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A record a feed should never yield; reported as a warning and skipped. */
function invalid(a: Advisory): string | undefined {
  if (!a.id || !a.namespace || !a.package || !a.scheme) return 'missing id, namespace, package or scheme';
  if (!Array.isArray(a.ranges) || !Array.isArray(a.aliases)) return 'ranges and aliases must be lists';
  if (!(SEVERITIES as readonly string[]).includes(a.severity)) return `unknown severity "${a.severity}"`;
  return undefined;
}

/** A score a score feed should never yield; reported as a warning and skipped. */
function invalidScore(s: CveScore): string | undefined {
  if (!/^CVE-\d{4}-\d{4,}$/.test(s.id ?? '')) return 'not a CVE id';
  if (!(s.cvss?.score >= 0 && s.cvss.score <= 10) || !s.cvss.vector || !s.cvss.version || !s.cvss.source) return 'missing or out-of-range CVSS';
  if (!(SEVERITIES as readonly string[]).includes(s.severity)) return `unknown severity "${s.severity}"`;
  return undefined;
}

function uniteInto(target: Advisory, extra: Advisory): void {
  for (const al of extra.aliases) if (!target.aliases.includes(al) && al !== target.id) target.aliases.push(al);
  const seen = new Set(target.ranges.map((r) => JSON.stringify(r)));
  for (const r of extra.ranges) if (!seen.has(JSON.stringify(r))) target.ranges.push(r);
}

/**
 * Runs the feeds and writes a new database at `opts.path`. On any failure (a feed that does not
 * parse, an abort, a full disk) the temp file is removed and the previous database stays as it was.
 */
export async function buildDb(opts: BuildOptions): Promise<DbStatus> {
  const dbPath = path.resolve(opts.path);
  let selected = [...(opts.feeds ?? registryFeeds)];
  const warn = opts.onWarning ?? (() => undefined);

  if (opts.from) {
    const from = path.resolve(opts.from);
    if (!isDir(from)) throw new ShipshapeError('not-found', `${from}: no such directory`);
    const present = selected.filter((f) => isDir(path.join(from, f.dirName)));
    if (present.length === 0) {
      throw new ShipshapeError('not-found', `${from} holds no feed folder (expected one of: ${selected.map((f) => f.dirName).join(', ')})`);
    }
    for (const f of selected) if (!present.includes(f)) warn(`${f.id}: ${path.join(from, f.dirName)} is absent: feed skipped`);
    selected = present;
  }

  await mkdir(path.dirname(dbPath), { recursive: true });
  removeStaleTemps(dbPath);
  const tmp = tempPath(dbPath);
  rmSync(tmp, { force: true });

  let db: ReturnType<typeof openSqlite> | undefined;
  try {
    // Every feed is read before the file is created, so a bad feed costs no disk writes.
    const byKey = new Map<string, Advisory>();
    const scores = new Map<string, CveScore>();
    const feedStatus: FeedStatus[] = [];
    const duplicates = new Map<string, number>();
    for (const feed of selected) {
      opts.signal?.throwIfAborted();
      const fo: FeedFetchOptions = {
        cacheDir: opts.cacheDir,
        onWarning: (m) => warn(m.startsWith(feed.id) ? m : `${feed.id}: ${m}`),
        ...(opts.from ? { dir: path.join(path.resolve(opts.from), feed.dirName) } : {}),
        ...(opts.mirror ? { mirror: opts.mirror } : {}),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      };
      let records = 0;
      const namespaces = new Set<string>();
      let bad = 0;
      if (feed.kind === 'scores') {
        for await (const s of feed.fetch(fo)) {
          const problem = invalidScore(s);
          if (problem) {
            if (bad++ < 5) warn(`${feed.id}: score ${s.id || '?'} skipped: ${problem}`);
            continue;
          }
          // One score per CVE: an earlier score feed's wins.
          if (scores.has(s.id)) continue;
          scores.set(s.id, s);
          records++;
        }
      } else {
        for await (const adv of feed.fetch(fo)) {
          const problem = invalid(adv);
          if (problem) {
            if (bad++ < 5) warn(`${feed.id}: record ${adv.id || '?'} skipped: ${problem}`);
            continue;
          }
          namespaces.add(adv.namespace);
          const key = `${adv.namespace}\0${adv.package}\0${adv.id}`;
          const prev = byKey.get(key);
          if (prev) {
            // One advisory per (namespace, package, id): a feed's repeats are united, another
            // feed's copy is dropped (the first feed in the registry wins).
            if (prev.feed === feed.id) uniteInto(prev, adv);
            else duplicates.set(feed.id, (duplicates.get(feed.id) ?? 0) + 1);
            continue;
          }
          byKey.set(key, { ...adv, aliases: [...adv.aliases], ranges: [...adv.ranges] });
          records++;
        }
      }
      if (bad > 5) warn(`${feed.id}: ${bad} invalid records skipped in all`);
      const info = feed.describe(fo);
      for (const ns of info.namespaces ?? []) namespaces.add(ns);
      feedStatus.push({
        id: feed.id,
        source: info.source,
        fetchedAt: new Date().toISOString(),
        records,
        namespaces: [...namespaces].sort(naturalOrder.compare),
      });
    }
    for (const [id, n] of duplicates) warn(`${id}: ${n} advisories already given by an earlier feed were dropped`);

    opts.signal?.throwIfAborted();
    const rows = [...byKey.values()].map(toRow).sort(compareRows);
    const cvssRows = [...scores.values()].map(toCvssRow).sort((a, b) => cmp(a.id, b.id));
    const digest = digestRows(rows, cvssRows);
    const builtAt = new Date().toISOString();

    db = openSqlite(tmp, { readonly: false });
    const conn = db;
    conn.transaction(() => {
      for (const sql of SCHEMA_SQL) conn.exec(sql);
      const meta = conn.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      meta.run('schema_version', String(SCHEMA_VERSION));
      meta.run('built_at', builtAt);
      meta.run('digest', digest);
      const feedIns = conn.prepare('INSERT INTO feeds (id, source, fetched_at, records, namespaces) VALUES (?, ?, ?, ?, ?)');
      for (const f of feedStatus) feedIns.run(f.id, f.source, f.fetchedAt, f.records, JSON.stringify(f.namespaces));
      const ins = conn.prepare(INSERT_ADVISORY);
      for (const r of rows) ins.run(...rowValues(r));
      const cvssIns = conn.prepare(INSERT_CVSS);
      for (const r of cvssRows) cvssIns.run(...cvssRowValues(r));
    });
    conn.setUserVersion(SCHEMA_VERSION);
    conn.close();
    db = undefined;
    opts.signal?.throwIfAborted();

    // Flush the file before the rename, so a crash cannot leave a renamed but empty database.
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, dbPath);
    // Ordered by id, as openDb().status() reads them back.
    const feeds = [...feedStatus].sort((a, b) => cmp(a.id, b.id));
    return { path: dbPath, schemaVersion: SCHEMA_VERSION, builtAt, digest, feeds };
  } catch (err) {
    try {
      db?.close();
    } catch {
      /* already failing: the original error matters */
    }
    rmSync(tmp, { force: true });
    if (err instanceof ShipshapeError) throw err;
    if (opts.signal?.aborted) throw new ShipshapeError('io', `database build interrupted: ${dbPath} left unchanged`, { cause: err });
    throw new ShipshapeError('io', `cannot build ${dbPath}: ${(err as Error).message ?? String(err)}`, { cause: err });
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
