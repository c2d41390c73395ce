#!/usr/bin/env node
/**
 * Throughput at scale: 100 images made in code (one OCI layout, a tag each) from the layers of the
 * shared images plus one small layer of their own, scanned in one process (the library's
 * scanImage, two images at a time, as the monitor's workers do) with one layer cache that starts
 * empty. Checks that each distinct layer was read once, and compares the total time with reading
 * the distinct layers once (walkLayer, two at a time, in the same process). Goal (issue 11): <= 1.2x.
 * Each round (baseline, then the 100 scans) runs in a fresh child process: nothing a scan keeps in
 * memory (layer indexes, squashed bases, catalog and match results) carries over between rounds.
 * BENCH_BASE_DIST=OTHER_TREE/dist interleaves rounds of another build (its ratio printed beside).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bin, footer, header, median, root, row, run, runs, shared } from './lib.js';
import { copyBlob, writeImage, writeLayer } from './image-maker.js';

// BENCH_BASE_DIST=OTHER_TREE/dist adds that build's rounds, interleaved with this one's (before/after
// figures); a round's child imports the build named by SHIPSHAPE_BENCH_DIST.
const distDir = process.env.SHIPSHAPE_BENCH_DIST ?? path.join(root, 'dist');
const dist = (p) => import(path.join(distDir, p));
const BASES = ['alpine-3.7', 'alpine-3.10', 'alpine-3.20', 'debian-bookworm', 'debian-app', 'go-static'];
const IMAGES = 100;

const child = process.argv[2] === '--round';

if (!existsSync(path.join(shared, 'images')) || !existsSync(path.join(shared, 'vulndata'))) {
  console.log(`skipping the throughput benchmark: ${shared}/images and ${shared}/vulndata are needed`);
  process.exit(0);
}

const [{ scanImage }, { openImage, parseReference, walkLayer }, { catalogers, wantedBy, keptBy }, { checks, checksWant }] = await Promise.all([
  dist('scan/index.js'),
  dist('image/index.js'),
  dist('catalog/index.js'),
  dist('check/index.js'),
]);

/** Runs `fn` over `items`, `n` at a time. */
const pool = async (items, n, fn) => {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
};

if (child) {
  // One round: `--round LAYOUT DB CACHE`; prints its figures as JSON.
  const [, , , layout, db, cacheDir] = process.argv;
  const refs = Array.from({ length: IMAGES }, (_, i) => `oci:${layout}:img-${i}`);
  // Baseline: every distinct layer read once, two at a time, with the scan's own filters.
  const catWant = wantedBy(catalogers);
  const checkWant = checksWant(checks);
  const catKeep = keptBy(catalogers);
  const want = (p, e) => catWant(p, e) || checkWant(p, e);
  const keep = (p, e, c) => checkWant(p, e) || catKeep(p, e, c);
  const blobs = new Map();
  const images = [];
  for (const r of refs) {
    const img = await openImage(parseReference(r), {});
    images.push(img);
    for (const l of img.layers) if (!blobs.has(l.diffId)) blobs.set(l.diffId, l);
  }
  let readCpu = Infinity;
  const readAll = async () => {
    const t = process.hrtime.bigint();
    const c = process.cpuUsage();
    await pool([...blobs.values()], 2, (l) => walkLayer(l, want, undefined, keep));
    const used = process.cpuUsage(c);
    readCpu = Math.min(readCpu, (used.user + used.system) / 1000);
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  // Read before the scans (as they find the files: page cache warm from making them) and again
  // after (code compiled, every page cached): the faster of the two is the baseline.
  const before = await readAll();

  let reads = 0;
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  await pool(refs, 2, (r) => scanImage(r, { dbPath: db, cacheDir, onLayer: (_d, _t, _digest, cached) => void (reads += cached ? 0 : 1) }));
  const total = Number(process.hrtime.bigint() - t0) / 1e6;
  const used = process.cpuUsage(c0);
  const cpu = (used.user + used.system) / 1000;
  const after = await readAll();
  for (const img of images) await img.close();
  console.log(JSON.stringify({ base: Math.min(before, after), before, after, total, reads, distinct: blobs.size, cpu, readCpu }));
  process.exit(0);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-throughput-'));
try {
  header(`shipshape: ${IMAGES} images sharing base layers, one process, layer cache (median of ${Math.max(1, Math.min(runs, 3))} rounds, each in a fresh process: baseline, then the scans)`);
  const layout = path.join(tmp, 'layout');
  const index = [];
  const bases = [];
  for (const name of BASES) {
    const dir = path.join(shared, 'images', 'oci', name);
    const blob = (d) => path.join(dir, 'blobs', ...d.split(':'));
    const manifest = JSON.parse(readFileSync(blob(JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')).manifests[0].digest), 'utf8'));
    const config = JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8'));
    const layers = manifest.layers.map((l, j) => ({ digest: l.digest, size: l.size, diffId: config.rootfs.diff_ids[j] }));
    for (const l of layers) await copyBlob(blob(l.digest), layout, l.digest);
    bases.push({ name, layers, config: config.config ?? {} });
  }
  for (let i = 0; i < IMAGES; i++) {
    const b = bases[i % bases.length];
    const own = await writeLayer(layout, [
      { name: `srv/app-${i}/`, type: '5' },
      { name: `srv/app-${i}/config.json`, content: Buffer.from(JSON.stringify({ image: i, base: b.name })) },
      { name: `srv/app-${i}/node_modules/left-pad/package.json`, content: Buffer.from(JSON.stringify({ name: 'left-pad', version: `1.${i % 4}.0`, license: 'MIT' })) },
    ]);
    const layers = [...b.layers, own];
    writeImage(layout, layers, { tag: `img-${i}`, index, config: b.config });
  }
  const refs = Array.from({ length: IMAGES }, (_, i) => `oci:${layout}:img-${i}`);

  const db = path.join(tmp, 'db.sqlite');
  run(process.execPath, [bin, 'db', 'build', '--from', path.join(shared, 'vulndata'), '--db', db, '--quiet']);

  const round = (cacheDir, distPath) => {
    const env = { ...process.env, ...(distPath ? { SHIPSHAPE_BENCH_DIST: path.resolve(distPath) } : {}) };
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--round', layout, db, cacheDir], { encoding: 'utf8', maxBuffer: 1 << 20, env });
    if (r.status !== 0) throw new Error(`throughput round failed (${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop());
  };

  const n = Math.max(1, Math.min(runs, 3));
  const builds = { this: { dist: undefined, base: [], total: [], reads: [], cpu: [], readCpu: [] } };
  if (process.env.BENCH_BASE_DIST) builds.base = { dist: process.env.BENCH_BASE_DIST, base: [], total: [], reads: [], cpu: [], readCpu: [] };
  let distinct = 0;
  for (let i = 0; i < n; i++) {
    // Alternating which build goes first, so a change of load hits both alike.
    const order = i % 2 ? Object.keys(builds).reverse() : Object.keys(builds);
    for (const k of order) {
      const b = builds[k];
      const r = round(path.join(tmp, `cache-${k}-${i}`), b.dist);
      b.base.push(r.base);
      b.total.push(r.total);
      b.reads.push(r.reads);
      b.cpu.push(r.cpu);
      b.readCpu.push(r.readCpu);
      distinct = r.distinct;
    }
  }
  for (const [k, b] of Object.entries(builds)) {
    const label = k === 'this' ? '' : ` (${b.dist})`;
    console.log(`  ${IMAGES} images on ${BASES.length} bases (${BASES.join(', ')}), ${distinct} distinct layers${label}; layers read per run: ${b.reads.join(', ')}${b.reads.every((r) => r === distinct) ? ' (each once)' : ' (NOT each once)'}`);
    row(`${IMAGES} images, layer cache${k === 'this' ? '' : ', base build'}`, median(b.total), 'distinct layers read once', median(b.base), '1.2');
    console.log(`${'  per image, beyond reading'.padEnd(34)} ${((median(b.total) - median(b.base)) / IMAGES).toFixed(1).padStart(6)} ms`);
    // CPU time (all threads of the round's process) is steadier than wall time on a busy machine.
    console.log(`${'  CPU, scans / reading'.padEnd(34)} ${(median(b.cpu) / median(b.readCpu)).toFixed(2).padStart(6)}x (${median(b.cpu).toFixed(0)} ms vs ${median(b.readCpu).toFixed(0)} ms; ${((median(b.cpu) - median(b.readCpu)) / IMAGES).toFixed(1)} ms an image beyond reading)`);
  }
  footer();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
