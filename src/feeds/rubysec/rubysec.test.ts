/** RubySec (ruby-advisory-db) advisories: requirements to ranges, real records, malformed files, download through a mirror. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test/helpers/shared.js';
import type { Advisory } from '../../model/index.js';
import { makeZip, serveFiles } from '../../../test/helpers/zip.js';
import { parseRubysecRecord, rubysecFeed } from './index.js';

async function collect(it: AsyncIterable<Advisory>): Promise<Advisory[]> {
  const out: Advisory[] = [];
  for await (const a of it) out.push(a);
  return out;
}

describe('parseRubysecRecord', () => {
  it('turns patched and unaffected requirements into the affected ranges between them, ids CVE first', () => {
    const yml = [
      'gem: actionpack',
      'cve: 2020-8164',
      'ghsa: 8727-m6gj-mc37',
      'url: https://example.test/a',
      'title: Strong parameters bypass',
      'cvss_v3: 7.5',
      'unaffected_versions:',
      '  - "< 4.0.0"',
      'patched_versions:',
      '  - "~> 5.2.4, >= 5.2.4.3"',
      '  - ">= 6.0.3.1"',
    ].join('\n');
    expect(parseRubysecRecord(yml, { source: 'gems/actionpack/CVE-2020-8164.yml' })).toEqual({
      id: 'CVE-2020-8164',
      aliases: ['GHSA-8727-m6gj-mc37'],
      feed: 'rubysec',
      namespace: 'rubygems',
      package: 'actionpack',
      scheme: 'gem',
      severity: 'high',
      ranges: [
        { introduced: '4.0.0', fixed: '5.2.4.3' },
        { introduced: '5.3', fixed: '6.0.3.1' },
      ],
      title: 'Strong parameters bypass',
      url: 'https://example.test/a',
    });
  });

  it('keeps the requirement lists as written when the affected versions have no OSV form', () => {
    // Unaffected up to and including 4.4.0: affected from just above 4.4.0, which `introduced` cannot say.
    const adv = parseRubysecRecord('gem: x\ncve: 2019-18409\npatched_versions: [">= 4.7.1"]\nunaffected_versions: ["<= 4.4.0"]\n', {
      source: 'gems/x/CVE-2019-18409.yml',
    });
    expect(adv).toMatchObject({ ranges: [], requirements: { patched: ['>= 4.7.1'], unaffected: ['<= 4.4.0'] } });
  });

  it('reads an advisory with no patched version as affecting every version, and keeps 1.10 as text', () => {
    const adv = parseRubysecRecord('gem: x\nghsa: aaaa-bbbb-cccc\ncvss_v4: 2.1\nunaffected_versions: [ < 1.10 ]\n', { source: 'gems/x/GHSA-aaaa-bbbb-cccc.yml' });
    expect(adv).toMatchObject({ id: 'GHSA-aaaa-bbbb-cccc', severity: 'low', ranges: [{ introduced: '1.10' }] });
    const none = parseRubysecRecord('gem: y\ntitle: t\n', { source: 'gems/y/OSVDB-1.yml' });
    expect(none).toMatchObject({ id: 'OSVDB-1', severity: 'unknown', ranges: [{ introduced: '0' }] });
    expect(none?.requirements).toBeUndefined();
  });

  it('warns about bad YAML and records that do not match the schema', () => {
    const warnings: string[] = [];
    const onWarning = (m: string) => warnings.push(m);
    expect(parseRubysecRecord('gem: [unclosed', { source: 'a.yml', onWarning })).toBeUndefined();
    expect(parseRubysecRecord('title: no gem\n', { source: 'b.yml', onWarning })).toBeUndefined();
    expect(parseRubysecRecord('gem: z\ncvss_v3: high\n', { source: 'c.yml', onWarning })).toBeUndefined();
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/a\.yml: not valid YAML/);
    expect(warnings[1]).toMatch(/b\.yml: .*gem/);
    expect(warnings[2]).toMatch(/c\.yml: .*cvss_v3/);
  });
});

const dir = sharedPath('vulndata/rubysec');
describe.skipIf(!dir)('the shared ruby-advisory-db copy', () => {
  let all: Advisory[] = [];
  const warnings: string[] = [];
  beforeAll(async () => {
    all = await collect(rubysecFeed().fetch({ dir: dir!, cacheDir: tmpdir(), onWarning: (m) => warnings.push(m) }));
  });

  it('reads every gem advisory, nearly all as OSV ranges', () => {
    // Two records leave no version affected (ckeditor: unaffected < 5.1.2, patched >= 5.1.2).
    expect(warnings.sort()).toEqual([
      'rubysec: gems/ckeditor/CVE-2021-32808.yml: every version is patched or unaffected: skipped',
      'rubysec: gems/cron_parser/CVE-2019-15224.yml: every version is patched or unaffected: skipped',
    ]);
    expect(all).toHaveLength(1232);
    expect(new Set(all.map((a) => a.package)).size).toBe(464); // cron_parser's only record is one of the two
    const kept = all.filter((a) => a.requirements);
    expect(kept.length).toBeLessThan(50);
    for (const a of kept) expect(a.ranges).toEqual([]);
    for (const a of all.filter((x) => !x.requirements)) expect(a.ranges.length).toBeGreaterThan(0);
  });

  it('CVE-2016-11086: oauth patched >= 0.5.5, CVSS v3 7.4', () => {
    expect(all.find((a) => a.id === 'CVE-2016-11086' && a.package === 'oauth')).toEqual({
      id: 'CVE-2016-11086',
      aliases: ['GHSA-7359-3c6r-hfc2'],
      feed: 'rubysec',
      namespace: 'rubygems',
      package: 'oauth',
      scheme: 'gem',
      severity: 'high',
      ranges: [{ introduced: '0', fixed: '0.5.5' }],
      title: 'Improper Certificate Validation in oauth ruby gem',
      url: 'https://github.com/advisories/GHSA-7359-3c6r-hfc2',
    });
  });
});

describe('download of the ruby-advisory-db archive through a mirror', () => {
  let srv: Awaited<ReturnType<typeof serveFiles>>;
  let cacheDir: string;
  beforeAll(async () => {
    cacheDir = await mkdtemp(path.join(tmpdir(), 'shipshape-rubysec-'));
    srv = await serveFiles(
      new Map([
        [
          '/github.com/rubysec/ruby-advisory-db/archive/refs/heads/master.zip',
          makeZip([
            { name: 'ruby-advisory-db-master/gems/rack/CVE-2024-1.yml', data: Buffer.from('gem: rack\ncve: 2024-1\npatched_versions: [">= 3.0.1"]\n') },
            { name: 'ruby-advisory-db-master/rubies/ruby/CVE-2024-2.yml', data: Buffer.from('engine: ruby\n') },
            { name: 'ruby-advisory-db-master/gems/bad/CVE-2024-3.yml', data: Buffer.from('title: [\n') },
          ]),
        ],
      ]),
    );
  });
  afterAll(async () => {
    await srv.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('reads gems/ records from the archive and warns about the broken one', async () => {
    const warnings: string[] = [];
    const feed = rubysecFeed();
    const got = await collect(feed.fetch({ cacheDir, mirror: srv.url, onWarning: (m) => warnings.push(m) }));
    expect(got.map((a) => [a.id, a.package, a.ranges])).toEqual([['CVE-2024-1', 'rack', [{ introduced: '0', fixed: '3.0.1' }]]]);
    expect(warnings).toEqual([expect.stringMatching(/gems\/bad\/CVE-2024-3\.yml: not valid YAML/)]);
    expect(feed.describe({ cacheDir, mirror: srv.url }).source).toMatch(/master\.zip via http:\/\/127\.0\.0\.1:/);
  });
});
