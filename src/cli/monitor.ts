/** `shipshape monitor serve|rescan|worker|import`: flags, output and exit codes; the work is in src/monitor. */
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { ShipshapeError } from '../errors.js';
import { cacheHome, parseDuration, warn, writeOutput } from './common.js';

interface MonitorFlags {
  config: string;
  store?: string;
  quiet?: boolean;
  cache: boolean;
  cacheDir?: string;
}

const common = (c: Command) =>
  c
    .requiredOption('-c, --config <file>', 'monitor config (monitor.yaml)')
    .option('--store <path|url>', 'SQLite file or postgres://… URL (default: the config\'s store, else $XDG_DATA_HOME/shipshape/monitor.db)')
    .option('--no-cache', 'do not read or write the layer cache')
    .option('--cache-dir <dir>', 'layer cache directory', path.join(cacheHome(), 'layers'))
    .option('-q, --quiet', 'no log lines on stderr');

async function context(flags: MonitorFlags, extra: { leaseMs?: number; poolSize?: number } = {}) {
  const m = await import('../monitor/index.js');
  const config = m.loadConfig(flags.config);
  const log = flags.quiet ? undefined : (msg: string) => process.stderr.write(`shipshape monitor: ${msg}\n`);
  const attest = config.attestKey ? await (await import('../monitor/attest.js')).attestWithKey(config.attestKey, config.watch) : undefined;
  const ctx = await m.openContext(config, {
    ...(flags.store ? { store: flags.store } : {}),
    cacheDir: flags.cache ? (config.cacheDir ?? flags.cacheDir ?? path.join(cacheHome(), 'layers')) : null,
    ...(attest ? { attest } : {}),
    ...(log ? { log } : {}),
    ...extra,
  });
  return { m, ctx, config };
}

/** SIGINT/SIGTERM end a long-running command cleanly: listeners closed, jobs in hand finished or left to their lease. */
function stopSignal(): AbortSignal {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return ac.signal;
}

export function registerMonitor(program: Command): void {
  const mon = program.command('monitor').description('keep watched images scanned: re-match on every database update, alerts, dashboard, workers');

  common(mon.command('serve').description('run the scheduler, workers and the web dashboard (token from SHIPSHAPE_MONITOR_TOKEN)'))
    .option('--listen <host:port>', 'address of the dashboard and API', '127.0.0.1:8080')
    .option('--workers <n>', 'scan workers in this process (default: the config\'s workers, 2)')
    .action(async (flags: MonitorFlags & { listen: string; workers?: string }) => {
      const token = process.env.SHIPSHAPE_MONITOR_TOKEN ?? '';
      if (token.length < 16) throw new ShipshapeError('usage', 'SHIPSHAPE_MONITOR_TOKEN must be set to a secret of at least 16 characters: the dashboard and API need it');
      const { parseListen, serve } = await import('../monitor/index.js');
      const listen = parseListen(flags.listen);
      const workers = flags.workers === undefined ? undefined : Number(flags.workers);
      if (workers !== undefined && !(Number.isInteger(workers) && workers >= 0 && workers <= 64)) throw new ShipshapeError('usage', `--workers: expected 0..64, not "${flags.workers}"`);
      const { m, ctx, config } = await context(flags);
      try {
        await serve(ctx, { listen, token, workers: workers ?? config.workers, onListening: (url) => !flags.quiet && process.stderr.write(`shipshape monitor: dashboard on ${url}\n`) }, stopSignal());
      } finally {
        await m.closeMonitor(ctx);
      }
    });

  common(mon.command('rescan').description('start a round now: new tags and digests are scanned, stored SBOMs re-matched against the current database'))
    .option('--no-work', 'only queue the jobs and wait: `monitor worker` processes do them')
    .option('--no-wait', 'queue the jobs and return')
    .option('-f, --format <format>', 'table or json', 'table')
    .option('-o, --output <file>', 'write the round summary to a file instead of stdout')
    .option('--timeout <duration>', 'give up waiting after this long', '1h')
    .option('--batch-size <n>', 'stored SBOMs per re-match job', '200')
    .action(async (flags: MonitorFlags & { work: boolean; wait: boolean; format: string; output?: string; timeout: string; batchSize: string }) => {
      if (!['table', 'json'].includes(flags.format)) throw new ShipshapeError('usage', `--format: expected table or json, not "${flags.format}"`);
      const timeoutMs = parseDuration(flags.timeout, '--timeout');
      const batchSize = Number(flags.batchSize);
      if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 100_000)) throw new ShipshapeError('usage', `--batch-size: expected 1..100000, not "${flags.batchSize}"`);
      const { m, ctx } = await context(flags);
      ctx.batchSize = batchSize;
      try {
        const r = await m.runRound(ctx, { reason: 'rescan', work: flags.work, wait: flags.wait, timeoutMs });
        for (const e of r.discover.errors) warn(`${e.ref}: ${e.error}`, flags.quiet);
        if (flags.format === 'json') writeOutput(`${JSON.stringify(r, null, 2)}\n`, flags.output);
        else {
          const ev = Object.entries(r.events).map(([k, n]) => `${n} ${k}`).join(', ') || 'no change';
          writeOutput(`round ${r.roundId}: ${r.discover.refs} reference(s), ${r.scans} scanned, ${r.rematches} re-matched (db ${r.db.digest.slice(0, 19)}): ${ev}${r.alertsSent ? `; ${r.alertsSent} alert(s) sent` : ''}\n`, flags.output);
        }
      } finally {
        await m.closeMonitor(ctx);
      }
    });

  common(mon.command('worker').description('take jobs from the shared store (PostgreSQL for several machines) until stopped'))
    .option('--lease <duration>', 'how long a job is held before another worker may take it over', '60s')
    .option('--id <name>', 'worker name in the job queue (default host-pid)')
    .option('--once', 'exit when no job is queued or running')
    .option('--concurrency <n>', 'jobs at once in this process', '1')
    .option('--poll <duration>', 'how often an idle worker looks for jobs', '1s')
    .action(async (flags: MonitorFlags & { lease: string; id?: string; once?: boolean; concurrency: string; poll: string }) => {
      const leaseMs = parseDuration(flags.lease, '--lease');
      const pollMs = parseDuration(flags.poll, '--poll');
      const n = Number(flags.concurrency);
      if (!(Number.isInteger(n) && n >= 1 && n <= 64)) throw new ShipshapeError('usage', `--concurrency: expected 1..64, not "${flags.concurrency}"`);
      const { m, ctx } = await context(flags, { leaseMs, poolSize: n + 1 });
      const id = flags.id ?? `${os.hostname()}-${process.pid}`;
      try {
        if (flags.once) {
          // Done when nothing is queued or held: a job leased by a dead worker is waited for and taken over.
          await Promise.all(Array.from({ length: n }, async (_, i) => {
            for (;;) {
              if (await m.workOnce(ctx, `${id}-${i}`)) continue;
              const c = await ctx.store.jobCounts();
              if (!c.queued && !c.running) break;
              await new Promise((r) => setTimeout(r, Math.min(pollMs, 250)));
            }
          }));
        } else {
          const signal = stopSignal();
          await Promise.all(Array.from({ length: n }, (_, i) => m.runWorker(ctx, `${id}-${i}`, signal, pollMs)));
        }
      } finally {
        await m.closeMonitor(ctx);
      }
    });

  common(mon.command('import').description('add running images to the watch list now: kubectl get pods -A -o json output, or the admission decision log'))
    .option('--pods <file>', 'kubectl get pods -A -o json output ("-" for stdin)')
    .option('--decision-log <file>', 'admission decision log (JSON lines)')
    .action(async (flags: MonitorFlags & { pods?: string; decisionLog?: string }) => {
      if (!flags.pods && !flags.decisionLog) throw new ShipshapeError('usage', 'monitor import: give --pods FILE or --decision-log FILE');
      const watch = await import('../monitor/watch.js');
      const refs = [
        ...(flags.pods ? watch.importPods(watch.readImportFile(flags.pods), flags.pods) : []),
        ...(flags.decisionLog ? watch.importDecisionLog(watch.readImportFile(flags.decisionLog)) : []),
      ];
      const { m, ctx } = await context(flags);
      try {
        const errors: Array<{ ref: string; error: string }> = [];
        const { resolveDigests } = await import('../monitor/engine.js');
        const resolved = await resolveDigests(ctx, refs, errors);
        const fresh = await ctx.store.recordRefs(resolved);
        for (const e of errors) warn(`${e.ref}: ${e.error}`, flags.quiet);
        writeOutput(`imported ${resolved.length} reference(s), ${fresh.length} new digest(s)${errors.length ? `, ${errors.length} unresolved` : ''}\n`, undefined);
      } finally {
        await m.closeMonitor(ctx);
      }
    });
}
