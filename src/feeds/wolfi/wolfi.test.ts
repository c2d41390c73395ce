/** Tests of the Wolfi feed: the advisories YAML in code, the shared advisories copy, and secdb JSON downloaded from a 127.0.0.1 server. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test/helpers/shared.js';
import type { Advisory } from '../../model/index.js';
import { getFeed } from '../registry.js';
import { parseAdvisoriesYaml, WOLFI_SECDB_URL, wolfiFeed } from './index.js';

async function collect(it: AsyncIterable<Advisory>): Promise<Advisory[]> {
  const out: Advisory[] = [];
  for await (const a of it) out.push(a);
  return out;
}

// The shape wolfictl writes (schema 2.0.2); events deliberately out of order in one advisory.
const DOC = `schema-version: 2.0.2

package:
  name: openssl

advisories:
  - id: CGA-aaaa-aaaa-aaaa
    aliases:
      - GHSA-w67w-mw4j-8qrv
      - CVE-2022-4203
    events:
      - timestamp: 2023-02-07T16:50:00Z
        type: fixed
        data:
          fixed-version: 3.1.10-r0
  - id: CGA-bbbb-bbbb-bbbb
    aliases: [CVE-2023-0001]
    events:
      - timestamp: 2023-03-01T00:00:00Z
        type: false-positive-determination
        data:
          type: vulnerable-code-not-included-in-package
      - timestamp: 2023-01-01T00:00:00Z
        type: detection
        data:
          type: manual
  - id: CGA-cccc-cccc-cccc
    aliases:
      - CVE-2023-0002
    events:
      - timestamp: 2023-01-01T00:00:00Z
        type: detection
        data:
          type: nvdapi
  - id: CGA-dddd-dddd-dddd
    aliases:
      - GHSA-xxxx-yyyy-zzzz
    events:
      - timestamp: 2023-01-01T00:00:00Z
        type: true-positive-determination
      - timestamp: 2023-01-02T00:00:00Z
        type: pending-upstream-fix
        data:
          note: needs upstream work
  - id: CGA-eeee-eeee-eeee
    aliases:
      - CVE-2023-0003
    events:
      - timestamp: 2024-01-01T00:00:00Z
        type: fix-not-planned
  - id: CGA-ffff-ffff-ffff
    events:
      - timestamp: 2024-01-01T00:00:00Z
        type: fixed
  - id: CGA-gggg-gggg-gggg
    aliases:
      - CVE-2023-0004
    events:
      - timestamp: 2023-01-01T00:00:00Z
        type: fixed
        data:
          fixed-version: 3.0.0-r1
      - timestamp: 2023-06-01T00:00:00Z
        type: fixed
        data:
          fixed-version: 0
  - id: 42
`;

describe('parseAdvisoriesYaml', () => {
  it('turns the latest event of each advisory into a fixed range, an unfixed status, or nothing', () => {
    const warnings: string[] = [];
    const all = parseAdvisoriesYaml(DOC, { source: 'openssl.advisories.yaml', onWarning: (m) => warnings.push(m) });
    expect(all.map((a) => [a.id, a.aliases, a.ranges, a.status ?? null])).toEqual([
      ['CVE-2022-4203', ['CGA-aaaa-aaaa-aaaa', 'GHSA-w67w-mw4j-8qrv'], [{ introduced: '0', fixed: '3.1.10-r0' }], null],
      ['GHSA-xxxx-yyyy-zzzz', ['CGA-dddd-dddd-dddd'], [], 'pending-upstream-fix'],
      ['CVE-2023-0003', ['CGA-eeee-eeee-eeee'], [], 'fix-not-planned'],
    ]);
    expect(all.every((a) => a.feed === 'wolfi' && a.namespace === 'wolfi:rolling' && a.package === 'openssl' && a.scheme === 'apk')).toBe(true);
    // The version stays a string: 3.1.10 is not the number 3.1.1.
    expect(all[0]!.url).toBe('https://github.com/wolfi-dev/advisories/blob/main/openssl.advisories.yaml');
    expect(warnings).toEqual([
      'openssl.advisories.yaml: CGA-ffff-ffff-ffff: a fixed event without fixed-version: skipped',
      expect.stringMatching(/^openssl\.advisories\.yaml: advisories\[7\] skipped: /),
    ]);
  });

  it('refuses what is not a Wolfi advisories document, in one line naming the file', () => {
    expect(() => parseAdvisoriesYaml('package: {name: x\n', { source: 'x.advisories.yaml' })).toThrow(/^x\.advisories\.yaml: not valid YAML: /);
    expect(() => parseAdvisoriesYaml('package:\n  name: x\n', { source: 'x.advisories.yaml' })).toThrow(/^x\.advisories\.yaml: not a Wolfi advisories document: schema-version: /);
    expect(() => parseAdvisoriesYaml('schema-version: "1"\npackage:\n  name: x\nadvisories: []\n', { source: 'x.advisories.yaml' })).toThrow(
      'x.advisories.yaml: schema-version 1 is not supported (2.x is)',
    );
    let caught: unknown;
    try {
      parseAdvisoriesYaml('[1, 2]', { source: 'x.advisories.yaml' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'bad-feed' });
  });
});

describe('the feed registry', () => {
  it('lists wolfi, so db build and db update include it, reading DIR/wolfi-advisories', () => {
    expect(getFeed('wolfi')?.dirName).toBe('wolfi-advisories');
  });
});

describe('wolfiFeed from a folder', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'shipshape-wolfi-'));
    await writeFile(path.join(dir, 'openssl.advisories.yaml'), DOC);
    await writeFile(path.join(dir, 'README.md'), 'not an advisory');
    await mkdir(path.join(dir, 'secdb'));
    await writeFile(path.join(dir, 'secdb', 'security.json'), JSON.stringify({ packages: [{ pkg: { name: 'curl', secfixes: { '8.1.0-r0': ['CVE-2023-27533'], '0': ['CVE-2016-1'] } } }] }));
    await mkdir(path.join(dir, 'empty'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads every <package>.advisories.yaml and says what it covered', async () => {
    const feed = wolfiFeed();
    const opts = { dir, cacheDir: dir };
    expect((await collect(feed.fetch(opts))).map((a) => a.id)).toEqual(['CVE-2022-4203', 'GHSA-xxxx-yyyy-zzzz', 'CVE-2023-0003']);
    expect(feed.describe(opts)).toEqual({ source: dir, namespaces: ['wolfi:rolling'] });
  });

  it('reads a folder holding the secdb security.json instead', async () => {
    const all = await collect(wolfiFeed().fetch({ dir: path.join(dir, 'secdb'), cacheDir: dir }));
    expect(all.map((a) => [a.feed, a.namespace, a.package, a.id, a.ranges[0]?.fixed])).toEqual([['wolfi', 'wolfi:rolling', 'curl', 'CVE-2023-27533', '8.1.0-r0']]);
  });

  it('refuses a folder with neither', async () => {
    await expect(collect(wolfiFeed().fetch({ dir: path.join(dir, 'empty'), cacheDir: dir }))).rejects.toMatchObject({ code: 'bad-feed' });
  });
});

const advisories = sharedPath('vulndata/wolfi-advisories');

describe.skipIf(!advisories)('the shared Wolfi advisories (wolfi-dev/advisories 2025-05-07)', () => {
  let all: Advisory[];
  beforeAll(async () => {
    all = await collect(wolfiFeed().fetch({ dir: advisories!, cacheDir: os.tmpdir() }));
  });

  it('has openssl 3.3.1-r3 fixing CVE-2024-5535 (CGA-3mrr-589r-46qj)', () => {
    const a = all.find((x) => x.package === 'openssl' && x.id === 'CVE-2024-5535');
    expect(a).toMatchObject({ ranges: [{ introduced: '0', fixed: '3.3.1-r3' }], aliases: ['CGA-3mrr-589r-46qj', 'GHSA-4fc7-mvrr-wv2c'] });
  });

  it('leaves out false positives (busybox CVE-2023-42364) and keeps unfixed ones with their status', () => {
    expect(all.some((x) => x.package === 'busybox' && x.id === 'CVE-2023-42364')).toBe(false);
    expect(all.filter((x) => x.status === 'pending-upstream-fix').length).toBeGreaterThan(100);
    expect(all.filter((x) => x.status === undefined).every((x) => x.ranges.length === 1)).toBe(true);
  });

  it('yields most of the 20,770 advisories (false positives and open detections are not advisories)', () => {
    expect(all.length).toBeGreaterThan(15_000);
    expect(all.length).toBeLessThan(20_770);
    expect(new Set(all.map((a) => a.package)).size).toBeGreaterThan(1000);
  });
});

const secdbSample = sharedPath('vulndata/vunnel-fixture-samples/tests/unit/providers/wolfi/test-fixtures/input/secdb/security.json');

describe.skipIf(!secdbSample)('wolfiFeed from upstream: secdb JSON served by 127.0.0.1 in the upstream URL layout', () => {
  let server: Server;
  let base = '';
  let tmp = '';
  let body: Buffer = Buffer.alloc(0);
  const log: Array<[string, number]> = [];
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'shipshape-wolfi-http-'));
    body = readFileSync(secdbSample!);
    const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
    const upstreamPath = `/${new URL(WOLFI_SECDB_URL).host}${new URL(WOLFI_SECDB_URL).pathname}`;
    server = createServer((req, res) => {
      const p = new URL(req.url ?? '/', 'http://x').pathname;
      const status = p === '/broken/packages.wolfi.dev/os/security.json' ? 200 : p !== upstreamPath ? 404 : req.headers['if-none-match'] === etag ? 304 : 200;
      log.push([p, status]);
      if (status === 404) return void res.writeHead(404).end();
      if (p.startsWith('/broken/')) return void res.writeHead(200).end('{"packages": [');
      res.writeHead(status, { ETag: etag }).end(status === 200 ? body : undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(tmp, { recursive: true, force: true });
  });

  it('downloads security.json, then revalidates it with a conditional request', async () => {
    const feed = wolfiFeed();
    const opts = { mirror: base, cacheDir: tmp };
    const first = await collect(feed.fetch(opts));
    expect(first.find((a) => a.package === 'binutils' && a.id === 'CVE-2022-38126')?.ranges).toEqual([{ introduced: '0', fixed: '2.39-r1' }]);
    expect(first.some((a) => a.package === 'coreutils')).toBe(false); // secfixes "0": never affected
    expect(first.every((a) => a.feed === 'wolfi' && a.namespace === 'wolfi:rolling')).toBe(true);
    expect(feed.describe(opts)).toEqual({ source: `${WOLFI_SECDB_URL} via ${base}`, namespaces: ['wolfi:rolling'] });
    const second = await collect(feed.fetch(opts));
    expect(second).toEqual(first);
    expect(log.slice(-2).map(([, s]) => s)).toEqual([200, 304]);
  });

  it('says in one line what is wrong: a missing file, a truncated document', async () => {
    await expect(collect(wolfiFeed({ url: 'https://packages.wolfi.dev/os/missing.json' }).fetch({ mirror: base, cacheDir: tmp }))).rejects.toMatchObject({ code: 'not-found' });
    const broken = collect(wolfiFeed().fetch({ mirror: `${base}/broken`, cacheDir: path.join(tmp, 'b') }));
    await expect(broken).rejects.toMatchObject({ code: 'bad-feed', message: expect.stringMatching(/security\.json: not valid JSON: /) });
  });
});
