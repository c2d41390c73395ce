#!/usr/bin/env node
/**
 * Admission webhook load test: autocannon against `shipshape admission serve` (the built CLI, real
 * TLS), POST /validate with a kubectl-made 3-container Deployment, at a fixed rate (default 500
 * requests/s for 30 s), images held by a local docker-registry (TLS). Reports p50/p99/max latency,
 * errors and the server's CPU time per request, warm cache and cold cache, each as a ratio to
 * GET /healthz on the same server at the same rate (TLS + HTTP alone) measured in the same run.
 * Images: `shipshape promote`d (signed, attested) when the command exists, else pushed with skopeo
 * unsigned (the decision is then a denial, after the same registry lookups).
 *
 *   node bench/admission.js            BENCH_RATE=500 BENCH_SECONDS=30 BENCH_COLD_SECONDS=10
 * Anchor: Kyverno's published admission load test, 42.7 ms average and 141 ms maximum at 100 virtual users.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import autocannon from 'autocannon';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, '../shared');
// BENCH_BIN=path/to/bin/shipshape measures another build (e.g. main's, for before/after figures).
const bin = process.env.BENCH_BIN ? path.resolve(process.env.BENCH_BIN) : path.join(root, 'bin', 'shipshape');
const rate = Number(process.env.BENCH_RATE ?? 500);
const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const coldSeconds = Number(process.env.BENCH_COLD_SECONDS ?? 10);
// Every cold request looks the images up again (cache TTL 0): at the warm rate that is a registry load test.
const coldRate = Number(process.env.BENCH_COLD_RATE ?? 50);
const image = path.join(shared, 'images', 'oci', 'alpine-3.20');

const missing = ['docker-registry', 'skopeo', 'openssl', 'kubectl'].filter((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0);
if (missing.length || !existsSync(image)) {
  console.log(`skipping admission benchmark: needs ${[...missing, existsSync(image) ? '' : image].filter(Boolean).join(', ')}`);
  process.exit(0);
}

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });

/** utime + stime of a process, in ms (Linux /proc). */
function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / Number(run('getconf', ['CLK_TCK']).trim());
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-bench-adm-'));
const children = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

async function waitFor(what, fn, ms = 30_000) {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

let registryPid;
async function startRegistry() {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path.join(tmp, 'reg.key'), '-out', path.join(tmp, 'reg.crt'),
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-addext', 'basicConstraints=critical,CA:TRUE']);
  writeFileSync(path.join(tmp, 'reg.yml'), `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${tmp}/storage\nhttp:\n  addr: ${host}\n  tls:\n    certificate: ${tmp}/reg.crt\n    key: ${tmp}/reg.key\n`);
  const child = spawn('docker-registry', ['serve', path.join(tmp, 'reg.yml')], { stdio: 'ignore' });
  children.push(child);
  await waitFor('docker-registry', () => new Promise((r) => net.connect(port, '127.0.0.1').on('connect', function () { this.end(); r(true); }).on('error', () => r(false))));
  registryPid = child.pid;
  return host;
}

function push(host, repo) {
  const certs = path.join(tmp, 'skopeo-certs');
  mkdirSync(certs, { recursive: true });
  copyFileSync(path.join(tmp, 'reg.crt'), path.join(certs, 'ca.crt'));
  run('skopeo', ['--insecure-policy', 'copy', '--quiet', '--dest-cert-dir', certs, `oci:${image}:latest`, `docker://${host}/${repo}`], { env: { ...process.env, HOME: tmp } });
}

/** One POST through Node's https (the CA is ours; autocannon does not verify it). */
async function fetchAnswer(url, body) {
  const https = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca: readFileSync(path.join(tmp, 'certs', 'ca.crt')), headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => (text += d));
      res.on('end', () => resolve(JSON.parse(text)));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(result, p) {
  return result.latency[`p${p}`] ?? result.latency[`p${String(p).replace('.', '_')}`];
}

/** The p-th percentile of sorted values (nearest rank). */
function rank(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : undefined;
}

/**
 * One autocannon run. autocannon paces a rate per connection and per second: each of the 20
 * connections sends its share (500/20 = 25) back to back at the start of every second, then waits
 * for the next. Its own latency histogram corrects for coordinated omission with an expected
 * interval of Math.ceil(1 / rate) = 1 ms (autocannon 9, lib/run.js) where the interval between one
 * connection's requests is 1000 / rate = 40 ms: every response slower than 1 ms adds synthetic
 * samples at 1 ms steps below it (a 20 ms response counts 20 times; 30,000-60,000 samples for 5,000
 * responses). Besides autocannon's figures, this reports the responses' own percentiles with the
 * correction at the real interval (HdrHistogram's recordValueWithExpectedInterval: a response
 * slower than the interval also stands for the requests its connection could not send meanwhile),
 * the p99 of the responses after the first second (the 20 connections' TLS handshakes done, as an
 * API server keeps its webhook connections) and the generator's own event-loop delay.
 */
async function load(url, opts) {
  // autocannon times responses on this event loop: its delay is in every figure.
  const lag = monitorEventLoopDelay({ resolution: 1 });
  lag.enable();
  const connections = 20;
  const inst = autocannon({ url, connections, overallRate: opts.rate, duration: opts.seconds, ...opts.request });
  const t0 = Date.now();
  const all = [];
  const late = [];
  inst.on('response', (_client, _status, _bytes, ms) => {
    all.push(ms);
    if (Date.now() - t0 > 1000) late.push(ms);
  });
  const r = await inst;
  lag.disable();
  const interval = 1000 / (opts.rate / connections);
  const corrected = [];
  for (const ms of all) for (let v = ms; v === ms || v >= interval; v -= interval) corrected.push(v);
  corrected.sort((a, b) => a - b);
  late.sort((a, b) => a - b);
  const round = (x) => (x === undefined ? undefined : Math.round(x * 10) / 10);
  r.own = { p50: round(rank(corrected, 0.5)), p99: round(rank(corrected, 0.99)), p99Late: round(rank(late, 0.99)), synthetic: corrected.length - all.length };
  r.generatorLag = `${(lag.percentile(99) / 1e6).toFixed(0)} / ${(lag.max / 1e6).toFixed(0)}`;
  return r;
}

async function main() {
  const load1 = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  const host = await startRegistry();
  const repos = ['bench/app:1.0', 'bench/side:1.0', 'bench/init:1.0'];
  const promoteExists = /^\s+promote\b/m.test(spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' }).stdout);
  const vulndata = path.join(shared, 'vulndata');
  const signed = promoteExists && existsSync(vulndata);
  const env = { ...process.env, SHIPSHAPE_KEY_PASSWORD: 'bench', CI: 'true' };
  if (signed) {
    // Promoted: signed and attested, so the warm and cold runs take the admitted path (attestation blobs read and checked).
    const db = path.join(tmp, 'db.sqlite');
    run(process.execPath, [bin, 'db', 'build', '--from', vulndata, '--db', db, '--feeds', 'alpine-secdb', '--quiet'], { env });
    run(process.execPath, [bin, 'key', 'generate', '--output', path.join(tmp, 'cosign')], { env });
    for (const r of repos) {
      run(process.execPath, [bin, 'promote', `oci:${image}:latest`, `${host}/${r}`, '--key', path.join(tmp, 'cosign.key'), '--db', db, '--no-policy', '--no-cache', '--quiet', '--ca-cert', path.join(tmp, 'reg.crt')], { env });
    }
  } else {
    for (const r of repos) push(host, r);
    const pub = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' });
    writeFileSync(path.join(tmp, 'cosign.pub'), pub);
    console.log('note: images pushed unsigned with skopeo (no `shipshape promote` or no ../shared/vulndata): the answer is a denial after the same lookups');
  }

  if (process.env.BENCH_HOLD) {
    // For profiling by hand: the registry stays up with the promoted images until this process is killed.
    console.log(JSON.stringify({ registry: host, ca: path.join(tmp, 'reg.crt'), key: path.join(tmp, 'cosign.pub'), repos }));
    await new Promise((resolve) => process.once('SIGTERM', resolve).once('SIGINT', resolve));
    process.exit(0);
  }
  run(process.execPath, [bin, 'admission', 'certs', '--out', path.join(tmp, 'certs'), '--ip', '127.0.0.1']);
  const policy = (cache) =>
    `mode: enforce\nallowedRegistries: ["${host}/*"]\ntrustedKeys: [cosign.pub]\nattestation: { required: true, maxAge: 7d, verdict: pass }\ncache: ${cache}\n`;
  const kubeconfig = path.join(tmp, 'kubeconfig');
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\n');
  const kubectl = run('kubectl', ['create', 'deployment', 'web', ...repos.map((r) => `--image=${host}/${r}`), '-n', 'prod', '--dry-run=client', '-o', 'json'], { env: { ...process.env, KUBECONFIG: kubeconfig } });
  const obj = JSON.parse(kubectl);
  const review = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: '0b5e1d1a-3c6a-4f4e-9a63-2f9c1f1d2a10', kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      name: 'web', namespace: 'prod', operation: 'CREATE', userInfo: { username: 'bench' }, object: obj, oldObject: null, dryRun: false },
  });

  const results = [];
  // BENCH_ONLY=warm|cold runs one of the two; BENCH_SERVER_NODE_ARGS (e.g. --cpu-prof --cpu-prof-dir=DIR) goes to the
  // server's node; BENCH_SERVER_STDOUT=FILE keeps its stdout (the log lines) in FILE.warm / FILE.cold.
  const runsWanted = [['warm', '{ ttl: 1h, tagTtl: 1h }', seconds, rate], ['cold', '{ ttl: 0s, tagTtl: 0s }', coldSeconds, coldRate]].filter(([l]) => !process.env.BENCH_ONLY || process.env.BENCH_ONLY === l);
  const serverNodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  for (const [label, cache, secs, runRate] of runsWanted) {
    writeFileSync(path.join(tmp, 'admission.yaml'), policy(cache));
    const port = await freePort();
    const srv = spawn(process.execPath, [...serverNodeArgs, bin, 'admission', 'serve', '--config', path.join(tmp, 'admission.yaml'), '--tls-cert', path.join(tmp, 'certs', 'tls.crt'), '--tls-key', path.join(tmp, 'certs', 'tls.key'),
      '--port', String(port), '--host', '127.0.0.1', '--ca-cert', path.join(tmp, 'reg.crt')], { stdio: ['ignore', process.env.BENCH_SERVER_STDOUT ? openSync(`${process.env.BENCH_SERVER_STDOUT}.${label}`, 'w') : 'ignore', 'pipe'] });
    children.push(srv);
    let err = '';
    srv.stderr.on('data', (d) => (err += d));
    await waitFor('admission serve', () => err.includes('listening on') || srv.exitCode !== null);
    if (srv.exitCode !== null) throw new Error(`admission serve failed: ${err}`);
    const url = `https://127.0.0.1:${port}`;
    // One request first (the warm run measures the cache, not the first lookup), and its answer checked.
    const first = await fetchAnswer(`${url}/validate`, review);
    if (first.response?.allowed !== signed) throw new Error(`expected allowed=${signed}, got ${JSON.stringify(first).slice(0, 300)}`);

    const c0 = cpuMs(srv.pid);
    const base = await load(`${url}/healthz`, { seconds: Math.min(secs, 10), rate: runRate, request: { method: 'GET' } });
    const c1 = cpuMs(srv.pid);
    const g1 = cpuMs(registryPid);
    const r = await load(`${url}/validate`, { seconds: secs, rate: runRate, request: { method: 'POST', body: review, headers: { 'content-type': 'application/json' } } });
    const c2 = cpuMs(srv.pid);
    const g2 = cpuMs(registryPid);
    srv.kill('SIGTERM');
    await new Promise((res) => srv.once('exit', res));
    const row = (name, x, cpu) => ({
      run: `${label} ${name} @${runRate}/s`,
      requests: x.requests.total,
      'req/s': Math.round(x.requests.average),
      'p50 ms': x.own.p50,
      'p99 ms': x.own.p99,
      'max ms': x.latency.max,
      'p99 after 1st s': x.own.p99Late,
      'autocannon p50/p99': `${percentile(x, 50)} / ${percentile(x, 99)}`,
      errors: x.errors + x.timeouts,
      non2xx: x.non2xx,
      'cpu ms/req': (cpu / Math.max(1, x.requests.total)).toFixed(3),
      'gen lag p99/max': x.generatorLag,
      load: os.loadavg()[0].toFixed(1),
    });
    results.push(row('/healthz (baseline)', base, c1 - c0), { ...row('/validate', r, c2 - c1), 'registry cpu ms/req': ((g2 - g1) / Math.max(1, r.requests.total)).toFixed(3) });
    results.push({ run: `${label} ratio /validate ÷ /healthz`, 'p50 ms': (r.own.p50 / Math.max(0.001, base.own.p50)).toFixed(2), 'p99 ms': (r.own.p99 / Math.max(0.001, base.own.p99)).toFixed(2),
      'cpu ms/req': (((c2 - c1) / Math.max(1, r.requests.total)) / Math.max(0.0001, (c1 - c0) / Math.max(1, base.requests.total))).toFixed(2) });
  }
  console.log(`admission webhook (${signed ? 'promoted, signed images: admitted' : 'unsigned images: denied'}): ${rate} req/s warm for ${seconds}s, ${coldRate} req/s cold for ${coldSeconds}s, 20 connections, 3-container Deployment; uptime load before: ${load1}, after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; ${os.cpus().length} CPUs; 1 run`);
  console.table(results);
}

// Exit explicitly: the registry child keeps the event loop alive, so the 'exit' handler that stops it would never run.
main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench/admission.js: ${err.message}`);
    process.exit(2);
  },
);
