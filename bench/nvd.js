#!/usr/bin/env node
/**
 * NVD feed benchmark, as ratios to a baseline measured in the same run: reading and scoring a local
 * copy of NVD API pages (gunzip, schema check, metric choice, CVSS recomputed from each vector)
 * ÷ a bare `gunzip + JSON.parse` of the same files. Pages are the shared 25-CVE sample's records
 * repeated under new ids, 2,000 per page like the API's; the full NVD is about 125 such pages.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sample = path.resolve(root, '../shared/vulndata/nvd/nvd-0001.json.gz');
const runs = Number(process.env.BENCH_RUNS ?? 5);
const PAGES = Number(process.env.BENCH_NVD_PAGES ?? 10);
const PER_PAGE = 2000;

let records;
try {
  records = JSON.parse(gunzipSync(readFileSync(sample)).toString('utf8')).vulnerabilities.map((v) => v.cve);
} catch {
  console.log(`skipping the NVD benchmark: ${sample} is needed`);
  process.exit(0);
}
const { nvdFeed } = await import(path.join(root, 'dist/feeds/nvd/index.js'));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-bench-nvd-'));
try {
  const dir = path.join(tmp, 'nvd');
  mkdirSync(dir);
  let n = 0;
  for (let p = 0; p < PAGES; p++) {
    const vulns = [];
    for (let i = 0; i < PER_PAGE; i++, n++) vulns.push({ cve: { ...records[n % records.length], id: `CVE-2099-${String(100000 + n)}` } });
    const page = { resultsPerPage: PER_PAGE, startIndex: p * PER_PAGE, totalResults: PAGES * PER_PAGE, format: 'NVD_CVE', version: '2.0', timestamp: '2026-12-02T00:00:00.000', vulnerabilities: vulns };
    writeFileSync(path.join(dir, `nvd-${String(p + 1).padStart(4, '0')}.json.gz`), gzipSync(JSON.stringify(page)));
  }
  const files = readdirSync(dir).map((f) => path.join(dir, f));

  const baseline = [];
  const feed = [];
  let scored = 0;
  for (let r = 0; r < runs; r++) {
    let t = performance.now();
    for (const f of files) JSON.parse(gunzipSync(readFileSync(f)).toString('utf8'));
    baseline.push(performance.now() - t);
    t = performance.now();
    scored = 0;
    for await (const _ of nvdFeed().fetch({ dir, cacheDir: tmp })) scored++;
    feed.push(performance.now() - t);
  }
  const b = median(baseline);
  const f = median(feed);
  console.log(`load: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (uptime), runs: ${runs}, pages: ${PAGES} x ${PER_PAGE} CVEs`);
  console.log(`nvd local read: ${(f / b).toFixed(2)}x gunzip+JSON.parse (${f.toFixed(0)} ms vs ${b.toFixed(0)} ms for ${scored} scores; ${Math.round(scored / (f / 1000))} CVEs/s)`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
