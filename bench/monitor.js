#!/usr/bin/env node
/**
 * Monitor benchmark (figures as ratios, with `uptime` and run count): 10,000 stored SBOMs made from
 * the shared images' package lists with varied versions, re-matched after a database update:
 *   - SQLite, one process: images/s (goal >= 1,000/s), and as a ratio to bare matching (parse +
 *     match + policy, no store) of the same SBOMs in the same run
 *   - PostgreSQL, 2 `monitor worker` processes: images/s as a ratio to the SQLite figure (goal >= 0.8)
 *   - dashboard pages with 10,000 images stored: p50/p95 per page (goal p95 <= 100 ms)
 * Needs ../shared; PostgreSQL part needs /usr/lib/postgresql/15/bin (skipped otherwise).
 * BENCH_MONITOR_IMAGES (default 10000), BENCH_RUNS (default 3), BENCH_DB (reuse a built full db).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, '../shared');
const bin = path.join(root, 'bin', 'shipshape');
const N = Number(process.env.BENCH_MONITOR_IMAGES ?? 10_000);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const PG_BIN = process.env.SHIPSHAPE_PG_BIN ?? '/usr/lib/postgresql/15/bin';
// BENCH_PARTS=sqlite,dashboard,postgres (default all): the dashboard needs only the SQLite store filled.
const parts = new Set((process.env.BENCH_PARTS ?? 'sqlite,dashboard,postgres').split(','));
const IMAGES = ['alpine-3.7', 'alpine-3.10', 'alpine-3.20', 'debian-bookworm', 'debian-app', 'go-static'];

if (!existsSync(path.join(shared, 'images')) || !existsSync(path.join(shared, 'vulndata'))) {
  console.log(`skipping monitor benchmark: ${shared}/images and ${shared}/vulndata are needed`);
  process.exit(0);
}

const dist = (p) => import(path.join(root, 'dist', p));
const [{ buildDb }, { scanImage }, mon, { judge, readStoredSbom }, { openDb }, { createMonitorServer }, { MatchMemo }] = await Promise.all([
  dist('db/index.js'),
  dist('scan/index.js'),
  dist('monitor/index.js'),
  dist('monitor/judge.js'),
  dist('db/open.js'),
  dist('monitor/web/server.js'),
  dist('match/index.js'),
]);

const uptime = () => spawnSync('uptime', { encoding: 'utf8' }).stdout.trim().replace(/.*load average:/, 'load');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const log = (s) => process.stderr.write(`bench/monitor: ${s}\n`);

/** xorshift32: the same varied versions every run. */
function prng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** A version with its last number moved a little: older or newer builds of the same package. */
function vary(version, rnd) {
  const m = /^(.*?)(\d+)(\D*)$/.exec(version);
  if (!m) return version;
  const n = Number(m[2]);
  const next = Math.max(0, n + Math.floor(rnd() * 5) - 2);
  return `${m[1]}${next}${m[3]}`;
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-bench-monitor-'));
const children = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
try {
  // The database: the full shared vulndata (db0), and db1 = db0 + one advisory (a "db update").
  const db0 = path.join(tmp, 'db0.sqlite');
  if (process.env.BENCH_DB) copyFileSync(process.env.BENCH_DB, db0);
  else {
    log('building the advisory database from ../shared/vulndata');
    await buildDb({ path: db0, from: path.join(shared, 'vulndata'), cacheDir: path.join(tmp, 'feeds') });
  }
  const db1 = path.join(tmp, 'db1.sqlite');
  copyFileSync(db0, db1);
  {
    const d = new Database(db1);
    d.prepare("INSERT INTO advisories (namespace, package, id, aliases, feed, scheme, severity, ranges) VALUES ('alpine:3.10', 'busybox', 'CVE-2099-1000', '[]', 'alpine-secdb', 'apk', 'unknown', ?)").run(JSON.stringify([{ introduced: '0', fixed: '1.30.1-r99' }]));
    d.prepare("UPDATE meta SET value = 'sha256:bench-db1' WHERE key = 'digest'").run();
    d.close();
  }
  const live = path.join(tmp, 'shipshape.db');
  // Each run flips the live file between db0 and db1, as `db update` renames a new build into place.
  let flip = 0;
  const swap = () => {
    const src = flip++ % 2 === 0 ? db1 : db0;
    copyFileSync(src, `${live}.tmp`);
    renameSync(`${live}.tmp`, live);
  };
  copyFileSync(db0, live);

  // The shared images' package lists, then N SBOMs with varied versions.
  log('reading the shared images');
  const bases = [];
  for (const name of IMAGES) {
    const r = await scanImage(`oci:${path.join(shared, 'images', 'oci', name)}:latest`, { dbPath: db0, cacheDir: path.join(tmp, 'layers') });
    bases.push({ name, os: r.os, packages: r.packages });
  }
  // Each base's creation time (expected-facts.json), stored as the config the per-round image checks read.
  const facts = JSON.parse(readFileSync(path.join(shared, 'images', 'expected-facts.json'), 'utf8')).images;
  for (const b of bases) b.config = JSON.stringify({ created: facts.find((f) => f.name === b.name)?.created });
  const rnd = prng(42);
  const sboms = [];
  for (let i = 0; i < N; i++) {
    const b = bases[i % bases.length];
    const packages = b.packages.map((p) => (rnd() < 0.3 ? { ...p, version: vary(p.version, rnd), ...(p.sourceVersion ? { sourceVersion: vary(p.sourceVersion, rnd) } : {}) } : p));
    const hex = i.toString(16).padStart(64, '0');
    sboms.push({ digest: `sha256:${hex}`, ref: `bench.local/fleet/${b.name}-${i}:v1`, text: JSON.stringify({ schema: 1, os: b.os, packages }), config: b.config });
  }
  const pkgCount = sboms.reduce((n, s, i) => n + bases[i % bases.length].packages.length, 0);
  log(`${N} SBOMs, ${pkgCount} packages (${(pkgCount / N).toFixed(0)} per image)`);

  async function load(store) {
    await store.recordRefs(sboms.map((s) => ({ ref: s.ref, registry: 'bench.local', repository: s.ref.split('/').slice(1).join('/').replace(/:.*/, ''), tag: 'v1', digest: s.digest, source: 'registry' })));
    for (let i = 0; i < sboms.length; i += 500) {
      await store.sql.tx(async (q) => {
        for (const s of sboms.slice(i, i + 500)) {
          await q.run("UPDATE images SET sbom = ?, config = ?, package_count = 0, layers = '[]', scanned_at = ?, state = 'ok' WHERE digest = ?", [s.text, s.config, Date.now(), s.digest]);
        }
      });
    }
  }
  const config = (store) => ({ file: 'bench', advisoryDb: live, watch: [], cluster: {}, failOn: 'critical', store, intervalMs: 9e9, dbPollMs: 9e9, dbUpdate: false, alerts: [], workers: 0, imageChecks: ['stale-image', 'outdated-base'], maxImageAgeMs: 90 * 86_400_000 });

  // Baseline: bare judgement of every SBOM (parse + match + policy), no store; with a findings memo
  // of its own per run, as the monitor's (a fresh one: the monitor's runs must not find it filled).
  const bare = [];
  for (let r = 0; r < runs; r++) {
    const db = openDb(r % 2 ? db0 : db1);
    const s = db.status();
    const memo = new MatchMemo();
    const t0 = performance.now();
    for (const x of sboms) {
      const imageChecks = { ids: ['stale-image', 'outdated-base'], maxImageAgeDays: 90, config: JSON.parse(x.config) };
      judge(readStoredSbom(x.text, x.digest), x.digest, x.ref, db, { policy: null, failOn: 'critical', db: { digest: s.digest, builtAt: s.builtAt }, now: new Date(), imageChecks, memo });
    }
    bare.push(N / ((performance.now() - t0) / 1000));
    db.close();
  }
  const bareRate = median(bare);
  log(`bare matching: ${bareRate.toFixed(0)} images/s (${uptime()})`);

  // SQLite, one process.
  const sqlitePath = path.join(tmp, 'sqlite', 'monitor.db');
  const ctx = await mon.openContext(config(sqlitePath), { store: sqlitePath, cacheDir: null });
  await load(ctx.store);
  let t0 = performance.now();
  const first = await mon.runRound(ctx, { reason: 'bench-first', work: true });
  const firstRate = N / ((performance.now() - t0) / 1000);
  const findingRows = (await ctx.store.sql.all('SELECT COUNT(*) AS n FROM findings'))[0].n;
  log(`SQLite first judgement: ${firstRate.toFixed(0)} images/s, ${findingRows} finding rows (${first.rematches} re-matched)`);
  const sq = [];
  const sqLoad = [];
  for (let r = 0; r < (parts.has('sqlite') ? runs : 0); r++) {
    swap();
    t0 = performance.now();
    const res = await mon.runRound(ctx, { reason: 'bench', work: true });
    sq.push(res.rematches / ((performance.now() - t0) / 1000));
    sqLoad.push(uptime());
    log(`SQLite run ${r + 1}: ${sq[r].toFixed(0)} images/s, events ${JSON.stringify(res.events)} (${sqLoad[r]})`);
  }
  const sqliteRate = sq.length ? median(sq) : NaN;
  if (parts.has('dashboard') && !sq.length) {
    // The last round changed a third of the fleet: the overview lists those changes.
    swap();
    await mon.runRound(ctx, { reason: 'bench', work: true });
  }

  // Dashboard pages with N images stored.
  const token = 'bench-token-0123456789abcdef';
  const server = createMonitorServer(ctx.store, { token });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const someDigest = sboms[4].digest; // a debian-app based image: the longest pages
  const commonCve = (await ctx.store.sql.all('SELECT id, COUNT(*) AS n FROM findings WHERE id LIKE ? GROUP BY id ORDER BY n DESC LIMIT 1', ['CVE-%']))[0]?.id ?? 'CVE-2099-1000';
  const pages = {
    overview: '/',
    'overview page 100': '/?page=100',
    image: `/images/${someDigest}`,
    'search CVE': `/search?q=${commonCve}`,
    'search package': '/search?q=openssl',
    'api findings': `/api/findings?id=${commonCve}`,
  };
  const dash = {};
  const all = [];
  for (const [name, p] of Object.entries(parts.has('dashboard') ? pages : {})) {
    const xs = [];
    for (let i = 0; i < 5 + 60; i++) {
      const s = performance.now();
      const res = await fetch(`${base}${p}`, { headers: { authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${p}: ${res.status}`);
      if (i >= 5) xs.push(performance.now() - s);
    }
    dash[name] = { p50: pct(xs, 50), p95: pct(xs, 95) };
    all.push(...xs);
  }
  const dashLoad = uptime();
  await new Promise((r) => server.close(r));
  await mon.closeMonitor(ctx);
  log(`dashboard p95 ${pct(all, 95).toFixed(1)} ms over ${all.length} requests (${dashLoad}), common CVE ${commonCve}`);

  // PostgreSQL, 2 worker processes.
  let pgResult = null;
  if (!parts.has('postgres')) {
    log('PostgreSQL part not asked for (BENCH_PARTS)');
  } else if (existsSync(path.join(PG_BIN, 'initdb'))) {
    const pg = await startPostgres();
    try {
      const cfgFile = path.join(tmp, 'pg.yaml');
      writeFileSync(cfgFile, `advisoryDb: ${live}\nstore: ${pg.url}\ndbUpdate: false\nworkers: 0\n`);
      const pctx = await mon.openContext(config(pg.url), { store: pg.url, cacheDir: null });
      await load(pctx.store);
      const workers = [0, 1].map((i) => {
        const c = spawn(process.execPath, [bin, 'monitor', 'worker', '-c', cfgFile, '--id', `bench-${i}`, '--poll', '0.1s', '-q'], { stdio: ['ignore', 'ignore', 'inherit'] });
        children.push(c);
        return c;
      });
      const round = async () => {
        const t = performance.now();
        const res = await mon.runRound(pctx, { reason: 'bench', work: false, wait: true });
        return { rate: res.rematches / ((performance.now() - t) / 1000), res };
      };
      copyFileSync(db0, `${live}.tmp`);
      renameSync(`${live}.tmp`, live);
      flip = 0;
      const f = await round();
      log(`PostgreSQL first judgement (2 workers): ${f.rate.toFixed(0)} images/s`);
      const pr = [];
      const prLoad = [];
      for (let r = 0; r < runs; r++) {
        swap();
        const x = await round();
        pr.push(x.rate);
        prLoad.push(uptime());
        log(`PostgreSQL 2 workers run ${r + 1}: ${x.rate.toFixed(0)} images/s, events ${JSON.stringify(x.res.events)} (${prLoad[r]})`);
      }
      for (const c of workers) c.kill('SIGTERM');
      await mon.closeMonitor(pctx);
      pgResult = { rate: median(pr), first: f.rate, load: prLoad };
    } finally {
      await pg.stop();
    }
  } else {
    log(`skipping PostgreSQL: ${PG_BIN}/initdb not found`);
  }

  const out = {
    images: N,
    runs,
    cpus: os.cpus().length,
    bareMatching: { imagesPerSec: Math.round(bareRate) },
    sqlite: { imagesPerSec: Math.round(sqliteRate), ratioToBareMatching: +(sqliteRate / bareRate).toFixed(2), goal: '>= 1000/s', firstJudgementPerSec: Math.round(firstRate), load: sqLoad },
    postgres2Workers: pgResult ? { imagesPerSec: Math.round(pgResult.rate), ratioToSqlite: +(pgResult.rate / sqliteRate).toFixed(2), goal: '>= 0.8', firstJudgementPerSec: Math.round(pgResult.first), load: pgResult.load } : 'skipped',
    dashboard: { p95Ms: +pct(all, 95).toFixed(1), goal: '<= 100 ms', pages: Object.fromEntries(Object.entries(dash).map(([k, v]) => [k, { p50: +v.p50.toFixed(1), p95: +v.p95.toFixed(1) }])), load: dashLoad },
  };
  console.log(JSON.stringify(out, null, 2));
} finally {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** PostgreSQL on a temp dir and loopback port (as `nobody` when root), as the tests start it. */
async function startPostgres() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shipshape-bench-pg-'));
  const data = path.join(dir, 'data');
  const root = process.getuid?.() === 0;
  if (root) {
    chmodSync(dir, 0o755);
    chownSync(dir, 65534, 65534);
  }
  const run = (cmd, args) => {
    const [c, a] = root ? ['runuser', ['-u', 'nobody', '--', cmd, ...args]] : [cmd, args];
    const r = spawnSync(c, a, { encoding: 'utf8', cwd: dir });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  run(path.join(PG_BIN, 'initdb'), ['-D', data, '-U', 'shipshape', '--auth=trust', '--no-sync']);
  const port = await freePort();
  run(path.join(PG_BIN, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'log'), '-w', '-o', `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c synchronous_commit=off`, 'start']);
  mkdirSync(path.join(dir, 'x'), { recursive: true });
  return {
    url: `postgres://shipshape@127.0.0.1:${port}/postgres`,
    stop: async () => {
      try {
        run(path.join(PG_BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop']);
      } catch {
        // gone already
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
