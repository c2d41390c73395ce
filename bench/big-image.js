#!/usr/bin/env node
/**
 * A 1 GB image made in code (into a temp dir, removed after): 8 gzip layers, ~200,000 small files,
 * 2,000 npm package.json files, a dpkg status, and three 150 MB files. Measures the peak RSS of a
 * cold scan (goal <= 400 MB) and its time against `gzip -dc` of the same layers.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bin, footer, gunzipFiles, header, interleaved, median, ociLayers, row, run, runs, shared } from './lib.js';
import { prng, textPool, writeImage, writeLayer } from './image-maker.js';

const rand = prng(11);
const pool = textPool(rand);
/** `n` bytes of text starting at a pseudo-random place in the pool (wrapping round). */
const text = (n) => {
  const at = Math.floor(rand() * pool.length);
  if (at + n <= pool.length) return pool.subarray(at, at + n);
  return Buffer.concat([pool.subarray(at), pool.subarray(0, n - (pool.length - at))]);
};

function* baseLayer() {
  yield { name: 'etc/', type: '5' };
  yield { name: 'etc/os-release', content: Buffer.from('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n') };
  yield { name: 'var/lib/dpkg/', type: '5' };
  const stanzas = [];
  for (let i = 0; i < 400; i++) {
    stanzas.push(`Package: bench-pkg-${i}\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: 1.${i}.0-1\nDescription: package ${i}\n`);
  }
  yield { name: 'var/lib/dpkg/status', content: Buffer.from(stanzas.join('\n')) };
  for (let i = 0; i < 30_000; i++) yield { name: `usr/share/doc/bench-pkg-${i % 400}/file-${i}.txt`, content: text(500 + Math.floor(rand() * 3000)) };
}

function* smallFilesLayer(n) {
  for (let i = 0; i < 28_000; i++) yield { name: `srv/app${n}/data/d${i % 97}/f${i}.txt`, content: text(800 + Math.floor(rand() * 5600)) };
  for (let i = 0; i < 400; i++) {
    const name = `pkg-${n}-${i}`;
    yield { name: `srv/app${n}/node_modules/${name}/package.json`, content: Buffer.from(JSON.stringify({ name, version: `1.0.${i}`, license: 'MIT' })) };
  }
}

function* largeFilesLayer() {
  for (let i = 0; i < 3; i++) yield { name: `opt/data/blob-${i}.bin`, size: 150 << 20, fill: (_at, n) => text(n) };
}

if (!existsSync(path.join(shared, 'vulndata'))) {
  console.log(`skipping the 1 GB image benchmark: ${shared}/vulndata is needed (for the database)`);
  process.exit(0);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-big-'));
try {
  header(`shipshape: a 1 GB image made in code (median of ${runs} interleaved runs)`);
  const layout = path.join(tmp, 'layout');
  const t0 = Date.now();
  const layers = [await writeLayer(layout, baseLayer())];
  for (let n = 0; n < 6; n++) layers.push(await writeLayer(layout, smallFilesLayer(n)));
  layers.push(await writeLayer(layout, largeFilesLayer()));
  writeImage(layout, layers);
  const tarBytes = layers.reduce((a, l) => a + l.tarSize, 0);
  const gzBytes = layers.reduce((a, l) => a + l.size, 0);
  console.log(`  image: ${layers.length} layers, ${(tarBytes / 1e9).toFixed(2)} GB of tar, ${(gzBytes / 1e6).toFixed(0)} MB gzip (made in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  const db = path.join(tmp, 'db.sqlite');
  run(process.execPath, [bin, 'db', 'build', '--from', path.join(shared, 'vulndata'), '--db', db, '--quiet']);
  const scan = [bin, 'scan', `oci:${layout}:latest`, '--db', db, '--no-cache', '--format', 'json', '--quiet'];
  const files = ociLayers(layout).map((l) => l.file);
  const n = Math.max(1, Math.min(runs, 3));
  const rss = [];
  const t = interleaved(
    {
      gzip: () => gunzipFiles(files),
      cold: () => {
        const r = run(process.execPath, scan, { rss: true });
        rss.push(r.rssKiB);
        return r.ms;
      },
    },
    n,
  );
  row('cold scan, 1 GB image', t.cold, 'gzip -dc', t.gzip, '1.0 (not a goal here)');
  console.log(`${'peak RSS, cold scan of 1 GB image'.padEnd(34)} ${(median(rss) / 1024).toFixed(0).padStart(6)} MB  (median of ${n}; goal <= 400 MB)`);
  footer();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
