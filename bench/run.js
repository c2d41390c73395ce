#!/usr/bin/env node
/**
 * Benchmarks, each printed as a ratio to a baseline measured in the same run (never absolute
 * timings alone): machines differ, ratios travel. Needs ../shared (images and vulndata).
 *
 *   cold scan  : `shipshape scan --no-cache` of debian-app (OCI layout) ÷ `gzip -dc` over the same layers
 *   warm rescan: `shipshape scan` of debian-app with a filled layer cache ÷ `node -e 0`
 *   matching   : packages matched per second against the full database (goal >= 100,000/s),
 *                and as a ratio to a bare Map lookup per package in the same run
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, '../shared');
const bin = path.join(root, 'bin', 'shipshape');
const runs = Number(process.env.BENCH_RUNS ?? 5);

if (!existsSync(path.join(shared, 'images')) || !existsSync(path.join(shared, 'vulndata'))) {
  console.log(`skipping benchmarks: ${shared}/images and ${shared}/vulndata are needed`);
  process.exit(0);
}

function time(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return ms;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function measure(label, fn) {
  const xs = [];
  for (let i = 0; i < runs; i++) xs.push(fn());
  return median(xs);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-bench-'));
try {
  const db = path.join(tmp, 'db.sqlite');
  const buildMs = time(process.execPath, [bin, 'db', 'build', '--from', path.join(shared, 'vulndata'), '--db', db, '--quiet']);

  const layout = path.join(shared, 'images', 'oci', 'debian-app');
  const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8'));
  const blob = (d) => path.join(layout, 'blobs', ...d.split(':'));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
  const layerFiles = manifest.layers.map((l) => blob(l.digest));
  const ref = `oci:${layout}:latest`;

  // Baseline 1: decompressing the same layers with gzip, one after the other, output discarded.
  const gzipMs = measure('gzip', () => time('sh', ['-c', `for f in ${layerFiles.map((f) => `'${f}'`).join(' ')}; do gzip -dc "$f" >/dev/null; done`]));
  const coldMs = measure('cold', () => time(process.execPath, [bin, 'scan', ref, '--no-cache', '--db', db, '--format', 'json', '--quiet']));

  // Baseline 2: a bare node start.
  const cache = path.join(tmp, 'cache');
  time(process.execPath, [bin, 'scan', ref, '--db', db, '--cache-dir', cache, '--format', 'json', '--quiet']);
  const nodeMs = measure('node', () => time(process.execPath, ['-e', '0']));
  const warmMs = measure('warm', () => time(process.execPath, [bin, 'scan', ref, '--db', db, '--cache-dir', cache, '--format', 'json', '--quiet']));

  // Matching throughput: the packages of every shared image (OS and language), repeated to 200,000.
  const { openDb } = await import('../dist/db/index.js');
  const { matchPackages } = await import('../dist/match/index.js');
  const { getComparator } = await import('../dist/version/index.js');
  const pool = [];
  for (const name of ['alpine-3.7', 'alpine-3.10', 'debian-app', 'go-static']) {
    const r = spawnSync(process.execPath, [bin, 'scan', `oci:${path.join(shared, 'images', 'oci', name)}:latest`, '--db', db, '--cache-dir', cache, '--format', 'json', '--quiet', '--checks', 'none', '--include-os-owned'], { maxBuffer: 64 << 20 });
    const report = JSON.parse(r.stdout.toString());
    pool.push({ os: report.os, packages: report.packages });
  }
  const handle = openDb(db);
  const target = 200_000;
  const batches = [];
  let count = 0;
  while (count < target) for (const p of pool) (batches.push(p), (count += p.packages.length));
  const matchOnce = () => {
    let findings = 0;
    for (const b of batches) findings += matchPackages(b.packages, b.os, handle, { comparator: getComparator }).findings.length;
    return findings;
  };
  matchOnce(); // warm: namespaces preloaded, JIT
  const t0 = process.hrtime.bigint();
  const found = matchOnce();
  const matchMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const keys = batches.flatMap((b) => b.packages.map((p) => `${p.type}/${p.name}`));
  const map = new Map(keys.map((k) => [k, 1]));
  const t1 = process.hrtime.bigint();
  let hits = 0;
  for (let i = 0; i < 5; i++) for (const k of keys) hits += map.get(k) ?? 0;
  const mapMs = Number(process.hrtime.bigint() - t1) / 1e6 / 5;
  handle.close();

  const row = (name, ms, baseName, baseMs, goal) =>
    console.log(`${name.padEnd(28)} ${(ms / baseMs).toFixed(2).padStart(6)}x  (${ms.toFixed(0)} ms vs ${baseName} ${baseMs.toFixed(0)} ms; goal <= ${goal})`);
  console.log(`shipshape benchmarks (median of ${runs} runs; db build from ../shared/vulndata took ${buildMs.toFixed(0)} ms)`);
  row('cold scan debian-app', coldMs, 'gzip -dc', gzipMs, '1.5');
  row('warm rescan debian-app', warmMs, 'node -e 0', nodeMs, '6');
  const perSec = (count / matchMs) * 1000;
  console.log(`${'matching throughput'.padEnd(28)} ${Math.round(perSec).toLocaleString('en-US').padStart(9)} packages/s  (${count} packages, ${found} findings in ${matchMs.toFixed(0)} ms; ${(matchMs / mapMs).toFixed(0)}x a bare Map lookup per package; goal >= 100,000/s)`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
