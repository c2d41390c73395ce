/** CVSS v2 base score, per https://www.first.org/cvss/v2/guide section 3.2.1. */
import type { ParsedVector } from './vector.js';

const AV: Record<string, number> = { L: 0.395, A: 0.646, N: 1.0 };
const AC: Record<string, number> = { H: 0.35, M: 0.61, L: 0.71 };
const AU: Record<string, number> = { M: 0.45, S: 0.56, N: 0.704 };
const CIA: Record<string, number> = { N: 0, P: 0.275, C: 0.66 };

/** The base score of a v2 vector, or undefined when a base metric is missing or invalid. */
export function cvss2BaseScore(v: ParsedVector): number | undefined {
  const g = (k: string) => v.metrics.get(k) ?? '';
  const av = AV[g('AV')];
  const ac = AC[g('AC')];
  const au = AU[g('Au')];
  const c = CIA[g('C')];
  const i = CIA[g('I')];
  const a = CIA[g('A')];
  if (av === undefined || ac === undefined || au === undefined) return undefined;
  if (c === undefined || i === undefined || a === undefined) return undefined;
  const impact = 10.41 * (1 - (1 - c) * (1 - i) * (1 - a));
  const exploitability = 20 * av * ac * au;
  const f = impact === 0 ? 0 : 1.176;
  const score = (0.6 * impact + 0.4 * exploitability - 1.5) * f;
  return Math.round(score * 10 + 1e-9) / 10;
}
