/**
 * Node.js Security WG (legacy NSP) ecosystem advisories, `vuln/npm/<n>.json`
 * (https://github.com/nodejs/security-wg/tree/main/vuln), → advisories in namespace `npm`.
 * npm ranges that are plain unions of `>=a <b`-style intervals become OSV-style ranges; any other
 * range (`>a`, `~1.2`, `2.0.x`, partial versions) is kept verbatim in `requirements.vulnerable`.
 */
import { z } from 'zod';
import type { AffectedRange, Advisory } from '../../model/index.js';
import { cvssScore, severityFromScore } from '../cvss/index.js';

export const FEED_ID = 'nodejs-security-wg';

/** The record as the WG publishes it; fields we do not use may be anything. */
export const NspRecord = z.object({
  id: z.number().int().nonnegative(),
  title: z.string().nullish(),
  overview: z.string().nullish(),
  module_name: z.string().min(1),
  cves: z.array(z.string()).nullish(),
  vulnerable_versions: z.string().nullish(),
  patched_versions: z.string().nullish(),
  references: z.array(z.string()).nullish(),
  cvss_vector: z.string().nullish(),
  cvss_score: z.number().nullish(),
});
export type NspRecord = z.infer<typeof NspRecord>;

export interface NspParseOptions {
  source: string;
  onWarning?: (message: string) => void;
}

/** Parses one record file; a malformed one is a warning and yields nothing. */
export function parseNspRecord(text: string, opts: NspParseOptions): Advisory | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    opts.onWarning?.(`${FEED_ID}: ${opts.source}: not valid JSON: ${(err as Error).message}`);
    return undefined;
  }
  const parsed = NspRecord.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    opts.onWarning?.(`${FEED_ID}: ${opts.source}: not an NSP advisory: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'schema mismatch'}`);
    return undefined;
  }
  return nspToAdvisory(parsed.data);
}

export function nspToAdvisory(rec: NspRecord): Advisory {
  const adv: Advisory = {
    // The WG's own id form (vuln/README.md): NSWG-ECO-<n>; CVEs become aliases.
    id: `NSWG-ECO-${rec.id}`,
    aliases: [...new Set((rec.cves ?? []).map((c) => c.trim()).filter(Boolean))],
    feed: FEED_ID,
    namespace: 'npm',
    package: rec.module_name.trim(),
    scheme: 'semver',
    severity: nspSeverity(rec),
    ranges: [],
    url: `https://github.com/nodejs/security-wg/blob/main/vuln/npm/${rec.id}.json`,
  };
  const title = rec.title?.trim() || rec.overview?.trim().split('\n', 1)[0];
  if (title) adv.title = title;
  const vulnerable = rec.vulnerable_versions?.trim() || '*';
  const exact = npmRangeToOsv(vulnerable);
  if (exact) {
    adv.ranges = exact.ranges;
    if (exact.versions.length) adv.versions = exact.versions;
  } else {
    adv.requirements = { vulnerable };
  }
  return adv;
}

/** Severity from the vector when it scores, else from the published score. */
function nspSeverity(rec: NspRecord): Advisory['severity'] {
  const scored = rec.cvss_vector ? cvssScore(rec.cvss_vector) : undefined;
  if (scored) return severityFromScore(scored.score, scored.version);
  if (typeof rec.cvss_score === 'number') return severityFromScore(rec.cvss_score);
  return 'unknown';
}

/** A full semver version (optional leading `v`, prerelease and build allowed); partial versions are not. */
const FULL = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/;

/**
 * An npm range as OSV ranges plus exact versions, when that is exact: each `||` alternative
 * must be `*`, an exact version, or at most one lower bound `>=a` and one upper bound `<b` or
 * `<=b`, all with full versions. Undefined otherwise (the caller keeps the range string).
 */
export function npmRangeToOsv(range: string): { ranges: AffectedRange[]; versions: string[] } | undefined {
  const ranges: AffectedRange[] = [];
  const versions: string[] = [];
  for (const alt of range.split('||')) {
    const s = alt.trim();
    if (s === '' || s === '*' || s === 'x') {
      ranges.push({ introduced: '0' });
      continue;
    }
    // Comparators, allowing a space between the operator and the version (`>= 2.0.1`).
    const tokens = s.replace(/(<=|>=|<|>|=)\s+/g, '$1').split(/\s+/);
    let lower: string | undefined;
    let upper: AffectedRange | undefined;
    let exact: string | undefined;
    for (const t of tokens) {
      const m = /^(<=|>=|<|>|=)?(.*)$/.exec(t)!;
      const op = m[1] ?? '=';
      const v = FULL.exec(m[2]!)?.[1];
      if (!v) return undefined; // partial version, x-range, tilde, caret, hyphen: kept verbatim
      if (op === '>=' && lower === undefined) lower = v;
      else if (op === '<' && upper === undefined) upper = { fixed: v };
      else if (op === '<=' && upper === undefined) upper = { lastAffected: v };
      else if (op === '=' && tokens.length === 1) exact = v;
      else return undefined; // `>a` has no OSV form (introduced is inclusive); repeated bounds are odd
    }
    if (exact !== undefined) versions.push(exact);
    else ranges.push({ introduced: lower ?? '0', ...upper });
  }
  return { ranges, versions };
}
