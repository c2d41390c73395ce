/** Node.js Security WG (NSP) advisories: range conversion, real records, malformed files, download through a mirror. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test/helpers/shared.js';
import type { Advisory } from '../../model/index.js';
import { makeZip, serveFiles } from '../../../test/helpers/zip.js';
import { nodejsSecurityWgFeed, npmRangeToOsv, parseNspRecord } from './index.js';

async function collect(it: AsyncIterable<Advisory>): Promise<Advisory[]> {
  const out: Advisory[] = [];
  for await (const a of it) out.push(a);
  return out;
}

describe('npmRangeToOsv', () => {
  it.each([
    ['<4.2.2', { ranges: [{ introduced: '0', fixed: '4.2.2' }], versions: [] }],
    ['<=1.0.0', { ranges: [{ introduced: '0', lastAffected: '1.0.0' }], versions: [] }],
    ['>= 2.0.1 <3.0.2', { ranges: [{ introduced: '2.0.1', fixed: '3.0.2' }], versions: [] }],
    [
      '<1.10.4 || >=1.11.0 <1.16.0',
      {
        ranges: [
          { introduced: '0', fixed: '1.10.4' },
          { introduced: '1.11.0', fixed: '1.16.0' },
        ],
        versions: [],
      },
    ],
    ['<=0.9.4 || 1.0.0', { ranges: [{ introduced: '0', lastAffected: '0.9.4' }], versions: ['1.0.0'] }],
    ['<=v2.0.0-alpha7', { ranges: [{ introduced: '0', lastAffected: '2.0.0-alpha7' }], versions: [] }],
    ['*', { ranges: [{ introduced: '0' }], versions: [] }],
  ])('%s is exact as OSV ranges', (range, want) => {
    expect(npmRangeToOsv(range)).toEqual(want);
  });

  it.each(['<1.6.5 || < 2.1.7 > 2.0.0', '2.0.x || 2.1.x', '<3.11 || >= 4 <4.5', '>= 0.2.0 <= 0.9.6 || ~0.8.0-pre', '^1.2.3'])(
    '%s is kept as a range string',
    (range) => {
      expect(npmRangeToOsv(range)).toBeUndefined();
    },
  );
});

describe('parseNspRecord', () => {
  const rec = {
    id: 17,
    title: 'Verification Bypass',
    module_name: 'jsonwebtoken',
    cves: [],
    vulnerable_versions: '<4.2.2',
    patched_versions: '>=4.2.2',
    cvss_vector: 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N',
    cvss_score: 7.5,
  };
  it('keeps a range it cannot express as the requirement string', () => {
    const adv = parseNspRecord(JSON.stringify({ ...rec, vulnerable_versions: '2.0.x || >2.5.0 <3.0.0' }), { source: 'x.json' });
    expect(adv).toMatchObject({ ranges: [], requirements: { vulnerable: '2.0.x || >2.5.0 <3.0.0' } });
    expect(adv?.versions).toBeUndefined();
  });
  it('warns about bad JSON and records that do not match the schema', () => {
    const warnings: string[] = [];
    expect(parseNspRecord('{', { source: 'a.json', onWarning: (m) => warnings.push(m) })).toBeUndefined();
    expect(parseNspRecord(JSON.stringify({ ...rec, module_name: 42 }), { source: 'b.json', onWarning: (m) => warnings.push(m) })).toBeUndefined();
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/a\.json: not valid JSON/);
    expect(warnings[1]).toMatch(/b\.json: not an NSP advisory: module_name/);
  });
  it('falls back to the published score when the vector does not parse', () => {
    expect(parseNspRecord(JSON.stringify({ ...rec, cvss_vector: 'CVSS:3.0/AV:N/I:U', cvss_score: 9.1 }), { source: 'c.json' })?.severity).toBe('critical');
  });
});

const dir = sharedPath('vulndata/nodejs-security-wg');
describe.skipIf(!dir)('the shared Node.js Security WG copy', () => {
  let all: Advisory[] = [];
  const warnings: string[] = [];
  beforeAll(async () => {
    all = await collect(nodejsSecurityWgFeed().fetch({ dir: dir!, cacheDir: tmpdir(), onWarning: (m) => warnings.push(m) }));
  });

  it('reads every npm advisory without warnings', () => {
    expect(warnings).toEqual([]);
    expect(all).toHaveLength(467);
    // Most ranges are plain intervals; the rest keep their npm range.
    const kept = all.filter((a) => a.requirements);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(all.length / 5);
    for (const a of kept) expect(a.ranges).toEqual([]);
  });

  it('NSWG-ECO-1: bassmaster <=1.5.1 (CVE-2014-7205)', () => {
    expect(all.find((a) => a.id === 'NSWG-ECO-1')).toEqual({
      id: 'NSWG-ECO-1',
      aliases: ['CVE-2014-7205'],
      feed: 'nodejs-security-wg',
      namespace: 'npm',
      package: 'bassmaster',
      scheme: 'semver',
      severity: 'medium', // CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N = 6.5
      ranges: [{ introduced: '0', lastAffected: '1.5.1' }],
      title: 'Arbitrary JavaScript Execution',
      url: 'https://github.com/nodejs/security-wg/blob/main/vuln/npm/1.json',
    });
  });
});

describe('download of the WG archive through a mirror', () => {
  let srv: Awaited<ReturnType<typeof serveFiles>>;
  let cacheDir: string;
  beforeAll(async () => {
    cacheDir = await mkdtemp(path.join(tmpdir(), 'shipshape-nspwg-'));
    const rec = (id: number, name: string, range: string) =>
      Buffer.from(JSON.stringify({ id, module_name: name, cves: [], vulnerable_versions: range, patched_versions: null, title: name }));
    srv = await serveFiles(
      new Map([
        [
          '/github.com/nodejs/security-wg/archive/refs/heads/main.zip',
          makeZip([
            { name: 'security-wg-main/README.md', data: Buffer.from('# hi') },
            { name: 'security-wg-main/vuln/npm/2.json', data: rec(2, 'left-pad', '<1.3.0') },
            { name: 'security-wg-main/vuln/npm/3.json', data: Buffer.from('{') },
            { name: 'security-wg-main/vuln/core/1.json', data: rec(1, 'node', '<8.0.0') },
          ]),
        ],
      ]),
    );
  });
  afterAll(async () => {
    await srv.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('reads vuln/npm records from the archive and warns about the broken one', async () => {
    const warnings: string[] = [];
    const got = await collect(nodejsSecurityWgFeed().fetch({ cacheDir, mirror: srv.url, onWarning: (m) => warnings.push(m) }));
    expect(got.map((a) => [a.id, a.package, a.ranges])).toEqual([['NSWG-ECO-2', 'left-pad', [{ introduced: '0', fixed: '1.3.0' }]]]);
    expect(warnings).toEqual([expect.stringMatching(/vuln\/npm\/3\.json: not valid JSON/)]);
    expect(srv.served).toEqual(['/github.com/nodejs/security-wg/archive/refs/heads/main.zip']);
  });
});
