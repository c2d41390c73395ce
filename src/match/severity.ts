/**
 * A finding's severity and CVSS: the vendor's severity (the advisory's own feed) first; when that
 * is unknown, the rating of the CVE's CVSS score from the score feed (NVD). The score is attached
 * either way, so a report can show it beside a vendor's rating.
 */
import type { CveScore, Finding } from '../model/index.js';

/** Where scores come from: the database's `cvss` table. */
export type ScoreLookup = (cve: string) => CveScore | undefined;

const CVE = /^CVE-\d{4}-\d{4,}$/;

/** The score of the first of the finding's CVE ids (its id, then its aliases in order) that has one. */
export function scoreFor(f: Pick<Finding, 'id' | 'aliases'>, lookup: ScoreLookup): CveScore | undefined {
  for (const id of [f.id, ...f.aliases]) {
    if (!CVE.test(id)) continue;
    const s = lookup(id);
    if (s) return s;
  }
  return undefined;
}

/** Sets `cvss`, and the severity and its source, on a vulnerability finding; `vendor` is the advisory's feed. */
export function rate(f: Finding, vendor: string, lookup: ScoreLookup | undefined): void {
  if (f.severity !== 'unknown') f.severitySource = vendor;
  const s = lookup ? scoreFor(f, lookup) : undefined;
  if (!s) return;
  f.cvss = { ...s.cvss };
  if (f.severity === 'unknown' && s.severity !== 'unknown') {
    f.severity = s.severity;
    f.severitySource = s.feed;
  }
}
