#!/usr/bin/env node
/**
 * Peak RSS and wall time of the built CLI on hostile inputs made here (issue 8), each as a ratio to
 * a baseline measured in the same run: `shipshape scan` of a small valid image. Every hostile case
 * must end in exit 2 with one line on stderr (or, for the big-but-legal lockfile, exit 0). Also
 * times the ignore-path glob matcher against the backtracking RegExp it replaced (in a child with
 * a time limit). Prints `uptime` and the run count with the figures. Needs `npm run build`.
 *
 *   node bench/hostile.js            (BENCH_RUNS=3 by default; the figure is the median)
 *
 * BENCH_BIN=path/to/bin/shipshape runs another build (e.g. main's, for before/after figures);
 * BENCH_TIMEOUT_S (default 120) kills a run that does not finish (reported as exit 137);
 * BENCH_SKIP=a,b leaves out cases whose name contains a or b.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { paxRecord, rawHeader, unterminatedSectionNamesElf } from '../test/helpers/hostile-inputs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = process.env.BENCH_BIN ? path.resolve(process.env.BENCH_BIN) : path.join(root, 'bin', 'shipshape');
const timeoutS = Number(process.env.BENCH_TIMEOUT_S ?? 120);
const skip = (process.env.BENCH_SKIP ?? '').split(',').filter(Boolean);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-hostile-'));
const sha = (b) => createHash('sha256').update(b).digest('hex');

// ---- tar and image writing (small, byte-exact; the tests use test/helpers/image-builder.ts) ----
const header = (name, { type = '0', size = 0, mode = 0o644 } = {}) => rawHeader({ name, typeflag: type, mode }, size);
const pad = (n) => Buffer.alloc((512 - (n % 512)) % 512);
function entry(name, data = Buffer.alloc(0), opts = {}) {
  const d = Buffer.from(data);
  return [header(name, { ...opts, size: d.length }), d, pad(d.length)];
}
const tarOf = (parts) => Buffer.concat([...parts.flat(), Buffer.alloc(1024)]);
const OS_RELEASE = entry('etc/os-release', 'ID=alpine\nVERSION_ID=3.10.9\n');
const APK_DB = entry('lib/apk/db/installed', 'P:musl\nV:1.1.22-r2\nA:x86_64\no:musl\n\n');

/** Writes an OCI layout whose layers are given as uncompressed tars or as prepared {digest, diffId, file} blobs. */
function writeLayout(dir, layers) {
  mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (data) => {
    const d = sha(data);
    writeFileSync(path.join(dir, 'blobs', 'sha256', d), data);
    return { digest: `sha256:${d}`, size: data.length };
  };
  const descs = layers.map((l) => {
    if (Buffer.isBuffer(l)) {
      const gz = zlib.gzipSync(l, { level: 1 });
      return { ...put(gz), diffId: `sha256:${sha(l)}` };
    }
    return l;
  });
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: descs.map((d) => d.diffId) } }));
  const cfg = put(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg },
      layers: descs.map((d) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d.digest, size: d.size })),
    }),
  );
  const m = put(manifest);
  writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }] }),
  );
  return `oci:${dir}:latest`;
}

/** A gzip layer streamed to disk (never whole in memory): a tar of one file of `size` bytes produced by `chunk(i)`. */
async function streamedLayer(dir, name, size, chunk) {
  mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  const tmpFile = path.join(dir, 'blobs', 'layer.tmp');
  const diff = createHash('sha256');
  const stored = createHash('sha256');
  let storedSize = 0;
  async function* tar() {
    const parts = [header(name, { size }), ...(function* () {
      let left = size;
      for (let i = 0; left > 0; i++) {
        const c = chunk(i);
        const piece = c.length > left ? c.subarray(0, left) : c;
        left -= piece.length;
        yield piece;
      }
    })(), pad(size), Buffer.alloc(1024)];
    for (const p of parts) {
      diff.update(p);
      yield p;
    }
  }
  const gz = zlib.createGzip({ level: 1 });
  gz.on('data', (c) => {
    stored.update(c);
    storedSize += c.length;
  });
  await pipeline(Readable.from(tar()), gz, createWriteStream(tmpFile));
  const digest = stored.digest('hex');
  execFileSync('mv', [tmpFile, path.join(dir, 'blobs', 'sha256', digest)]);
  return { digest: `sha256:${digest}`, size: storedSize, diffId: `sha256:${diff.digest('hex')}` };
}

/** Runs the CLI under GNU time: exit code, stderr, wall ms, peak RSS in KiB. */
function runCli(args, env = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', 'timeout', '-s', 'KILL', String(timeoutS), process.execPath, bin, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true', ...env }, maxBuffer: 1 << 30, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const lines = r.stderr.trimEnd().split('\n').filter((l) => !/^Command (exited with non-zero status|terminated by signal)/.test(l));
  const rssKiB = Number(lines.pop());
  return { code: r.status, stderr: lines.join('\n'), ms, rssKiB };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function measure(args, env) {
  const rs = Array.from({ length: runs }, () => runCli(args, env));
  return { code: rs[0].code, stderr: rs[0].stderr, ms: median(rs.map((r) => r.ms)), rssKiB: median(rs.map((r) => r.rssKiB)) };
}

try {
  // A tiny database: one Alpine fix, as test/bad-input.test.ts builds it.
  const feeds = path.join(tmp, 'feeds', 'alpine-secdb', 'v3.10');
  mkdirSync(feeds, { recursive: true });
  writeFileSync(path.join(feeds, 'main.yaml'), 'distroversion: v3.10\nreponame: main\npackages:\n  - pkg:\n      name: musl\n      secfixes:\n        1.1.22-r3:\n          - CVE-2019-14697\n');
  const db = path.join(tmp, 'db.sqlite');
  execFileSync(process.execPath, [bin, 'db', 'build', '--from', path.join(tmp, 'feeds'), '--db', db, '--quiet']);
  const scan = (ref, ...extra) => ['scan', ref, '--db', db, '--no-cache', '--quiet', '-f', 'json', '-o', '/dev/null', ...extra];

  const cases = [];
  // BENCH_ONLY=text runs the baseline and the cases whose name contains text.
  const only = process.env.BENCH_ONLY;
  const add = (name, expectCode, args, env) => {
    if (cases.length > 0 && skip.some((s) => name.includes(s))) return;
    if (!only || cases.length === 0 || name.includes(only)) cases.push({ name, expectCode, args, env });
  };

  add('baseline: small valid image', 0, scan(writeLayout(path.join(tmp, 'base'), [tarOf([OS_RELEASE, APK_DB])])));

  {
    const file = path.join(tmp, 'pax-negative.tar');
    writeFileSync(file, tarOf([entry('PaxHeaders/manifest.json', paxRecord('size', '-1536'), { type: 'x' }), entry('manifest.json', 'x'.repeat(2048))]));
    add('docker archive, pax size=-1536', 2, scan(`docker-archive:${file}`));
  }
  {
    const elf = unterminatedSectionNamesElf();
    add('ELF, 65,535 unterminated section names', 0, scan(writeLayout(path.join(tmp, 'elf'), [tarOf([OS_RELEASE, APK_DB, entry('usr/bin/hostile', elf, { mode: 0o755 })])])));
  }
  {
    const one = [entry('PaxHeaders/a', paxRecord('path', `a/${'b'.repeat(3_900_000)}`), { type: 'x' }), entry('a', 'x')];
    add('300 entries with 3.9 MB pax paths', 2, scan(writeLayout(path.join(tmp, 'pax-paths'), [tarOf(Array.from({ length: 300 }, () => one).flat())])));
  }
  for (const depth of [2_000, 10_000]) {
    // Paths in pax records (ustar names stop at 100 bytes); 2,000 levels fit the 4 KiB path limit, 10,000 do not.
    let deep = '';
    const parts = [];
    for (let i = 0; i < depth; i++) parts.push(entry('PaxHeaders/d', paxRecord('path', (deep += 'd/')), { type: 'x' }), entry('d', '', { type: '5' }));
    parts.push(entry('PaxHeaders/f', paxRecord('path', `${deep}package-lock.json`), { type: 'x' }), entry('f', '{"lockfileVersion":3,"packages":{"node_modules/left-pad":{"version":"1.0.0"}}}'));
    add(`${depth.toLocaleString('en')}-deep directories, then whited out`, depth > 2_000 ? 2 : 0, scan(writeLayout(path.join(tmp, `deep${depth}`), [tarOf([OS_RELEASE, ...parts]), tarOf([entry('.wh.d', '')])])));
  }
  {
    const file = path.join(tmp, 'deep.cdx.json');
    writeFileSync(file, `{"bomFormat":"CycloneDX","specVersion":"1.6","components":${'[{"type":"library","name":"x","components":'.repeat(50_000)}[]${'}]'.repeat(50_000)}}`);
    add('CycloneDX SBOM nested 50,000 deep', 2, scan(`sbom:${file}`));
  }
  {
    const broken = path.join(tmp, 'broken.db');
    writeFileSync(broken, readFileSync(db));
    execFileSync('python3', ['-c', `import sqlite3; c=sqlite3.connect(${JSON.stringify(broken)}); c.execute('DROP TABLE advisories'); c.commit()`]);
    add('database without its advisories table', 2, ['scan', 'oci:/nowhere', '--db', broken, '--quiet']);
  }
  for (const [N, expectCode, why] of [
    [150_000, 0, 'under every limit'],
    [250_000, 0, 'at the package limit'],
    [600_000, 2, 'under the 32 MiB document limit, over the 250,000-package limit'],
    [1_000_000, 2, 'over the 32 MiB document limit'],
  ]) {
    // A dense package-lock.json (~45 bytes a package): was a stack overflow at ~125,000 packages.
    const dir = path.join(tmp, `lock${N}`);
    const per = 10_000;
    const lockChunk = (k) => {
      let s = '';
      for (let i = k * per; i < (k + 1) * per; i++) s += `,"node_modules/p${i}":{"version":"1.0.0"}`;
      return Buffer.from(s);
    };
    const head = Buffer.from('{"lockfileVersion":3,"packages":{"":{"name":"app"}');
    const size = head.length + Array.from({ length: N / per }, (_, k) => lockChunk(k).length).reduce((a, b) => a + b, 0) + 2;
    const layer = await streamedLayer(dir, 'app/package-lock.json', size, (i) => (i === 0 ? head : i <= N / per ? lockChunk(i - 1) : Buffer.from('}}')));
    add(`package-lock.json with ${N.toLocaleString('en')} packages (${why})`, expectCode, scan(writeLayout(dir, [tarOf([OS_RELEASE]), layer]), '--checks', 'none', '--no-policy'));
  }
  {
    // A 512 MiB lockfile: refused by the document limit as soon as its first bytes are seen.
    const dir = path.join(tmp, 'huge-lock');
    const piece = Buffer.from(`,"node_modules/p":{"version":"1.0.0"}`.repeat(30_000));
    const size = 512 * 1024 * 1024;
    const layer = await streamedLayer(dir, 'app/package-lock.json', size, (i) => (i === 0 ? Buffer.concat([Buffer.from('{"packages":{"":{}'), piece]) : piece));
    add('512 MiB package-lock.json', 2, scan(writeLayout(dir, [tarOf([OS_RELEASE]), layer])));
  }

  console.log(`hostile inputs (${bin}): median of ${runs} runs each; uptime: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);
  let base;
  for (const c of cases) {
    const r = measure(c.args, c.env);
    base ??= r;
    const lines = r.stderr ? r.stderr.split('\n').length : 0;
    const ok = r.code === c.expectCode && (c.expectCode !== 2 || (lines === 1 && r.stderr.startsWith('shipshape: ')));
    console.log(
      `${ok ? 'ok  ' : 'FAIL'} ${c.name}: exit ${r.code}, peak RSS ${(r.rssKiB / 1024).toFixed(0)} MiB (${(r.rssKiB / base.rssKiB).toFixed(2)}x baseline), ` +
        `${r.ms.toFixed(0)} ms (${(r.ms / base.ms).toFixed(2)}x)${r.code === 2 ? `: ${r.stderr.slice(0, 160)}` : ''}`,
    );
  }

  // The glob matcher against the RegExp it replaced: 30 stars against a 4,000-character path.
  const glob = `/${'*a'.repeat(30)}*b`;
  const target = `/${'a'.repeat(4000)}`;
  const { compileGlob } = await import(path.join(root, 'dist', 'policy', 'glob.js'));
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 100; i++) compileGlob(glob).test(target);
  const globMs = Number(process.hrtime.bigint() - t0) / 1e6 / 100;
  const re = `^/${'[^/]*a'.repeat(30)}[^/]*b$`;
  const old = spawn(process.execPath, ['-e', `new RegExp(${JSON.stringify(re)}).test(${JSON.stringify(target)})`]);
  const limitMs = 10_000;
  const finished = await new Promise((resolve) => {
    const timer = setTimeout(() => (old.kill('SIGKILL'), resolve(false)), limitMs);
    old.on('exit', () => (clearTimeout(timer), resolve(true)));
  });
  console.log(`ignore glob, 30 stars vs a 4,000-character path: ${globMs.toFixed(2)} ms per match (median of 100); the old RegExp ${finished ? 'finished' : `had not finished after ${limitMs / 1000} s (killed)`}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
