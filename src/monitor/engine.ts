/**
 * Rounds and workers: a round resolves the watch list, queues a scan for each new digest and a
 * re-match for each stored SBOM judged against another database, waits for its jobs, then sends
 * one alert digest. Workers (in the serve process or `monitor worker` processes) take jobs from
 * the store's queue under a lease; a job's results are committed with its completion, once.
 */
import { statSync } from 'node:fs';
import { openDb, type AdvisoryDb } from '../db/open.js';
import { describeError, ShipshapeError } from '../errors.js';
import { matchMemoFor } from '../match/index.js';
import type { ScanReport, Severity } from '../model/index.js';
import type { Policy } from '../policy/types.js';
import type { RegistryOptions } from '../registry/index.js';
import { sendAlerts, type SendOptions } from './alerts.js';
import type { MonitorConfig } from './config.js';
import { diffFindings, findingsChanged, judge, readStoredSbom, type JudgeOptions } from './judge.js';
import { LeaseLost, type MonitorStore } from './store/index.js';
import type { Job, JobSpec, Judgement, StoredConfig, StoredSbom, WatchedRef } from './types.js';
import { discoverRegistry, importDecisionLog, importPods, openOptionsFor, readImportFile, registryOptions } from './watch.js';

/** Re-attests an image after a verdict flip (promote's attest(), injected so the monitor runs without a key). */
export type AttestFn = (image: string, report: ScanReport) => Promise<void>;

export interface MonitorContext {
  store: MonitorStore;
  config: MonitorConfig;
  policy: Policy | null;
  /** Default verdict threshold when the policy does not set failOn. */
  failOn?: Severity;
  registry?: RegistryOptions;
  cacheDir: string | null;
  attest?: AttestFn;
  alerts?: SendOptions;
  log?: (message: string) => void;
  /** Stored SBOMs per re-match job. */
  batchSize?: number;
  leaseMs?: number;
}

const REMATCH_BATCH = 200;

/** The advisory database, reopened only when its file changes (a new build is renamed into place). */
class DbHandle {
  private db: AdvisoryDb | undefined;
  private stamp = '';
  constructor(private readonly file: string) {}

  get(): AdvisoryDb {
    let st;
    try {
      st = statSync(this.file);
    } catch {
      throw new ShipshapeError('not-found', `no advisory database at ${this.file}: run shipshape db build or db update`);
    }
    const stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    if (!this.db || stamp !== this.stamp) {
      this.db?.close();
      this.db = openDb(this.file);
      this.stamp = stamp;
    }
    return this.db;
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }
}

const handles = new WeakMap<MonitorContext, DbHandle>();
function dbOf(ctx: MonitorContext): AdvisoryDb {
  let h = handles.get(ctx);
  if (!h) handles.set(ctx, (h = new DbHandle(ctx.config.advisoryDb)));
  return h.get();
}

/** Releases what a context holds open (the advisory database). */
export function closeContext(ctx: MonitorContext): void {
  handles.get(ctx)?.close();
  handles.delete(ctx);
}

export interface DiscoverSummary {
  refs: number;
  newDigests: string[];
  errors: Array<{ ref: string; error: string }>;
}

/** Resolves the watch list now: registry tags to digests, cluster imports; records refs and errors. */
export async function discover(ctx: MonitorContext): Promise<DiscoverSummary> {
  const found: WatchedRef[] = [];
  const errors: DiscoverSummary['errors'] = [];
  for (const w of ctx.config.watch) {
    const r = await discoverRegistry(w, ctx.registry ?? {});
    found.push(...r.refs);
    for (const repo of new Set(r.refs.map((x) => x.repository))) await ctx.store.clearRepositoryError(w.registry, repo);
    for (const e of r.errors) {
      errors.push({ ref: e.ref, error: e.error });
      // A tag that failed is kept with its error; a repository or registry that failed marks every reference known there.
      if (e.ref.includes(':', e.registry.length + 1) || e.ref.includes('@')) await ctx.store.refError({ ref: e.ref, registry: e.registry, repository: e.repository, source: 'registry' }, e.error);
      else if ((await ctx.store.registryError(e.registry, e.repository || null, e.error)) === 0) {
        // Nothing known there yet: the repository itself is kept with its error, so the dashboard shows it.
        await ctx.store.refError({ ref: e.ref, registry: e.registry, repository: e.repository, source: 'registry' }, e.error);
      }
    }
  }
  const imported: WatchedRef[] = [];
  if (ctx.config.cluster.pods) imported.push(...importPods(readImportFile(ctx.config.cluster.pods), ctx.config.cluster.pods));
  if (ctx.config.cluster.decisionLog) imported.push(...importDecisionLog(readImportFile(ctx.config.cluster.decisionLog)));
  found.push(...(await resolveDigests(ctx, imported, errors)));
  const newDigests = await ctx.store.recordRefs(found);
  return { refs: found.length, newDigests, errors };
}

/** Cluster images named by tag only (no imageID yet): resolved once through their registry. */
export async function resolveDigests(ctx: MonitorContext, refs: WatchedRef[], errors: DiscoverSummary['errors']): Promise<WatchedRef[]> {
  const out: WatchedRef[] = [];
  const { RegistryClient } = await import('../registry/index.js');
  for (const r of refs) {
    if (r.digest) {
      out.push(r);
      continue;
    }
    const w = ctx.config.watch.find((x) => x.registry === r.registry);
    const client = new RegistryClient(r.registry, { ...(w ? registryOptions(w, ctx.registry ?? {}) : { ...ctx.registry, credentialsFor: '' }), retry: { tries: 2, baseDelayMs: 200 } });
    try {
      const head = await client.headManifest(r.repository, r.tag ?? 'latest');
      out.push({ ...r, digest: head.digest });
    } catch (err) {
      errors.push({ ref: r.ref, error: describeError(err) });
      await ctx.store.refError(r, describeError(err));
    } finally {
      await client.close();
    }
  }
  return out;
}

export interface RoundResult {
  roundId: number;
  db: { digest: string; builtAt: string };
  scans: number;
  rematches: number;
  discover: DiscoverSummary;
  events: Record<string, number>;
  alertsSent: number;
  finished: boolean;
}

/**
 * One round: discover, queue scans of new digests and re-matches of SBOMs judged against another
 * database, then (with `wait`) work or wait until the round's jobs are done, and close it.
 */
export async function runRound(ctx: MonitorContext, opts: { reason: string; work?: boolean; wait?: boolean; owner?: string; timeoutMs?: number } = { reason: 'manual' }): Promise<RoundResult> {
  const status = dbOf(ctx).status();
  const db = { digest: status.digest, builtAt: status.builtAt };
  const disc = await discover(ctx);
  const roundId = await ctx.store.startRound(opts.reason, db.digest);
  const jobs: JobSpec[] = [];
  const unscanned = await ctx.store.unscanned();
  for (const u of unscanned) jobs.push({ key: `scan:${u.digest}:r${roundId}`, kind: 'scan', payload: { digest: u.digest, ref: u.ref }, roundId, maxAttempts: 3 });
  const stale = await ctx.store.staleMatches(db.digest);
  const size = ctx.batchSize ?? REMATCH_BATCH;
  for (let i = 0; i < stale.length; i += size) {
    jobs.push({ key: `rematch:r${roundId}:${i / size}`, kind: 'rematch', payload: { digests: stale.slice(i, i + size) }, roundId, maxAttempts: 5 });
  }
  await ctx.store.enqueue(jobs);
  ctx.log?.(`round ${roundId} (${opts.reason}): ${disc.refs} reference(s), ${unscanned.length} to scan, ${stale.length} to re-match against db ${db.digest.slice(0, 19)}`);
  let finished = false;
  let alertsSent = 0;
  if (opts.wait !== false) {
    const deadline = Date.now() + (opts.timeoutMs ?? 3600_000);
    const owner = opts.owner ?? `round-${process.pid}`;
    while ((await ctx.store.openJobs(roundId)) > 0) {
      if (Date.now() > deadline) throw new ShipshapeError('internal', `round ${roundId} did not finish in time: are workers running?`);
      const did = opts.work !== false ? await workOnce(ctx, owner) : false;
      if (!did) await sleep(200);
    }
    const r = await closeRound(ctx, roundId, db.digest, { scans: unscanned.length, rematches: stale.length });
    finished = r.closed;
    alertsSent = r.alertsSent;
  }
  const events: Record<string, number> = {};
  for (const e of await ctx.store.events({ roundId, limit: 100_000 })) events[e.kind] = (events[e.kind] ?? 0) + 1;
  return { roundId, db, scans: unscanned.length, rematches: stale.length, discover: disc, events, alertsSent, finished };
}

/** Closes a round (once, across processes) and sends its alert digest. */
export async function closeRound(ctx: MonitorContext, roundId: number, dbDigest: string, summary: Record<string, unknown>): Promise<{ closed: boolean; alertsSent: number }> {
  const closed = await ctx.store.finishRound(roundId, summary);
  if (!closed) return { closed: false, alertsSent: 0 };
  const alertsSent = await sendAlerts(ctx.store, roundId, dbDigest, ctx.config.alerts, ctx.alerts);
  return { closed, alertsSent };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sleeps `ms`, or less when `signal` aborts; the abort listener is removed either way (no leak per idle poll). */
export function sleepUnless(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Claims one job and runs it; false when the queue had nothing ready. */
export async function workOnce(ctx: MonitorContext, owner: string): Promise<boolean> {
  const leaseMs = ctx.leaseMs ?? 60_000;
  const job = await ctx.store.claim(owner, leaseMs);
  if (!job) return false;
  // The lease is renewed while the job runs; a worker that stops renewing (killed) loses it.
  let lost = false;
  const timer = setInterval(() => {
    ctx.store.heartbeat(job, owner, leaseMs).then(
      (held) => void (lost ||= !held),
      () => undefined,
    );
  }, Math.max(200, Math.floor(leaseMs / 3)));
  try {
    if (job.kind === 'scan') await runScan(ctx, job, owner);
    else if (job.kind === 'rematch') await runRematch(ctx, job, owner);
    else await ctx.store.fail(job, owner, `unknown job kind ${String(job.kind)}`, 0);
  } catch (err) {
    if (err instanceof LeaseLost || lost) {
      ctx.log?.(`job ${job.key}: lease lost, another worker has it`);
    } else {
      const msg = describeError(err);
      const retryMs = Math.min(300_000, 2000 * 2 ** (job.attempts - 1));
      const outcome = await ctx.store.fail(job, owner, msg, retryMs);
      ctx.log?.(`job ${job.key} failed (attempt ${job.attempts}/${job.maxAttempts}, ${outcome === 'retry' ? `retry in ${retryMs / 1000}s` : 'giving up'}): ${msg}`);
    }
  } finally {
    clearInterval(timer);
  }
  return true;
}

/** A worker loop: takes jobs until `signal` aborts; idles between polls when the queue is empty. */
export async function runWorker(ctx: MonitorContext, owner: string, signal: AbortSignal, idleMs = 1000): Promise<void> {
  while (!signal.aborted) {
    let did = false;
    try {
      did = await workOnce(ctx, owner);
    } catch (err) {
      ctx.log?.(`worker ${owner}: ${describeError(err)}`);
    }
    if (!did) await sleepUnless(idleMs, signal);
  }
}

function judgeOpts(ctx: MonitorContext, db: AdvisoryDb, config: StoredConfig | null): JudgeOptions {
  const s = db.status();
  return {
    policy: ctx.policy,
    failOn: ctx.failOn ?? 'critical',
    db: { digest: s.digest, builtAt: s.builtAt },
    memo: matchMemoFor(s),
    now: new Date(),
    imageChecks: { ids: ctx.config.imageChecks ?? [], maxImageAgeDays: (ctx.config.maxImageAgeMs ?? 90 * 86_400_000) / 86_400_000, config },
  };
}

function storedConfig(text: string | null): StoredConfig | null {
  if (!text) return null;
  try {
    const c = JSON.parse(text) as StoredConfig | null;
    return c && typeof c === 'object' ? c : null;
  } catch {
    return null;
  }
}

/** Scans a new digest through the scan pipeline (layers, with the layer cache), then stores its SBOM and judgement once. */
async function runScan(ctx: MonitorContext, job: Job, owner: string): Promise<void> {
  const { digest, ref } = job.payload as { digest: string; ref: string };
  if (await ctx.store.hasSbom(digest)) {
    await ctx.store.complete(job, owner, async () => undefined);
    return;
  }
  const { parseReference } = await import('../image/index.js');
  const parsed = parseReference(ref);
  if (parsed.kind !== 'registry') throw new ShipshapeError('bad-reference', `${ref} is not a registry image`);
  const byDigest = parseReference(`${parsed.registry}/${parsed.repository}@${digest}`);
  // The scan pipeline's one pass over the layers (with the layer cache): the inventory is what is stored.
  const [{ openImage }, { inventory }] = await Promise.all([import('../image/index.js'), import('../scan/index.js')]);
  let sbom: StoredSbom;
  let layers: string[];
  let config: StoredConfig;
  try {
    const image = await openImage(byDigest, openOptionsFor(parsed.registry, ctx.config.watch, ctx.registry ?? {}));
    try {
      const inv = await inventory(image, { cacheDir: ctx.cacheDir });
      sbom = { schema: 1, os: inv.os, packages: inv.packages };
      layers = image.layers.map((l) => l.diffId);
      const c = image.config;
      config = { ...(c.created ? { created: c.created } : {}), ...(c.config?.Labels ? { labels: c.config.Labels } : {}) };
    } finally {
      await image.close();
    }
  } catch (err) {
    await ctx.store.markImage(digest, 'error', describeError(err));
    throw err;
  }
  const db = dbOf(ctx);
  const j = judge(sbom, digest, ref, db, judgeOpts(ctx, db, config));
  await ctx.store.complete(job, owner, async (q) => {
    const first = await ctx.store.putSbom(q, digest, sbom, { layers, config });
    if (!first) return; // another worker stored it: its judgement stands
    await ctx.store.putJudgement(q, digest, j, true);
    await ctx.store.addEvents(q, job.roundId, [{ digest, kind: 'scanned', fkey: '', detail: { ref, verdict: j.verdict, counts: j.counts, packages: sbom.packages.length } }]);
  });
}

/** Re-matches stored SBOMs against the current database: no layer is read. */
async function runRematch(ctx: MonitorContext, job: Job, owner: string): Promise<void> {
  const digests = (job.payload as { digests: string[] }).digests;
  const db = dbOf(ctx);
  const base = judgeOpts(ctx, db, null);
  const rows = await ctx.store.sboms(digests);
  const judged: Array<{ digest: string; ref: string; verdict: string | null; sig: string | null; j: Judgement }> = [];
  const corrupt: Array<{ digest: string; error: string }> = [];
  for (const r of rows) {
    let sbom: StoredSbom;
    try {
      sbom = readStoredSbom(r.sbom, r.digest);
    } catch (err) {
      corrupt.push({ digest: r.digest, error: describeError(err) });
      continue;
    }
    const opts = { ...base, imageChecks: { ...base.imageChecks!, config: storedConfig(r.config) } };
    judged.push({ digest: r.digest, ref: r.ref, verdict: r.verdict, sig: r.findings_sig, j: judge(sbom, r.digest, r.ref, db, opts) });
  }
  // Most images do not change with one database update: their signatures say so without reading their findings.
  const unchanged = judged.filter((x) => x.sig === x.j.signature && x.verdict === x.j.verdict);
  const touched = judged.filter((x) => !(x.sig === x.j.signature && x.verdict === x.j.verdict));
  const prev = await ctx.store.findingsOf(touched.map((x) => x.digest));
  const results = touched.map((x) => {
    const before = prev.get(x.digest) ?? [];
    const changed = x.sig !== x.j.signature || findingsChanged(before, x.j.findings);
    return { ...x, changed, events: diffFindings(x.digest, before, x.j.findings, x.verdict, x.j.verdict), flipped: x.verdict !== null && x.verdict !== x.j.verdict };
  });
  await ctx.store.complete(job, owner, async (q) => {
    for (const c of corrupt) {
      await ctx.store.markImage(c.digest, 'corrupt', c.error, q);
      await ctx.store.addEvents(q, job.roundId, [{ digest: c.digest, kind: 'error', fkey: '', detail: { error: c.error } }]);
    }
    await ctx.store.putUnchanged(q, unchanged);
    for (const r of results) {
      await ctx.store.putJudgement(q, r.digest, r.j, r.changed);
      if (r.events.length) await ctx.store.addEvents(q, job.roundId, r.events);
    }
  });
  for (const c of corrupt) ctx.log?.(`image ${c.digest}: ${c.error}`);
  // After the commit: a flip re-attests (a failed attestation is recorded on the image, not retried as the job).
  if (ctx.attest) {
    for (const r of results.filter((x) => x.flipped)) {
      const at = Date.now();
      try {
        await ctx.attest(refByDigest(r.ref, r.digest), r.j.report!);
        await ctx.store.setAttestation(r.digest, { at, verdict: r.j.verdict, ok: true });
        await ctx.store.addEvents(ctx.store.sql, job.roundId, [{ digest: r.digest, kind: 'attested', fkey: '', detail: { verdict: r.j.verdict } }]);
      } catch (err) {
        await ctx.store.setAttestation(r.digest, { at, verdict: r.j.verdict, ok: false, error: describeError(err) });
        ctx.log?.(`re-attesting ${r.ref} failed: ${describeError(err)}`);
      }
    }
  }
}

/** `host/repo:tag` + digest → `host/repo@digest`: attestations are attached by digest, never by tag. */
export function refByDigest(ref: string, digest: string): string {
  const at = ref.indexOf('@');
  const base = at >= 0 ? ref.slice(0, at) : ref.replace(/:[^:/]+$/, '');
  return `${base}@${digest}`;
}
