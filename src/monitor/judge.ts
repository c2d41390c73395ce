/**
 * Judges a stored SBOM against the advisory database without touching the image: the matcher
 * (src/match) and the policy (src/policy) as `scan sbom:FILE` uses them; then compares the result
 * with the previous judgement: new, fixed, newly suppressed, suppression expired, verdict flips.
 */
import { createHash } from 'node:crypto';
import { ShipshapeError } from '../errors.js';
import { matchPackages, type AdvisorySource, type MatchMemo } from '../match/index.js';
import { severityRank, type Finding, type ScanReport, type Severity } from '../model/index.js';
import { applyPolicy } from '../policy/apply.js';
import type { Policy } from '../policy/types.js';
import { verdictOf } from '../policy/verdict.js';
import { getComparator } from '../version/index.js';
import { zeroCounts } from './store/index.js';
import type { Judgement, MonitoredFinding, MonitorEvent, StoredConfig, StoredSbom } from './types.js';
import { outdatedBase } from '../check/outdated-base.js';
import { staleImage } from '../check/stale-image.js';
import type { ImageFacts } from '../check/types.js';

export interface JudgeOptions {
  policy: Policy | null;
  /** Image checks judged again from the stored config (stale-image, outdated-base), with the stale-image limit. */
  imageChecks?: { ids: readonly string[]; maxImageAgeDays: number; config: StoredConfig | null };
  /** Lowest severity that fails the verdict when the policy does not say (default critical). */
  failOn: Severity;
  db: { digest: string; builtAt: string };
  now: Date;
  /** Findings remembered per package version for this database (images sharing packages are matched once). */
  memo?: MatchMemo;
}

/** Reads a stored SBOM; anything that is not one throws bad-sbom (the image is marked corrupt, the round goes on). */
export function readStoredSbom(text: string | null, digest: string): StoredSbom {
  if (text === null) throw new ShipshapeError('bad-sbom', `${digest}: no SBOM stored`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ShipshapeError('bad-sbom', `${digest}: the stored SBOM is not JSON (corrupt)`);
  }
  const d = doc as Partial<StoredSbom> | null;
  if (!d || typeof d !== 'object' || d.schema !== 1 || !Array.isArray(d.packages) || (d.os !== null && typeof d.os !== 'object')) {
    throw new ShipshapeError('bad-sbom', `${digest}: the stored SBOM is not one shipshape wrote (corrupt)`);
  }
  for (const p of d.packages) {
    if (!p || typeof p.name !== 'string' || typeof p.version !== 'string' || typeof p.type !== 'string' || !Array.isArray(p.locations)) {
      throw new ShipshapeError('bad-sbom', `${digest}: the stored SBOM has a package without name, version, type or locations (corrupt)`);
    }
  }
  return d as StoredSbom;
}

/** The key that names one finding across rounds: advisory id, package, version and place. */
export function findingKey(f: Pick<Finding, 'id' | 'package' | 'locations'>): string {
  const p = f.package;
  return `${f.id} ${p ? `${p.type}/${p.name}@${p.version}` : '-'} ${f.locations[0]?.path ?? ''}`;
}

function monitored(f: Finding, suppressed: MonitoredFinding['suppressed']): MonitoredFinding {
  return {
    fkey: findingKey(f),
    id: f.id,
    aliases: f.aliases,
    severity: f.severity,
    ...(f.package ? { package: f.package.name, version: f.package.version, type: f.package.type } : {}),
    fixedIn: f.fixedVersion,
    ...(f.locations[0] ? { path: f.locations[0].path } : {}),
    ...(f.url ? { url: f.url } : {}),
    ...(f.title ? { title: f.title } : {}),
    suppressed,
  };
}

/** Matches an SBOM's packages and applies the policy: the monitor's judgement of one image. */
export function judge(sbom: StoredSbom, digest: string, ref: string, db: AdvisorySource, opts: JudgeOptions): Judgement {
  // Stored SBOMs hold the scan's packages, already in sortPackages order.
  const packages = sbom.packages;
  const matched = matchPackages(packages, sbom.os, db, { comparator: getComparator, ...(opts.memo ? { memo: opts.memo } : {}) });
  // Unsorted: the store and the signature do not depend on the order (sortFindings' collate
  // was a tenth of a re-match).
  const findings = [...matched.findings, ...imageCheckFindings(sbom, opts)];
  const failOn = opts.policy?.failOn ?? opts.failOn;
  let report: ScanReport = {
    schemaVersion: 1,
    image: { reference: ref, digest, layers: [] },
    os: sbom.os,
    packages,
    findings,
    warnings: matched.warnings,
    db: { builtAt: opts.db.builtAt, digest: opts.db.digest, schemaVersion: 0 },
    verdict: verdictOf(findings, failOn, null),
  };
  if (opts.policy) report = applyPolicy(report, { ...opts.policy, failOn }, { now: opts.now });
  const out = [
    ...report.findings.map((f) => monitored(f, null)),
    ...(report.suppressed ?? []).map((f) =>
      monitored(f, { kind: f.suppression.kind, reason: f.suppression.reason, ...(f.suppression.expires ? { expires: f.suppression.expires } : {}) }),
    ),
  ];
  // One row per key: the same package found twice at one path is one finding.
  const seen = new Set<string>();
  const unique = out.filter((f) => (seen.has(f.fkey) ? false : (seen.add(f.fkey), true)));
  const counts = zeroCounts();
  for (const f of unique) if (!f.suppressed) counts[f.severity]++;
  return { findings: unique, verdict: report.verdict.pass ? 'pass' : 'fail', reasons: report.verdict.reasons, counts, db: opts.db, signature: findingsSignature(unique), report };
}

const sigOf = (f: MonitoredFinding) => `${f.fkey}|${f.severity}|${f.fixedIn ?? ''}|${f.suppressed ? `${f.suppressed.kind}:${f.suppressed.reason}` : ''}`;

/** One digest of a finding set, order-free: the store compares it instead of reading the findings. */
export function findingsSignature(findings: MonitoredFinding[]): string {
  return `sha256:${createHash('sha256').update(findings.map(sigOf).sort().join('\n')).digest('hex')}`;
}

/**
 * stale-image and outdated-base on the stored config: an image grows old and a base line gets a
 * newer patch release without any change to the image, so each round judges them again.
 */
function imageCheckFindings(sbom: StoredSbom, opts: JudgeOptions): Finding[] {
  const ic = opts.imageChecks;
  if (!ic || !ic.config || !ic.ids.length) return [];
  const facts = {
    config: { ...(ic.config.created ? { created: ic.config.created } : {}), config: { ...(ic.config.labels ? { Labels: ic.config.labels } : {}) } },
    os: sbom.os,
    now: opts.now,
    options: { maxImageAgeDays: ic.maxImageAgeDays },
  } as unknown as ImageFacts;
  return [staleImage, outdatedBase].filter((c) => ic.ids.includes(c.id)).flatMap((c) => c.run(facts));
}

/** Does the new judgement's finding set differ from the stored one (ids, fixes, suppressions)? */
export function findingsChanged(prev: MonitoredFinding[], next: MonitoredFinding[]): boolean {
  if (prev.length !== next.length) return true;
  const a = new Set(prev.map(sigOf));
  return next.some((f) => !a.has(sigOf(f)));
}

/** What changed for one image between two judgements, as events. */
export function diffFindings(digest: string, prev: MonitoredFinding[], next: MonitoredFinding[], prevVerdict: string | null, nextVerdict: string): MonitorEvent[] {
  const before = new Map(prev.map((f) => [f.fkey, f]));
  const after = new Map(next.map((f) => [f.fkey, f]));
  const events: MonitorEvent[] = [];
  const ev = (kind: MonitorEvent['kind'], f: MonitoredFinding, detail?: Record<string, unknown>): MonitorEvent => ({
    digest,
    kind,
    fkey: f.fkey,
    findingId: f.id,
    severity: f.severity,
    detail: { package: f.package ?? null, version: f.version ?? null, fixedIn: f.fixedIn, ...(f.url ? { url: f.url } : {}), ...detail },
  });
  for (const f of next) {
    const p = before.get(f.fkey);
    if (!p) {
      if (!f.suppressed) events.push(ev('new', f));
    } else if (!p.suppressed && f.suppressed) {
      events.push(ev('suppressed', f, { reason: f.suppressed.reason }));
    } else if (p.suppressed && !f.suppressed) {
      events.push(ev('expired', f, { reason: p.suppressed.reason, ...(p.suppressed.expires ? { expires: p.suppressed.expires } : {}) }));
    }
  }
  for (const p of prev) if (!after.has(p.fkey)) events.push(ev('fixed', p));
  if (prevVerdict !== null && prevVerdict !== nextVerdict) {
    events.push({ digest, kind: 'verdict', fkey: '', detail: { from: prevVerdict, to: nextVerdict } });
  }
  return events;
}

/** Findings at or above a severity. */
export function atLeast(severity: Severity | undefined, min: Severity): boolean {
  return severity !== undefined && severityRank(severity) >= severityRank(min);
}
