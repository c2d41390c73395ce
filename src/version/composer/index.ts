/** Composer (Packagist) version ordering: composer/semver's VersionParser::normalize, then PHP's version_compare. */
// Ported from composer/semver 3.3 (VersionParser::normalize, normalizeBranch,
// normalizeDefaultBranch, Semver::sort) and php-src ext/standard/versioning.c. Normalised forms
// look like `1.2.0.0`, `1.0.0.0-beta2`, `2.0.9999999.9999999-dev`, `dev-feature`; `dev-master`
// (and trunk/default) sort as `9999999-dev`, above every release, as Semver::sort does.
// PCRE's `$` also matches before a final newline; possessive quantifiers are emulated with
// lookahead + backreference so the matches are PCRE's.
import type { Comparator } from '../types.js';

const END = '(?=\\n?$)';
const MODIFIER = '[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?=((?:[.-]?\\d+)*))\\M)?)?([.-]?dev)?';
// The groups of MODIFIER are numbered from 1 here; `\M` is the backreference of its lookahead.
function withModifier(prefix: string, prefixGroups: number): RegExp {
  const mod = MODIFIER.replace('\\M', `\\${prefixGroups + 3}`);
  return new RegExp(`^${prefix}${mod}${END}`, 'i');
}
// ^v?(\d{1,5})(\.\d++)?(\.\d++)?(\.\d++)? ; the possessive \d++ cannot change a match here
// (no later token can start with a digit), so plain \d+ is used.
const CLASSICAL = withModifier('v?(\\d{1,5})(\\.\\d+)?(\\.\\d+)?(\\.\\d+)?', 4);
const DATETIME = withModifier('v?(\\d{4}(?:[.:-]?\\d{2}){1,6}(?:[.:-]?\\d{1,3})?)', 1);
// PCRE's \s is [ \t\n\v\f\r], narrower than JavaScript's.
const ALIAS = /^([^,\t\n\v\f\r ]+) +as +([^,\t\n\v\f\r ]+)(?=\n?$)/;
const STABILITY_FLAG = /@(?:stable|RC|beta|alpha|dev)(?=\n?$)/i;
const BUILD = /^([^,\t\n\v\f\r +]+)\+[^\t\n\v\f\r ]+(?=\n?$)/;
const DEV_BRANCH = /([^\n]*?)[.-]?dev(?=\n?$)/i;
const BRANCH = /^v?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(?=\n?$)/i;

// PHP's trim() characters.
const phpTrim = (s: string) => s.replace(/^[ \t\n\r\0\x0B]+|[ \t\n\r\0\x0B]+$/g, '');

function expandStability(s: string): string {
  const l = s.toLowerCase();
  return l === 'a' ? 'alpha' : l === 'b' ? 'beta' : l === 'p' || l === 'pl' ? 'patch' : l === 'rc' ? 'RC' : l;
}

function normalizeBranch(name: string): string {
  name = phpTrim(name);
  const m = BRANCH.exec(name);
  if (m) {
    let version = '';
    for (let i = 1; i < 5; i++) version += m[i] !== undefined ? m[i]!.replace(/[*X]/g, 'x') : '.x';
    return `${version.replaceAll('x', '9999999')}-dev`;
  }
  return `dev-${name}`;
}

/** VersionParser::normalize(); undefined where it throws UnexpectedValueException. */
export function normalizeComposer(input: string): string | undefined {
  let version = phpTrim(input);
  const alias = ALIAS.exec(version);
  if (alias) version = alias[1]!;
  const flag = STABILITY_FLAG.exec(version);
  if (flag) version = version.slice(0, version.length - flag[0].length);
  if (version === 'master' || version === 'trunk' || version === 'default') version = `dev-${version}`;
  if (version.slice(0, 4).toLowerCase() === 'dev-') return `dev-${version.slice(4)}`;
  const build = BUILD.exec(version);
  if (build) version = build[1]!;

  let m = CLASSICAL.exec(version);
  let index: number;
  if (m) {
    version = m[1]! + (m[2] || '.0') + (m[3] || '.0') + (m[4] || '.0');
    index = 5;
  } else {
    m = DATETIME.exec(version);
    if (m) {
      version = m[1]!.replace(/\D/g, '.');
      index = 2;
    }
  }
  if (m) {
    const stability = m[index!];
    const digits = m[index! + 1];
    const dev = m[index! + 3];
    if (stability) {
      if (stability === 'stable') return version;
      version += `-${expandStability(stability)}${digits ? digits.replace(/^[.-]+/, '') : ''}`;
    }
    if (dev) version += '-dev';
    return version;
  }

  const devBranch = DEV_BRANCH.exec(version);
  if (devBranch) {
    const normalized = normalizeBranch(devBranch[1]!);
    // A branch ending in -dev is only valid if it is numeric.
    if (!normalized.includes('dev-')) return normalized;
  }
  return undefined;
}

/** VersionParser::normalizeDefaultBranch(). */
const defaultBranch = (n: string) => (n === 'dev-master' || n === 'dev-default' || n === 'dev-trunk' ? '9999999-dev' : n);

// --- PHP's version_compare (ext/standard/versioning.c) ---

const isdigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isalnum = (c: string) => isdigit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
const isSpecial = (c: string) => c === '-' || c === '_' || c === '+';

/** php_canonicalize_version: `-_+` and other non-alphanumerics become `.`; digit/letter changes insert one. */
function canonicalize(v: string): string {
  if (v.length === 0) return '';
  let out = v[0]!;
  let lp = v[0]!;
  for (let i = 1; i < v.length; i++) {
    const p = v[i]!;
    const lq = out[out.length - 1];
    const isdig = (x: string) => isdigit(x) && x !== '.';
    const isndig = (x: string) => !isdigit(x) && x !== '.';
    if (isSpecial(p)) {
      if (lq !== '.') out += '.';
    } else if ((isndig(lp) && isdig(p)) || (isdig(lp) && isndig(p))) {
      if (lq !== '.') out += '.';
      out += p;
    } else if (!isalnum(p)) {
      if (lq !== '.') out += '.';
    } else {
      out += p;
    }
    lp = p;
  }
  return out;
}

const SPECIAL_FORMS: [string, number][] = [
  ['dev', 0], ['alpha', 1], ['a', 1], ['beta', 2], ['b', 2], ['RC', 3], ['rc', 3], ['#', 4], ['pl', 5], ['p', 5],
];

/** compare_special_version_forms: prefix match against the table, unknown forms rank lowest. */
function compareSpecial(f1: string, f2: string): number {
  const rank = (f: string) => {
    for (const [name, order] of SPECIAL_FORMS) if (f.startsWith(name)) return order;
    return -1;
  };
  return Math.sign(rank(f1) - rank(f2));
}

// strtol() on a digit run saturates at LONG_MAX.
const LONG_MAX = 9223372036854775807n;
function strtol(s: string): bigint {
  const m = /^[0-9]+/.exec(s);
  const n = BigInt(m ? m[0] : '0');
  return n > LONG_MAX ? LONG_MAX : n;
}

/** php_version_compare(): -1, 0 or 1. */
export function phpVersionCompare(orig1: string, orig2: string): number {
  if (orig1 === '' || orig2 === '') {
    if (orig1 === '' && orig2 === '') return 0;
    return orig1 !== '' ? 1 : -1;
  }
  const ver1 = orig1[0] === '#' ? orig1 : canonicalize(orig1);
  const ver2 = orig2[0] === '#' ? orig2 : canonicalize(orig2);
  // p = start of the current part; n = index of the '.' ending it, or -1 (C's NULL).
  let p1 = 0;
  let p2 = 0;
  let n1 = 0;
  let n2 = 0;
  let compare = 0;
  const partAt = (s: string, p: number, n: number) => s.slice(p, n < 0 ? s.length : n);
  while (p1 < ver1.length && p2 < ver2.length && n1 >= 0 && n2 >= 0) {
    n1 = ver1.indexOf('.', p1);
    n2 = ver2.indexOf('.', p2);
    const s1 = partAt(ver1, p1, n1);
    const s2 = partAt(ver2, p2, n2);
    if (isdigit(s1[0]) && isdigit(s2[0])) {
      const l1 = strtol(s1);
      const l2 = strtol(s2);
      compare = l1 < l2 ? -1 : l1 > l2 ? 1 : 0;
    } else if (!isdigit(s1[0]) && !isdigit(s2[0])) {
      compare = compareSpecial(s1, s2);
    } else if (isdigit(s1[0])) {
      compare = compareSpecial('#N#', s2);
    } else {
      compare = compareSpecial(s1, '#N#');
    }
    if (compare !== 0) break;
    if (n1 >= 0) p1 = n1 + 1;
    if (n2 >= 0) p2 = n2 + 1;
  }
  if (compare === 0) {
    if (n1 >= 0) {
      compare = isdigit(ver1[p1]) ? 1 : phpVersionCompare(ver1.slice(p1), '#N#');
    } else if (n2 >= 0) {
      compare = isdigit(ver2[p2]) ? -1 : phpVersionCompare('#N#', ver2.slice(p2));
    }
  }
  return compare;
}

const isBranch = (n: string) => n.startsWith('dev-');

/**
 * Semver::sort's order: equal normalised strings are equal, otherwise version_compare. Composer
 * finds two different `dev-` branches incomparable; here they order by name to keep the order total.
 */
export function compareComposer(a: string, b: string): -1 | 0 | 1 {
  const na = normalizeComposer(a);
  const nb = normalizeComposer(b);
  if (na === undefined || nb === undefined) {
    if (na !== undefined) return 1;
    if (nb !== undefined) return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const da = defaultBranch(na);
  const db = defaultBranch(nb);
  if (da === db) return 0;
  if (isBranch(da) && isBranch(db)) return da < db ? -1 : 1;
  const c = phpVersionCompare(da, db);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

export function validComposer(v: string): boolean {
  return normalizeComposer(v) !== undefined;
}

export const composerComparator: Comparator = { scheme: 'composer', compare: compareComposer, valid: validComposer };

/** Sample versions for the shared conformance suite. */
export const samples: string[] = [
  '1.0.0-dev', '1.0.0-alpha1', '1.0.0-a2', '1.0.0-beta', '1.0.0-RC1', '1.0.0', 'v1.0.0', '1.0', '1.0.0.0',
  '1.0.0-patch1', '1.0.0-pl2', '1.0.1', '1.0.x-dev', '2.0.0+build', '2010-01-02', '20100102-203040', 'dev-master',
  'master', 'dev-feature/x', 'dev-Foo', '1.0@beta', '1.0.0-stable', '1.0.0 as 2.0', 'invalid version', '',
];
