#!/usr/bin/env node
/**
 * Benchmarks, each printed as a ratio to a baseline measured in the same run (never absolute
 * timings alone): machines differ, ratios travel. Needs ../shared (images and vulndata).
 *
 *   cold scan  : `shipshape scan --no-cache` of debian-app (OCI layout) ÷ `gzip -dc` over the same layers
 *   warm rescan: `shipshape scan` of debian-app with a filled layer cache ÷ `node -e 0`
 *   peak RSS   : of a cold scan of debian-app
 *   matching   : packages matched per second against the full database (goal >= 100,000/s),
 *                and as a ratio to a bare Map lookup per package in the same run
 * then bench/big-image.js (a 1 GB image made in code), bench/throughput.js (100 images sharing
 * base layers) and bench/trivy.js (against a Trivy binary given as TRIVY). Every script prints
 * the machine and the `uptime` load before and after its runs. BENCH_RUNS sets the run count.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bin, footer, root, gunzipFiles, header, interleaved, median, ociLayers, row, run, runs, shared } from './lib.js';

if (!existsSync(path.join(shared, 'images')) || !existsSync(path.join(shared, 'vulndata'))) {
  console.log(`skipping benchmarks: ${shared}/images and ${shared}/vulndata are needed`);
  process.exit(0);
}

const time = (cmd, args, opts) => run(cmd, args, opts).ms;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-bench-'));
try {
  header(`shipshape benchmarks (median of ${runs} interleaved runs)`);
  const db = path.join(tmp, 'db.sqlite');
  const buildMs = time(process.execPath, [bin, 'db', 'build', '--from', path.join(shared, 'vulndata'), '--db', db, '--quiet']);

  const layout = path.join(shared, 'images', 'oci', 'debian-app');
  const layerFiles = ociLayers(layout).map((l) => l.file);
  const ref = `oci:${layout}:latest`;
  const cache = path.join(tmp, 'cache');
  const scan = (...extra) => [bin, 'scan', ref, '--db', db, '--format', 'json', '--quiet', ...extra];
  // Fills the layer cache for the warm rescans, and the code cache of the scan command.
  time(process.execPath, scan('--cache-dir', cache));

  // Baselines: `gzip -dc` of the same layers one after the other (output discarded), a bare node
  // start. Each round runs every case once, so load changes during the run hit them alike.
  const t = interleaved({
    gzip: () => gunzipFiles(layerFiles),
    cold: () => time(process.execPath, scan('--no-cache')),
    node: () => time(process.execPath, ['-e', '0']),
    warm: () => time(process.execPath, scan('--cache-dir', cache)),
  });
  // Peak RSS and CPU time (user + system, all threads): three more runs of each, measured by the child itself.
  const measured = (args) => [0, 1, 2].map(() => run(process.execPath, args, { rss: true }));
  const coldRuns = measured(scan('--no-cache'));
  const rssKiB = median(coldRuns.map((r) => r.rssKiB));
  const cpu = {
    cold: median(coldRuns.map((r) => r.cpuMs)),
    coldMain: median(coldRuns.map((r) => r.mainMs ?? NaN)),
    warm: median(measured(scan('--cache-dir', cache)).map((r) => r.cpuMs)),
    node: median(measured(['-e', '0']).map((r) => r.cpuMs)),
  };

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

  row('cold scan debian-app', t.cold, 'gzip -dc', t.gzip, '1.0');
  row('warm rescan debian-app', t.warm, 'node -e 0', t.node, '3');
  console.log(`${'peak RSS, cold scan debian-app'.padEnd(34)} ${(rssKiB / 1024).toFixed(0).padStart(6)} MB  (median of 3; goal <= 150 MB)`);
  console.log(`${'CPU time (user+sys, median of 3)'.padEnd(34)} cold ${cpu.cold.toFixed(0)} ms (main thread ${cpu.coldMain.toFixed(0)} ms), warm ${cpu.warm.toFixed(0)} ms (${(cpu.warm / cpu.node).toFixed(2)}x node -e 0's ${cpu.node.toFixed(0)} ms)`);
  const perSec = (count / matchMs) * 1000;
  console.log(`${'matching throughput'.padEnd(34)} ${Math.round(perSec).toLocaleString('en-US').padStart(9)} packages/s  (${count} packages, ${found} findings in ${matchMs.toFixed(0)} ms; ${(matchMs / mapMs).toFixed(0)}x a bare Map lookup per package; goal >= 100,000/s)`);
  console.log(`  (db build from ../shared/vulndata took ${buildMs.toFixed(0)} ms)`);
  footer();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

// The other benchmarks, each its own script (each also runs alone): a 1 GB image made in code,
// 100 images sharing base layers, and the comparison with Trivy (skipped without TRIVY).
for (const script of ['big-image.js', 'throughput.js', 'trivy.js']) {
  console.log('');
  const r = spawnSync(process.execPath, [path.join(root, 'bench', script)], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}
