/** Tests of the Alpine secdb parser and feed: small fixtures in code, then the real shared secdb copies. */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test/helpers/shared.js';
import type { Advisory } from '../../model/index.js';
import { alpineNamespace, alpineSecdbFeed, parseSecdb, releasesFromIndex, splitEntry } from './index.js';

async function collect(it: AsyncIterable<Advisory>): Promise<Advisory[]> {
  const out: Advisory[] = [];
  for await (const a of it) out.push(a);
  return out;
}

const YAML_DOC = `---
distroversion: v3.10
reponame: main
packages:
  - pkg:
      name: musl
      secfixes:
        1.1.22-r3:
          - CVE-2019-14697
        1.10:
          - CVE-2099-0001
        0:
          - CVE-2016-0001
  - pkg:
      name: xen
      secfixes:
        4.7.1-r1:
          - CVE-2017-8904 XSA-214
          - XSA-207
        4.7.1-r3:
          - CVE-2017-8904
  - pkg:
      secfixes: {}
  - pkg:
      name: empty
`;

describe('alpineNamespace', () => {
  it.each([
    ['v3.10', 'alpine:3.10'],
    ['3.20', 'alpine:3.20'],
    ['v3.10.9', 'alpine:3.10'],
    ['edge', 'alpine:edge'],
    ['wolfi', undefined],
  ])('%s → %s', (input, ns) => {
    expect(alpineNamespace(input)).toBe(ns);
  });
});

describe('splitEntry', () => {
  it.each([
    ['CVE-2019-14697', { id: 'CVE-2019-14697', aliases: [] }],
    ['CVE-2017-8904 XSA-214', { id: 'CVE-2017-8904', aliases: ['XSA-214'] }],
    ['XSA-207', { id: 'XSA-207', aliases: [] }],
    ['CVE-????-?????  XSA-295', { id: 'XSA-295', aliases: [] }],
    ['CVE_2019-2426', { id: 'CVE-2019-2426', aliases: [] }],
    ['CVE 2018-16859', { id: 'CVE-2018-16859', aliases: [] }],
    ['CVE-2017-17434-1', { id: 'CVE-2017-17434', aliases: [] }],
    ['wnpa-sec-2017-18', { id: 'wnpa-sec-2017-18', aliases: [] }],
  ])('%s', (entry, want) => {
    expect(splitEntry(entry)).toEqual(want);
  });

  it('finds nothing in free text', () => {
    expect(splitEntry('  ')).toBeUndefined();
    expect(splitEntry('null')).toBeUndefined();
  });
});

describe('parseSecdb', () => {
  it('gives one advisory per (package, id), skips version 0, keeps version keys as text', () => {
    const warnings: string[] = [];
    const { namespace, advisories } = parseSecdb(YAML_DOC, { format: 'yaml', source: 'main.yaml', onWarning: (m) => warnings.push(m) });
    expect(namespace).toBe('alpine:3.10');
    const musl = advisories.filter((a) => a.package === 'musl');
    expect(musl.map((a) => a.id).sort()).toEqual(['CVE-2019-14697', 'CVE-2099-0001']);
    expect(musl.find((a) => a.id === 'CVE-2019-14697')).toMatchObject({
      feed: 'alpine-secdb',
      namespace: 'alpine:3.10',
      scheme: 'apk',
      severity: 'unknown',
      ranges: [{ introduced: '0', fixed: '1.1.22-r3' }],
      url: 'https://security.alpinelinux.org/vuln/CVE-2019-14697',
    });
    // `1.10` must not become the number 1.1
    expect(musl.find((a) => a.id === 'CVE-2099-0001')?.ranges).toEqual([{ introduced: '0', fixed: '1.10' }]);
    expect(advisories.some((a) => a.id === 'CVE-2016-0001')).toBe(false);
    const xen = advisories.filter((a) => a.package === 'xen');
    expect(xen.map((a) => a.id).sort()).toEqual(['CVE-2017-8904', 'XSA-207']);
    expect(xen.find((a) => a.id === 'CVE-2017-8904')).toMatchObject({
      aliases: ['XSA-214'],
      ranges: [
        { introduced: '0', fixed: '4.7.1-r1' },
        { introduced: '0', fixed: '4.7.1-r3' },
      ],
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/packages\[2\] skipped/);
  });

  it('reads the JSON form with the same fields', () => {
    const json = JSON.stringify({
      distroversion: 'v3.20',
      reponame: 'main',
      packages: [{ pkg: { name: 'busybox', secfixes: { '1.36.1-r2': ['CVE-2023-42363'], '0': ['CVE-2021-1'] } } }],
    });
    const { namespace, advisories } = parseSecdb(json, { format: 'json', source: 'main.json' });
    expect(namespace).toBe('alpine:3.20');
    expect(advisories).toHaveLength(1);
    expect(advisories[0]).toMatchObject({ id: 'CVE-2023-42363', package: 'busybox', ranges: [{ fixed: '1.36.1-r2' }] });
  });

  it('throws bad-feed on broken YAML, broken JSON, or another document', () => {
    expect(() => parseSecdb('packages: [unclosed\n  - x: {', { format: 'yaml', source: 'bad.yaml' })).toThrow(
      expect.objectContaining({ code: 'bad-feed', message: expect.stringMatching(/^bad\.yaml: not valid YAML/) }),
    );
    expect(() => parseSecdb('{"packages": [', { format: 'json', source: 'bad.json' })).toThrow(
      expect.objectContaining({ code: 'bad-feed' }),
    );
    expect(() => parseSecdb('"just a string"', { format: 'json', source: 'x.json' })).toThrow(expect.objectContaining({ code: 'bad-feed' }));
    expect(() => parseSecdb('{"packages": []}', { format: 'json', source: 'x.json' })).toThrow(/no release/);
    expect(parseSecdb('{"packages": []}', { format: 'json', source: 'x.json', namespace: 'alpine:3.1' }).namespace).toBe('alpine:3.1');
  });
});

describe('releasesFromIndex', () => {
  it('lists vX.Y/ links in release order', () => {
    const html = '<a href="../">../</a><a href="v3.10/">v3.10/</a><a href="v3.9/">v3.9/</a><a href="edge/">edge/</a><a href="license.txt">';
    expect(releasesFromIndex(html)).toEqual(['v3.9', 'v3.10', 'edge']);
  });
});

describe('alpineSecdbFeed from a directory', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'shipshape-secdb-'));
    await mkdir(path.join(dir, 'v3.10'));
    await writeFile(path.join(dir, 'v3.10', 'main.yaml'), YAML_DOC);
    await mkdir(path.join(dir, 'v3.9'));
    // The JSON twin wins over the YAML of the same repository.
    await writeFile(path.join(dir, 'v3.9', 'community.yaml'), 'distroversion: v3.9\npackages:\n');
    await writeFile(
      path.join(dir, 'v3.9', 'community.json'),
      JSON.stringify({ distroversion: 'v3.9', packages: [{ pkg: { name: 'a', secfixes: { '1-r0': ['CVE-2020-1'] } } }] }),
    );
    await writeFile(path.join(dir, 'README.md'), 'not a release');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads every release folder and says what it covered', async () => {
    const feed = alpineSecdbFeed();
    const opts = { dir, cacheDir: dir };
    const all = await collect(feed.fetch(opts));
    expect(new Set(all.map((a) => a.namespace))).toEqual(new Set(['alpine:3.9', 'alpine:3.10']));
    expect(all.find((a) => a.namespace === 'alpine:3.9')?.id).toBe('CVE-2020-1');
    expect(feed.describe(opts)).toEqual({ source: dir, namespaces: ['alpine:3.9', 'alpine:3.10'] });
  });

  it('fails on a folder that is not a secdb tree', async () => {
    await expect(collect(alpineSecdbFeed().fetch({ dir: path.join(dir, 'v3.9'), cacheDir: dir }))).rejects.toMatchObject({ code: 'bad-feed' });
  });
});

const secdb = sharedPath('vulndata/alpine-secdb');
const vunnel = sharedPath('vulndata/vunnel-fixture-samples/tests/unit/providers');

describe.skipIf(!secdb)('the shared Alpine secdb (alpinelinux/alpine-secdb 2020-06)', () => {
  let all: Advisory[];
  beforeAll(async () => {
    all = await collect(alpineSecdbFeed().fetch({ dir: secdb!, cacheDir: os.tmpdir() }));
  });

  it('has musl 1.1.22-r3 fixing CVE-2019-14697 in 3.10', () => {
    const musl = all.filter((a) => a.namespace === 'alpine:3.10' && a.package === 'musl' && a.id === 'CVE-2019-14697');
    expect(musl).toHaveLength(1);
    expect(musl[0]!.ranges).toEqual([{ introduced: '0', fixed: '1.1.22-r3' }]);
  });

  it('has openssl 1.1.1d-r0 and busybox 1.30.1-r2 fixes in 3.10', () => {
    const fixed = (pkg: string, id: string) =>
      all.find((a) => a.namespace === 'alpine:3.10' && a.package === pkg && a.id === id)?.ranges[0]?.fixed;
    expect(fixed('openssl', 'CVE-2019-1547')).toBe('1.1.1d-r0');
    expect(fixed('openssl', 'CVE-2019-1549')).toBe('1.1.1d-r0');
    expect(fixed('openssl', 'CVE-2019-1563')).toBe('1.1.1d-r0');
    expect(fixed('busybox', 'CVE-2019-5747')).toBe('1.30.1-r2');
  });

  it('covers 3.3 to 3.11 with one advisory per (namespace, package, id)', () => {
    expect(new Set(all.map((a) => a.namespace)).size).toBe(9);
    const keys = new Set(all.map((a) => `${a.namespace} ${a.package} ${a.id}`));
    expect(keys.size).toBe(all.length);
    expect(all.length).toBeGreaterThan(10_000);
  });
});

describe.skipIf(!vunnel)('the vunnel fixture samples', () => {
  it('reads the Alpine 3.15 YAML sample as a secdb tree', async () => {
    const all = await collect(alpineSecdbFeed().fetch({ dir: path.join(vunnel!, 'alpine/test-fixtures/input/secdb'), cacheDir: os.tmpdir() }));
    expect(all.every((a) => a.namespace === 'alpine:3.15')).toBe(true);
    expect(all.find((a) => a.package === 'zlib' && a.id === 'CVE-2022-37434')?.ranges).toEqual([{ introduced: '0', fixed: '1.2.12-r2' }]);
  });

  it('parses the Wolfi security.json, the JSON flavour of the format (fixed version 0 skipped)', () => {
    const file = path.join(vunnel!, 'wolfi/test-fixtures/input/secdb/security.json');
    const { namespace, advisories } = parseSecdb(readFileSync(file, 'utf8'), { format: 'json', source: file, namespace: 'wolfi:rolling' });
    expect(namespace).toBe('wolfi:rolling');
    expect(advisories.find((a) => a.package === 'busybox' && a.id === 'CVE-2022-28391')?.ranges).toEqual([{ introduced: '0', fixed: '1.35.0-r3' }]);
    expect(advisories.some((a) => a.package === 'coreutils' && a.id === 'CVE-2016-2781')).toBe(false);
  });
});

describe('alpineSecdbFeed from upstream (a local mirror directory)', () => {
  let mirror: string;
  beforeAll(async () => {
    mirror = await mkdtemp(path.join(os.tmpdir(), 'shipshape-secdb-mirror-'));
    const rel = path.join(mirror, 'secdb.alpinelinux.org', 'v3.20');
    await mkdir(rel, { recursive: true });
    await writeFile(
      path.join(rel, 'main.json'),
      JSON.stringify({ distroversion: 'v3.20', packages: [{ pkg: { name: 'busybox', secfixes: { '1.36.1-r29': ['CVE-2023-42366'] } } }] }),
    );
  });
  afterAll(() => rm(mirror, { recursive: true, force: true }));

  it('fetches the configured releases only', async () => {
    const warnings: string[] = [];
    const feed = alpineSecdbFeed({ releases: ['3.20'] });
    const opts = { mirror, cacheDir: mirror, onWarning: (m: string) => warnings.push(m) };
    const all = await collect(feed.fetch(opts));
    expect(all.map((a) => `${a.namespace} ${a.package} ${a.id}`)).toEqual(['alpine:3.20 busybox CVE-2023-42366']);
    expect(warnings).toEqual(['alpine-secdb: https://secdb.alpinelinux.org/v3.20/community.json is absent: skipped']);
    expect(feed.describe(opts)).toEqual({ source: `https://secdb.alpinelinux.org/ via ${mirror}`, namespaces: ['alpine:3.20'] });
  });

  it('falls back to the known releases when the index page is absent', async () => {
    const warnings: string[] = [];
    const all = await collect(alpineSecdbFeed().fetch({ mirror, cacheDir: mirror, onWarning: (m) => warnings.push(m) }));
    expect(all).toHaveLength(1);
    expect(warnings[0]).toMatch(/no index page at https:\/\/secdb\.alpinelinux\.org\/: trying releases v3\.12 to v3\.22/);
  });

  it('fails when no release could be fetched', async () => {
    await expect(collect(alpineSecdbFeed({ releases: ['v9.9'] }).fetch({ mirror, cacheDir: mirror }))).rejects.toMatchObject({ code: 'bad-feed' });
  });
});
