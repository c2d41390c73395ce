/** The match memo: findings equal to an unmemoized match, placed at each package's locations, bounded, one per database. */
import { describe, expect, it } from 'vitest';
import type { Advisory, CveScore, Package } from '../model/index.js';
import { getComparator } from '../version/index.js';
import { matchPackages, type AdvisorySource } from './index.js';
import { MatchMemo, matchMemoFor } from './memo.js';

const adv = (over: Partial<Advisory>): Advisory => ({
  id: 'CVE-2020-0001',
  aliases: [],
  feed: 'ghsa-npm',
  namespace: 'npm',
  package: 'left-pad',
  scheme: 'semver',
  severity: 'unknown',
  ranges: [{ fixed: '1.2.0' }],
  ...over,
});
const advisories = [
  adv({}),
  adv({ id: 'GHSA-aaaa-bbbb-cccc', aliases: ['CVE-2020-0001'], severity: 'high' }),
  adv({ id: 'CVE-2021-0002', package: 'lodash', ranges: [{ introduced: '4.0.0', fixed: '4.17.21' }], severity: 'medium' }),
];

function counting(): AdvisorySource & { lookups: number; namespaceCalls: number } {
  const s = {
    lookups: 0,
    namespaceCalls: 0,
    lookup: (ns: string, name: string) => {
      s.lookups++;
      return advisories.filter((a) => a.namespace === ns && a.package === name);
    },
    namespaces: () => {
      s.namespaceCalls++;
      return new Set(['npm']);
    },
    cvss: (id: string): CveScore | undefined =>
      id === 'CVE-2020-0001' ? { id, cvss: { score: 9.8, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', version: '3.1', source: 'nvd@nist.gov' }, severity: 'critical', feed: 'nvd' } : undefined,
  };
  return s;
}

const image = (n: number): Package[] => [
  { name: 'left-pad', version: `1.${n % 3}.0`, type: 'npm', locations: [{ layer: `sha256:${n}`, path: `/srv/app-${n}/node_modules/left-pad/package.json` }] },
  { name: 'lodash', version: '4.17.20', type: 'npm', locations: [{ layer: 'sha256:base', path: '/app/node_modules/lodash/package.json' }] },
  { name: 'dev-only', version: '1.0.0', type: 'npm', dev: true, locations: [{ layer: 'sha256:base', path: '/app/package-lock.json' }] },
];

describe('match memo', () => {
  it('gives what an unmemoized match gives, at each package\'s own locations, with one lookup per package version', () => {
    const memo = new MatchMemo();
    const db = counting();
    for (let n = 0; n < 12; n++) {
      const plain = matchPackages(image(n), null, counting(), { comparator: getComparator });
      const memoized = matchPackages(image(n), null, db, { comparator: getComparator, memo });
      expect(JSON.stringify(memoized)).toBe(JSON.stringify(plain));
      expect(memoized.findings.length).toBeGreaterThan(0);
    }
    // left-pad in three versions, lodash once; the namespaces asked once.
    expect(db.lookups).toBe(4);
    expect(db.namespaceCalls).toBe(1);
  });

  it('hands out copies: changing a finding does not change a later match', () => {
    const memo = new MatchMemo();
    const first = matchPackages(image(0), null, counting(), { comparator: getComparator, memo });
    first.findings[0]!.aliases.push('CHANGED');
    first.findings[0]!.match!.rule = 'changed';
    first.findings[0]!.severity = 'low';
    const again = matchPackages(image(3), null, counting(), { comparator: getComparator, memo });
    const plain = matchPackages(image(3), null, counting(), { comparator: getComparator });
    expect(JSON.stringify(again)).toBe(JSON.stringify(plain));
  });

  it('stays bounded', () => {
    const memo = new MatchMemo(10);
    for (let n = 0; n < 50; n++) {
      matchPackages([{ name: 'left-pad', version: `1.0.${n}`, type: 'npm', locations: [] }], null, counting(), { comparator: getComparator, memo });
      expect(memo.size).toBeLessThanOrEqual(10);
    }
  });

  it('keeps one memo per database content: a rebuilt database starts empty', () => {
    const a = { digest: 'sha256:a', builtAt: '2026-12-01T00:00:00Z', schemaVersion: 3, feeds: [] };
    expect(matchMemoFor(a)).toBe(matchMemoFor({ ...a }));
    expect(matchMemoFor({ ...a, builtAt: '2026-12-02T00:00:00Z' })).not.toBe(matchMemoFor(a));
    expect(matchMemoFor({ ...a, digest: 'sha256:b' })).not.toBe(matchMemoFor(a));
  });
});
