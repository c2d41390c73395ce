/** NuGet version ordering: a port of NuGet.Versioning's NuGetVersion.TryParse and VersionComparer.Default. */
// Up to four numeric parts (1.2 = 1.2.0.0; leading zeros allowed there), release labels compared
// case-insensitively (numeric labels numerically and before alphanumeric ones), build metadata
// ignored. Sources: NuGet.Client src/NuGet.Core/NuGet.Versioning/{NuGetVersionFactory,
// SemanticVersionFactory,VersionComparer}.cs and .NET's System.Version.TryParse.
import type { Comparator } from '../types.js';

export interface NuGetVersion {
  /** major, minor, patch, revision: int32 values >= 0. */
  parts: [number, number, number, number];
  /** Empty for a release. */
  labels: string[];
  metadata: string;
}

const INT32_MAX = 2147483647;
// String.Trim(): Char.IsWhiteSpace.
const TRIM = /^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;
// int.TryParse(s, NumberStyles.Integer, InvariantCulture): blanks around, a sign, ASCII digits,
// trailing NULs. Signs cannot reach here ('-' and '+' split the sections first).
const COMPONENT = /^[\t-\r ]*([0-9]+)[\t-\r ]*\0*$/;
const LABEL_CHARS = /^[0-9A-Za-z-]+$/;
const ALL_DIGITS = /^[0-9]+$/;

/** SemanticVersion.ParseSections: version part, release labels, metadata. */
function parseSections(value: string): [string | undefined, string[] | undefined, string | undefined] {
  let versionString: string | undefined;
  let releaseLabels: string[] | undefined;
  let buildMetadata: string | undefined;
  let dashPos = -1;
  let plusPos = -1;
  for (let i = 0; i < value.length; i++) {
    const end = i === value.length - 1;
    const c = value[i];
    if (dashPos < 0) {
      if (end || c === '-' || c === '+') {
        versionString = value.slice(0, i + (end ? 1 : 0));
        dashPos = i;
        if (c === '+') plusPos = i;
      }
    } else if (plusPos < 0) {
      if (end || c === '+') {
        releaseLabels = value.slice(dashPos + 1, i + (end ? 1 : 0)).split('.');
        plusPos = i;
      }
    } else if (end) {
      buildMetadata = value.slice(plusPos + 1, i + 1);
    }
  }
  return [versionString, releaseLabels, buildMetadata];
}

function isValidPart(s: string, allowLeadingZeros: boolean): boolean {
  if (s.length === 0) return false;
  // 0 is fine, 00 is not; 0A is alphanumeric.
  if (!allowLeadingZeros && s.length > 1 && s[0] === '0' && ALL_DIGITS.test(s.slice(1))) return false;
  return LABEL_CHARS.test(s);
}

/** System.Version.TryParse: 2 to 4 int32 components >= 0. */
function parseSystemVersion(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length < 2 || parts.length > 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    const m = COMPONENT.exec(p);
    if (!m) return undefined;
    const digits = m[1]!.replace(/^0+(?=.)/, '');
    if (digits.length > 10 || Number(digits) > INT32_MAX) return undefined;
    out.push(Number(digits));
  }
  return out;
}

/** NuGetVersion.TryParse (not strict SemVer); undefined where it returns false. */
export function parseNuGet(value: string): NuGetVersion | undefined {
  const [versionString, labels, metadata] = parseSections(value.replace(TRIM, ''));
  if (!versionString) return undefined;
  const sys = parseSystemVersion(versionString.includes('.') ? versionString : `${versionString}.0`);
  if (!sys) return undefined;
  if (labels && !labels.every((l) => isValidPart(l, false))) return undefined;
  if (metadata !== undefined && !metadata.split('.').every((m) => isValidPart(m, true))) return undefined;
  return { parts: [sys[0]!, sys[1]!, sys[2] ?? 0, sys[3] ?? 0], labels: labels ?? [], metadata: metadata ?? '' };
}

/** int.TryParse on a label: an optional '-' and digits within int32 (labels hold no blanks or '+'). */
function labelNumber(s: string): number | undefined {
  if (!/^-?[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return n >= -INT32_MAX - 1 && n <= INT32_MAX ? n : undefined;
}

/** StringComparer.OrdinalIgnoreCase on ASCII labels: upper-case, then code units. */
function ordinalIgnoreCase(a: string, b: string): -1 | 0 | 1 {
  const x = a.toUpperCase();
  const y = b.toUpperCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareRelease(a: string, b: string): -1 | 0 | 1 {
  const na = labelNumber(a);
  const nb = labelNumber(b);
  if (na !== undefined && nb !== undefined) return na < nb ? -1 : na > nb ? 1 : 0;
  if (na !== undefined) return -1;
  if (nb !== undefined) return 1;
  return ordinalIgnoreCase(a, b);
}

export function compareParsedNuGet(x: NuGetVersion, y: NuGetVersion): -1 | 0 | 1 {
  for (let i = 0; i < 4; i++) {
    if (x.parts[i] !== y.parts[i]) return x.parts[i]! < y.parts[i]! ? -1 : 1;
  }
  // IsPrerelease: the first label is non-empty (always, once parsed).
  const xl = x.labels;
  const yl = y.labels;
  if (xl.length > 0 && yl.length === 0) return -1;
  if (xl.length === 0 && yl.length > 0) return 1;
  for (let i = 0; i < Math.max(xl.length, yl.length); i++) {
    if (i >= xl.length) return -1;
    if (i >= yl.length) return 1;
    const c = compareRelease(xl[i]!, yl[i]!);
    if (c !== 0) return c;
  }
  return 0;
}

/** Strings NuGet refuses sort before every version and among themselves by code units. */
export function compareNuGet(a: string, b: string): -1 | 0 | 1 {
  const pa = parseNuGet(a);
  const pb = parseNuGet(b);
  if (pa && pb) return compareParsedNuGet(pa, pb);
  if (pa) return 1;
  if (pb) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function validNuGet(v: string): boolean {
  return parseNuGet(v) !== undefined;
}

export const nugetComparator: Comparator = { scheme: 'nuget', compare: compareNuGet, valid: validNuGet };

/** Sample versions for the shared conformance suite. */
export const samples: string[] = [
  '0.0.0', '1.0.0-alpha', '1.0.0-Alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta.2', '1.0.0-beta.11',
  '1.0.0-rc.1', '1.0.0', '1.0', '1', '1.0.0.0', '1.0.0+build', '1.0.0.1', '01.02.03', '1.0.1-2', '2.0.0',
  '1.0.0-01', '1.2.3.4.5', 'v1.0.0', '1.0.0-', '', ' 1.0 ',
];
