/**
 * in-toto v1 statements (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md)
 * shipshape attests: the scan verdict predicate built from scan reports, and the CycloneDX SBOM.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SEVERITIES, type ScanReport, type Severity } from '../model/index.js';
import type { Policy } from '../policy/types.js';
import type { InTotoStatement, ScanPredicate } from './types.js';
import { collate } from '../model/collate.js';

export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';

let cachedVersion: string | undefined;
/** shipshape's own version, from package.json (the scanner field of the predicate). */
export function scannerVersion(): string {
  cachedVersion ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cachedVersion;
}

/** JSON with object keys sorted at every level: the same inputs always hash alike. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * sha256 of the policy inputs a verdict depends on: thresholds, checks, ignores, VEX statements.
 * The file's location is left out (the same policy read from another directory is the same policy).
 */
export function policyDigest(policy: Policy | undefined, extra: Record<string, unknown> = {}): string {
  const { source: _source, ...inputs } = policy ?? ({} as Policy);
  const ignore = (inputs.ignore ?? []).map(({ where: _w, ...r }) => r);
  const vex = (inputs.vex ?? []).map(({ source: _s, ...v }) => v);
  return `sha256:${createHash('sha256').update(canonicalJson({ ...inputs, ignore, vex, ...extra })).digest('hex')}`;
}

/** The scan predicate of one image from its reports (one per platform): the verdict fails when any platform's does. */
export function scanPredicate(reports: ScanReport[], policyDigestValue: string, scannedAt: Date): ScanPredicate {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const findings = new Set<string>();
  const suppressed = new Map<string, string>();
  const reasons: string[] = [];
  for (const r of reports) {
    const seen = new Set<string>();
    for (const f of r.findings) {
      // A finding in two packages counts once per platform, as the table report lists it once per id.
      if (!seen.has(f.id)) counts[f.severity]++;
      seen.add(f.id);
      findings.add(f.id);
    }
    for (const s of r.suppressed ?? []) if (!suppressed.has(s.id)) suppressed.set(s.id, s.suppression.reason);
    const prefix = reports.length > 1 && r.image.platform ? `${r.image.platform}: ` : '';
    if (!r.verdict.pass) reasons.push(...r.verdict.reasons.map((x) => `${prefix}${x}`));
  }
  const db = reports.find((r) => r.db)?.db;
  return {
    verdict: reports.every((r) => r.verdict.pass) ? 'pass' : 'fail',
    reasons,
    policyDigest: policyDigestValue,
    db: db ? { builtAt: db.builtAt, digest: db.digest } : null,
    scanner: { name: 'shipshape', version: scannerVersion() },
    counts,
    findings: [...findings].sort(),
    suppressed: [...suppressed].map(([id, reason]) => ({ id, reason })).sort((a, b) => collate(a.id, b.id)),
    scannedAt: scannedAt.toISOString(),
  };
}

/** A statement about `name` at each digest. */
export function statement<P>(name: string, digests: string[], predicateType: string, predicate: P): InTotoStatement<P> {
  const subject = [...new Set(digests)].map((d) => {
    const [alg, hex] = d.split(':') as [string, string];
    return { name, digest: { [alg]: hex } };
  });
  return { _type: IN_TOTO_STATEMENT_TYPE, subject, predicateType, predicate };
}
