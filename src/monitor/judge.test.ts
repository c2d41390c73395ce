import { describe, expect, it } from 'vitest';
import { MatchMemo } from '../match/index.js';
import type { Advisory, Package } from '../model/index.js';
import { emptyPolicy, type Policy } from '../policy/types.js';
import { diffFindings, findingsChanged, judge, readStoredSbom } from './judge.js';
import type { StoredSbom } from './types.js';

const D = `sha256:${'a'.repeat(64)}`;
const pkg = (name: string, version: string): Package => ({ name, version, type: 'apk', sourceName: name, locations: [{ layer: 'sha256:l', path: '/lib/apk/db/installed' }] });
const adv = (id: string, name: string, fixed: string, severity: Advisory['severity'] = 'high'): Advisory => ({
  id, aliases: [], feed: 'alpine-secdb', namespace: 'alpine:3.10', package: name, scheme: 'apk', severity, ranges: [{ introduced: '0', fixed }],
});

function source(advisories: Advisory[]) {
  return { lookup: (ns: string, p: string) => advisories.filter((a) => a.namespace === ns && a.package === p), namespaces: () => new Set(['alpine:3.10']) };
}

const sbom: StoredSbom = { schema: 1, os: { id: 'alpine', version: '3.10.9' }, packages: [pkg('musl', '1.1.22-r2'), pkg('zlib', '1.2.11-r1')] };
const opts = (policy: Policy | null = null, now = new Date('2026-06-01T00:00:00Z')) => ({ policy, failOn: 'high' as const, db: { digest: 'sha256:db', builtAt: '2026-06-01T00:00:00Z' }, now });

describe('judge and diff', () => {
  it('matches a stored SBOM with the matcher and counts active findings; the verdict follows failOn', () => {
    const j = judge(sbom, D, 'r/a:1', source([adv('CVE-1', 'musl', '1.1.22-r3'), adv('CVE-2', 'zlib', '1.2.11-r0')]), opts());
    expect(j.findings.map((f) => [f.id, f.package, f.fixedIn, f.suppressed])).toEqual([['CVE-1', 'musl', '1.1.22-r3', null]]);
    expect(j.counts.high).toBe(1);
    expect(j.verdict).toBe('fail');
    expect(judge(sbom, D, 'r/a:1', source([adv('CVE-1', 'musl', '1.1.22-r3', 'medium')]), opts()).verdict).toBe('pass');
  });

  it('with a findings memo: the same judgement, and a second SBOM sharing a package is not looked up again for it', () => {
    let lookups = 0;
    const db = source([adv('CVE-1', 'musl', '1.1.22-r3'), adv('CVE-2', 'zlib', '1.2.12-r0', 'low')]);
    const counted = { ...db, lookup: (ns: string, p: string) => (lookups++, db.lookup(ns, p)) };
    const memo = new MatchMemo();
    const plain = judge(sbom, D, 'r/a:1', db, opts());
    expect(judge(sbom, D, 'r/a:1', counted, { ...opts(), memo })).toEqual(plain);
    expect(lookups).toBe(2);
    const other: StoredSbom = { ...sbom, packages: [pkg('musl', '1.1.22-r2'), pkg('busybox', '1.30.1-r2')] };
    const again = judge(other, D, 'r/b:1', counted, { ...opts(), memo });
    expect(lookups).toBe(3);
    expect(again).toEqual(judge(other, D, 'r/b:1', db, opts()));
    expect(again.findings.map((f) => [f.id, f.package])).toEqual([['CVE-1', 'musl']]);
  });

  it('new, fixed, newly suppressed, suppression expired and verdict flips', () => {
    const db1 = source([adv('CVE-1', 'musl', '1.1.22-r3'), adv('CVE-3', 'zlib', '1.2.12-r0', 'low')]);
    const before = judge(sbom, D, 'r/a:1', db1, opts());
    const db2 = source([adv('CVE-3', 'zlib', '1.2.12-r0', 'low'), adv('CVE-4', 'zlib', '1.2.13-r0', 'critical')]);
    const after = judge(sbom, D, 'r/a:1', db2, opts());
    expect(findingsChanged(before.findings, after.findings)).toBe(true);
    const ev = diffFindings(D, before.findings, after.findings, before.verdict, after.verdict);
    expect(ev.map((e) => [e.kind, e.findingId ?? ''])).toEqual([['new', 'CVE-4'], ['fixed', 'CVE-1']]);
    expect(findingsChanged(after.findings, judge(sbom, D, 'r/a:1', db2, opts()).findings)).toBe(false);

    const policy: Policy = { ...emptyPolicy(), ignore: [{ id: 'CVE-4', reason: 'not reachable', expires: '2026-06-30' }] };
    const suppressed = judge(sbom, D, 'r/a:1', db2, opts(policy));
    expect(suppressed.verdict).toBe('pass');
    const ev2 = diffFindings(D, after.findings, suppressed.findings, after.verdict, suppressed.verdict);
    expect(ev2.map((e) => [e.kind, e.findingId ?? '', e.detail?.to ?? ''])).toEqual([['suppressed', 'CVE-4', ''], ['verdict', '', 'pass']]);

    const expired = judge(sbom, D, 'r/a:1', db2, opts(policy, new Date('2026-07-01T00:00:00Z')));
    const ev3 = diffFindings(D, suppressed.findings, expired.findings, suppressed.verdict, expired.verdict);
    expect(ev3.map((e) => [e.kind, e.findingId ?? ''])).toEqual([['expired', 'CVE-4'], ['verdict', '']]);
    expect(ev3[0]!.detail).toMatchObject({ reason: 'not reachable', expires: '2026-06-30' });
  });

  it('stale-image and outdated-base are judged again each round from the stored config', () => {
    const old: StoredSbom = { ...sbom, os: { id: 'alpine', version: '3.10.1' } };
    const checks = (now: string) =>
      judge(old, D, 'r/a:1', source([]), { ...opts(null, new Date(now)), imageChecks: { ids: ['stale-image', 'outdated-base'], maxImageAgeDays: 90, config: { created: '2026-01-01T00:00:00Z' } } });
    const young = checks('2026-02-01T00:00:00Z');
    expect(young.findings.map((f) => f.id)).toEqual(['outdated-base']);
    const aged = checks('2026-06-01T00:00:00Z');
    expect(aged.findings.map((f) => f.id).sort()).toEqual(['outdated-base', 'stale-image']);
    expect(diffFindings(D, young.findings, aged.findings, young.verdict, aged.verdict).map((e) => [e.kind, e.findingId])).toEqual([['new', 'stale-image']]);
    // The days-ago message changes daily; the finding (and the signature) does not.
    expect(checks('2026-06-02T00:00:00Z').signature).toBe(aged.signature);
    expect(judge(old, D, 'r/a:1', source([]), { ...opts(), imageChecks: { ids: [], maxImageAgeDays: 90, config: { created: '2020-01-01T00:00:00Z' } } }).findings).toEqual([]);
  });

  it('a corrupt stored SBOM is a bad-sbom error naming the digest', () => {
    expect(() => readStoredSbom('{"schema":1,"packages":[', D)).toThrow(/sha256:a+: the stored SBOM is not JSON/);
    expect(() => readStoredSbom('{"bomFormat":"CycloneDX"}', D)).toThrow(/not one shipshape wrote/);
    expect(() => readStoredSbom('{"schema":1,"os":null,"packages":[{"name":1}]}', D)).toThrow(/package without name/);
    expect(() => readStoredSbom(null, D)).toThrow(/no SBOM stored/);
    expect(readStoredSbom(JSON.stringify(sbom), D).packages).toHaveLength(2);
  });
});
