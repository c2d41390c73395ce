#!/usr/bin/env node
/**
 * Wolfi feed: reading all of ../shared/vulndata/wolfi-advisories with the fast line reader ÷ the
 * same files through the full YAML parser (the baseline), in the same run. Prints the ratio, the
 * run count and the load. Run after `npm run build`: `node bench/wolfi-feed.js`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.resolve(root, '../shared/vulndata/wolfi-advisories');
const runs = Number(process.env.BENCH_RUNS ?? 5);

if (!existsSync(dir)) {
  console.log(`skipping the Wolfi feed benchmark: ${dir} is needed`);
  process.exit(0);
}
const { parseAdvisoriesYaml } = await import('../dist/feeds/wolfi/parse.js');
const texts = readdirSync(dir)
  .filter((f) => f.endsWith('.advisories.yaml'))
  .map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]);

function once(fullYaml) {
  const t0 = process.hrtime.bigint();
  let n = 0;
  for (const [f, text] of texts) n += parseAdvisoriesYaml(text, { source: f, fullYaml }).length;
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, n };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const full = [];
const fast = [];
let advisories = 0;
for (let i = 0; i < runs; i++) {
  // Interleaved, so load changes on the machine hit both alike.
  full.push(once(true).ms);
  const r = once(false);
  fast.push(r.ms);
  advisories = r.n;
}
const f = median(fast);
const y = median(full);
console.log(`wolfi feed: ${texts.length} files, ${advisories} advisories; fast reader ${f.toFixed(0)} ms vs full YAML ${y.toFixed(0)} ms (median of ${runs}): ${(y / f).toFixed(1)}x faster (ratio ${(f / y).toFixed(3)}); load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
