/**
 * The monitor store: images, SBOMs (one per digest), findings, events, rounds, the job queue and the
 * delivery log, on SQLite (default) or PostgreSQL, through one class and one SQL text per query.
 */
import os from 'node:os';
import path from 'node:path';
import { ShipshapeError } from '../../errors.js';
import { SEVERITIES } from '../../model/index.js';
import type { Counts, EventKind, Job, JobSpec, Judgement, MonitoredFinding, MonitorEvent, RefSource, StoredSbom, WatchedRef } from '../types.js';
import { MIGRATIONS, migrationSql } from './migrations.js';
import { postgresSql, redact, sqliteSql, type Param, type Sql } from './sql.js';

export { redact } from './sql.js';
export type { Sql } from './sql.js';

/** `$XDG_DATA_HOME/shipshape/monitor.db`, default `~/.local/share/shipshape/monitor.db`. */
export function defaultStorePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'shipshape', 'monitor.db');
}

export interface ImageRow {
  digest: string;
  ref: string;
  refs: string[];
  state: 'pending' | 'ok' | 'error' | 'corrupt';
  error: string | null;
  verdict: 'pass' | 'fail' | null;
  reasons: string[];
  counts: Counts | null;
  dbDigest: string | null;
  scannedAt: number | null;
  matchedAt: number | null;
  packageCount: number | null;
  os: string | null;
  attestation: { at: number; verdict: string; ok: boolean; error?: string } | null;
}

export interface FindingHit {
  ref: string;
  digest: string;
  id: string;
  severity: string;
  package: string | null;
  version: string | null;
  fixedIn: string | null;
  path: string | null;
  url: string | null;
  suppressed: boolean;
  running: string[];
}

export interface RoundRow {
  id: number;
  reason: string;
  dbDigest: string | null;
  startedAt: number;
  finishedAt: number | null;
  totals: Counts | null;
  summary: Record<string, unknown> | null;
}

export interface EventRow extends MonitorEvent {
  id: number;
  roundId: number;
  at: number;
  ref: string | null;
}

export interface Delivery {
  roundId: number;
  target: string;
  attempt: number;
  ok: boolean;
  status: number | null;
  error: string | null;
  at: number;
}

/** Thrown when a job's lease was taken over by another worker: its results are rolled back. */
export class LeaseLost extends Error {}

export const zeroCounts = (): Counts => Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Counts;

const json = (v: unknown): string => JSON.stringify(v);
function parse<T>(s: string | null | undefined, fallback: T): T {
  if (s === null || s === undefined) return fallback;
  try {
    return JSON.parse(s) as T;
  } catch {
    return fallback;
  }
}

interface ImageDb {
  digest: string;
  ref: string;
  state: string;
  error: string | null;
  verdict: string | null;
  reasons: string | null;
  counts: string | null;
  db_digest: string | null;
  scanned_at: number | null;
  matched_at: number | null;
  package_count: number | null;
  os: string | null;
  attestation: string | null;
  refs?: string | null;
}

function imageRow(r: ImageDb, refs: string[] = []): ImageRow {
  return {
    digest: r.digest,
    ref: r.ref,
    refs: refs.length ? refs : [r.ref],
    state: r.state as ImageRow['state'],
    error: r.error,
    verdict: r.verdict as ImageRow['verdict'],
    reasons: parse(r.reasons, []),
    counts: parse(r.counts, null),
    dbDigest: r.db_digest,
    scannedAt: r.scanned_at,
    matchedAt: r.matched_at,
    packageCount: r.package_count,
    os: r.os,
    attestation: parse(r.attestation, null),
  };
}

interface FindingDb {
  fkey: string;
  id: string;
  aliases: string;
  severity: string;
  package: string | null;
  version: string | null;
  type: string | null;
  fixed_in: string | null;
  path: string | null;
  suppressed: string | null;
  url: string | null;
  title: string | null;
}

function findingRow(r: FindingDb): MonitoredFinding {
  return {
    fkey: r.fkey,
    id: r.id,
    aliases: parse(r.aliases, []),
    severity: r.severity as MonitoredFinding['severity'],
    ...(r.package !== null ? { package: r.package } : {}),
    ...(r.version !== null ? { version: r.version } : {}),
    ...(r.type !== null ? { type: r.type } : {}),
    fixedIn: r.fixed_in,
    ...(r.path !== null ? { path: r.path } : {}),
    ...(r.url !== null ? { url: r.url } : {}),
    ...(r.title !== null ? { title: r.title } : {}),
    suppressed: parse(r.suppressed, null),
  };
}

const FINDING_COLS = 'fkey, id, aliases, severity, package, version, type, fixed_in, path, suppressed, url, title';

/** Opens (and migrates) the store: a postgres:// URL, or a SQLite file path (default under $XDG_DATA_HOME). */
export async function openStore(where: string | undefined, opts: { poolSize?: number } = {}): Promise<MonitorStore> {
  const target = where ?? defaultStorePath();
  const sql = /^postgres(ql)?:\/\//.test(target) ? await postgresSql(target, { max: opts.poolSize ?? 4 }) : sqliteSql(target);
  const store = new MonitorStore(sql, /^postgres/.test(target) ? redact(target) : target);
  try {
    await store.migrate();
  } catch (err) {
    await sql.close();
    throw err;
  }
  return store;
}

export class MonitorStore {
  constructor(
    readonly sql: Sql,
    readonly where: string,
  ) {}

  get dialect(): 'sqlite' | 'postgres' {
    return this.sql.dialect;
  }

  /** Applies the migrations this store lacks, in order, each in its own transaction; refuses a newer schema. */
  async migrate(): Promise<number> {
    const known = MIGRATIONS[MIGRATIONS.length - 1]!.version;
    return this.sql.tx(async (q) => {
      // PostgreSQL: one migrating process at a time (the lock ends with the transaction).
      if (q.dialect === 'postgres') await q.all('SELECT pg_advisory_xact_lock(7210310)');
      await q.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      const rows = await q.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      const have = rows.length ? Math.max(...rows.map((r) => Number(r.version))) : 0;
      if (have > known) {
        throw new ShipshapeError('store', `the monitor store ${this.where} has schema version ${have}, newer than this shipshape knows (${known}): upgrade shipshape`);
      }
      for (const m of MIGRATIONS) {
        if (m.version <= have) continue;
        for (const stmt of migrationSql(m.sql, q.dialect).split(';').map((s) => s.trim()).filter(Boolean)) await q.run(stmt);
        await q.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
      }
      return known;
    });
  }

  async schemaVersion(): Promise<number> {
    const r = await this.sql.all<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
    return Number(r[0]?.v ?? 0);
  }

  close(): Promise<void> {
    return this.sql.close();
  }

  // --- meta ---------------------------------------------------------------------------------

  async getMeta(key: string): Promise<string | undefined> {
    return (await this.sql.all<{ value: string }>('SELECT value FROM meta WHERE key = ?', [key]))[0]?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.sql.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  // --- watched references and images -------------------------------------------------------

  /** Records references and their digests; each new digest gets a pending image row. Returns the new digests. */
  async recordRefs(refs: WatchedRef[], now = Date.now()): Promise<string[]> {
    return this.sql.tx(async (q) => {
      const fresh: string[] = [];
      for (const r of refs) {
        await q.run(
          `INSERT INTO refs (ref, registry, repository, tag, digest, source, running, first_seen, last_seen, error)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
           ON CONFLICT (ref) DO UPDATE SET digest = COALESCE(excluded.digest, refs.digest), running = excluded.running,
             last_seen = excluded.last_seen, error = NULL`,
          [r.ref, r.registry, r.repository, r.tag ?? null, r.digest ?? null, r.source, json(r.running ?? []), now, now],
        );
        if (!r.digest) continue;
        const n = await q.run("INSERT INTO images (digest, ref, state) VALUES (?, ?, 'pending') ON CONFLICT (digest) DO NOTHING", [r.digest, r.ref]);
        if (n > 0) fresh.push(r.digest);
      }
      return fresh;
    });
  }

  /** A reference that could not be resolved this round (unreachable registry, 401): kept, marked, retried next round. */
  async refError(ref: Pick<WatchedRef, 'ref' | 'registry' | 'repository' | 'source'>, error: string, now = Date.now()): Promise<void> {
    await this.sql.run(
      `INSERT INTO refs (ref, registry, repository, source, first_seen, last_seen, error) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (ref) DO UPDATE SET error = excluded.error, last_seen = excluded.last_seen`,
      [ref.ref, ref.registry, ref.repository, ref.source, now, now, error],
    );
  }

  /** Every known reference of a registry (or one repository of it) could not be read this round. */
  async registryError(registry: string, repository: string | null, error: string, now = Date.now()): Promise<number> {
    return this.sql.run('UPDATE refs SET error = ?, last_seen = ? WHERE registry = ? AND (repository = ? OR ? = 1)', [error, now, registry, repository ?? '', repository === null ? 1 : 0]);
  }

  /** A repository that answered again: its placeholder error row (no tag, no digest) goes. */
  async clearRepositoryError(registry: string, repository: string): Promise<void> {
    await this.sql.run('DELETE FROM refs WHERE registry = ? AND repository = ? AND tag IS NULL AND digest IS NULL', [registry, repository]);
  }

  async refs(): Promise<Array<WatchedRef & { error: string | null; lastSeen: number }>> {
    const rows = await this.sql.all<{ ref: string; registry: string; repository: string; tag: string | null; digest: string | null; source: RefSource; running: string; error: string | null; last_seen: number }>(
      'SELECT ref, registry, repository, tag, digest, source, running, error, last_seen FROM refs ORDER BY ref',
    );
    return rows.map((r) => ({
      ref: r.ref,
      registry: r.registry,
      repository: r.repository,
      ...(r.tag ? { tag: r.tag } : {}),
      ...(r.digest ? { digest: r.digest } : {}),
      source: r.source,
      running: parse(r.running, []),
      error: r.error,
      lastSeen: r.last_seen,
    }));
  }

  /** Digests without a stored SBOM (new, or failed before). */
  async unscanned(): Promise<Array<{ digest: string; ref: string }>> {
    return this.sql.all("SELECT digest, ref FROM images WHERE sbom IS NULL AND state <> 'corrupt' ORDER BY digest");
  }

  /** Digests with an SBOM that were last matched against another database (or never). */
  async staleMatches(dbDigest: string): Promise<string[]> {
    const rows = await this.sql.all<{ digest: string }>(
      "SELECT digest FROM images WHERE sbom IS NOT NULL AND state <> 'corrupt' AND (db_digest IS NULL OR db_digest <> ?) ORDER BY digest",
      [dbDigest],
    );
    return rows.map((r) => r.digest);
  }

  async hasSbom(digest: string): Promise<boolean> {
    return (await this.sql.all('SELECT 1 AS x FROM images WHERE digest = ? AND sbom IS NOT NULL', [digest])).length > 0;
  }

  /** Stored SBOM texts and the state needed to compare: verdict and reference. */
  async sboms(digests: string[]): Promise<Array<{ digest: string; ref: string; sbom: string | null; verdict: string | null; findings_sig: string | null; config: string | null }>> {
    if (!digests.length) return [];
    return this.sql.all(`SELECT digest, ref, sbom, verdict, findings_sig, config FROM images WHERE digest IN (${digests.map(() => '?').join(',')})`, digests);
  }

  async findingsOf(digests: string[], q: Sql = this.sql): Promise<Map<string, MonitoredFinding[]>> {
    const out = new Map<string, MonitoredFinding[]>(digests.map((d) => [d, []]));
    if (!digests.length) return out;
    const rows = await q.all<FindingDb & { digest: string }>(`SELECT digest, ${FINDING_COLS} FROM findings WHERE digest IN (${digests.map(() => '?').join(',')})`, digests);
    for (const r of rows) out.get(r.digest)!.push(findingRow(r));
    return out;
  }

  // --- writing results (inside a job's transaction) ------------------------------------------

  /** Stores an image's SBOM once: a second writer of the same digest changes nothing. */
  async putSbom(q: Sql, digest: string, sbom: StoredSbom, extra: { layers: string[]; config?: unknown }, now = Date.now()): Promise<boolean> {
    const osName = sbom.os ? `${sbom.os.id} ${sbom.os.version}` : null;
    const n = await q.run(
      "UPDATE images SET sbom = ?, os = ?, package_count = ?, layers = ?, config = ?, scanned_at = ?, state = 'ok', error = NULL WHERE digest = ? AND sbom IS NULL",
      [json(sbom), osName, sbom.packages.length, json(extra.layers), extra.config === undefined ? null : json(extra.config), now, digest],
    );
    return n > 0;
  }

  /** Replaces an image's findings with a judgement, when they differ; always records the db digest and verdict. */
  async putJudgement(q: Sql, digest: string, j: Judgement, changed: boolean, now = Date.now()): Promise<void> {
    if (changed) {
      await q.run('DELETE FROM findings WHERE digest = ?', [digest]);
      // Multi-row inserts: one statement per 50 findings keeps round trips (PostgreSQL) few.
      for (let i = 0; i < j.findings.length; i += 50) {
        const chunk = j.findings.slice(i, i + 50);
        const params: Param[] = [];
        for (const f of chunk) {
          params.push(digest, f.fkey, f.id, json(f.aliases), f.severity, f.package ?? null, f.version ?? null, f.type ?? null, f.fixedIn, f.path ?? null, f.suppressed ? json(f.suppressed) : null, f.url ?? null, f.title ?? null);
        }
        await q.run(`INSERT INTO findings (digest, ${FINDING_COLS}) VALUES ${chunk.map(() => '(?,?,?,?,?,?,?,?,?,?,?,?,?)').join(',')}`, params);
      }
    }
    await q.run("UPDATE images SET db_digest = ?, verdict = ?, reasons = ?, counts = ?, findings_sig = ?, matched_at = ?, state = 'ok', error = NULL WHERE digest = ?", [
      j.db.digest,
      j.verdict,
      json(j.reasons),
      json(j.counts),
      j.signature,
      now,
      digest,
    ]);
  }

  /** Images whose findings did not change: one statement records the new database and verdict for all of them. */
  async putUnchanged(q: Sql, rows: Array<{ digest: string; j: Judgement }>, now = Date.now()): Promise<void> {
    if (q.dialect === 'sqlite') {
      // In-process SQLite: an UPDATE by primary key per image costs microseconds (SQLite would join
      // a VALUES list by scanning it for every image row).
      for (const r of rows) {
        await q.run("UPDATE images SET db_digest = ?, verdict = ?, reasons = ?, counts = ?, matched_at = ?, state = 'ok', error = NULL WHERE digest = ?", [
          r.j.db.digest,
          r.j.verdict,
          json(r.j.reasons),
          json(r.j.counts),
          now,
          r.digest,
        ]);
      }
      return;
    }
    // PostgreSQL: one round trip per 100 images.
    for (let i = 0; i < rows.length; i += 100) {
      const chunk = rows.slice(i, i + 100);
      const params: Param[] = [];
      for (const r of chunk) params.push(r.digest, r.j.db.digest, r.j.verdict, json(r.j.reasons), json(r.j.counts));
      // VALUES columns are column1… in SQLite and PostgreSQL alike.
      await q.run(
        `UPDATE images SET db_digest = v.column2, verdict = v.column3, reasons = v.column4, counts = v.column5, matched_at = ?, state = 'ok', error = NULL
         FROM (VALUES ${chunk.map(() => '(?,?,?,?,?)').join(',')}) AS v WHERE images.digest = v.column1`,
        [now, ...params],
      );
    }
  }

  async markImage(digest: string, state: 'error' | 'corrupt', error: string, q: Sql = this.sql): Promise<void> {
    await q.run('UPDATE images SET state = ?, error = ? WHERE digest = ?', [state, error, digest]);
  }

  async setAttestation(digest: string, a: NonNullable<ImageRow['attestation']>): Promise<void> {
    await this.sql.run('UPDATE images SET attestation = ? WHERE digest = ?', [json(a), digest]);
  }

  /** Events are unique per (round, image, kind, finding): a retried job adds none twice. */
  async addEvents(q: Sql, roundId: number, events: MonitorEvent[], now = Date.now()): Promise<void> {
    for (let i = 0; i < events.length; i += 50) {
      const chunk = events.slice(i, i + 50);
      const params: Param[] = [];
      for (const e of chunk) params.push(roundId, e.digest, e.kind, e.fkey, e.findingId ?? null, e.severity ?? null, e.detail ? json(e.detail) : null, now);
      await q.run(
        `INSERT INTO events (round_id, digest, kind, fkey, finding_id, severity, detail, at) VALUES ${chunk.map(() => '(?,?,?,?,?,?,?,?)').join(',')}
         ON CONFLICT (round_id, digest, kind, fkey) DO NOTHING`,
        params,
      );
    }
  }

  // --- rounds -------------------------------------------------------------------------------

  async startRound(reason: string, dbDigest: string | null, now = Date.now()): Promise<number> {
    const r = await this.sql.all<{ id: number }>('INSERT INTO rounds (reason, db_digest, started_at) VALUES (?, ?, ?) RETURNING id', [reason, dbDigest, now]);
    return Number(r[0]!.id);
  }

  /** Jobs of a round not yet done or failed. */
  async openJobs(roundId: number): Promise<number> {
    const r = await this.sql.all<{ n: number }>("SELECT COUNT(*) AS n FROM jobs WHERE round_id = ? AND state IN ('queued', 'running')", [roundId]);
    return Number(r[0]!.n);
  }

  /** Closes a round once, whoever asks first; false when another process closed it already. */
  async finishRound(roundId: number, summary: Record<string, unknown>, now = Date.now()): Promise<boolean> {
    return this.sql.tx(async (q) => {
      const totals = zeroCounts();
      for (const r of await q.all<{ severity: keyof Counts; n: number }>('SELECT severity, COUNT(*) AS n FROM findings WHERE suppressed IS NULL GROUP BY severity')) {
        totals[r.severity] = Number(r.n);
      }
      const n = await q.run('UPDATE rounds SET finished_at = ?, totals = ?, summary = ? WHERE id = ? AND finished_at IS NULL', [now, json(totals), json(summary), roundId]);
      return n > 0;
    });
  }

  async rounds(limit = 50): Promise<RoundRow[]> {
    const rows = await this.sql.all<{ id: number; reason: string; db_digest: string | null; started_at: number; finished_at: number | null; totals: string | null; summary: string | null }>(
      'SELECT id, reason, db_digest, started_at, finished_at, totals, summary FROM rounds ORDER BY id DESC LIMIT ?',
      [limit],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      reason: r.reason,
      dbDigest: r.db_digest,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
      totals: parse(r.totals, null),
      summary: parse(r.summary, null),
    }));
  }

  async events(filter: { roundId?: number; digest?: string; kinds?: EventKind[]; limit?: number }): Promise<EventRow[]> {
    const where: string[] = [];
    const params: Param[] = [];
    if (filter.roundId !== undefined) (where.push('e.round_id = ?'), params.push(filter.roundId));
    if (filter.digest !== undefined) (where.push('e.digest = ?'), params.push(filter.digest));
    if (filter.kinds?.length) (where.push(`e.kind IN (${filter.kinds.map(() => '?').join(',')})`), params.push(...filter.kinds));
    params.push(filter.limit ?? 1000);
    const rows = await this.sql.all<{ id: number; round_id: number; digest: string; kind: EventKind; fkey: string; finding_id: string | null; severity: string | null; detail: string | null; at: number; ref: string | null }>(
      `SELECT e.id, e.round_id, e.digest, e.kind, e.fkey, e.finding_id, e.severity, e.detail, e.at, i.ref
       FROM events e LEFT JOIN images i ON i.digest = e.digest ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY e.id DESC LIMIT ?`,
      params,
    );
    return rows.map((r) => ({
      id: Number(r.id),
      roundId: Number(r.round_id),
      digest: r.digest,
      kind: r.kind,
      fkey: r.fkey,
      ...(r.finding_id ? { findingId: r.finding_id } : {}),
      ...(r.severity ? { severity: r.severity as MonitorEvent['severity'] } : {}),
      ...(r.detail ? { detail: parse(r.detail, {}) } : {}),
      at: r.at,
      ref: r.ref,
    }));
  }

  // --- the job queue ------------------------------------------------------------------------

  /** Adds jobs; a key already queued, running or done is not added again. Returns how many were new. */
  async enqueue(jobs: JobSpec[], now = Date.now()): Promise<number> {
    if (!jobs.length) return 0;
    return this.sql.tx(async (q) => {
      let n = 0;
      for (const j of jobs) {
        n += await q.run(
          `INSERT INTO jobs (key, kind, payload, round_id, state, attempts, max_attempts, run_after, created_at)
           VALUES (?, ?, ?, ?, 'queued', 0, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
          [j.key, j.kind, json(j.payload), j.roundId, j.maxAttempts ?? 5, now, now],
        );
      }
      return n;
    });
  }

  /**
   * Takes the oldest ready job for `leaseMs`: a queued job whose time has come, or a running one
   * whose lease ran out (its worker died). PostgreSQL: FOR UPDATE SKIP LOCKED, so workers never
   * wait on each other; SQLite: the one UPDATE is atomic.
   */
  async claim(owner: string, leaseMs: number, now = Date.now()): Promise<Job | null> {
    const lock = this.sql.dialect === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : '';
    for (;;) {
      const rows = await this.sql.all<{ id: number; key: string; kind: Job['kind']; payload: string; round_id: number; attempts: number; max_attempts: number }>(
        `UPDATE jobs SET state = 'running', lease_owner = ?, lease_until = ?, attempts = attempts + 1
         WHERE id = (SELECT id FROM jobs WHERE (state = 'queued' AND run_after <= ?) OR (state = 'running' AND lease_until < ?)
                     ORDER BY id LIMIT 1 ${lock})
         RETURNING id, key, kind, payload, round_id, attempts, max_attempts`,
        [owner, now + leaseMs, now, now],
      );
      const r = rows[0];
      if (!r) return null;
      const job: Job = { id: Number(r.id), key: r.key, kind: r.kind, payload: parse(r.payload, {}), roundId: Number(r.round_id), attempts: r.attempts, maxAttempts: r.max_attempts };
      if (job.attempts > job.maxAttempts) {
        await this.sql.run("UPDATE jobs SET state = 'failed', error = COALESCE(error, 'lease expired too often'), lease_owner = NULL, finished_at = ? WHERE id = ?", [now, job.id]);
        continue;
      }
      return job;
    }
  }

  /** Extends a lease still held; false when another worker took the job over. */
  async heartbeat(job: Job, owner: string, leaseMs: number, now = Date.now()): Promise<boolean> {
    return (await this.sql.run("UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_owner = ? AND state = 'running'", [now + leaseMs, job.id, owner])) > 0;
  }

  /**
   * Runs `work` and marks the job done in ONE transaction, only while `owner` still holds the lease:
   * a worker that lost its lease commits nothing, so a job's rows are written exactly once.
   */
  async complete<T>(job: Job, owner: string, work: (q: Sql) => Promise<T>, now = Date.now()): Promise<T> {
    return this.sql.tx(async (q) => {
      const lockRow = q.dialect === 'postgres' ? ' FOR UPDATE' : '';
      const held = await q.all(`SELECT id FROM jobs WHERE id = ? AND lease_owner = ? AND state = 'running'${lockRow}`, [job.id, owner]);
      if (!held.length) throw new LeaseLost(`job ${job.key} was taken over by another worker`);
      const r = await work(q);
      await q.run("UPDATE jobs SET state = 'done', finished_at = ?, error = NULL, lease_owner = NULL WHERE id = ?", [now, job.id]);
      return r;
    });
  }

  /** A failed attempt: queued again after `retryMs`, or failed for good after max attempts. */
  async fail(job: Job, owner: string, error: string, retryMs: number, now = Date.now()): Promise<'retry' | 'failed'> {
    const last = job.attempts >= job.maxAttempts;
    await this.sql.run(
      'UPDATE jobs SET state = ?, run_after = ?, error = ?, lease_owner = NULL, finished_at = ? WHERE id = ? AND lease_owner = ?',
      [last ? 'failed' : 'queued', now + retryMs, error, last ? now : null, job.id, owner],
    );
    return last ? 'failed' : 'retry';
  }

  async jobCounts(): Promise<Record<string, number>> {
    const out: Record<string, number> = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const r of await this.sql.all<{ state: string; n: number }>('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state')) out[r.state] = Number(r.n);
    return out;
  }

  async job(key: string): Promise<(Job & { state: string; error: string | null; leaseOwner: string | null }) | undefined> {
    const r = (await this.sql.all<{ id: number; key: string; kind: Job['kind']; payload: string; round_id: number; attempts: number; max_attempts: number; state: string; error: string | null; lease_owner: string | null }>(
      'SELECT id, key, kind, payload, round_id, attempts, max_attempts, state, error, lease_owner FROM jobs WHERE key = ?',
      [key],
    ))[0];
    if (!r) return undefined;
    return { id: Number(r.id), key: r.key, kind: r.kind, payload: parse(r.payload, {}), roundId: Number(r.round_id), attempts: r.attempts, maxAttempts: r.max_attempts, state: r.state, error: r.error, leaseOwner: r.lease_owner };
  }

  // --- alerts ---------------------------------------------------------------------------------

  async logDelivery(d: Delivery): Promise<void> {
    await this.sql.run('INSERT INTO deliveries (round_id, target, attempt, ok, status, error, at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      d.roundId,
      d.target,
      d.attempt,
      d.ok ? 1 : 0,
      d.status,
      d.error,
      d.at,
    ]);
  }

  async deliveries(limit = 100): Promise<Delivery[]> {
    const rows = await this.sql.all<{ round_id: number; target: string; attempt: number; ok: number; status: number | null; error: string | null; at: number }>(
      'SELECT round_id, target, attempt, ok, status, error, at FROM deliveries ORDER BY id DESC LIMIT ?',
      [limit],
    );
    return rows.map((r) => ({ roundId: Number(r.round_id), target: r.target, attempt: r.attempt, ok: Boolean(r.ok), status: r.status, error: r.error, at: r.at }));
  }

  // --- reads for the dashboard and the API ----------------------------------------------------

  async images(opts: { limit?: number; offset?: number; verdict?: string } = {}): Promise<ImageRow[]> {
    const params: Param[] = [];
    let where = '';
    if (opts.verdict) (where = 'WHERE i.verdict = ?'), params.push(opts.verdict);
    params.push(opts.limit ?? 100_000, opts.offset ?? 0);
    const rows = await this.sql.all<ImageDb>(
      `SELECT i.digest, i.ref, i.state, i.error, i.verdict, i.reasons, i.counts, i.db_digest, i.scanned_at, i.matched_at, i.package_count, i.os, i.attestation
       FROM images i ${where} ORDER BY i.ref, i.digest LIMIT ? OFFSET ?`,
      params,
    );
    const refs = await this.refsOf(rows.map((r) => r.digest));
    return rows.map((r) => imageRow(r, refs.get(r.digest)));
  }

  private async refsOf(digests: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (!digests.length) return out;
    // In chunks: SQLite allows a limited number of parameters per statement.
    for (let i = 0; i < digests.length; i += 500) {
      const part = digests.slice(i, i + 500);
      for (const r of await this.sql.all<{ ref: string; digest: string }>(`SELECT ref, digest FROM refs WHERE digest IN (${part.map(() => '?').join(',')}) ORDER BY ref`, part)) {
        const l = out.get(r.digest);
        if (l) l.push(r.ref);
        else out.set(r.digest, [r.ref]);
      }
    }
    return out;
  }

  async image(digest: string): Promise<(ImageRow & { findings: MonitoredFinding[]; layers: string[]; sbom: StoredSbom | null; running: string[] }) | undefined> {
    const r = (await this.sql.all<ImageDb & { layers: string | null; sbom: string | null }>(
      'SELECT digest, ref, state, error, verdict, reasons, counts, db_digest, scanned_at, matched_at, package_count, os, attestation, layers, sbom FROM images WHERE digest = ?',
      [digest],
    ))[0];
    if (!r) return undefined;
    const refs = await this.sql.all<{ ref: string; running: string }>('SELECT ref, running FROM refs WHERE digest = ? ORDER BY ref', [digest]);
    const findings = (await this.findingsOf([digest])).get(digest)!;
    return {
      ...imageRow(r, refs.map((x) => x.ref)),
      findings,
      layers: parse(r.layers, []),
      sbom: parse<StoredSbom | null>(r.sbom, null),
      running: [...new Set(refs.flatMap((x) => parse<string[]>(x.running, [])))],
    };
  }

  async imageCount(): Promise<{ total: number; byVerdict: Record<string, number>; byState: Record<string, number> }> {
    const rows = await this.sql.all<{ verdict: string | null; state: string; n: number }>('SELECT verdict, state, COUNT(*) AS n FROM images GROUP BY verdict, state');
    const byVerdict: Record<string, number> = {};
    const byState: Record<string, number> = {};
    let total = 0;
    for (const r of rows) {
      const n = Number(r.n);
      total += n;
      byVerdict[r.verdict ?? 'unscanned'] = (byVerdict[r.verdict ?? 'unscanned'] ?? 0) + n;
      byState[r.state] = (byState[r.state] ?? 0) + n;
    }
    return { total, byVerdict, byState };
  }

  /** Current findings of every image with this id (or alias-free id), joined with the references that name the image. */
  async findingsById(id: string, limit = 1000): Promise<FindingHit[]> {
    // CVE ids are upper case; GHSA ids keep their lower-case parts: both spellings are asked.
    return this.hits('(f.id = ? OR f.id = ?)', [id.trim(), id.trim().toUpperCase()], limit);
  }

  /** How many finding rows an id or a package has (the search page shows the first 200 of them). */
  async countFindings(by: 'id' | 'package', value: string): Promise<number> {
    const v = value.trim();
    const r = by === 'id'
      ? await this.sql.all<{ n: number }>('SELECT COUNT(*) AS n FROM findings WHERE id = ? OR id = ?', [v, v.toUpperCase()])
      : await this.sql.all<{ n: number }>('SELECT COUNT(*) AS n FROM findings WHERE package = ?', [v]);
    return Number(r[0]?.n ?? 0);
  }

  /** Current findings of a package (by exact name). */
  async findingsByPackage(name: string, limit = 1000): Promise<FindingHit[]> {
    return this.hits('f.package = ?', [name.trim()], limit);
  }

  /** Packages by name across stored SBOMs would need a scan of every SBOM; the finding rows answer "which images have a vulnerable X". */
  private async hits(where: string, params: Param[], limit: number): Promise<FindingHit[]> {
    const rows = await this.sql.all<{ ref: string | null; iref: string; digest: string; id: string; severity: string; package: string | null; version: string | null; fixed_in: string | null; path: string | null; url: string | null; suppressed: string | null; running: string | null }>(
      `SELECT r.ref, i.ref AS iref, f.digest, f.id, f.severity, f.package, f.version, f.fixed_in, f.path, f.url, f.suppressed, r.running
       FROM findings f JOIN images i ON i.digest = f.digest LEFT JOIN refs r ON r.digest = f.digest
       WHERE ${where} ORDER BY COALESCE(r.ref, i.ref), f.package LIMIT ?`,
      [...params, limit],
    );
    return rows.map((r) => ({
      ref: r.ref ?? r.iref,
      digest: r.digest,
      id: r.id,
      severity: r.severity,
      package: r.package,
      version: r.version,
      fixedIn: r.fixed_in,
      path: r.path,
      url: r.url,
      suppressed: r.suppressed !== null,
      running: parse(r.running, []),
    }));
  }
}
