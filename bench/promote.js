#!/usr/bin/env node
/**
 * Benchmarks of promote and verify, as ratios to baselines measured in the same run:
 *
 *   promote: `shipshape promote` of debian-app from its OCI layout into an empty docker-registry
 *            (scan + push + sign) ÷ `skopeo copy` of the same layout into another empty registry
 *            (goal <= 1.25), with the layer cache cold (--no-cache) and warm
 *   verify : `shipshape verify` of the promoted image ÷ `node -e 0` (goal <= 3)
 *
 *   floor  : `gzip -dc` of debian-app's layers (what the cold scan cannot do without): the cold
 *            promote is also given ÷ max(skopeo, floor), what a cold promote could at best reach;
 *            and for the warm promote, Node's start plus the upload alone (bench/upload-floor.cjs:
 *            read, hash, POST + PATCH + PUT each blob, the manifest; nothing of shipshape)
 *
 * Each run starts fresh registries (plain HTTP on 127.0.0.1); skopeo gets a private HOME so its
 * blob-info cache cannot turn uploads into mounts. Needs ../shared, docker-registry and skopeo.
 * BENCH_RUNS (default 5) runs; medians printed with `uptime` load before and after. BENCH_BIN
 * measures another build; BENCH_BASE_BIN=path/to/bin/shipshape (another build, e.g. of main) adds
 * its promote and verify to the same loop, for before/after in one run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { bin, gunzipFiles, load, ociLayers, root, runs, shared } from './lib.js';

const baseBin = process.env.BENCH_BASE_BIN;
const onPath = (c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0;

if (!existsSync(path.join(shared, 'images')) || !existsSync(path.join(shared, 'vulndata')) || !onPath('docker-registry') || !onPath('skopeo')) {
  console.log('skipping promote benchmarks: ../shared, docker-registry and skopeo are needed');
  process.exit(0);
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-bench-promote-'));
const env = { ...process.env, CI: 'true', HOME: tmp, XDG_RUNTIME_DIR: tmp, XDG_CACHE_HOME: path.join(tmp, 'cache'), SHIPSHAPE_KEY_PASSWORD: 'bench' };

function time(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env, cwd: tmp });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return ms;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function startRegistry(name) {
  const dir = path.join(tmp, name);
  mkdirSync(path.join(dir, 'storage'), { recursive: true });
  const host = `127.0.0.1:${await freePort()}`;
  const config = path.join(dir, 'config.yml');
  writeFileSync(config, `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/storage\nhttp:\n  addr: ${host}\n`);
  const child = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    if (await probe(host)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { host, stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM')))), dir };
}
function probe(host) {
  return new Promise((resolve) => {
    const s = net.connect(Number(host.split(':')[1]), '127.0.0.1', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

const loadBefore = load();
try {
  const db = path.join(tmp, 'db.sqlite');
  time(process.execPath, [bin, 'db', 'build', '--from', path.join(shared, 'vulndata'), '--db', db, '--feeds', 'alpine-secdb,debian-tracker', '--quiet']);
  time(process.execPath, [bin, 'key', 'generate', '--output', path.join(tmp, 'k')]);
  const layout = `oci:${path.join(shared, 'images', 'oci', 'debian-app')}:latest`;
  const layerFiles = ociLayers(path.join(shared, 'images', 'oci', 'debian-app')).map((l) => l.file);
  const cache = path.join(tmp, 'layers');
  // Fill the layer cache once for the warm runs.
  time(process.execPath, [bin, 'scan', layout, '--db', db, '--cache-dir', cache, '--quiet', '--no-policy', '--format', 'json=/dev/null']);
  if (baseBin) time(process.execPath, [baseBin, 'scan', layout, '--db', db, '--cache-dir', cache, '--quiet', '--no-policy', '--format', 'json=/dev/null']);
  const promoteArgs = (host, repo, extra, b = bin) => [b, 'promote', layout, `${host}/${repo}:1`, '--key', path.join(tmp, 'k.key'), '--db', db, '--insecure-registry', host, '--no-policy', '--quiet', '--format', 'json=/dev/null', ...extra];

  const skopeo = [];
  const cold = [];
  const warm = [];
  const verify = [];
  const node0 = [];
  const scanWarm = [];
  const floor = [];
  const uploadFloor = [];
  const base = { cold: [], warm: [], verify: [] };
  for (let i = 0; i < runs; i++) {
    const [a, b, c, u] = [await startRegistry(`s${i}`), await startRegistry(`p${i}`), await startRegistry(`w${i}`), await startRegistry(`u${i}`)];
    try {
      uploadFloor.push(time(process.execPath, [path.join(root, 'bench', 'upload-floor.cjs'), path.join(shared, 'images', 'oci', 'debian-app'), u.host, 'bench/app']));
      skopeo.push(time('skopeo', ['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false', layout, `docker://${a.host}/bench/app:1`]));
      cold.push(time(process.execPath, promoteArgs(b.host, 'bench/app', ['--no-cache'])));
      warm.push(time(process.execPath, promoteArgs(c.host, 'bench/app', ['--cache-dir', cache])));
      node0.push(time(process.execPath, ['-e', '0']));
      floor.push(gunzipFiles(layerFiles));
      scanWarm.push(time(process.execPath, [bin, 'scan', layout, '--db', db, '--cache-dir', cache, '--quiet', '--no-policy', '--format', 'json=/dev/null']));
      verify.push(time(process.execPath, [bin, 'verify', `${b.host}/bench/app:1`, '--key', path.join(tmp, 'k.pub'), '--insecure-registry', b.host]));
      if (baseBin) {
        // Its own empty registries (a registry holding the blobs already links them without storing).
        const [e, f] = [await startRegistry(`be${i}`), await startRegistry(`bf${i}`)];
        try {
          base.cold.push(time(process.execPath, promoteArgs(e.host, 'bench/app', ['--no-cache'], baseBin)));
          base.warm.push(time(process.execPath, promoteArgs(f.host, 'bench/app', ['--cache-dir', cache], baseBin)));
          base.verify.push(time(process.execPath, [baseBin, 'verify', `${b.host}/bench/app:1`, '--key', path.join(tmp, 'k.pub'), '--insecure-registry', b.host]));
        } finally {
          await Promise.all([e.stop(), f.stop()]);
        }
      }
    } finally {
      await Promise.all([a.stop(), b.stop(), c.stop(), u.stop()]);
    }
  }
  const s = median(skopeo);
  const f = median(floor);
  console.log(`promote benchmarks (${bin}): ${runs} runs, medians; ${os.cpus().length} CPUs`);
  console.log(`  before: ${loadBefore}`);
  console.log(`  skopeo copy debian-app layout → empty registry : ${s.toFixed(0)} ms (baseline)`);
  console.log(`  gzip -dc of its layers (the cold scan's floor)  : ${f.toFixed(0)} ms = ${(f / s).toFixed(2)}× skopeo`);
  console.log(`  promote, layer cache cold (--no-cache)         : ${median(cold).toFixed(0)} ms = ${(median(cold) / s).toFixed(2)}× skopeo (goal <= 1.25); ${(median(cold) / Math.max(s, f)).toFixed(2)}× max(skopeo, gzip -dc)`);
  console.log(`  promote, layer cache warm                      : ${median(warm).toFixed(0)} ms = ${(median(warm) / s).toFixed(2)}× skopeo (goal <= 1.25)`);
  const uf = median(uploadFloor);
  console.log(`  (warm floor) node + the upload alone           : ${uf.toFixed(0)} ms = ${(uf / s).toFixed(2)}× skopeo; promote warm = ${(median(warm) / uf).toFixed(2)}× it`);
  console.log(`  (for scale) scan alone, layer cache warm       : ${median(scanWarm).toFixed(0)} ms = ${(median(scanWarm) / s).toFixed(2)}× skopeo; promote warm = ${(median(warm) / median(scanWarm)).toFixed(2)}× scan warm`);
  console.log(`  verify of the promoted image                   : ${median(verify).toFixed(0)} ms = ${(median(verify) / median(node0)).toFixed(2)}× node -e 0 (${median(node0).toFixed(0)} ms; goal <= 3)`);
  if (baseBin) {
    console.log(`  BENCH_BASE_BIN ${baseBin}, same runs:`);
    console.log(`    promote cold ${(median(base.cold) / s).toFixed(2)}×, warm ${(median(base.warm) / s).toFixed(2)}× skopeo; verify ${(median(base.verify) / median(node0)).toFixed(2)}× node -e 0`);
  }
  console.log(`  after: ${load()}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
