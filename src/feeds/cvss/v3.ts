/**
 * CVSS v3.0 / v3.1 base score, per the FIRST specification
 * (https://www.first.org/cvss/v3.1/specification-document, section 7 and appendix A).
 */
import type { ParsedVector } from './vector.js';

const AV: Record<string, number> = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 };
const AC: Record<string, number> = { L: 0.77, H: 0.44 };
const PR_UNCHANGED: Record<string, number> = { N: 0.85, L: 0.62, H: 0.27 };
const PR_CHANGED: Record<string, number> = { N: 0.85, L: 0.68, H: 0.5 };
const UI: Record<string, number> = { N: 0.85, R: 0.62 };
const CIA: Record<string, number> = { H: 0.56, L: 0.22, N: 0 };

/**
 * v3.1's Roundup: the smallest number with one decimal >= the input, computed on integers so
 * that floating-point noise (4.000000001) does not push a score up (appendix A).
 */
export function roundUp31(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

/** v3.0 defined Roundup naively; kept so a 3.0 vector scores as its own calculator did. */
function roundUp30(x: number): number {
  return Math.ceil(x * 10) / 10;
}

/** The base score of a v3.x vector, or undefined when a base metric is missing or invalid. */
export function cvss3BaseScore(v: ParsedVector): number | undefined {
  const g = (k: string) => v.metrics.get(k);
  const scope = g('S');
  if (scope !== 'U' && scope !== 'C') return undefined;
  const av = AV[g('AV') ?? ''];
  const ac = AC[g('AC') ?? ''];
  const pr = (scope === 'C' ? PR_CHANGED : PR_UNCHANGED)[g('PR') ?? ''];
  const ui = UI[g('UI') ?? ''];
  const c = CIA[g('C') ?? ''];
  const i = CIA[g('I') ?? ''];
  const a = CIA[g('A') ?? ''];
  if (av === undefined || ac === undefined || pr === undefined || ui === undefined) return undefined;
  if (c === undefined || i === undefined || a === undefined) return undefined;

  const roundUp = v.version === '3.0' ? roundUp30 : roundUp31;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15);
  const exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0;
  return scope === 'U'
    ? roundUp(Math.min(impact + exploitability, 10))
    : roundUp(Math.min(1.08 * (impact + exploitability), 10));
}
