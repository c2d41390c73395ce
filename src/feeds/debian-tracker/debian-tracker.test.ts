/** Tests of the Debian tracker feed: list and JSON parsers on fixtures in code, merging, then the real shared tracker data. */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test/helpers/shared.js';
import type { Advisory } from '../../model/index.js';
import { debianNamespace, debianTrackerFeed, parseDsaList, parseTrackerJson, urgencyToSeverity } from './index.js';

async function collect(it: AsyncIterable<Advisory>): Promise<Advisory[]> {
  const out: Advisory[] = [];
  for await (const a of it) out.push(a);
  return out;
}

function find(all: Advisory[], ns: string, pkg: string, id: string): Advisory | undefined {
  return all.find((a) => a.namespace === ns && a.package === pkg && a.id === id);
}

// Shaped like data/DSA/list (tabs and the odd space-indented line, as upstream).
const DSA_LIST = [
  '[07 Feb 2023] DSA-5343-1 openssl - security update',
  '\t{CVE-2022-2097 CVE-2022-4304}',
  '\t[bullseye] - openssl 1.1.1n-0+deb11u4',
  '[17 Mar 2023] DSA-5356-2 sox - regression update',
  '\t[bullseye] - sox 14.4.2+git20190427-2+deb11u2',
  '[20 Feb 2023] DSA-5356-1 sox - security update',
  '\t{CVE-2021-3643}',
  '\t[bullseye] - sox 14.4.2+git20190427-2+deb11u1',
  '[05 Aug 2002] DSA-140 libpng - buffer overflow',
  '\t{ CVE-2002-0660 }',
  '\t[woody] - libpng 1.0.12-3.woody.2',
  '        [woody] - libpng3 <not-affected> (Vulnerable code not present)',
  '\t[sarge] - libpng 1.2.8rel-1 (bug #123; medium)',
  '\tNOTE: fixed in testing at time of DSA',
  '[01 Jan 2010] DSA-1000-1 foo - several',
  '\t{CVE-2010-0001}',
  '\t[lenny] - foo <unfixed>',
  '\t[etch] - foo <end-of-life>',
  '\t[hurd] - foo 1.0',
  '[01 Jan 2011] DSA-1001-1 foo - again',
  '\t{CVE-2010-0001}',
  '\t[lenny] - foo 1.2-1',
  '\tthis line means nothing',
  '',
].join('\n');

describe('debianNamespace and urgencyToSeverity', () => {
  it.each([
    ['woody', 'debian:3.0'],
    ['buster', 'debian:10'],
    ['bullseye', 'debian:11'],
    ['bookworm', 'debian:12'],
    ['bookworm-security', 'debian:12'],
    ['trixie', 'debian:13'],
    ['forky', 'debian:14'],
    ['sid', null],
    ['hurd', undefined],
  ])('%s → %s', (codename, ns) => {
    expect(debianNamespace(codename)).toBe(ns);
  });

  it.each([
    ['unimportant', 'negligible'],
    ['low', 'low'],
    ['low**', 'low'],
    ['medium', 'medium'],
    ['high**', 'high'],
    ['not yet assigned', 'unknown'],
    ['end-of-life', 'unknown'],
    [undefined, 'unknown'],
  ])('urgency %s → %s', (u, s) => {
    expect(urgencyToSeverity(u)).toBe(s);
  });
});

describe('parseDsaList', () => {
  it('reads headers, ids, fix lines, markers and urgencies', () => {
    const warnings: string[] = [];
    const entries = parseDsaList(DSA_LIST, 'DSA/list', (m) => warnings.push(m));
    expect(entries.map((e) => e.id)).toEqual(['DSA-5343-1', 'DSA-5356-2', 'DSA-5356-1', 'DSA-140', 'DSA-1000-1', 'DSA-1001-1']);
    expect(entries[0]).toMatchObject({
      date: '2023-02-07',
      header: 'DSA-5343-1 openssl - security update',
      ids: ['CVE-2022-2097', 'CVE-2022-4304'],
      fixes: [{ release: 'bullseye', package: 'openssl', version: '1.1.1n-0+deb11u4' }],
    });
    expect(entries[3]!.ids).toEqual(['CVE-2002-0660']);
    expect(entries[3]!.fixes).toEqual([
      { release: 'woody', package: 'libpng', version: '1.0.12-3.woody.2', line: 11 },
      { release: 'woody', package: 'libpng3', marker: 'not-affected', line: 12 },
      { release: 'sarge', package: 'libpng', version: '1.2.8rel-1', urgency: 'medium', line: 13 },
    ]);
    expect(entries[4]!.fixes.map((f) => f.marker)).toEqual(['unfixed', 'end-of-life', undefined]);
    expect(warnings).toEqual(['DSA/list:23: DSA-1001-1: line not understood: this line means nothing']);
  });

  it('rejects a file that is not a list at all', () => {
    expect(() => parseDsaList('<html>\n<body>502 Bad Gateway</body>\n', 'DSA/list')).toThrow(expect.objectContaining({ code: 'bad-feed' }));
    expect(parseDsaList('', 'empty')).toEqual([]);
  });
});

describe('parseTrackerJson', () => {
  it('flattens packages, issues and releases; tolerates releases: []', () => {
    const recs = parseTrackerJson(
      JSON.stringify({
        a: { 'CVE-1': { description: 'd', releases: { bookworm: { status: 'open', urgency: 'low', nodsa: 'Minor issue' } } } },
        b: { 'CVE-2': { releases: [] } },
      }),
      'json',
    );
    expect(recs).toEqual([{ package: 'a', id: 'CVE-1', release: 'bookworm', status: 'open', urgency: 'low', nodsa: 'Minor issue', description: 'd' }]);
  });

  it('rejects what is not the export', () => {
    expect(() => parseTrackerJson('{"a": ', 'json')).toThrow(expect.objectContaining({ code: 'bad-feed' }));
    expect(() => parseTrackerJson('[1, 2]', 'json')).toThrow(expect.objectContaining({ code: 'bad-feed' }));
  });

  it('warns about malformed records and keeps the rest', () => {
    const warnings: string[] = [];
    const recs = parseTrackerJson(
      JSON.stringify({ a: { 'CVE-1': { releases: { bookworm: { status: 'resolved', fixed_version: '1.0-1' }, trixie: { nostatus: 1 } } } }, b: 7 }),
      'json',
      (m) => warnings.push(m),
    );
    expect(recs).toHaveLength(1);
    expect(warnings).toEqual(['json: 2 malformed package, issue or release record(s) skipped']);
  });
});

describe('debianTrackerFeed from a directory', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'shipshape-debian-'));
    await mkdir(path.join(dir, 'data', 'DSA'), { recursive: true });
    await writeFile(path.join(dir, 'data', 'DSA', 'list'), DSA_LIST);
    await mkdir(path.join(dir, 'tracker', 'data'), { recursive: true });
    await writeFile(
      path.join(dir, 'tracker', 'data', 'json'),
      JSON.stringify({
        openssl: {
          'CVE-2022-2097': {
            description: 'AES OCB mode for 32-bit x86 platforms using the AES-NI assembly optimised implementation will not encrypt the entirety of the data under some circumstances. More text.',
            releases: {
              bullseye: { status: 'resolved', fixed_version: '1.1.1n-0+deb11u4', urgency: 'low' },
              bookworm: { status: 'resolved', fixed_version: '0', urgency: 'unimportant' },
              sid: { status: 'resolved', fixed_version: '3.0.5-1', urgency: 'low' },
            },
          },
        },
        curl: {
          'CVE-2023-0001': { releases: { bookworm: { status: 'open', urgency: 'medium**', nodsa: 'Minor', nodsa_reason: 'postponed' } } },
          'CVE-2023-0002': { releases: { bookworm: { status: 'open', urgency: 'low', nodsa: 'Minor issue' } } },
          'CVE-2023-0003': { releases: { bookworm: { status: 'open', urgency: 'high' } } },
          'CVE-2023-0004': { releases: { bookworm: { status: 'undetermined', urgency: 'not yet assigned' } } },
          'CVE-2023-0005': { releases: { bookworm: { status: 'open', urgency: 'end-of-life' } } },
          'CVE-2023-0006': { releases: { bookworm: { status: 'open', urgency: 'low', nodsa: '', nodsa_reason: 'ignored' } } },
        },
      }),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('makes one advisory per CVE, aliased to its DSA, merged with the JSON export', async () => {
    const warnings: string[] = [];
    const feed = debianTrackerFeed();
    const opts = { dir, cacheDir: dir, onWarning: (m: string) => warnings.push(m) };
    const all = await collect(feed.fetch(opts));

    // JSON wins for severity and title, the DSA id stays an alias.
    expect(find(all, 'debian:11', 'openssl', 'CVE-2022-2097')).toEqual({
      id: 'CVE-2022-2097',
      aliases: ['DSA-5343-1'],
      feed: 'debian-tracker',
      namespace: 'debian:11',
      package: 'openssl',
      scheme: 'deb',
      severity: 'low',
      ranges: [{ introduced: '0', fixed: '1.1.1n-0+deb11u4' }],
      title:
        'AES OCB mode for 32-bit x86 platforms using the AES-NI assembly optimised implementation will not encrypt the entirety of the data under some circumstances.',
      url: 'https://security-tracker.debian.org/tracker/CVE-2022-2097',
    });
    expect(find(all, 'debian:11', 'openssl', 'CVE-2022-4304')).toMatchObject({ aliases: ['DSA-5343-1'], severity: 'unknown', title: 'DSA-5343-1 openssl - security update' });
    // fixed in 0: not affected; sid: no namespace
    expect(find(all, 'debian:12', 'openssl', 'CVE-2022-2097')).toBeUndefined();
    expect(all.some((a) => a.namespace.includes('sid') || a.namespace === 'debian:undefined')).toBe(false);

    // A DSA without CVEs is its own advisory.
    expect(find(all, 'debian:11', 'sox', 'DSA-5356-2')).toMatchObject({ aliases: [], ranges: [{ introduced: '0', fixed: '14.4.2+git20190427-2+deb11u2' }] });
    expect(find(all, 'debian:11', 'sox', 'CVE-2021-3643')?.aliases).toEqual(['DSA-5356-1']);

    // not-affected skipped; urgency from the fix line
    expect(find(all, 'debian:3.0', 'libpng3', 'CVE-2002-0660')).toBeUndefined();
    expect(find(all, 'debian:3.1', 'libpng', 'CVE-2002-0660')?.severity).toBe('medium');

    // The newer DSA wins for the same flaw; both DSA ids are kept.
    expect(find(all, 'debian:5', 'foo', 'CVE-2010-0001')).toMatchObject({
      aliases: ['DSA-1000-1', 'DSA-1001-1'],
      ranges: [{ introduced: '0', fixed: '1.2-1' }],
      title: 'DSA-1001-1 foo - again',
    });
    expect(find(all, 'debian:5', 'foo', 'CVE-2010-0001')?.status).toBeUndefined();
    expect(find(all, 'debian:4', 'foo', 'CVE-2010-0001')).toMatchObject({ status: 'end-of-life', ranges: [{ introduced: '0' }] });

    // JSON statuses
    const status = (id: string) => find(all, 'debian:12', 'curl', id);
    expect(status('CVE-2023-0001')).toMatchObject({ status: 'postponed', severity: 'medium', ranges: [{ introduced: '0' }] });
    expect(status('CVE-2023-0002')).toMatchObject({ status: 'no-dsa', severity: 'low' });
    expect(status('CVE-2023-0003')).toMatchObject({ status: 'unfixed', severity: 'high' });
    expect(status('CVE-2023-0004')).toMatchObject({ status: 'undetermined', severity: 'unknown' });
    expect(status('CVE-2023-0005')).toMatchObject({ status: 'end-of-life' });
    expect(status('CVE-2023-0006')).toMatchObject({ status: 'ignored' });

    expect(warnings.filter((w) => w.includes('hurd'))).toHaveLength(1);
    expect(feed.describe(opts).namespaces).toEqual(['debian:3.0', 'debian:3.1', 'debian:4', 'debian:5', 'debian:11', 'debian:12']);
    const keys = new Set(all.map((a) => `${a.namespace} ${a.package} ${a.id}`));
    expect(keys.size).toBe(all.length);
  });

  it('fails on a folder with none of the tracker files', async () => {
    await expect(collect(debianTrackerFeed().fetch({ dir: path.join(dir, 'data'), cacheDir: dir }))).rejects.toMatchObject({ code: 'bad-feed' });
  });
});

const tracker = sharedPath('vulndata/debian-security-tracker');
const vunnelDebian = sharedPath('vulndata/vunnel-fixture-samples/tests/unit/providers/debian/test-fixtures/input');

describe.skipIf(!tracker)('the shared Debian tracker lists (CVEDB mirror, 2023-04)', () => {
  let all: Advisory[];
  beforeAll(async () => {
    all = await collect(debianTrackerFeed().fetch({ dir: tracker!, cacheDir: os.tmpdir() }));
  });

  it('has DSA-5343-1 openssl for bullseye as five CVE advisories', () => {
    for (const id of ['CVE-2022-2097', 'CVE-2022-4304', 'CVE-2022-4450', 'CVE-2023-0215', 'CVE-2023-0286']) {
      const a = find(all, 'debian:11', 'openssl', id);
      expect(a, id).toBeDefined();
      expect(a!.aliases).toContain('DSA-5343-1');
      expect(a!.ranges).toEqual([{ introduced: '0', fixed: '1.1.1n-0+deb11u4' }]);
      expect(a!.scheme).toBe('deb');
    }
  });

  it('keeps the epoch of DSA-5218-1 zlib', () => {
    const a = find(all, 'debian:11', 'zlib', 'CVE-2022-37434');
    expect(a?.aliases).toContain('DSA-5218-1');
    expect(a?.ranges).toEqual([{ introduced: '0', fixed: '1:1.2.11.dfsg-2+deb11u2' }]);
  });

  it('reads the DLA list for buster', () => {
    const a = find(all, 'debian:10', 'systemd', 'CVE-2023-26604');
    expect(a?.aliases).toContain('DLA-3377-1');
    expect(a?.ranges[0]?.fixed).toBe('241-7~deb10u9');
  });

  it('covers woody to bullseye and has no bookworm', () => {
    const ns = new Set(all.map((a) => a.namespace));
    expect(ns.has('debian:3.0')).toBe(true);
    expect(ns.has('debian:11')).toBe(true);
    expect(ns.has('debian:12')).toBe(false);
    expect(all.length).toBeGreaterThan(20_000);
  });
});

describe.skipIf(!vunnelDebian)('the vunnel Debian fixture (DSA excerpt + tracker JSON)', () => {
  let all: Advisory[];
  beforeAll(async () => {
    all = await collect(debianTrackerFeed().fetch({ dir: vunnelDebian!, cacheDir: os.tmpdir() }));
  });

  it('gives bookworm records, merged with the DSA list', () => {
    expect(find(all, 'debian:12', 'sope', 'CVE-2025-53603')).toMatchObject({
      aliases: ['DSA-5970-1'],
      ranges: [{ introduced: '0', fixed: '5.8.0-1+deb12u1' }],
      severity: 'unknown',
    });
    expect(find(all, 'debian:13', 'sope', 'CVE-2025-53603')?.ranges).toEqual([{ introduced: '0', fixed: '5.12.1-2' }]);
    expect(find(all, 'debian:12', 'chromium', 'CVE-2022-0456')?.ranges).toEqual([{ introduced: '0', fixed: '98.0.4758.80-1' }]);
  });

  it('maps statuses and urgencies', () => {
    expect(find(all, 'debian:10', 'chromium', 'CVE-2022-0456')).toMatchObject({ status: 'end-of-life', ranges: [{ introduced: '0' }] });
    expect(find(all, 'debian:10', 'prototypejs', 'CVE-2008-7220')?.severity).toBe('high');
    expect(find(all, 'debian:9', 'txt2man', 'CVE-2013-1444')?.severity).toBe('low');
    expect(find(all, 'debian:10', 'backupninja', 'CVE-2005-3111')?.severity).toBe('medium');
    // resolved in version 0: never affected
    expect(all.some((a) => a.id === 'CVE-2007-2383')).toBe(false);
    // the DSA without a CVE
    expect(find(all, 'debian:9', 'drupal7', 'DSA-4323-1')?.ranges).toEqual([{ introduced: '0', fixed: '7.52-2+deb9u5' }]);
  });
});
