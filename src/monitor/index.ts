/** The monitor's public surface: config, store, rounds and workers, the HTTP server, and the long-running serve loop. */
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describeError, ShipshapeError } from '../errors.js';
import type { Policy } from '../policy/types.js';
import type { MonitorConfig } from './config.js';
import { closeContext, runRound, runWorker, sleepUnless, type AttestFn, type MonitorContext } from './engine.js';
import { openStore } from './store/index.js';
import { createMonitorServer } from './web/server.js';

export { loadConfig, parseConfig, type MonitorConfig, type WatchEntry, type AlertTarget } from './config.js';
export { openStore, defaultStorePath, MonitorStore, LeaseLost, type ImageRow, type FindingHit } from './store/index.js';
export { runRound, runWorker, workOnce, discover, closeRound, closeContext, refByDigest, type MonitorContext, type AttestFn, type RoundResult } from './engine.js';
export { judge, diffFindings, findingKey, readStoredSbom } from './judge.js';
export { importPods, importDecisionLog, nameGlob } from './watch.js';
export { alertDigest, alertBody, signature, sendAlerts } from './alerts.js';
export { createMonitorServer, authorized } from './web/server.js';
export type * from './types.js';

export interface ContextOptions {
  store?: string;
  cacheDir: string | null;
  attest?: AttestFn;
  log?: (m: string) => void;
  leaseMs?: number;
  poolSize?: number;
}

/** Opens the store the flags or config name and loads the policy: everything a round or a worker needs. */
export async function openContext(config: MonitorConfig, opts: ContextOptions): Promise<MonitorContext> {
  let policy: Policy | null = null;
  if (config.policy) {
    const { loadPolicy } = await import('../policy/load.js');
    policy = loadPolicy(config.policy);
  }
  const store = await openStore(opts.store ?? config.store, { poolSize: opts.poolSize ?? 4 });
  return {
    store,
    config,
    policy,
    failOn: config.failOn,
    registry: { timeoutMs: 30_000 },
    cacheDir: opts.cacheDir,
    ...(opts.attest ? { attest: opts.attest } : {}),
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.leaseMs ? { leaseMs: opts.leaseMs } : {}),
  };
}

export async function closeMonitor(ctx: MonitorContext): Promise<void> {
  closeContext(ctx);
  await ctx.store.close();
}

/** `host:port` → listen arguments; loopback by default. */
export function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(s.trim()) ?? /^()()(\d{1,5})$/.exec(s.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new ShipshapeError('usage', `--listen: expected HOST:PORT such as 127.0.0.1:8080, not "${s}"`);
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

export interface ServeOptions {
  listen: { host: string; port: number };
  token: string;
  workers: number;
  /** Also update the advisory database on the config's schedule. */
  onListening?: (url: string) => void;
}

/**
 * `monitor serve`: the HTTP server, N workers, and the scheduler: a round at start, on every
 * new database digest (checked every dbPoll), and every interval (new tags, cluster imports).
 */
export async function serve(ctx: MonitorContext, opts: ServeOptions, signal: AbortSignal): Promise<void> {
  const server = createMonitorServer(ctx.store, { token: opts.token });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new ShipshapeError('io', `cannot listen on ${opts.listen.host}:${opts.listen.port}: ${describeError(err)}`, { cause: err })));
    server.listen(opts.listen.port, opts.listen.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  opts.onListening?.(`http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`);
  const workers = Array.from({ length: opts.workers }, (_, i) => runWorker(ctx, `serve-${process.pid}-${i}`, signal));
  const scheduler = schedule(ctx, signal);
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await Promise.allSettled([...workers, scheduler]);
}

async function schedule(ctx: MonitorContext, signal: AbortSignal): Promise<void> {
  const wait = (ms: number) => sleepUnless(ms, signal);
  let lastRound = 0;
  let lastUpdate = Date.now();
  const round = async (reason: string) => {
    try {
      const r = await runRound(ctx, { reason, work: false, wait: true });
      ctx.log?.(`round ${r.roundId} done: ${Object.entries(r.events).map(([k, n]) => `${n} ${k}`).join(', ') || 'no change'}${r.alertsSent ? `, ${r.alertsSent} alert(s) sent` : ''}`);
    } catch (err) {
      ctx.log?.(`round (${reason}) failed: ${describeError(err)}`);
    }
    lastRound = Date.now();
  };
  await round('start');
  while (!signal.aborted) {
    await wait(Math.min(ctx.config.dbPollMs, ctx.config.intervalMs));
    if (signal.aborted) break;
    const u = ctx.config.dbUpdate;
    if (u && Date.now() - lastUpdate >= u.everyMs) {
      lastUpdate = Date.now();
      await updateDb(ctx, u).catch((err) => ctx.log?.(`db update failed, the previous database stays: ${describeError(err)}`));
    }
    let current: string | undefined;
    try {
      const { openDb } = await import('../db/open.js');
      const db = openDb(ctx.config.advisoryDb);
      current = db.status().digest;
      db.close();
    } catch (err) {
      ctx.log?.(`advisory database: ${describeError(err)}`);
    }
    const last = (await ctx.store.rounds(1))[0];
    if (current && last && last.dbDigest !== current) await round('db-change');
    else if (Date.now() - lastRound >= ctx.config.intervalMs) await round('interval');
  }
}

async function updateDb(ctx: MonitorContext, u: Exclude<MonitorConfig['dbUpdate'], false>): Promise<void> {
  const [{ buildDb }, { feeds }] = await Promise.all([import('../db/index.js'), import('../feeds/registry.js')]);
  const chosen = u.feeds ? feeds.filter((f) => u.feeds!.includes(f.id)) : undefined;
  await buildDb({
    path: ctx.config.advisoryDb,
    ...(u.mirror ? { mirror: u.mirror } : {}),
    ...(chosen ? { feeds: chosen } : {}),
    cacheDir: path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'shipshape', 'feeds'),
  });
}
