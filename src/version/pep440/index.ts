/** PEP 440 version ordering for Python packages, as the `packaging` library (packaging.version.Version) does it. */
// Port of packaging's VERSION_PATTERN (parsed with re.VERBOSE | re.IGNORECASE, surrounding
// whitespace allowed), its spelling normalisation (alpha/a, beta/b, c/pre/preview/rc, rev/r/post,
// implicit post `1.0-1`, implicit 0 numbers, `_`/`-`/`.` separators, local `+ubuntu-1` segments)
// and its _cmpkey. Numbers are unbounded, so they are kept as digit strings.
import type { Comparator } from '../types.js';

// Python's str.isspace() whitespace, which `\s` matches in a str pattern (not JS's set).
const WS = '[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const PATTERN = new RegExp(
  `^${WS}*v?` +
    '(?:(?:([0-9]+)!)?' + // epoch
    '([0-9]+(?:\\.[0-9]+)*)' + // release
    '(?:[._-]?(alpha|a|beta|b|preview|pre|c|rc)[._-]?([0-9]+)?)?' + // pre
    '(?:(?:-([0-9]+))|(?:[._-]?(post|rev|r)[._-]?([0-9]+)?))?' + // post
    '(?:[._-]?(dev)[._-]?([0-9]+)?)?)' + // dev
    '(?:\\+([a-z0-9]+(?:[._-][a-z0-9]+)*))?' + // local
    `${WS}*$`,
  'i',
);

export interface Pep440Version {
  epoch: string;
  /** Release numbers without leading zeros. */
  release: string[];
  pre?: { letter: 'a' | 'b' | 'rc'; n: string };
  post?: string;
  dev?: string;
  /** Lower-cased local segments; digit-only ones are numbers (without leading zeros). */
  local?: (string | bigint)[];
}

const LETTERS: Record<string, 'a' | 'b' | 'rc'> = { alpha: 'a', a: 'a', beta: 'b', b: 'b', c: 'rc', pre: 'rc', preview: 'rc', rc: 'rc' };

const num = (s: string | undefined): string => (s === undefined ? '0' : s.replace(/^0+(?=.)/, ''));

export function parsePep440(v: string): Pep440Version | undefined {
  const m = PATTERN.exec(v);
  if (!m) return undefined;
  const [, epoch, release, preL, preN, postN1, postL, postN2, devL, devN, local] = m;
  const out: Pep440Version = { epoch: num(epoch), release: release!.split('.').map((r) => num(r)) };
  if (preL !== undefined) out.pre = { letter: LETTERS[preL.toLowerCase()]!, n: num(preN) };
  if (postN1 !== undefined) out.post = num(postN1);
  else if (postL !== undefined) out.post = num(postN2);
  if (devL !== undefined) out.dev = num(devN);
  if (local !== undefined) {
    out.local = local.split(/[._-]/).map((p) => (/^[0-9]+$/.test(p) ? BigInt(p) : p.toLowerCase()));
  }
  return out;
}

function cmpDigits(a: string, b: string): -1 | 0 | 1 {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const cmpNum = (a: number, b: number): -1 | 0 | 1 => (a < b ? -1 : a > b ? 1 : 0);

/** The (pre_rank, pre_n, post_rank, post_n, dev_rank, dev_n) suffix of packaging's _cmpkey. */
function suffix(v: Pep440Version): [number, string, number, string, number, string] {
  let preRank: number;
  let preN = '0';
  if (!v.pre && v.post === undefined && v.dev !== undefined) preRank = -1; // 1.0.dev1 < 1.0a1
  else if (!v.pre) preRank = 3;
  else {
    preRank = v.pre.letter === 'a' ? 0 : v.pre.letter === 'b' ? 1 : 2;
    preN = v.pre.n;
  }
  return [preRank, preN, v.post === undefined ? 0 : 1, v.post ?? '0', v.dev === undefined ? 1 : 0, v.dev ?? '0'];
}

function compareLocal(a: (string | bigint)[] | undefined, b: (string | bigint)[] | undefined): -1 | 0 | 1 {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    // Numbers sort after strings; strings compare by code point, numbers by value.
    if (typeof x === 'bigint' && typeof y === 'bigint') {
      if (x !== y) return x < y ? -1 : 1;
    } else if (typeof x === 'bigint') return 1;
    else if (typeof y === 'bigint') return -1;
    else if (x !== y) return x < y ? -1 : 1;
  }
  return cmpNum(a.length, b.length);
}

export function compareParsedPep440(a: Pep440Version, b: Pep440Version): -1 | 0 | 1 {
  const e = cmpDigits(a.epoch, b.epoch);
  if (e !== 0) return e;
  // Trailing zeros do not count: 1.0.0 == 1.
  const ra = trimZeros(a.release);
  const rb = trimZeros(b.release);
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    const c = cmpDigits(ra[i]!, rb[i]!);
    if (c !== 0) return c;
  }
  if (ra.length !== rb.length) return cmpNum(ra.length, rb.length);
  const sa = suffix(a);
  const sb = suffix(b);
  const s =
    cmpNum(sa[0], sb[0]) || cmpDigits(sa[1], sb[1]) || cmpNum(sa[2], sb[2]) || cmpDigits(sa[3], sb[3]) || cmpNum(sa[4], sb[4]) || cmpDigits(sa[5], sb[5]);
  if (s !== 0) return s;
  return compareLocal(a.local, b.local);
}

function trimZeros(release: string[]): string[] {
  let i = release.length;
  while (i > 0 && release[i - 1] === '0') i--;
  return i === release.length ? release : release.slice(0, i);
}

/** Strings packaging refuses sort before every version and among themselves by code units (as pip's old LegacyVersion did, below all). */
export function comparePep440(a: string, b: string): -1 | 0 | 1 {
  const pa = parsePep440(a);
  const pb = parsePep440(b);
  if (pa && pb) return compareParsedPep440(pa, pb);
  if (pa) return 1;
  if (pb) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function validPep440(v: string): boolean {
  return parsePep440(v) !== undefined;
}

export const pep440Comparator: Comparator = { scheme: 'pep440', compare: comparePep440, valid: validPep440 };

/** Sample versions for the shared conformance suite. */
export const samples: string[] = [
  '1.0.dev0', '1.0a1.dev1', '1.0a1', '1.0-alpha1', '1.0b2.post345.dev456', '1.0b2', '1.0rc1', '1.0c2',
  '1.0', '1.0.0', '1.0+abc.5', '1.0+5', '1.0.post', '1.0-1', '1.0.post456.dev34', '1.1.dev1', '1!0.1',
  'v2.0', ' 2.0 ', '2.0+ubuntu-1', '1.0-', 'french toast', '', '1..0',
];
