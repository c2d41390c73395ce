/** Builds from the shared vulndata, locally and through a mirror served over HTTP in the upstream URL layout. */
import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../test/helpers/shared.js';
import { alpineSecdbFeed } from '../feeds/alpine-secdb/index.js';
import { debianTrackerFeed, DEBIAN_TRACKER_URLS } from '../feeds/debian-tracker/index.js';
import { buildDb, openDb } from './index.js';

const vulndata = sharedPath('vulndata');
const ourFeeds = () => [alpineSecdbFeed(), debianTrackerFeed()];

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'shipshape-build-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.includes('.tmp-'));
}

describe.skipIf(!vulndata)('db build --from the shared vulndata', () => {
  it('builds both distro feeds in a few seconds, with a digest stable across rebuilds', async () => {
    const file = path.join(tmp, 'local', 'shipshape.db');
    const t = performance.now();
    const status = await buildDb({ path: file, from: vulndata!, cacheDir: tmp, feeds: ourFeeds() });
    const ms = performance.now() - t;
    process.stdout.write(
      `full build from ${vulndata}: ${ms.toFixed(0)} ms, ${status.feeds.map((f) => `${f.id} ${f.records}`).join(', ')}\n`,
    );
    expect(ms).toBeLessThan(30_000);
    expect(status.feeds.map((f) => f.id)).toEqual(['alpine-secdb', 'debian-tracker']);
    expect(status.feeds[0]!.namespaces).toContain('alpine:3.10');
    expect(status.feeds[1]!.namespaces).toContain('debian:11');

    const db = openDb(file);
    try {
      expect(db.lookup('alpine:3.10', 'musl').find((a) => a.id === 'CVE-2019-14697')?.ranges).toEqual([{ introduced: '0', fixed: '1.1.22-r3' }]);
      expect(db.lookup('debian:11', 'openssl').find((a) => a.id === 'CVE-2023-0286')?.aliases).toEqual(['DSA-5343-1']);
      expect(db.namespaces().has('debian:12')).toBe(false);
    } finally {
      db.close();
    }
    const again = await buildDb({ path: file, from: vulndata!, cacheDir: tmp, feeds: ourFeeds() });
    expect(again.digest).toBe(status.digest);
    expect(again.builtAt).not.toBe(status.builtAt);
  });

  it('refuses a corrupt secdb YAML and keeps the previous database', async () => {
    const from = path.join(tmp, 'corrupt-from');
    cpSync(path.join(vulndata!, 'alpine-secdb'), path.join(from, 'alpine-secdb'), { recursive: true });
    const file = path.join(tmp, 'corrupt-from.db');
    await buildDb({ path: file, from, cacheDir: tmp, feeds: ourFeeds() });
    const before = readFileSync(file);
    const main = path.join(from, 'alpine-secdb', 'v3.10', 'main.yaml');
    await rm(main, { force: true });
    await writeFile(main, 'distroversion: v3.10\npackages:\n  - pkg: {name: musl\n    secfixes: [\n');
    await expect(buildDb({ path: file, from, cacheDir: tmp, feeds: ourFeeds() })).rejects.toMatchObject({
      code: 'bad-feed',
      message: expect.stringContaining(`${main}: not valid YAML`),
    });
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(tempFiles(tmp)).toEqual([]);
  });
});

/** A static mirror tree, as `--mirror` expects: BASE/<host>/<path>, built from the shared files. */
async function makeMirror(root: string, shared: string): Promise<void> {
  const secdb = path.join(root, 'secdb.alpinelinux.org');
  const releases = ['v3.9', 'v3.10'];
  await mkdir(secdb, { recursive: true });
  await writeFile(
    path.join(secdb, 'index.html'),
    `<html><body><h1>Index of /</h1><a href="../">../</a>\n${releases.map((r) => `<a href="${r}/">${r}/</a>`).join('\n')}\n<a href="license.txt">license.txt</a></body></html>\n`,
  );
  for (const r of releases) {
    await mkdir(path.join(secdb, r));
    // secdb.alpinelinux.org serves the same documents as JSON; v3.9 gets no community.json (a 404).
    for (const repo of r === 'v3.9' ? ['main'] : ['main', 'community']) {
      const doc = parseYaml(await readFile(path.join(shared, 'alpine-secdb', r, `${repo}.yaml`), 'utf8'), { schema: 'failsafe' });
      await writeFile(path.join(secdb, r, `${repo}.json`), JSON.stringify(doc));
    }
  }
  for (const kind of ['dsa', 'dla'] as const) {
    const u = new URL(DEBIAN_TRACKER_URLS[kind]);
    const dest = path.join(root, u.host, ...u.pathname.split('/'));
    await mkdir(path.dirname(dest), { recursive: true });
    await writeFile(dest, await readFile(path.join(shared, 'debian-security-tracker', 'data', kind.toUpperCase(), 'list')));
  }
  const ju = new URL(DEBIAN_TRACKER_URLS.json);
  const jdest = path.join(root, ju.host, ...ju.pathname.split('/'));
  await mkdir(path.dirname(jdest), { recursive: true });
  await writeFile(
    jdest,
    await readFile(path.join(shared, 'vunnel-fixture-samples/tests/unit/providers/debian/test-fixtures/input/debian.json')),
  );
}

describe.skipIf(!vulndata)('db update through an HTTP mirror (127.0.0.1)', () => {
  let server: Server;
  let mirror: string;
  let root: string;
  const log: { path: string; status: number }[] = [];
  const failOnce = new Set<string>();
  const override = new Map<string, string>();

  beforeAll(async () => {
    root = path.join(tmp, 'mirror');
    await makeMirror(root, vulndata!);
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const rel = decodeURIComponent(url.pathname).replace(/^\/mirror\//, '');
      const send = (status: number, body?: string | Buffer, headers: Record<string, string> = {}) => {
        log.push({ path: rel, status });
        res.writeHead(status, headers);
        res.end(body);
      };
      if (failOnce.delete(rel)) return send(500, 'try again');
      let body: Buffer;
      try {
        const forced = override.get(rel);
        body = forced !== undefined ? Buffer.from(forced) : readFileSync(path.join(root, rel.endsWith('/') ? `${rel}index.html` : rel));
      } catch {
        return send(404, 'not found');
      }
      const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 20)}"`;
      if (req.headers['if-none-match'] === etag) return send(304, undefined, { etag });
      send(200, body, { etag, 'content-length': String(body.length) });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mirror`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const dbFile = () => path.join(tmp, 'mirror-db', 'shipshape.db');
  const cacheDir = () => path.join(tmp, 'mirror-cache');

  it('downloads everything first (200), then revalidates with 304 and reuses the cache', async () => {
    const warnings: string[] = [];
    log.length = 0;
    const first = await buildDb({ path: dbFile(), mirror, cacheDir: cacheDir(), feeds: ourFeeds(), onWarning: (m) => warnings.push(m) });
    expect(log.filter((l) => l.status === 200).map((l) => l.path).sort()).toEqual([
      'salsa.debian.org/security-tracker-team/security-tracker/-/raw/master/data/DLA/list',
      'salsa.debian.org/security-tracker-team/security-tracker/-/raw/master/data/DSA/list',
      'secdb.alpinelinux.org/',
      'secdb.alpinelinux.org/v3.10/community.json',
      'secdb.alpinelinux.org/v3.10/main.json',
      'secdb.alpinelinux.org/v3.9/main.json',
      'security-tracker.debian.org/tracker/data/json',
    ]);
    expect(warnings).toEqual(['alpine-secdb: https://secdb.alpinelinux.org/v3.9/community.json is absent: skipped']);
    expect(first.feeds[0]).toMatchObject({ id: 'alpine-secdb', namespaces: ['alpine:3.9', 'alpine:3.10'] });
    expect(first.feeds[0]!.source).toContain(mirror);

    const db = openDb(dbFile());
    try {
      expect(db.lookup('alpine:3.10', 'musl').find((a) => a.id === 'CVE-2019-14697')?.ranges).toEqual([{ introduced: '0', fixed: '1.1.22-r3' }]);
      // bookworm comes from the JSON export only (the shared DSA list predates DSA-5970-1)
      expect(db.lookup('debian:12', 'sope')).toMatchObject([{ id: 'CVE-2025-53603', aliases: [], ranges: [{ introduced: '0', fixed: '5.8.0-1+deb12u1' }] }]);
      expect(db.lookup('debian:12', 'chromium').find((a) => a.id === 'CVE-2022-0456')?.ranges).toEqual([{ introduced: '0', fixed: '98.0.4758.80-1' }]);
      expect(db.lookup('debian:11', 'zlib').find((a) => a.id === 'CVE-2022-37434')?.ranges).toEqual([{ introduced: '0', fixed: '1:1.2.11.dfsg-2+deb11u2' }]);
    } finally {
      db.close();
    }

    log.length = 0;
    const second = await buildDb({ path: dbFile(), mirror, cacheDir: cacheDir(), feeds: ourFeeds() });
    // seven revalidated files and the one the mirror does not have
    expect(log.map((l) => l.status).sort()).toEqual([304, 304, 304, 304, 304, 304, 304, 404]);
    expect(second.digest).toBe(first.digest);
  });

  it('retries a 500 and goes on', async () => {
    log.length = 0;
    failOnce.add('secdb.alpinelinux.org/');
    const status = await buildDb({ path: dbFile(), mirror, cacheDir: cacheDir(), feeds: [alpineSecdbFeed()] });
    expect(log.slice(0, 2)).toEqual([
      { path: 'secdb.alpinelinux.org/', status: 500 },
      { path: 'secdb.alpinelinux.org/', status: 304 },
    ]);
    expect(status.feeds[0]!.records).toBeGreaterThan(1000);
  });

  it('refuses a corrupt download (bad JSON) and keeps the previous database', async () => {
    const before = readFileSync(dbFile());
    override.set('secdb.alpinelinux.org/v3.10/main.json', '{"distroversion": "v3.10", "packages": [');
    try {
      await expect(buildDb({ path: dbFile(), mirror, cacheDir: cacheDir(), feeds: ourFeeds() })).rejects.toMatchObject({
        code: 'bad-feed',
        message: expect.stringMatching(/^https:\/\/secdb\.alpinelinux\.org\/v3\.10\/main\.json: not valid JSON/),
      });
    } finally {
      override.clear();
    }
    expect(readFileSync(dbFile()).equals(before)).toBe(true);
    expect(tempFiles(path.dirname(dbFile()))).toEqual([]);
  });
});
