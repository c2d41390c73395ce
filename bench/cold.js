#!/usr/bin/env node
/**
 * The cold scan side by side: `shipshape scan --no-cache` of debian-app (OCI layout) by this build
 * and, with BENCH_BASE_BIN=OTHER_TREE/bin/shipshape, by another one, each ÷ `gzip -dc` of the same
 * layers in the same interleaved rounds (the two builds' order alternates from round to round).
 * Prints median wall time, CPU time (user + sys, all threads; steadier than wall time on a busy
 * machine), the main thread's CPU and peak RSS. Needs ../shared (images and vulndata).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bin, footer, gunzipFiles, header, median, ociLayers, run, runs, shared } from './lib.js';

if (!existsSync(path.join(shared, 'images')) || !existsSync(path.join(shared, 'vulndata'))) {
  console.log(`skipping the cold scan comparison: ${shared}/images and ${shared}/vulndata are needed`);
  process.exit(0);
}
const base = process.env.BENCH_BASE_BIN ? path.resolve(process.env.BENCH_BASE_BIN) : undefined;
const builds = { 'this build': bin, ...(base ? { 'base build': base } : {}) };

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-bench-cold-'));
try {
  header(`cold scan of debian-app, ${base ? `this build and ${base}, ` : ''}median of ${runs} interleaved rounds`);
  const db = path.join(tmp, 'db.sqlite');
  run(process.execPath, [bin, 'db', 'build', '--from', path.join(shared, 'vulndata'), '--db', db, '--quiet']);
  const layout = path.join(shared, 'images', 'oci', 'debian-app');
  const files = ociLayers(layout).map((l) => l.file);
  const scan = (b) => [b, 'scan', `oci:${layout}:latest`, '--db', db, '--no-cache', '--quiet', '--format', 'json'];
  // One run each first: writes each build's V8 code cache, as any user's first run does.
  for (const b of Object.values(builds)) run(process.execPath, scan(b));

  const gzip = [];
  const got = Object.fromEntries(Object.keys(builds).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) {
    gzip.push(gunzipFiles(files));
    const order = Object.entries(builds);
    if (i % 2) order.reverse();
    for (const [name, b] of order) got[name].push(run(process.execPath, scan(b), { rss: true }));
  }
  const g = median(gzip);
  console.log(`${'gzip -dc of its layers'.padEnd(34)} ${g.toFixed(0).padStart(6)} ms`);
  for (const [name, rs] of Object.entries(got)) {
    const ms = median(rs.map((r) => r.ms));
    const cpu = median(rs.map((r) => r.cpuMs));
    const main = median(rs.map((r) => r.mainMs ?? NaN));
    const rss = median(rs.map((r) => r.rssKiB)) / 1024;
    console.log(`${`cold scan, ${name}`.padEnd(34)} ${(ms / g).toFixed(2).padStart(6)}x  (${ms.toFixed(0)} ms; CPU ${cpu.toFixed(0)} ms, main thread ${main.toFixed(0)} ms; peak RSS ${rss.toFixed(0)} MB; goal <= 1.0)`);
  }
  footer();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
