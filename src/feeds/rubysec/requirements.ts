/**
 * Gem::Requirement lists → OSV-style affected ranges. ruby-advisory-db says which versions are
 * NOT affected (patched or unaffected requirements); the affected ranges are the complement of
 * their union, computed with the gem comparator. When the complement has a bound OSV cannot
 * state (an exclusive lower bound, from `<= x` or `> x` on the wrong side), or a requirement does
 * not parse (`!=`), the result is undefined and the caller keeps the requirement strings.
 */
import type { AffectedRange } from '../../model/index.js';
import { compareGem, gemBump, validGem } from '../../version/gem/index.js';

export { gemBump } from '../../version/gem/index.js';

interface Bound {
  v: string;
  incl: boolean;
}
/** A version interval; a missing bound is unbounded. */
interface Interval {
  lo?: Bound;
  hi?: Bound;
}

const OPS = ['~>', '>=', '<=', '!=', '=', '>', '<'] as const;

/** One requirement string (`~> 5.2.4, >= 5.2.4.3`, a conjunction) as an interval; null when empty, undefined when it does not parse. */
export function requirementInterval(req: string): Interval | null | undefined {
  let iv: Interval = {};
  for (const part of req.split(',')) {
    const s = part.trim();
    if (!s) return undefined;
    const op = OPS.find((o) => s.startsWith(o)) ?? '=';
    const v = s.slice(s.startsWith(op) ? op.length : 0).trim();
    if (!v || !validGem(v)) return undefined;
    let c: Interval;
    switch (op) {
      case '>=':
        c = { lo: { v, incl: true } };
        break;
      case '>':
        c = { lo: { v, incl: false } };
        break;
      case '<':
        c = { hi: { v, incl: false } };
        break;
      case '<=':
        c = { hi: { v, incl: true } };
        break;
      case '=':
        c = { lo: { v, incl: true }, hi: { v, incl: true } };
        break;
      case '~>':
        c = { lo: { v, incl: true }, hi: { v: gemBump(v), incl: false } };
        break;
      default:
        return undefined; // `!=` splits an interval in two: not an interval
    }
    iv = intersect(iv, c);
  }
  return isEmpty(iv) ? null : iv;
}

function intersect(a: Interval, b: Interval): Interval {
  const out: Interval = {};
  const lo = pick(a.lo, b.lo, 1);
  const hi = pick(a.hi, b.hi, -1);
  if (lo) out.lo = lo;
  if (hi) out.hi = hi;
  return out;
}

/** The tighter of two bounds: the higher lower bound (dir 1) or the lower upper bound (dir -1); exclusive wins a tie. */
function pick(a: Bound | undefined, b: Bound | undefined, dir: 1 | -1): Bound | undefined {
  if (!a) return b;
  if (!b) return a;
  const c = compareGem(a.v, b.v);
  if (c === 0) return a.incl ? b : a;
  return c === dir ? a : b;
}

function isEmpty(iv: Interval): boolean {
  if (!iv.lo || !iv.hi) return false;
  const c = compareGem(iv.lo.v, iv.hi.v);
  return c > 0 || (c === 0 && !(iv.lo.incl && iv.hi.incl));
}

/** Lower bounds in order: unbounded first; at one version an inclusive bound first. */
function compareLo(a: Interval, b: Interval): number {
  if (!a.lo || !b.lo) return a.lo ? 1 : b.lo ? -1 : 0;
  return compareGem(a.lo.v, b.lo.v) || (a.lo.incl === b.lo.incl ? 0 : a.lo.incl ? -1 : 1);
}

/** Whether `next` (starting at or after `cur`) overlaps or touches `cur`. */
function joins(cur: Interval, next: Interval): boolean {
  if (!cur.hi || !next.lo) return true;
  const c = compareGem(next.lo.v, cur.hi.v);
  return c < 0 || (c === 0 && (next.lo.incl || cur.hi.incl));
}

function higherHi(a: Bound | undefined, b: Bound | undefined): Bound | undefined {
  if (!a || !b) return undefined;
  const c = compareGem(a.v, b.v);
  if (c === 0) return a.incl ? a : b;
  return c > 0 ? a : b;
}

/**
 * The affected ranges: versions satisfying none of `notAffected`. Undefined when a requirement
 * does not parse or the complement cannot be said with inclusive lower bounds.
 */
export function requirementsToRanges(notAffected: readonly string[]): AffectedRange[] | undefined {
  const intervals: Interval[] = [];
  for (const req of notAffected) {
    const iv = requirementInterval(req);
    if (iv === undefined) return undefined;
    if (iv) intervals.push(iv);
  }
  intervals.sort(compareLo);
  const merged: Interval[] = [];
  for (const iv of intervals) {
    const cur = merged[merged.length - 1];
    if (cur && joins(cur, iv)) {
      const hi = higherHi(cur.hi, iv.hi);
      if (hi) cur.hi = hi;
      else delete cur.hi;
    } else {
      merged.push({ ...iv });
    }
  }

  const out: AffectedRange[] = [];
  // Where the current affected stretch starts: undefined = from the beginning.
  let start: Bound | undefined;
  for (const iv of merged) {
    if (iv.lo) {
      if (start && !start.incl) return undefined; // affected from just above a version: no OSV form
      const range: AffectedRange = { introduced: start?.v ?? '0' };
      if (iv.lo.incl) range.fixed = iv.lo.v;
      else range.lastAffected = iv.lo.v;
      out.push(range);
    }
    if (!iv.hi) return out; // not affected from here on
    // A patched stretch ending before v (exclusive) makes v affected; ending at v (inclusive) does not.
    start = { v: iv.hi.v, incl: !iv.hi.incl };
  }
  if (start && !start.incl) return undefined;
  out.push({ introduced: start?.v ?? '0' });
  return out;
}
