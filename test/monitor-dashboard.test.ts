/**
 * User-level: `shipshape monitor serve` with the SQLite default store, images from a registry and
 * pods from `kubectl` output; the JSON API, probes, metrics, auth and security headers over HTTP;
 * the dashboard in headless Chromium (puppeteer-core): no console errors, search by CVE finds the
 * image and where it runs, laptop and phone widths; screenshots written to a temp dir.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDb } from '../src/db/index.js';
import { getFeed } from '../src/feeds/registry.js';
import { bin, runCli } from './helpers/cli.js';
import { pushWithSkopeo, registryToolsMissing, startRegistry, type StartedRegistry } from './helpers/registry.js';
import { sharedPath } from './helpers/shared.js';

const CHROMIUM = process.env.SHIPSHAPE_CHROMIUM ?? '/usr/bin/chromium';
const vulndata = sharedPath('vulndata/alpine-secdb');
const images = sharedPath('images/oci');
const kubectl = spawnSync('sh', ['-c', 'command -v kubectl'], { stdio: 'ignore' }).status === 0;
const skip = !vulndata || !images || registryToolsMissing();
const TOKEN = 'dashboard-token-0123456789abcdef';
export const SCREENSHOTS = process.env.SHIPSHAPE_SCREENSHOTS ?? path.join(os.tmpdir(), 'shipshape-monitor-screenshots');

/** A pod list as `kubectl get pods -A -o json` prints it, its pods made from `kubectl create deployment --dry-run=client` templates. */
function podList(pods: Array<{ name: string; namespace: string; image: string; imageID?: string }>): string {
  const items = pods.map((p) => {
    const spec = kubectl
      ? (JSON.parse(execFileSync('kubectl', ['create', 'deployment', p.name, `--image=${p.image}`, '--dry-run=client', '-o', 'json'], { encoding: 'utf8' })) as { spec: { template: { spec: { containers: Array<{ name: string }> } } } }).spec.template.spec
      : { containers: [{ name: p.name.split('-')[0]!, image: p.image }] };
    const c = spec.containers[0]!;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${p.name}-7d9c6b5f4-abcde`, namespace: p.namespace },
      spec,
      status: { phase: 'Running', containerStatuses: [{ name: c.name, image: p.image, ready: true, ...(p.imageID ? { imageID: p.imageID } : {}) }] },
    };
  });
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } });
}

describe.skipIf(skip)('monitor serve: API and dashboard', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-dash-'));
  const dbPath = path.join(tmp, 'shipshape.db');
  const configFile = path.join(tmp, 'monitor.yaml');
  const env = { XDG_CACHE_HOME: path.join(tmp, 'cache'), XDG_DATA_HOME: path.join(tmp, 'data'), SHIPSHAPE_MONITOR_TOKEN: TOKEN };
  let reg: StartedRegistry;
  let serve: ChildProcess;
  let base = '';
  let stderr = '';
  let oldDigest = '';

  const get = (p: string, auth: string | null = `Bearer ${TOKEN}`, init: RequestInit = {}) =>
    fetch(`${base}${p}`, { ...init, headers: { ...(auth ? { authorization: auth } : {}) } });

  beforeAll(async () => {
    cpSync(vulndata!, path.join(tmp, 'vulndata', 'alpine-secdb'), { recursive: true });
    await buildDb({ path: dbPath, from: path.join(tmp, 'vulndata'), feeds: [getFeed('alpine-secdb')!], cacheDir: path.join(tmp, 'feed-cache') });
    reg = await startRegistry();
    await pushWithSkopeo(`oci:${path.join(images!, 'alpine-3.7')}:latest`, `docker://${reg.host}/apps/old:3.7`, reg);
    await pushWithSkopeo(`oci:${path.join(images!, 'alpine-3.10')}:latest`, `docker://${reg.host}/apps/alpine:3.10`, reg);
    await pushWithSkopeo(`oci:${path.join(images!, 'alpine-3.20')}:latest`, `docker://${reg.host}/team/api:2`, reg);
    const head = await fetch(`http://${reg.host}/v2/apps/old/manifests/3.7`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    oldDigest = head.headers.get('docker-content-digest')!;
    writeFileSync(
      path.join(tmp, 'pods.json'),
      podList([
        { name: 'web', namespace: 'prod', image: `${reg.host}/apps/old:3.7`, imageID: `docker-pullable://${reg.host}/apps/old@${oldDigest}` },
        { name: 'api', namespace: 'staging', image: `${reg.host}/team/api:2` },
      ]),
    );
    writeFileSync(configFile, `advisoryDb: ${dbPath}\nwatch:\n  - registry: ${reg.host}\n    insecure: true\n    repositories: ["apps/*"]\n    tags: ["*"]\ncluster:\n  pods: pods.json\nfailOn: unknown\nimageChecks: []\ndbUpdate: false\n`);
    serve = spawn(process.execPath, [bin, 'monitor', 'serve', '-c', configFile, '--listen', '127.0.0.1:0'], { env: { ...process.env, CI: 'true', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    process.once('exit', () => serve.kill('SIGKILL'));
    serve.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    for (const end = Date.now() + 60_000; !base && Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
      base = /dashboard on (http:\/\/\S+)/.exec(stderr)?.[1] ?? '';
      if (serve.exitCode !== null) throw new Error(`monitor serve exited: ${stderr}`);
    }
    // The start round has scanned everything once the API shows a verdict on every image.
    for (const end = Date.now() + 90_000; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
      const res = await get('/api/images');
      const list = (await res.json()) as Array<{ verdict: string | null }>;
      if (list.length === 3 && list.every((i) => i.verdict)) break;
    }
    // A second round from another process (the SQLite file is shared): two points on the chart.
    const r = await runCli(['monitor', 'rescan', '-c', configFile, '-q'], { env, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    if (serve && serve.exitCode === null) serve.kill('SIGKILL');
    await reg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('probes need no token; everything else answers 401 without it, read-only, with security headers', async () => {
    expect((await get('/healthz', null)).status).toBe(200);
    expect((await get('/readyz', null)).status).toBe(200);
    for (const p of ['/', '/api/images', '/api/findings?id=CVE-2019-14697', '/metrics', '/search?q=musl']) {
      const res = await get(p, null);
      expect(res.status, p).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/realm="shipshape monitor"/);
      expect(await res.text()).not.toMatch(/musl|sha256:/);
    }
    expect((await get('/api/images', 'Bearer wrong-token-0123456789')).status).toBe(401);
    expect((await get('/api/images', `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`)).status).toBe(200);
    expect((await get('/api/images', `Bearer ${TOKEN}`, { method: 'POST' })).status).toBe(405);
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\/(?!nvd|github|osv|127\.0\.0\.1)[a-z]/i); // no CDN: every asset from the server
    expect(html).toMatch(/<svg viewBox/);
  });

  it('GET /api/images and /api/findings?id= answer as the issue specifies; SQL-looking input is just text', async () => {
    const imgs = (await (await get('/api/images')).json()) as Array<{ ref: string; digest: string; verdict: string; counts: Record<string, number>; scannedAt: string }>;
    expect(imgs.map((i) => i.ref).sort()).toEqual([`${reg.host}/apps/alpine:3.10`, `${reg.host}/apps/old:3.7`, `${reg.host}/team/api:2`]);
    const old = imgs.find((i) => i.ref.endsWith('old:3.7'))!;
    expect(old).toMatchObject({ digest: oldDigest, verdict: 'fail', counts: expect.objectContaining({ unknown: 2 }) });
    expect(Date.parse(old.scannedAt)).toBeGreaterThan(0);
    const hits = (await (await get('/api/findings?id=CVE-2019-14697')).json()) as Array<Record<string, unknown>>;
    expect(hits.map((h) => [h.ref, h.digest, h.package, h.version, h.fixedIn])).toEqual([
      [`${reg.host}/apps/old:3.7`, oldDigest, 'musl', '1.1.18-r3', '1.1.18-r4'],
      [`${reg.host}/apps/old:3.7`, oldDigest, 'musl-utils', '1.1.18-r3', '1.1.18-r4'],
    ]);
    expect(hits[0]!.running).toEqual(['prod/web-7d9c6b5f4-abcde']);
    for (const q of ["' OR '1'='1", 'CVE-1; DROP TABLE images; --', '%']) {
      const r = await get(`/api/findings?id=${encodeURIComponent(q)}`);
      expect(r.status).toBe(200);
      expect(await r.json()).toEqual([]);
    }
    expect(((await (await get('/api/images')).json()) as unknown[]).length).toBe(3);
    expect((await get('/api/findings')).status).toBe(400);
    const bom = (await (await get(`/api/images/${oldDigest}/sbom`)).json()) as { bomFormat: string; components: Array<{ name: string }> };
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.components.map((c) => c.name)).toContain('musl');
    const spdx = (await (await get(`/api/images/${oldDigest}/sbom?format=spdx`)).json()) as { spdxVersion: string };
    expect(spdx.spdxVersion).toBe('SPDX-2.3');
    expect((await get(`/api/images/${oldDigest}/sbom?format=xml`)).status).toBe(400);
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/^shipshape_monitor_images\{verdict="fail"\} 1$/m);
    expect(metrics).toMatch(/^shipshape_monitor_jobs\{state="done"\} \d+$/m);
    const rounds = (await (await get('/api/rounds')).json()) as Array<{ finishedAt: number | null }>;
    expect(rounds.filter((r) => r.finishedAt).length).toBeGreaterThanOrEqual(2);
  });

  it.skipIf(!existsSync(CHROMIUM))('the dashboard in Chromium: no console errors, search by CVE finds the image, phone width fits', async () => {
    const puppeteer = (await import('puppeteer-core')).default;
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${path.join(tmp, 'chrome')}`],
    });
    const problems: string[] = [];
    try {
      const page = await browser.newPage();
      page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
      page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
      page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
      page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
      await page.setExtraHTTPHeaders({ authorization: `Bearer ${TOKEN}` });
      await page.setViewport({ width: 1280, height: 900 });
      await page.goto(`${base}/`, { waitUntil: 'networkidle0' });
      expect(await page.$eval('h1', (e) => e.textContent)).toBe('Fleet overview');
      expect(await page.$$eval('.chart path.line', (l) => l.length)).toBe(5);
      expect(await page.$eval('main', (e) => e.textContent)).toMatch(/What changed in the last round/);
      await page.screenshot({ path: path.join(SCREENSHOTS, 'overview-laptop.png'), fullPage: true });

      await page.type('input[name=q]', 'CVE-2019-14697');
      await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.click('header button[type=submit]')]);
      const rows = await page.$$eval('#results tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
      expect(rows).toHaveLength(2);
      expect(rows[0]).toContain(`${reg.host}/apps/old:3.7`);
      expect(rows[0]).toContain('prod/web-7d9c6b5f4-abcde');
      expect(await page.$eval('#results a[href^="https://"]', (a) => a.getAttribute('href') ?? '')).toMatch(/CVE-2019-14697/);
      await page.screenshot({ path: path.join(SCREENSHOTS, 'search-cve-laptop.png'), fullPage: true });

      await page.goto(`${base}/search?q=busybox`, { waitUntil: 'networkidle0' });
      expect(await page.$eval('main', (e) => e.textContent)).toMatch(/result\(s\) by package/);

      await Promise.all([page.waitForNavigation({ waitUntil: 'networkidle0' }), page.goto(`${base}/images/${oldDigest}`)]);
      const text = await page.$eval('main', (e) => e.textContent ?? '');
      expect(text).toMatch(/CVE-2019-14697/);
      expect(text).toMatch(/Packages \(13\)/);
      expect(text).toMatch(/running in\s*prod\/web/);
      await page.screenshot({ path: path.join(SCREENSHOTS, 'image-laptop.png'), fullPage: true });

      await page.setViewport({ width: 390, height: 844, isMobile: true, deviceScaleFactor: 2 });
      for (const [name, p] of [['overview', '/'], ['image', `/images/${oldDigest}`], ['search-cve', '/search?q=CVE-2019-14697']] as const) {
        await page.goto(`${base}${p}`, { waitUntil: 'networkidle0' });
        // Runs in the page: no DOM types in this project's tsconfig.
        const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
        expect(overflow, `${name} is wider than a phone`).toBeLessThanOrEqual(0);
        await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-phone.png`), fullPage: true });
      }
    } finally {
      await browser.close();
    }
    expect(problems).toEqual([]);
    process.stderr.write(`dashboard screenshots: ${SCREENSHOTS}\n`);
  });

  it('SIGTERM stops serve cleanly (exit 0)', async () => {
    const exited = new Promise<number | null>((r) => serve.once('close', (code) => r(code)));
    serve.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
