/** npm's semver ordering (node-semver, loose mode) and npm range matching, for npm packages. */
// The comparison is a port of node-semver 7's SemVer class (classes/semver.js, internal/re.js,
// internal/identifiers.js) so that it can be differential-tested against the package itself;
// ranges are delegated to the `semver` package, which is npm's own implementation.
import semverPkg from 'semver';
import type { Comparator } from '../types.js';

// node-semver's LOOSE regex: leading `v`/`=`/blanks, numbers with leading zeros, an optional `-`
// before the prerelease (`1.2.3beta`), build metadata after `+`.
const LOOSE =
  /^[v=\s]*(\d+)\.(\d+)\.(\d+)(?:-?((?:\d*[a-zA-Z-][a-zA-Z0-9-]*|\d+)(?:\.(?:\d*[a-zA-Z-][a-zA-Z0-9-]*|\d+))*))?(?:\+([a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*))?$/;
const NUMERIC = /^[0-9]+$/;
const MAX_LENGTH = 256;

/** A parsed version: prerelease identifiers are numbers when node-semver makes them numbers. */
export interface NpmSemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: (string | number)[];
  build: string[];
}

/** Parses as `new SemVer(v, { loose: true })` does; undefined where node-semver would throw. */
export function parseSemver(v: string): NpmSemVer | undefined {
  if (v.length > MAX_LENGTH) return undefined;
  const m = LOOSE.exec(v.trim());
  if (!m) return undefined;
  const major = +m[1]!;
  const minor = +m[2]!;
  const patch = +m[3]!;
  // node-semver refuses numbers it cannot hold exactly.
  if (major > Number.MAX_SAFE_INTEGER || minor > Number.MAX_SAFE_INTEGER || patch > Number.MAX_SAFE_INTEGER) {
    return undefined;
  }
  const prerelease = m[4]
    ? m[4].split('.').map((id) => {
        if (NUMERIC.test(id)) {
          const n = +id;
          if (n >= 0 && n < Number.MAX_SAFE_INTEGER) return n;
        }
        return id;
      })
    : [];
  return { major, minor, patch, prerelease, build: m[5] ? m[5].split('.') : [] };
}

/** node-semver's compareIdentifiers, quirks included (huge numeric ids compare as floats). */
export function compareIdentifiers(a: string | number, b: string | number): -1 | 0 | 1 {
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : a < b ? -1 : 1;
  const anum = NUMERIC.test(String(a));
  const bnum = NUMERIC.test(String(b));
  if (anum && bnum) {
    a = +a;
    b = +b;
  }
  if (a === b) return 0;
  if (anum && !bnum) return -1;
  if (bnum && !anum) return 1;
  return a < b ? -1 : 1;
}

const cmpNum = (a: number, b: number): -1 | 0 | 1 => (a < b ? -1 : a > b ? 1 : 0);

/** Orders two parsed versions as SemVer#compare: main triple, then prerelease; build ignored. */
export function compareParsed(a: NpmSemVer, b: NpmSemVer): -1 | 0 | 1 {
  const main = cmpNum(a.major, b.major) || cmpNum(a.minor, b.minor) || cmpNum(a.patch, b.patch);
  if (main !== 0) return main;
  const pa = a.prerelease;
  const pb = b.prerelease;
  if (pa.length && !pb.length) return -1;
  if (!pa.length && pb.length) return 1;
  for (let i = 0; ; i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined && y === undefined) return 0;
    if (y === undefined) return 1;
    if (x === undefined) return -1;
    if (x === y) continue;
    // node-semver returns here even when the identifiers compare equal as floats.
    return compareIdentifiers(x, y);
  }
}

/** Strings node-semver cannot parse sort before all versions and among themselves by code units. */
export function compareInvalid(a: string, b: string): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareSemver(a: string, b: string): -1 | 0 | 1 {
  const pa = parseSemver(a);
  const pb = parseSemver(b);
  if (pa && pb) return compareParsed(pa, pb);
  if (pa) return 1;
  if (pb) return -1;
  return compareInvalid(a, b);
}

export function validSemver(v: string): boolean {
  return parseSemver(v) !== undefined;
}

/**
 * Whether `version` is inside the npm range `range` (`^1.2.0`, `>=1 <2 || 3.x`, ...), read loosely
 * as npm reads package.json ranges. Invalid versions or ranges never match and never throw.
 */
export function satisfies(version: string, range: string): boolean {
  try {
    return semverPkg.satisfies(version, range, { loose: true });
  } catch {
    return false;
  }
}

export const semverComparator: Comparator = { scheme: 'semver', compare: compareSemver, valid: validSemver, satisfies };

/** Sample versions for the shared conformance suite (valid, loose and invalid spellings). */
export const samples: string[] = [
  '0.0.0', '0.0.1', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2',
  '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.0+build.7', 'v1.0.0', '=1.0.0', '1.0.0beta', '01.2.3',
  '1.2.3-01', '1.2.3-0', '1.2.3--', '2.0.0', '10.0.0', '1.2', 'a.b.c', '', '1.2.3.4',
];
