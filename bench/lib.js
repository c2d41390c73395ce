/** What every benchmark script shares: the machine line, timed and measured child runs, medians. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const shared = path.resolve(root, '../shared');
// BENCH_BIN=path/to/bin/shipshape measures another build (e.g. main's, for before/after figures).
export const bin = process.env.BENCH_BIN ? path.resolve(process.env.BENCH_BIN) : path.join(root, 'bin', 'shipshape');
export const runs = Number(process.env.BENCH_RUNS ?? 5);

/** `load average: 1.2, 0.8, 0.5` as `uptime` prints it (from /proc/loadavg where there is no uptime). */
export function load() {
  const r = spawnSync('uptime', [], { encoding: 'utf8' });
  if (r.status === 0) return r.stdout.trim().replace(/^.*?(load average)/, '$1');
  return `load average: ${os.loadavg().map((x) => x.toFixed(2)).join(', ')}`;
}

/** One line naming the machine: figures only mean something next to it. */
export function machine() {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown cpu'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()}-${os.arch()}`;
}

const rssHook = path.join(root, 'bench', 'rss-hook.js');

/**
 * Runs a command; returns its wall time in ms. With `{ rss: true }` (node commands only) the child
 * reports its peak resident set size (KiB) and its CPU time (user + system, all threads, ms), less
 * sensitive to other load than wall time, and the main thread's own CPU time (Linux); all are returned too.
 */
export function run(cmd, args, opts = {}) {
  const { rss, ...spawnOpts } = opts;
  const fullArgs = rss ? ['--import', rssHook, ...args] : args;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, fullArgs, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 << 20, ...spawnOpts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const stderr = r.stderr?.toString() ?? '';
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${stderr}`);
  const m = /shipshape-bench-rss=(\d+) cpu=(\d+)(?: main=(-?\d+))?/.exec(stderr);
  const mainMs = m?.[3] !== undefined && Number(m[3]) >= 0 ? Number(m[3]) / 1000 : undefined;
  return { ms, rssKiB: m ? Number(m[1]) : undefined, cpuMs: m ? Number(m[2]) / 1000 : undefined, mainMs, stdout: r.stdout };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Interleaved runs: round i runs every case once, in order, so a change of machine load hits all
 * cases alike; returns each case's median wall time (ms).
 */
export function interleaved(cases, n = runs) {
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let i = 0; i < n; i++) for (const [k, fn] of Object.entries(cases)) times[k].push(fn());
  return Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, median(xs)]));
}

/** `name  1.23x  (… ms vs base … ms; goal <= g)` */
export function row(name, ms, baseName, baseMs, goal) {
  console.log(`${name.padEnd(34)} ${(ms / baseMs).toFixed(2).padStart(6)}x  (${ms.toFixed(0)} ms vs ${baseName} ${baseMs.toFixed(0)} ms; goal <= ${goal})`);
}

export function header(title) {
  console.log(`${title}\n  machine: ${machine()}\n  before: ${load()}`);
}

export function footer() {
  console.log(`  after: ${load()}`);
}

/** The layer blobs of an OCI layout's first image, in order. */
export function ociLayers(layout) {
  const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8'));
  const blob = (d) => path.join(layout, 'blobs', ...d.split(':'));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
  return manifest.layers.map((l) => ({ ...l, file: blob(l.digest) }));
}

/** `gzip -dc` of the files one after the other, output discarded: the one-core decompression floor. */
export function gunzipFiles(files) {
  return run('sh', ['-c', `for f in ${files.map((f) => `'${f}'`).join(' ')}; do gzip -dc "$f" >/dev/null; done`]).ms;
}
