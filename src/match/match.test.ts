/** Unit tests of the matcher: range rules, requirement strings, one finding per flaw, and "no data" warnings. */
import { describe, expect, it } from 'vitest';
import type { Advisory, CveScore, OsInfo, Package } from '../model/index.js';
import { getComparator } from '../version/index.js';
import { affects, matchPackages, type AdvisorySource } from './index.js';

const adv = (over: Partial<Advisory>): Advisory => ({
  id: 'CVE-2020-0001',
  aliases: [],
  feed: 'test',
  namespace: 'npm',
  package: 'left-pad',
  scheme: 'semver',
  severity: 'high',
  ranges: [],
  ...over,
});

const pkg = (over: Partial<Package>): Package => ({ name: 'left-pad', version: '1.0.0', type: 'npm', locations: [{ layer: 'sha256:1', path: '/app/node_modules/left-pad/package.json' }], ...over });

function source(advisories: Advisory[]): AdvisorySource {
  return {
    lookup: (ns, name) => advisories.filter((a) => a.namespace === ns && a.package === name),
    namespaces: () => new Set(advisories.map((a) => a.namespace)),
  };
}
const match = (packages: Package[], advisories: Advisory[], os: OsInfo | null = null) => matchPackages(packages, os, source(advisories), { comparator: getComparator });
const semver = getComparator('semver')!;

describe('affects', () => {
  it('applies introduced, fixed and last_affected bounds and explains the decision', () => {
    const a = adv({ ranges: [{ introduced: '1.0.0', fixed: '1.2.0' }, { introduced: '2.0.0', lastAffected: '2.1.0' }] });
    expect(affects(a, '0.9.0', semver)).toBeNull();
    expect(affects(a, '1.1.0', semver)).toEqual({ rule: '1.1.0 >= introduced 1.0.0, 1.1.0 < fixed 1.2.0 (semver)', fixed: '1.2.0' });
    expect(affects(a, '1.2.0', semver)).toBeNull();
    expect(affects(a, '2.1.0', semver)?.rule).toBe('2.1.0 >= introduced 2.0.0, 2.1.0 <= last affected 2.1.0 (semver)');
    expect(affects(a, '2.1.1', semver)).toBeNull();
  });

  it('an unfixed advisory affects every version; an explicit versions list only those', () => {
    expect(affects(adv({ ranges: [{ introduced: '0' }] }), '9.9.9', semver)).toEqual({ rule: '9.9.9: no fix yet (semver)', fixed: null });
    expect(affects(adv({ ranges: [], versions: ['1.0.1'] }), '1.0.0', semver)).toBeNull();
    expect(affects(adv({ ranges: [], versions: ['1.0.0'] }), '1.0.0', semver)?.rule).toBe('1.0.0 is listed as affected (semver)');
  });

  it('requirement strings: vulnerable range, minus patched and unaffected ones', () => {
    const a = adv({ requirements: { vulnerable: '<3.11 || >= 4 <4.5', patched: ['>=3.11 <4 || >=4.5'] } });
    expect(affects(a, '4.17.1', semver)).toBeNull();
    expect(affects(a, '4.4.0', semver)).toEqual({ rule: '4.4.0 satisfies vulnerable "<3.11 || >= 4 <4.5", none of patched ">=3.11 <4 || >=4.5" (semver)', fixed: '>=3.11 <4 || >=4.5' });
    const gem = adv({ scheme: 'gem', requirements: { patched: ['~> 5.2.4', '>= 6.0.1'] } });
    expect(affects(gem, '5.2.3', getComparator('gem')!)).not.toBeNull();
    expect(affects(gem, '5.2.9', getComparator('gem')!)).toBeNull();
    expect(affects(gem, '6.0.0', getComparator('gem')!)).not.toBeNull();
  });
});

describe('matchPackages', () => {
  it('two feeds describing one flaw give one finding with the ids united', () => {
    const r = match([pkg({})], [
      adv({ id: 'GHSA-aaaa-bbbb-cccc', aliases: ['CVE-2020-0001'], ranges: [{ fixed: '1.0.1' }], severity: 'medium' }),
      adv({ id: 'NSWG-ECO-1', aliases: ['CVE-2020-0001'], feed: 'nodejs-security-wg', ranges: [{ fixed: '1.0.2' }], severity: 'high' }),
    ]);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ id: 'GHSA-aaaa-bbbb-cccc', aliases: ['CVE-2020-0001', 'NSWG-ECO-1'], severity: 'high' });
  });

  it('CVEs fixed by one distro advisory stay separate findings', () => {
    const debian: OsInfo = { id: 'debian', version: '11' };
    const ssl = pkg({ name: 'libssl1.1', type: 'deb', version: '1.1.1n-0+deb11u3', sourceName: 'openssl', sourceVersion: '1.1.1n-0+deb11u3' });
    const a = (id: string) => adv({ id, aliases: ['DSA-5343-1'], namespace: 'debian:11', package: 'openssl', scheme: 'deb', ranges: [{ introduced: '0', fixed: '1.1.1n-0+deb11u4' }] });
    const r = match([ssl], [a('CVE-2022-2097'), a('CVE-2023-0286')], debian);
    expect(r.findings.map((f) => f.id)).toEqual(['CVE-2022-2097', 'CVE-2023-0286']);
    expect(r.findings[0]!.match).toMatchObject({ searchedBy: 'openssl', installedVersion: '1.1.1n-0+deb11u3', namespace: 'debian:11' });
  });

  it('a release without data is a no-data warning, never a silent clean result', () => {
    const r = match([pkg({ name: 'musl', type: 'apk', version: '1.2.5-r0' })], [adv({ namespace: 'alpine:3.10', package: 'musl', scheme: 'apk' })], { id: 'alpine', version: '3.20.3', name: 'Alpine Linux v3.20' });
    expect(r.findings).toEqual([]);
    expect(r.warnings).toEqual([expect.objectContaining({ code: 'no-data', message: expect.stringContaining('alpine:3.20') })]);
  });

  it('versions the scheme cannot read and local packages are not matched', () => {
    const go = [adv({ namespace: 'go', package: 'example.com/app', scheme: 'go', ranges: [{ introduced: '0' }] })];
    expect(match([pkg({ name: 'example.com/app', type: 'go-module', version: '(devel)' })], go).findings).toEqual([]);
    const crate = [adv({ namespace: 'crates.io', package: 'mine', scheme: 'cargo', ranges: [{ introduced: '0' }] })];
    expect(match([pkg({ name: 'mine', type: 'cargo', version: '0.1.0', local: true })], crate).findings).toEqual([]);
  });

  it('PyPI names are matched in their PEP 503 form', () => {
    const r = match([pkg({ name: 'Foo_Bar.baz', type: 'python', version: '1.0' })], [adv({ namespace: 'pypi', package: 'foo-bar-baz', scheme: 'pep440', ranges: [{ fixed: '1.1' }] })]);
    expect(r.findings).toHaveLength(1);
  });
});

describe('development dependencies', () => {
  it('are left out of matching unless includeDev asks for them', () => {
    const advisories = [adv({ ranges: [{ fixed: '1.0.1' }] })];
    const dev = pkg({ dev: true });
    expect(match([dev], advisories).findings).toEqual([]);
    expect(matchPackages([dev], null, source(advisories), { comparator: getComparator, includeDev: true }).findings.map((f) => f.id)).toEqual(['CVE-2020-0001']);
    expect(match([pkg({})], advisories).findings.map((f) => f.id)).toEqual(['CVE-2020-0001']);
  });
});

describe('severity: the vendor first, NVD second', () => {
  const scores: Record<string, CveScore> = {
    'CVE-2020-0001': { id: 'CVE-2020-0001', cvss: { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8, version: '3.1', source: 'nvd@nist.gov' }, severity: 'critical', feed: 'nvd' },
  };
  const scored = (advisories: Advisory[]): AdvisorySource => ({ ...source(advisories), cvss: (id) => scores[id] });
  const run = (advisories: Advisory[]) => matchPackages([pkg({})], null, scored(advisories), { comparator: getComparator }).findings;
  const nvd = scores['CVE-2020-0001']!.cvss;

  it('an unknown severity takes the rating of the CVE score, and says it came from nvd', () => {
    expect(run([adv({ severity: 'unknown', feed: 'alpine-secdb', ranges: [{ introduced: '0' }] })])).toEqual([
      expect.objectContaining({ severity: 'critical', severitySource: 'nvd', cvss: nvd }),
    ]);
  });

  it("a vendor's severity stays, with its feed as source, and the CVSS beside it", () => {
    expect(run([adv({ severity: 'low', feed: 'debian-tracker', ranges: [{ introduced: '0' }] })])).toEqual([
      expect.objectContaining({ severity: 'low', severitySource: 'debian-tracker', cvss: nvd }),
    ]);
  });

  it('a GHSA finding is scored through its CVE alias; a flaw NVD does not know stays unknown, without a source', () => {
    const [ghsa] = run([adv({ id: 'GHSA-aaaa-bbbb-cccc', aliases: ['CVE-2020-0001'], severity: 'unknown', feed: 'ghsa-npm', ranges: [{ introduced: '0' }] })]);
    expect(ghsa).toMatchObject({ severity: 'critical', severitySource: 'nvd', cvss: nvd });
    const [none] = run([adv({ id: 'CVE-2020-0002', severity: 'unknown', ranges: [{ introduced: '0' }] })]);
    expect(none!.severity).toBe('unknown');
    expect(none!.severitySource).toBeUndefined();
    expect(none!.cvss).toBeUndefined();
  });

  it('when two feeds describe one flaw, the worse vendor severity and its feed win', () => {
    const [f] = run([
      adv({ id: 'GHSA-aaaa-bbbb-cccc', aliases: ['CVE-2020-0001'], severity: 'medium', feed: 'ghsa-npm', ranges: [{ introduced: '0' }] }),
      adv({ id: 'NSWG-ECO-1', aliases: ['CVE-2020-0001'], severity: 'high', feed: 'nodejs-security-wg', ranges: [{ introduced: '0' }] }),
    ]);
    expect(f).toMatchObject({ severity: 'high', severitySource: 'nodejs-security-wg', cvss: nvd });
  });
});
