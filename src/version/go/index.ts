/** Go version ordering: module versions as golang.org/x/mod/semver, and Go toolchain versions (1.21rc1, go1.20). */
// Module versions (`v1.2.3`, `v1.2`, `v0.0.0-20191109021931-daa7c04131f5`, `v2.0.0+incompatible`)
// are a port of x/mod/semver (parse, Compare): build metadata is ignored, pseudo-versions are
// ordinary prereleases, and every invalid string sorts before every valid one and equal to the
// others, as x/mod does. Strings without the `v` (the Go standard library in OSV, toolchain names
// like `go1.21.0`, `1.20rc1`) are read as Go's own go/version does (internal/gover.parse) and
// mapped onto semver: `1.20` = `1.20.0`; from 1.21 the language version `1.21` sorts before
// `1.21rc1` and `1.21.0`; a plain semver without `v` (`1.20.0-rc.1`) is read as `v1.20.0-rc.1`.
import type { Comparator } from '../types.js';

export interface GoSemver {
  major: string;
  minor: string;
  patch: string;
  /** Including its leading `-`, or '' for a release. */
  prerelease: string;
  build: string;
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isIdentChar = (c: string) => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '-';

/** x/mod's parseInt: decimal digits, no leading zero unless the number is 0. */
function parseInt_(v: string): [string, string] | undefined {
  if (v === '' || !isDigit(v[0])) return undefined;
  let i = 1;
  while (i < v.length && isDigit(v[i])) i++;
  if (v[0] === '0' && i !== 1) return undefined;
  return [v.slice(0, i), v.slice(i)];
}

function isBadNum(v: string): boolean {
  let i = 0;
  while (i < v.length && isDigit(v[i])) i++;
  return i === v.length && i > 1 && v[0] === '0';
}

function isNum(v: string): boolean {
  let i = 0;
  while (i < v.length && isDigit(v[i])) i++;
  return i === v.length;
}

function parsePrerelease(v: string): [string, string] | undefined {
  if (v === '' || v[0] !== '-') return undefined;
  let i = 1;
  let start = 1;
  while (i < v.length && v[i] !== '+') {
    const c = v[i]!;
    if (!isIdentChar(c) && c !== '.') return undefined;
    if (c === '.') {
      if (start === i || isBadNum(v.slice(start, i))) return undefined;
      start = i + 1;
    }
    i++;
  }
  if (start === i || isBadNum(v.slice(start, i))) return undefined;
  return [v.slice(0, i), v.slice(i)];
}

function parseBuild(v: string): [string, string] | undefined {
  if (v === '' || v[0] !== '+') return undefined;
  let i = 1;
  let start = 1;
  while (i < v.length) {
    const c = v[i]!;
    if (!isIdentChar(c) && c !== '.') return undefined;
    if (c === '.') {
      if (start === i) return undefined;
      start = i + 1;
    }
    i++;
  }
  if (start === i) return undefined;
  return [v.slice(0, i), v.slice(i)];
}

/** x/mod/semver's parse: `v` required; `vMAJOR` and `vMAJOR.MINOR` are shorthands for `.0`. */
export function parseModuleVersion(v: string): GoSemver | undefined {
  if (v === '' || v[0] !== 'v') return undefined;
  const ma = parseInt_(v.slice(1));
  if (!ma) return undefined;
  let rest = ma[1];
  if (rest === '') return { major: ma[0], minor: '0', patch: '0', prerelease: '', build: '' };
  if (rest[0] !== '.') return undefined;
  const mi = parseInt_(rest.slice(1));
  if (!mi) return undefined;
  rest = mi[1];
  if (rest === '') return { major: ma[0], minor: mi[0], patch: '0', prerelease: '', build: '' };
  if (rest[0] !== '.') return undefined;
  const pa = parseInt_(rest.slice(1));
  if (!pa) return undefined;
  rest = pa[1];
  let prerelease = '';
  let build = '';
  if (rest.length > 0 && rest[0] === '-') {
    const p = parsePrerelease(rest);
    if (!p) return undefined;
    [prerelease, rest] = p;
  }
  if (rest.length > 0 && rest[0] === '+') {
    const b = parseBuild(rest);
    if (!b) return undefined;
    [build, rest] = b;
  }
  if (rest !== '') return undefined;
  return { major: ma[0], minor: mi[0], patch: pa[0], prerelease, build };
}

function compareInt(x: string, y: string): -1 | 0 | 1 {
  if (x === y) return 0;
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : 1;
}

function comparePrerelease(x: string, y: string): -1 | 0 | 1 {
  if (x === y) return 0;
  if (x === '') return 1;
  if (y === '') return -1;
  while (x !== '' && y !== '') {
    x = x.slice(1); // skip - or .
    y = y.slice(1);
    const ix = x.indexOf('.');
    const iy = y.indexOf('.');
    const dx = ix < 0 ? x : x.slice(0, ix);
    const dy = iy < 0 ? y : y.slice(0, iy);
    x = ix < 0 ? '' : x.slice(ix);
    y = iy < 0 ? '' : y.slice(iy);
    if (dx !== dy) {
      const nx = isNum(dx);
      const ny = isNum(dy);
      if (nx !== ny) return nx ? -1 : 1;
      if (nx && dx.length !== dy.length) return dx.length < dy.length ? -1 : 1;
      return dx < dy ? -1 : 1;
    }
  }
  return x === '' ? -1 : 1;
}

/** Exactly x/mod/semver.Compare. */
export function compareModuleVersions(v: string, w: string): -1 | 0 | 1 {
  const pv = parseModuleVersion(v);
  const pw = parseModuleVersion(w);
  if (!pv && !pw) return 0;
  if (!pv) return -1;
  if (!pw) return 1;
  return (
    compareInt(pv.major, pw.major) ||
    compareInt(pv.minor, pw.minor) ||
    compareInt(pv.patch, pw.patch) ||
    comparePrerelease(pv.prerelease, pw.prerelease)
  );
}

// go/version's grammar: MAJOR[.MINOR[.PATCH]] or MAJOR.MINOR{alpha,beta,rc}N, no leading zeros.
const NUM = '(0|[1-9][0-9]*)';
const TOOLCHAIN = new RegExp(`^${NUM}(?:\\.${NUM}(?:\\.${NUM}|(alpha|beta|rc)${NUM})?)?$`);

/**
 * The x/mod form of a version string: as is when it starts with `v`; otherwise a Go toolchain
 * version (optionally `go`-prefixed) mapped onto semver, or `v` + the string.
 */
export function toModuleVersion(s: string): string {
  if (s.startsWith('v')) return s;
  const t = s.startsWith('go') && isDigit(s[2]) ? s.slice(2) : s;
  const m = TOOLCHAIN.exec(t);
  if (!m) return `v${t}`;
  const [, major, minor, patch, kind, pre] = m;
  if (minor === undefined) return `v${major}.0.0`;
  if (kind !== undefined) return `v${major}.${minor}.0-${kind}.${pre}`;
  if (patch !== undefined) return `v${major}.${minor}.${patch}`;
  // Since Go 1.21 the bare `1.N` names the language version, before 1.Nrc1 and 1.N.0.
  return compareInt(minor!, '21') < 0 ? `v${major}.${minor}.0` : `v${major}.${minor}.0-0`;
}

export function compareGo(a: string, b: string): -1 | 0 | 1 {
  return compareModuleVersions(toModuleVersion(a), toModuleVersion(b));
}

export function validGo(v: string): boolean {
  return parseModuleVersion(toModuleVersion(v)) !== undefined;
}

export const goComparator: Comparator = { scheme: 'go', compare: compareGo, valid: validGo };

/** Sample versions for the shared conformance suite: module versions, pseudo-versions, toolchain names. */
export const samples: string[] = [
  'v0.0.0-20191109021931-daa7c04131f5', 'v0.0.0', 'v0.1.0', 'v1', 'v1.2', 'v1.2.0', 'v1.2.3-pre',
  'v1.2.4-0.20191109021931-daa7c04131f5', 'v1.2.3', 'v1.2.3+meta', 'v2.0.0+incompatible', 'v2.1.0-rc.1',
  '1.19.8', '1.20rc1', '1.20', '1.20.1', 'go1.21.0', '1.21', '1.21rc2', '1.21.0-rc.1', 'v01.2.3',
  'bad', '', 'v1.2.3-01',
];
