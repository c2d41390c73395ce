/** CVSS scoring (v2, v3.0, v3.1, v4.0) and the score → severity mapping used by every feed. */
import type { Severity } from '../../model/index.js';
import { cvss2BaseScore } from './v2.js';
import { cvss3BaseScore } from './v3.js';
import { cvss4Score } from './v4.js';
import { parseVector } from './vector.js';

export { parseVector } from './vector.js';
export type { ParsedVector } from './vector.js';

export interface CvssScore {
  version: string; // 2.0 | 3.0 | 3.1 | 4.0
  score: number;
}

/** Scores a vector string of any supported version; undefined when it does not parse. */
export function cvssScore(vector: string): CvssScore | undefined {
  const v = parseVector(vector);
  if (!v) return undefined;
  let score: number | undefined;
  if (v.version === '3.0' || v.version === '3.1') score = cvss3BaseScore(v);
  else if (v.version === '4.0') score = cvss4Score(v);
  else if (v.version === '2.0') score = cvss2BaseScore(v);
  return score === undefined ? undefined : { version: v.version, score };
}

/**
 * Qualitative severity of a score (v3/v4 rating scale: 0.1–3.9 low, 4.0–6.9 medium, 7.0–8.9
 * high, 9.0–10 critical). A score of 0 says nothing is affected: `unknown`, not `negligible`, so
 * that a feed's zero never hides a vulnerability below a `--fail-on low` threshold silently.
 * v2 has no critical band: 7.0–10 is high.
 */
export function severityFromScore(score: number, version = '3.1'): Severity {
  if (!(score > 0)) return 'unknown';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (version === '2.0') return 'high';
  return score < 9 ? 'high' : 'critical';
}
