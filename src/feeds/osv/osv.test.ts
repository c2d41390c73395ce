/** OSV conversion: events → ranges, schema checks, real records from ../shared/vulndata, and zip downloads through a mirror. */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test/helpers/shared.js';
import type { Advisory } from '../../model/index.js';
import { normalizePackageName } from './ecosystems.js';
import { ghsaMavenFeed, ghsaNpmFeed, goVulndbFeed, osvFeed, pypaFeed, rustsecFeed } from './feed.js';
import { makeZip, serveFiles } from '../../../test/helpers/zip.js';
import { convertOsvText, emptyStats, eventsToRanges } from './parse.js';

async function collect(it: AsyncIterable<Advisory>): Promise<Advisory[]> {
  const out: Advisory[] = [];
  for await (const a of it) out.push(a);
  return out;
}

function convert(rec: unknown, warnings: string[] = [], feed = 'test') {
  const stats = emptyStats();
  const advisories = convertOsvText(JSON.stringify(rec), 'json', 'rec.json', { feed, stats, onWarning: (m) => warnings.push(m) });
  return { advisories, stats, warnings };
}

const base = { id: 'GHSA-aaaa-bbbb-cccc', modified: '2024-01-01T00:00:00Z' };

describe('eventsToRanges', () => {
  it('splits several introduced/fixed pairs into ranges', () => {
    expect(eventsToRanges([{ introduced: '0' }, { fixed: '1.19.8' }, { introduced: '1.20.0-0' }, { fixed: '1.20.3' }])).toEqual([
      { introduced: '0', fixed: '1.19.8' },
      { introduced: '1.20.0-0', fixed: '1.20.3' },
    ]);
  });
  it('keeps last_affected, an open end, and ignores a redundant introduced', () => {
    expect(eventsToRanges([{ introduced: '1.0' }, { introduced: '1.2' }, { last_affected: '1.5' }, { introduced: '2.0' }])).toEqual([
      { introduced: '1.0', lastAffected: '1.5' },
      { introduced: '2.0' },
    ]);
  });
  it('reads a leading fix as "from the beginning" and a limit as an exclusive end', () => {
    expect(eventsToRanges([{ fixed: '3.0' }])).toEqual([{ introduced: '0', fixed: '3.0' }]);
    expect(eventsToRanges([{ introduced: '1.0' }, { limit: '2.0' }])).toEqual([{ introduced: '1.0', fixed: '2.0' }]);
    expect(eventsToRanges([{ introduced: '1.0' }, { limit: '*' }])).toEqual([{ introduced: '1.0' }]);
  });
});

describe('normalizePackageName', () => {
  it('follows PEP 503 for PyPI and keeps other ecosystems as written', () => {
    expect(normalizePackageName('pypi', 'Foo_Bar.baz--Qux')).toBe('foo-bar-baz-qux');
    expect(normalizePackageName('maven', 'org.apache.logging.log4j:log4j-core')).toBe('org.apache.logging.log4j:log4j-core');
    expect(normalizePackageName('npm', '@Scope/Name')).toBe('@Scope/Name');
    expect(normalizePackageName('nuget', 'Newtonsoft.Json')).toBe('newtonsoft.json');
  });
});

describe('convertOsvText', () => {
  it('warns and skips bad JSON, schema violations and bad events, without throwing', () => {
    const warnings: string[] = [];
    const stats = emptyStats();
    const opts = { feed: 'test', stats, onWarning: (m: string) => warnings.push(m) };
    expect(convertOsvText('{"id": ', 'json', 'a.json', opts)).toEqual([]);
    expect(convertOsvText(JSON.stringify({ id: 'X-1' }), 'json', 'b.json', opts)).toEqual([]); // no `modified`
    const twoKeys = { ...base, affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0', fixed: '1' }] }] }] };
    expect(convertOsvText(JSON.stringify(twoKeys), 'json', 'c.json', opts)).toEqual([]);
    expect(convertOsvText('id: [unclosed', 'yaml', 'd.yaml', opts)).toEqual([]);
    expect(stats.malformed).toBe(4);
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toMatch(/a\.json: not valid JSON/);
    expect(warnings[1]).toMatch(/b\.json: not an OSV record: modified/);
    expect(warnings[2]).toMatch(/c\.json: .*exactly one of/);
  });

  it('skips withdrawn records', () => {
    const { advisories, stats } = convert({
      ...base,
      withdrawn: '2024-02-01T00:00:00Z',
      affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] }],
    });
    expect(advisories).toEqual([]);
    expect(stats.withdrawn).toBe(1);
  });

  it('counts GIT ranges instead of warning per record, and drops an entry that had only GIT ranges', () => {
    const warnings: string[] = [];
    const { advisories, stats } = convert(
      {
        ...base,
        affected: [
          { package: { ecosystem: 'PyPI', name: 'a' }, ranges: [{ type: 'GIT', repo: 'https://x', events: [{ introduced: '0' }, { fixed: 'abc' }] }] },
          { package: { ecosystem: 'PyPI', name: 'b' }, ranges: [{ type: 'GIT', repo: 'https://x', events: [{ introduced: '0' }] }], versions: ['1.0'] },
          { package: { ecosystem: 'PyPI', name: 'c' } },
          { package: { ecosystem: 'Debian:12', name: 'd' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] },
          { package: { ecosystem: 'PyPI', name: 'e' }, ranges: [{ type: 'ECOSYSTEM', events: [{ limit: '*' }] }] }, // says nothing
        ],
      },
      warnings,
    );
    expect(warnings).toEqual([]);
    expect(stats.gitRangesSkipped).toBe(2);
    expect(stats.affectedWithoutVersions).toBe(2);
    expect(stats.otherEcosystems).toBe(1);
    expect(advisories.map((a) => [a.package, a.ranges, a.versions])).toEqual([
      ['b', [], ['1.0']],
      ['c', [{ introduced: '0' }], undefined], // no ranges and no versions: every version, said explicitly
    ]);
  });

  it('merges entries of one package, keeps related out of aliases and takes GHSA severity labels', () => {
    const { advisories } = convert({
      ...base,
      aliases: ['CVE-2024-1', 'GHSA-aaaa-bbbb-cccc'],
      related: ['CVE-2024-2'],
      details: 'First line.\nMore.',
      database_specific: { severity: 'MODERATE' },
      affected: [
        { package: { ecosystem: 'PyPI', name: 'Foo_Bar' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0' }] }] },
        { package: { ecosystem: 'PyPI', name: 'foo.bar' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '2.0' }, { fixed: '2.1' }] }] },
      ],
    });
    expect(advisories).toEqual([
      {
        id: 'GHSA-aaaa-bbbb-cccc',
        aliases: ['CVE-2024-1'],
        feed: 'test',
        namespace: 'pypi',
        package: 'foo-bar',
        scheme: 'pep440',
        severity: 'medium',
        ranges: [
          { introduced: '0', fixed: '1.0' },
          { introduced: '2.0', fixed: '2.1' },
        ],
        title: 'First line.',
        url: 'https://github.com/advisories/GHSA-aaaa-bbbb-cccc',
      },
    ]);
  });

  it('computes severity from CVSS when no label is given, preferring v4 over v3', () => {
    const aff = [{ package: { ecosystem: 'crates.io', name: 'x' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] }];
    const v3 = convert({ ...base, id: 'RUSTSEC-2024-0001', affected: aff, severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }] });
    expect(v3.advisories[0]?.severity).toBe('critical');
    const both = convert({
      ...base,
      affected: aff,
      severity: [
        { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
        { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N' },
      ],
    });
    expect(both.advisories[0]?.severity).toBe('medium'); // 6.9
    const none = convert({ ...base, affected: aff, severity: [{ type: 'CVSS_V3', score: 'nonsense' }] });
    expect(none.advisories[0]?.severity).toBe('unknown');
    const eco = convert({ ...base, affected: [{ ...aff[0], ecosystem_specific: { severity: 'HIGH' } }] });
    expect(eco.advisories[0]?.severity).toBe('high');
  });

  it('keeps unquoted YAML versions as text', () => {
    const yaml = 'id: PYSEC-1\nmodified: "2024-01-01T00:00:00Z"\naffected:\n- package: {name: x, ecosystem: PyPI}\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: 0\n    - fixed: 1.10\n';
    const adv = convertOsvText(yaml, 'yaml', 'x.yaml', { feed: 'pypa', stats: emptyStats() });
    expect(adv[0]?.ranges).toEqual([{ introduced: '0', fixed: '1.10' }]);
  });
});

const vulndata = sharedPath('vulndata');
describe.skipIf(!vulndata)('real records from ../shared/vulndata', () => {
  const v = (rel: string) => path.join(vulndata!, rel);
  // Each folder is parsed once (timed: the whole Go vulndb + PyPA + RustSec should take seconds).
  const parsed = new Map<string, Advisory[]>();
  const warnings: string[] = [];
  let parseMs = 0;
  beforeAll(async () => {
    const t0 = performance.now();
    for (const [feed, dir] of [
      [goVulndbFeed(), 'go-vulndb'],
      [pypaFeed(), 'pypa-advisory-database'],
      [rustsecFeed(), 'rustsec-osv'],
    ] as const) {
      parsed.set(feed.id, await collect(feed.fetch({ dir: v(dir), cacheDir: tmpdir(), onWarning: (m) => warnings.push(m) })));
    }
    parseMs = performance.now() - t0;
    for (const [feed, dir] of [
      [ghsaNpmFeed(), 'ghsa-npm'],
      [ghsaMavenFeed(), 'ghsa-maven'],
    ] as const) {
      parsed.set(feed.id, await collect(feed.fetch({ dir: v(dir), cacheDir: tmpdir(), onWarning: (m) => warnings.push(m) })));
    }
  });
  const one = (feed: string, id: string) => (parsed.get(feed) ?? []).filter((a) => a.id === id);

  it('GO-2023-1705: stdlib, two ranges without the go prefix', () => {
    expect(one('go-vulndb', 'GO-2023-1705')).toEqual([
      {
        id: 'GO-2023-1705',
        aliases: ['CVE-2023-24536'],
        feed: 'go-vulndb',
        namespace: 'go',
        package: 'stdlib',
        scheme: 'go',
        severity: 'unknown',
        ranges: [
          { introduced: '0', fixed: '1.19.8' },
          { introduced: '1.20.0-0', fixed: '1.20.3' },
        ],
        title: 'Excessive resource consumption in net/http, net/textproto and mime/multipart',
        url: 'https://pkg.go.dev/vuln/GO-2023-1705',
      },
    ]);
  });

  it('PYSEC-2023-74: requests, ECOSYSTEM range plus the versions list, GIT range skipped', () => {
    const [a, ...rest] = one('pypa', 'PYSEC-2023-74');
    expect(rest).toEqual([]);
    expect(a).toMatchObject({ namespace: 'pypi', package: 'requests', scheme: 'pep440', ranges: [{ introduced: '2.3.0', fixed: '2.31.0' }] });
    expect(a!.aliases).toEqual(['CVE-2023-32681', 'GHSA-j8r2-6x86-q33q']);
    expect(a!.versions).toHaveLength(66);
    expect(a!.versions).toContain('2.28.1');
    expect(a!.url).toBe('https://github.com/psf/requests/security/advisories/GHSA-j8r2-6x86-q33q');
  });

  it('GHSA-jfh8-c2jp-5v3q: log4j-core, three affected entries merged into one advisory', () => {
    const got = one('ghsa-maven', 'GHSA-jfh8-c2jp-5v3q');
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      feed: 'ghsa-maven',
      namespace: 'maven',
      package: 'org.apache.logging.log4j:log4j-core',
      scheme: 'maven',
      severity: 'critical',
      aliases: ['CVE-2021-44228'],
      ranges: [
        { introduced: '2.13.0', fixed: '2.15.0' },
        { introduced: '0', fixed: '2.3.1' },
        { introduced: '2.4', fixed: '2.12.2' },
      ],
      url: 'https://github.com/advisories/GHSA-jfh8-c2jp-5v3q',
    });
  });

  it('GHSA-p6mc-m468-83gw: lodash fixed in 4.17.20', () => {
    const got = one('ghsa-npm', 'GHSA-p6mc-m468-83gw');
    const lodash = got.find((a) => a.package === 'lodash');
    expect(lodash).toMatchObject({ namespace: 'npm', scheme: 'semver', severity: 'high' });
    expect(lodash!.ranges.map((r) => r.fixed)).toEqual(['4.17.20']);
    expect(lodash!.aliases).toContain('CVE-2020-8203');
  });

  it('RUSTSEC-2020-0070: lock_api, informational record without CVSS', () => {
    const got = one('rustsec', 'RUSTSEC-2020-0070');
    expect(got).toEqual([
      expect.objectContaining({
        namespace: 'crates.io',
        package: 'lock_api',
        scheme: 'cargo',
        severity: 'unknown',
        ranges: [{ introduced: '0.0.0-0', fixed: '0.4.2' }],
        url: 'https://rustsec.org/advisories/RUSTSEC-2020-0070.html',
      }),
    ]);
    expect(got[0]!.aliases).toContain('CVE-2020-35910');
  });

  it('parses the whole Go vulndb, PyPA and RustSec folders in a few seconds, with no malformed record', () => {
    const counts = Object.fromEntries(['go-vulndb', 'pypa', 'rustsec'].map((id) => [id, parsed.get(id)?.length ?? 0]));
    process.stdout.write(`osv: parsed ${JSON.stringify(counts)} advisories in ${(parseMs / 1000).toFixed(2)} s\n`);
    for (const w of warnings) process.stdout.write(`osv: ${w}\n`);
    expect(warnings.filter((w) => /malformed/.test(w))).toEqual([]);
    for (const list of parsed.values()) for (const a of list) expect(a.ranges.length + (a.versions?.length ?? 0)).toBeGreaterThan(0);
    expect(counts['go-vulndb']).toBeGreaterThan(4000);
    expect(counts['pypa']).toBeGreaterThan(2500);
    expect(counts['rustsec']).toBeGreaterThan(1100);
    expect(parseMs).toBeLessThan(60_000);
  });
});

// ---- zip downloads through a mirror -------------------------------------------------------

const rec = (id: string, name: string, fixed: string) =>
  Buffer.from(
    JSON.stringify({
      id,
      modified: '2024-01-01T00:00:00Z',
      affected: [{ package: { ecosystem: 'npm', name }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }] }],
    }),
  );

describe('download of OSV.dev all.zip through a mirror', () => {
  let server: Awaited<ReturnType<typeof serveFiles>>;
  let mirror: string;
  let served: string[];
  let cacheDir: string;
  const files = new Map<string, Buffer>();

  beforeAll(async () => {
    cacheDir = await mkdtemp(path.join(tmpdir(), 'shipshape-osv-'));
    files.set(
      '/osv-vulnerabilities.storage.googleapis.com/npm/all.zip',
      makeZip([
        { name: 'GHSA-aaaa-bbbb-cccc.json', data: rec('GHSA-aaaa-bbbb-cccc', 'left-pad', '1.3.0') },
        { name: 'MAL-2024-1.json', data: rec('MAL-2024-1', 'evil', '0') }, // another database: not this feed's
        { name: 'GHSA-bad0-bad0-bad0.json', data: Buffer.from('{"id": "GHSA-bad0-bad0-bad0"') },
        { name: 'GHSA-dddd-eeee-ffff.json', data: rec('GHSA-dddd-eeee-ffff', 'lodash', '4.17.21') },
      ]),
    );
    files.set(
      '/osv-vulnerabilities.storage.googleapis.com/Go/all.zip',
      makeZip([
        { name: 'GO-2024-0001.json', data: Buffer.alloc(4 * 1024 * 1024, 0x20) }, // inflates to 4 MiB of spaces
        { name: 'GO-2024-0002.json', data: Buffer.alloc(4 * 1024 * 1024, 0x20), declaredSize: 100 }, // lies about its size
        { name: 'GO-2024-0003.json', data: rec('GO-2024-0003', 'x', '1.0.0') },
      ]),
    );
    server = await serveFiles(files);
    mirror = server.url;
    served = server.served;
  });
  afterAll(async () => {
    await server.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('streams the GHSA records of the zip, warning about the malformed one', async () => {
    const warnings: string[] = [];
    const feed = ghsaNpmFeed();
    const got = await collect(feed.fetch({ cacheDir, mirror, onWarning: (m) => warnings.push(m) }));
    expect(got.map((a) => [a.id, a.package, a.ranges])).toEqual([
      ['GHSA-aaaa-bbbb-cccc', 'left-pad', [{ introduced: '0', fixed: '1.3.0' }]],
      ['GHSA-dddd-eeee-ffff', 'lodash', [{ introduced: '0', fixed: '4.17.21' }]],
    ]);
    expect(served).toContain('/osv-vulnerabilities.storage.googleapis.com/npm/all.zip');
    expect(warnings.some((w) => /GHSA-bad0-bad0-bad0\.json: not valid JSON/.test(w))).toBe(true);
    expect(warnings.some((w) => /1 malformed record/.test(w))).toBe(true);
    expect(feed.describe({ cacheDir, mirror }).source).toContain('npm/all.zip via http://127.0.0.1');
  });

  it('caps each entry (declared or actual size) and the whole archive', async () => {
    const warnings: string[] = [];
    const small = { maxEntryBytes: 1024 * 1024, maxTotalBytes: 64 * 1024 * 1024, maxEntries: 1000 };
    const got = await collect(goVulndbFeed({ zipLimits: small }).fetch({ cacheDir, mirror, onWarning: (m) => warnings.push(m) }));
    expect(got.map((a) => a.id)).toEqual(['GO-2024-0003']);
    expect(warnings.filter((w) => /over the 1048576-byte cap: skipped/.test(w))).toHaveLength(1);
    // The lying entry is stopped by yauzl's size validation while inflating: never read whole.
    expect(warnings.some((w) => /GO-2024-0002\.json: corrupt entry: too many bytes/.test(w))).toBe(true);

    const tiny = { maxEntryBytes: 8 * 1024 * 1024, maxTotalBytes: 1024 * 1024, maxEntries: 1000 };
    await expect(collect(goVulndbFeed({ zipLimits: tiny }).fetch({ cacheDir, mirror }))).rejects.toMatchObject({ code: 'too-large' });
  });

  it('fails with not-found when the mirror lacks the archive', async () => {
    await expect(collect(rustsecFeed().fetch({ cacheDir, mirror }))).rejects.toMatchObject({ code: 'not-found' });
  });

  it('reads a local folder of OSV files and refuses one holding none', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'shipshape-osv-dir-'));
    try {
      await mkdir(path.join(dir, 'data', 'osv'), { recursive: true });
      await writeFile(path.join(dir, 'data', 'osv', 'GO-2024-0003.json'), rec('GO-2024-0003', 'x', '1.0.0'));
      await writeFile(path.join(dir, 'data', 'osv', 'GO-2024-0004.json'), '{"id": "GO-2024-0004", "modified": 7}');
      await writeFile(path.join(dir, 'data', 'osv', 'index.json'), '[]');
      const warnings: string[] = [];
      const feed = goVulndbFeed();
      const got = await collect(feed.fetch({ dir, cacheDir, onWarning: (m) => warnings.push(m) }));
      expect(got.map((a) => a.id)).toEqual(['GO-2024-0003']);
      expect(warnings).toEqual([
        expect.stringMatching(/data\/osv\/GO-2024-0004\.json: not an OSV record: modified/),
        'go-vulndb: 1 malformed record(s) skipped',
      ]);
      expect(feed.describe({ dir, cacheDir })).toEqual({ source: dir, namespaces: ['go'] });
      await rm(path.join(dir, 'data'), { recursive: true });
      await expect(collect(osvFeed({ id: 'x', dirName: 'x', idPrefixes: ['X-'], ecosystems: ['npm'] }).fetch({ dir, cacheDir }))).rejects.toMatchObject({
        code: 'bad-feed',
      });
      expect((await readFile(path.join(cacheDir, 'http', 'osv-vulnerabilities.storage.googleapis.com', 'npm', 'all.zip'))).length).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
