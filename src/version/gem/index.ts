/** RubyGems version ordering: a port of Gem::Version (rubygems/version.rb) correct?, segments and <=>. */
// A version is dot-separated segments; `-` reads as `.pre.`; runs of digits are numbers and runs of
// letters are strings, and a string segment makes a prerelease (1.0.a < 1.0). Trailing zeros are
// dropped from the numeric part and from the part after the first string (canonical_segments).
import type { Comparator } from '../types.js';

// Gem::Version::ANCHORED_VERSION_PATTERN; Ruby's \s is [ \t\r\n\f\v].
const CORRECT = /^[ \t\r\n\f\v]*([0-9]+(?:\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?)?[ \t\r\n\f\v]*$/;
const SEGMENT = /[0-9]+|[a-z]+/gi;

/** A numeric segment is a digit string without leading zeros; a string segment keeps its case. */
type Segment = { n: string } | { s: string };

export function parseGem(v: string): Segment[] | undefined {
  if (!CORRECT.test(v)) return undefined;
  // An empty or blank version is "0"; String#strip removes the same blanks the pattern allows.
  const version = v.replace(/^[ \t\r\n\f\v\0]+|[ \t\r\n\f\v\0]+$/g, '').replaceAll('-', '.pre.') || '0';
  const segments: Segment[] = (version.match(SEGMENT) ?? []).map((s) =>
    /^[0-9]+$/.test(s) ? { n: s.replace(/^0+(?=.)/, '') } : { s },
  );
  return canonical(segments);
}

const isZero = (s: Segment | undefined) => s !== undefined && 'n' in s && s.n === '0';

/** canonical_segments: drop trailing zeros of the numeric head and of the tail from the first string. */
function canonical(segments: Segment[]): Segment[] {
  let stringStart = segments.findIndex((s) => 's' in s);
  if (stringStart < 0) stringStart = segments.length;
  const head = segments.slice(0, stringStart);
  const tail = segments.slice(stringStart);
  while (isZero(head[head.length - 1])) head.pop();
  while (isZero(tail[tail.length - 1])) tail.pop();
  return head.concat(tail);
}

function cmpDigits(a: string, b: string): -1 | 0 | 1 {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Gem::Version#<=> on canonical segments; a missing segment counts as 0. */
export function compareParsedGem(l: Segment[], r: Segment[]): -1 | 0 | 1 {
  const zero: Segment = { n: '0' };
  for (let i = 0; i < Math.max(l.length, r.length); i++) {
    const a = l[i] ?? zero;
    const b = r[i] ?? zero;
    if ('s' in a && 'n' in b) return -1;
    if ('n' in a && 's' in b) return 1;
    const c = 'n' in a ? cmpDigits(a.n, (b as { n: string }).n) : cmpBytes(a.s, (b as { s: string }).s);
    if (c !== 0) return c;
  }
  return 0;
}

// Ruby compares strings bytewise; segments are ASCII letters, so code units agree.
const cmpBytes = (a: string, b: string): -1 | 0 | 1 => (a < b ? -1 : a > b ? 1 : 0);

/** Malformed strings (Gem::Version.new raises) sort before every version and among themselves by code units. */
export function compareGem(a: string, b: string): -1 | 0 | 1 {
  const pa = parseGem(a);
  const pb = parseGem(b);
  if (pa && pb) return compareParsedGem(pa, pb);
  if (pa) return 1;
  if (pb) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function validGem(v: string): boolean {
  return CORRECT.test(v);
}

/**
 * Gem::Version#bump: drop the prerelease part, then the last segment (when more than one),
 * then increment the new last one: `~> 5.2.4` means `>= 5.2.4, < 5.3`.
 */
export function gemBump(v: string): string {
  const segs = v.trim().replaceAll('-', '.pre.').match(/[0-9]+|[a-z]+/gi) ?? ['0'];
  const firstString = segs.findIndex((s) => !/^[0-9]+$/.test(s));
  const nums = (firstString < 0 ? segs : segs.slice(0, firstString)).map((s) => BigInt(s));
  if (nums.length > 1) nums.pop();
  if (nums.length === 0) nums.push(0n);
  nums[nums.length - 1]! += 1n;
  return nums.join('.');
}

const REQ_OPS = ['~>', '>=', '<=', '!=', '=', '>', '<'] as const;

/** Gem::Requirement#satisfied_by?: every comma-separated constraint holds. An unparseable requirement is not satisfied. */
export function satisfiesGem(version: string, requirement: string): boolean {
  if (!validGem(version)) return false;
  return requirement.split(',').every((part) => {
    const s = part.trim();
    const op = REQ_OPS.find((o) => s.startsWith(o)) ?? '=';
    const v = s.slice(s.startsWith(op) ? op.length : 0).trim();
    if (!v || !validGem(v)) return false;
    const c = compareGem(version, v);
    switch (op) {
      case '~>':
        return c >= 0 && compareGem(version, gemBump(v)) < 0;
      case '>=':
        return c >= 0;
      case '<=':
        return c <= 0;
      case '>':
        return c > 0;
      case '<':
        return c < 0;
      case '!=':
        return c !== 0;
      default:
        return c === 0;
    }
  });
}

export const gemComparator: Comparator = { scheme: 'gem', compare: compareGem, valid: validGem, satisfies: satisfiesGem };

/** Sample versions for the shared conformance suite. */
export const samples: string[] = [
  '0', '', '0.0.1', '1.0.a', '1.0.a.1', '1.0.b1', '1.0.rc1', '1.0-rc1', '1.0', '1.0.0', '1.0.0.1', '1.0.1',
  '1.a', '1.A', '1.9.3', '1.10', '2.0.0.pre', '2.0.0', ' 2.1 ', '01.0', '1.0.beta.0.1', '1..0', 'junk', '1.0-',
];
