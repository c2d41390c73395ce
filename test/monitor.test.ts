/**
 * The monitor end to end on real parts: docker-registry with the shared images pushed, a database
 * built from a copy of ../shared/vulndata, rounds through the library as `monitor serve` runs them:
 * a new tag pushed mid-test is picked up; one advisory added → exactly the affected image gets
 * "new finding" events, its verdict flips, and one signed webhook delivery arrives; the registry
 * gone → re-match still works (no layer is pulled) and the error is recorded; the advisory removed
 * → "fixed"; a corrupt stored SBOM marks that image only.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDb } from '../src/db/index.js';
import { getFeed } from '../src/feeds/registry.js';
import { closeMonitor, openContext, parseConfig, runRound, signature, type MonitorContext } from '../src/monitor/index.js';
import { pushWithSkopeo, registryToolsMissing, startRegistry, type StartedRegistry } from './helpers/registry.js';
import { sharedPath } from './helpers/shared.js';

const vulndata = sharedPath('vulndata/alpine-secdb');
const images = sharedPath('images/oci');
const skip = !vulndata || !images || registryToolsMissing();

interface Received {
  url: string;
  body: string;
  signature: string | undefined;
  status: number;
}

describe.skipIf(skip)('monitor: rounds, re-match on a database update, alerts', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-monitor-'));
  const feeds = path.join(tmp, 'vulndata');
  const dbPath = path.join(tmp, 'shipshape.db');
  const secret = 'hook-secret-for-the-test';
  let reg: StartedRegistry;
  let hook: http.Server;
  const received: Received[] = [];
  let failNext = 0;
  let ctx: MonitorContext;
  const digests: Record<string, string> = {};

  const build = () => buildDb({ path: dbPath, from: feeds, feeds: [getFeed('alpine-secdb')!], cacheDir: path.join(tmp, 'feed-cache') });
  const mainYaml = path.join(feeds, 'alpine-secdb', 'v3.10', 'main.yaml');
  const original = () => readFileSync(path.join(vulndata!, 'v3.10', 'main.yaml'), 'utf8');

  beforeAll(async () => {
    cpSync(vulndata!, path.join(feeds, 'alpine-secdb'), { recursive: true });
    await build();
    reg = await startRegistry();
    for (const [img, dest] of [
      ['alpine-3.10', 'apps/alpine:3.10'],
      ['alpine-3.10', 'apps/base:v1'],
      ['alpine-3.7', 'apps/old:3.7'],
      ['alpine-3.20', 'other/ignored:1'],
    ] as const) {
      await pushWithSkopeo(`oci:${path.join(images!, img)}:latest`, `docker://${reg.host}/${dest}`, reg);
    }
    hook = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = failNext > 0 ? (failNext--, 503) : 200;
        received.push({ url: req.url ?? '', body: Buffer.concat(chunks).toString('utf8'), signature: req.headers['x-shipshape-signature'] as string | undefined, status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    const configFile = path.join(tmp, 'monitor.yaml');
    writeFileSync(
      configFile,
      `advisoryDb: ${dbPath}
watch:
  - registry: ${reg.host}
    insecure: true
    repositories: ["apps/*"]
    tags: ["*"]
failOn: unknown
imageChecks: []
alerts:
  - url: ${hookUrl}
    secretEnv: HOOK_SECRET
    minSeverity: unknown
  - url: ${hookUrl}?slack
    format: slack
    minSeverity: critical
`,
    );
    const config = parseConfig(readFileSync(configFile, 'utf8'), configFile);
    ctx = await openContext(config, { store: path.join(tmp, 'data', 'monitor.db'), cacheDir: path.join(tmp, 'layers') });
    ctx.alerts = { env: { HOOK_SECRET: secret }, baseDelayMs: 50 };
  });

  afterAll(async () => {
    if (ctx) await closeMonitor(ctx);
    await reg?.stop();
    await new Promise((r) => hook?.close(r));
    rmSync(tmp, { recursive: true, force: true });
  });

  it('first round: every watched tag is resolved, each digest scanned once, nothing outside the globs', async () => {
    const r = await runRound(ctx, { reason: 'test' });
    expect(r.discover.errors).toEqual([]);
    expect(r.scans).toBe(2);
    expect(r.events).toEqual({ scanned: 2 });
    const imgs = await ctx.store.images();
    for (const i of imgs) for (const ref of i.refs) digests[ref.slice(reg.host.length + 1)] = i.digest;
    expect(Object.keys(digests).sort()).toEqual(['apps/alpine:3.10', 'apps/base:v1', 'apps/old:3.7']);
    expect(digests['apps/alpine:3.10']).toBe(digests['apps/base:v1']);
    const byRef = (ref: string) => imgs.find((i) => i.refs.includes(`${reg.host}/${ref}`))!;
    expect(byRef('apps/old:3.7').verdict).toBe('fail');
    expect(byRef('apps/alpine:3.10').verdict).toBe('pass');
    expect(received).toEqual([]); // a first scan is not an alert
    // The config the per-round image checks need is kept with the SBOM.
    const configs = await ctx.store.sql.all<{ config: string }>('SELECT config FROM images');
    expect(configs.map((c) => JSON.parse(c.config).created).sort()).toEqual(['2019-03-06T21:53:26Z', '2021-04-14T14:39:00Z']);
    const hits = await ctx.store.findingsById('CVE-2019-14697');
    expect(hits.map((h) => [h.ref, h.package, h.version, h.fixedIn])).toEqual([
      [`${reg.host}/apps/old:3.7`, 'musl', '1.1.18-r3', '1.1.18-r4'],
      [`${reg.host}/apps/old:3.7`, 'musl-utils', '1.1.18-r3', '1.1.18-r4'],
    ]);
  });

  it('a tag pushed mid-test is picked up on the next round; known digests are not scanned again', async () => {
    await pushWithSkopeo(`oci:${path.join(images!, 'alpine-3.20')}:latest`, `docker://${reg.host}/apps/new:v1`, reg);
    const r = await runRound(ctx, { reason: 'test' });
    expect(r.scans).toBe(1);
    expect(r.rematches).toBe(0);
    expect(r.events).toEqual({ scanned: 1 });
    expect((await ctx.store.refs()).map((x) => x.ref)).toContain(`${reg.host}/apps/new:v1`);
  });

  it('one advisory added: only the affected image gets new findings, its verdict flips, one signed delivery (after a retry)', async () => {
    // The registry is gone: a re-match must not need a layer, and the round must go on.
    await reg.stop();
    const doc = parseYaml(original()) as { packages: Array<{ pkg: { name: string; secfixes: Record<string, string[]> } }> };
    doc.packages.find((p) => p.pkg.name === 'busybox')!.pkg.secfixes['1.30.1-r99'] = ['CVE-2099-0001'];
    writeFileSync(mainYaml, stringifyYaml(doc));
    const status = await build();
    failNext = 1;
    const r = await runRound(ctx, { reason: 'db-change' });
    expect(r.db.digest).toBe(status.digest);
    expect(r.rematches).toBe(3);
    expect(r.discover.errors.length).toBeGreaterThan(0);
    expect((await ctx.store.refs()).find((x) => x.ref === `${reg.host}/apps/alpine:3.10`)!.error).toMatch(/127\.0\.0\.1/);
    const events = await ctx.store.events({ roundId: r.roundId });
    const alpine310 = digests['apps/alpine:3.10']!;
    expect([...new Set(events.map((e) => e.digest))]).toEqual([alpine310]);
    expect(events.filter((e) => e.kind === 'new').map((e) => [e.findingId, (e.detail as { package: string }).package]).sort()).toEqual([
      ['CVE-2099-0001', 'busybox'],
      ['CVE-2099-0001', 'ssl_client'],
    ]);
    expect(events.find((e) => e.kind === 'verdict')!.detail).toEqual({ from: 'pass', to: 'fail' });
    // Two attempts at the JSON target (503, then 200); the Slack target (critical only) hears of the verdict flip.
    expect(received.map((x) => [x.url, x.status])).toEqual([['/hook', 503], ['/hook', 200], ['/hook?slack', 200]]);
    const ok = received[1]!;
    const slack = JSON.parse(received[2]!.body);
    expect(slack.text).toMatch(/verdict pass → fail/);
    expect(slack.text).not.toMatch(/CVE-2099-0001/);
    expect(slack.blocks[0].type).toBe('section');
    expect(ok.signature).toBe(signature(ok.body, secret));
    const payload = JSON.parse(ok.body);
    expect(payload.images).toHaveLength(1);
    expect(payload.images[0].digest).toBe(alpine310);
    expect(payload.images[0].new.map((n: { id: string }) => n.id)).toEqual(['CVE-2099-0001', 'CVE-2099-0001']);
    expect(payload.images[0].verdict).toEqual({ from: 'pass', to: 'fail' });
    expect(payload.text).toMatch(/CVE-2099-0001/);
    const log = await ctx.store.deliveries();
    expect(log.filter((d) => d.roundId === r.roundId).map((d) => [d.target.replace(/^.*\/hook/, '/hook'), d.attempt, d.ok, d.status])).toEqual([
      ['/hook?slack', 1, true, 200],
      ['/hook', 2, true, 200],
      ['/hook', 1, false, 503],
    ]);
    const img = await ctx.store.image(alpine310);
    expect(img!.verdict).toBe('fail');
    expect(img!.dbDigest).toBe(status.digest);
    // The same round run again changes nothing: the judgement is already against this database.
    const again = await runRound(ctx, { reason: 'test' });
    expect([again.rematches, again.scans, again.events]).toEqual([0, 0, {}]);
  });

  it('the advisory removed: "fixed" and the verdict flips back; a corrupt stored SBOM marks only its image', async () => {
    const newImage = digests['apps/alpine:3.10'] === undefined ? '' : (await ctx.store.images()).find((i) => i.refs.some((x) => x.endsWith('apps/new:v1')))!.digest;
    await ctx.store.sql.run('UPDATE images SET sbom = ? WHERE digest = ?', ['{"schema":1,"os":null,"packages":[{"name":', newImage]);
    writeFileSync(mainYaml, original());
    await build();
    const before = received.length;
    const r = await runRound(ctx, { reason: 'db-change' });
    const events = await ctx.store.events({ roundId: r.roundId });
    const alpine310 = digests['apps/alpine:3.10']!;
    expect(events.filter((e) => e.kind === 'fixed').map((e) => [e.digest, e.findingId]).sort()).toEqual([
      [alpine310, 'CVE-2099-0001'],
      [alpine310, 'CVE-2099-0001'],
    ]);
    expect(events.find((e) => e.kind === 'verdict')!.detail).toEqual({ from: 'fail', to: 'pass' });
    expect(events.filter((e) => e.kind === 'error').map((e) => e.digest)).toEqual([newImage]);
    const corrupt = await ctx.store.image(newImage);
    expect([corrupt!.state, corrupt!.error]).toEqual(['corrupt', expect.stringMatching(/stored SBOM is not JSON/)]);
    expect((await ctx.store.image(digests['apps/old:3.7']!))!.state).toBe('ok');
    // The flip back is an alert too: one more delivery per target, no new findings in it.
    expect(received.slice(before).map((x) => [x.url, x.status])).toEqual([['/hook', 200], ['/hook?slack', 200]]);
    const payload = JSON.parse(received[before]!.body);
    expect(payload.images.map((i: { verdict: unknown; new: unknown[] }) => [i.verdict, i.new.length])).toEqual([[{ from: 'fail', to: 'pass' }, 0]]);
    // Rounds keep fleet totals for the chart.
    const rounds = await ctx.store.rounds();
    expect(rounds.filter((x) => x.finishedAt).length).toBe(5);
    expect(rounds[0]!.totals).toMatchObject({ unknown: 2 });
  });
});
