import { describe, expect, it } from 'vitest';
import { emptyPolicy } from '../policy/types.js';
import type { ScanReport } from '../model/index.js';
import { attestationTag, cosignTagManifest, parseArtifactManifest, referrersIndex, referrersTag, signatureTag } from './layout.js';
import { canonicalJson, policyDigest, scanPredicate, statement } from './statement.js';
import { countsText, formatAge } from './verify.js';

const report = (platform: string, pass: boolean, findings: Array<[string, 'critical' | 'high' | 'low']>, suppressed: string[] = []): ScanReport =>
  ({
    schemaVersion: 1,
    createdAt: '2026-01-02T03:04:05.000Z',
    image: { reference: 'x', digest: `sha256:${platform.length.toString().repeat(64)}`, platform, layers: [] },
    os: null,
    packages: [],
    findings: findings.map(([id, severity]) => ({ kind: 'vulnerability', id, aliases: [], severity, fixedVersion: null, locations: [] })),
    suppressed: suppressed.map((id) => ({ kind: 'vulnerability', id, aliases: [], severity: 'high', fixedVersion: null, locations: [], suppression: { kind: 'ignore', reason: `because ${id}`, source: 'shipshape.yaml' } })),
    warnings: [],
    db: { builtAt: '2026-01-01T00:00:00Z', digest: 'sha256:db', schemaVersion: 1 },
    verdict: { pass, failOn: 'high', reasons: pass ? [] : ['1 finding at or above high'], minimal: false },
  }) as ScanReport;

describe('scan predicate', () => {
  it('sums the platforms, fails when one fails, names the platform in reasons, keeps suppressed ids with reasons', () => {
    const p = scanPredicate([report('linux/amd64', true, [['CVE-1', 'low']], ['CVE-9']), report('linux/arm64', false, [['CVE-1', 'low'], ['CVE-2', 'critical']])], 'sha256:p', new Date('2026-01-02T03:04:05Z'));
    expect(p.verdict).toBe('fail');
    expect(p.reasons).toEqual(['linux/arm64: 1 finding at or above high']);
    expect(p.counts).toMatchObject({ critical: 1, low: 2, high: 0 });
    expect(p.findings).toEqual(['CVE-1', 'CVE-2']);
    expect(p.suppressed).toEqual([{ id: 'CVE-9', reason: 'because CVE-9' }]);
    expect(p.db).toEqual({ builtAt: '2026-01-01T00:00:00Z', digest: 'sha256:db' });
    expect(p.scannedAt).toBe('2026-01-02T03:04:05.000Z');
  });

  it('the policy digest ignores where the file was read and key order; changes with a threshold', () => {
    const a = { ...emptyPolicy(), source: '/a/shipshape.yaml', failOn: 'high' as const };
    const b = { ...emptyPolicy(), source: '/b/shipshape.yaml', failOn: 'high' as const };
    expect(policyDigest(a)).toBe(policyDigest(b));
    expect(policyDigest(a)).not.toBe(policyDigest({ ...a, failOn: 'critical' }));
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
  });

  it('statements name each digest once as a subject', () => {
    const st = statement('r/app', ['sha256:aa', 'sha256:bb', 'sha256:aa'], 'T', {});
    expect(st.subject).toEqual([{ name: 'r/app', digest: { sha256: 'aa' } }, { name: 'r/app', digest: { sha256: 'bb' } }]);
  });
});

describe('layouts', () => {
  const d = `sha256:${'ab'.repeat(32)}`;
  it('cosign and referrers tag names', () => {
    expect([signatureTag(d), attestationTag(d), referrersTag(d)]).toEqual([`sha256-${'ab'.repeat(32)}.sig`, `sha256-${'ab'.repeat(32)}.att`, `sha256-${'ab'.repeat(32)}`]);
    expect(() => signatureTag('sha256:xyz')).toThrow(/not a sha256 digest/);
  });
  it('the referrers index keeps existing entries and adds each new one once', () => {
    const e = { mediaType: 'm', digest: d, size: 1 };
    const idx = JSON.parse(referrersIndex([e], [e, { ...e, digest: `sha256:${'cd'.repeat(32)}` }]).bytes.toString());
    expect(idx.manifests.map((m: { digest: string }) => m.digest)).toEqual([d, `sha256:${'cd'.repeat(32)}`]);
  });
  it('a cosign tag manifest parses back; a hostile manifest is a one-line error', () => {
    const m = cosignTagManifest([{ mediaType: 'application/vnd.dsse.envelope.v1+json', digest: d, size: 10, annotations: { predicateType: 'T' } }]);
    expect(parseArtifactManifest(m.bytes, 'x').layers[0]!.annotations).toEqual({ predicateType: 'T' });
    expect(() => parseArtifactManifest(Buffer.from('{"schemaVersion":2,"layers":"no"}'), 'tag x')).toThrow(/^tag x is not an OCI manifest/);
    expect(() => parseArtifactManifest(Buffer.from('nope'), 'tag x')).toThrow(/not JSON/);
  });
});

describe('verify wording', () => {
  it('ages and counts read as the reasons say them', () => {
    expect([formatAge(40_000), formatAge(3 * 3600_000), formatAge(9 * 86400_000)]).toEqual(['40s', '3h', '9d']);
    expect(countsText({ critical: 2, high: 0, low: 1 })).toBe('2 critical, 1 low');
    expect(countsText({})).toBe('no findings');
  });
});
