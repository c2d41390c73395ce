/** Cargo (crates.io) version ordering: strict SemVer 2.0 as the Rust `semver` crate parses and orders it. */
// Grammar from the semver crate's src/parse.rs (Version::from_str): u64 numbers without leading
// zeros, dot-separated [0-9A-Za-z-] identifiers, no leading zeros in numeric prerelease ids, no `v`,
// no blanks. Order is SemVer precedence (Version::cmp_precedence): build metadata is ignored, as
// Cargo ignores it when matching requirements and advisories' ranges.
import type { Comparator } from '../types.js';

const U64_MAX = '18446744073709551615';
const NUM = '(0|[1-9][0-9]*)';
const IDENT = '[0-9A-Za-z-]+';
const VERSION = new RegExp(`^${NUM}\\.${NUM}\\.${NUM}(?:-(${IDENT}(?:\\.${IDENT})*))?(?:\\+(${IDENT}(?:\\.${IDENT})*))?$`);
const DIGITS = /^[0-9]+$/;

export interface CargoVersion {
  major: string;
  minor: string;
  patch: string;
  pre: string[];
  build: string[];
}

/** Digit strings without leading zeros: longer is larger, else code-unit order. */
function cmpDigits(a: string, b: string): -1 | 0 | 1 {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const fitsU64 = (n: string) => cmpDigits(n, U64_MAX) <= 0;

export function parseCargo(v: string): CargoVersion | undefined {
  const m = VERSION.exec(v);
  if (!m) return undefined;
  const [, major, minor, patch, pre, build] = m;
  if (!fitsU64(major!) || !fitsU64(minor!) || !fitsU64(patch!)) return undefined;
  const preIds = pre ? pre.split('.') : [];
  // The crate refuses `01` as a numeric prerelease identifier (but accepts `0a`).
  if (preIds.some((id) => id.length > 1 && id[0] === '0' && DIGITS.test(id))) return undefined;
  return { major: major!, minor: minor!, patch: patch!, pre: preIds, build: build ? build.split('.') : [] };
}

function comparePre(a: string[], b: string[]): -1 | 0 | 1 {
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : a.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = DIGITS.test(x);
    const yn = DIGITS.test(y);
    let c: -1 | 0 | 1;
    if (xn && yn) c = cmpDigits(x, y);
    else if (xn || yn) c = xn ? -1 : 1;
    else c = x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return 0;
}

export function compareParsedCargo(a: CargoVersion, b: CargoVersion): -1 | 0 | 1 {
  return cmpDigits(a.major, b.major) || cmpDigits(a.minor, b.minor) || cmpDigits(a.patch, b.patch) || comparePre(a.pre, b.pre);
}

/** The crate refuses malformed strings; they sort before every version and among themselves by code units. */
export function compareCargo(a: string, b: string): -1 | 0 | 1 {
  const pa = parseCargo(a);
  const pb = parseCargo(b);
  if (pa && pb) return compareParsedCargo(pa, pb);
  if (pa) return 1;
  if (pb) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function validCargo(v: string): boolean {
  return parseCargo(v) !== undefined;
}

export const cargoComparator: Comparator = { scheme: 'cargo', compare: compareCargo, valid: validCargo };

/** Sample versions for the shared conformance suite. */
export const samples: string[] = [
  '0.0.0', '0.1.0', '0.1.10', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta.2',
  '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.0+20130313144700', '1.0.0-0a', '2.0.0',
  '18446744073709551615.0.0', '18446744073709551616.0.0', 'v1.0.0', '1.0', '01.0.0', '1.0.0-01', '',
];
