/** Debian version comparison and validation, exactly as dpkg (lib/dpkg/version.c, parsehelp.c) does it. */
import type { Comparator } from '../types.js';

export interface DebVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

/** Why dpkg refuses a version: `error` makes `dpkg --compare-versions` fail, `warning` only warns. */
export interface DebParseProblem {
  level: 'error' | 'warning';
  message: string;
}

const INT_MAX = 2147483647;
const isBlank = (c: string) => c === ' ' || c === '\t';
const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlpha = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/**
 * Parses like dpkg's parseversion(): blanks trimmed, `epoch:` optional (strtol rules: a sign is
 * accepted), revision after the last `-`. Returns the parts dpkg would compare (also after a
 * warning) and the first problem dpkg reports, if any.
 */
export function parseDebVersion(input: string): { version: DebVersion; problem?: DebParseProblem } {
  let start = 0;
  let end = input.length;
  while (start < end && isBlank(input[start]!)) start++;
  const blank: DebVersion = { epoch: 0, upstream: '', revision: '' };
  if (start === end) return { version: blank, problem: { level: 'error', message: 'version string is empty' } };
  let stop = start;
  while (stop < end && !isBlank(input[stop]!)) stop++;
  for (let i = stop; i < end; i++) {
    if (!isBlank(input[i]!)) {
      return { version: lenient(input.slice(start, end)), problem: { level: 'error', message: 'version string has embedded spaces' } };
    }
  }
  end = stop;
  let s = input.slice(start, end);
  let epoch = 0;
  const colon = s.indexOf(':');
  if (colon >= 0) {
    // strtol: leading white space, an optional sign, then digits; it must stop exactly at the colon.
    const m = /^[ \t\n\v\f\r]*([+-]?)(\d*)/.exec(s)!;
    const digits = m[2]!;
    if (digits === '') return { version: lenient(s), problem: { level: 'error', message: 'epoch in version is empty' } };
    if (m[0].length !== colon) return { version: lenient(s), problem: { level: 'error', message: 'epoch in version is not number' } };
    const stripped = digits.replace(/^0+/, '');
    const tooBig = stripped.length > 10 || Number(stripped || '0') > INT_MAX;
    if (m[1] === '-' && stripped !== '') return { version: lenient(s), problem: { level: 'error', message: 'epoch in version is negative' } };
    if (tooBig) return { version: lenient(s), problem: { level: 'error', message: 'epoch in version is too big' } };
    if (colon + 1 === s.length) return { version: lenient(s), problem: { level: 'error', message: 'nothing after colon in version number' } };
    epoch = Number(stripped || '0');
    s = s.slice(colon + 1);
  }
  let upstream = s;
  let revision = '';
  const hyphen = s.lastIndexOf('-');
  if (hyphen >= 0) {
    upstream = s.slice(0, hyphen);
    revision = s.slice(hyphen + 1);
    if (revision === '') return { version: { epoch, upstream, revision }, problem: { level: 'error', message: 'revision number is empty' } };
  }
  const version: DebVersion = { epoch, upstream, revision };
  if (upstream === '') return { version, problem: { level: 'error', message: 'upstream version is empty' } };
  if (!isDigit(upstream.charCodeAt(0))) return { version, problem: { level: 'warning', message: 'version number does not start with digit' } };
  for (let i = 1; i < upstream.length; i++) {
    const c = upstream.charCodeAt(i);
    if (!isDigit(c) && !isAlpha(c) && !'.-+~:'.includes(upstream[i]!)) {
      return { version, problem: { level: 'warning', message: 'invalid character in version number' } };
    }
  }
  for (let i = 0; i < revision.length; i++) {
    const c = revision.charCodeAt(i);
    if (!isDigit(c) && !isAlpha(c) && !'.+~'.includes(revision[i]!)) {
      return { version, problem: { level: 'warning', message: 'invalid character in revision number' } };
    }
  }
  return { version };
}

/** What we compare when dpkg would refuse the string outright: the whole string as upstream version. */
function lenient(s: string): DebVersion {
  return { epoch: 0, upstream: s, revision: '' };
}

const encoder = new TextEncoder();
const ASCII = /^[\x01-\x7f]*$/;

/** Byte values as C sees them; dpkg's `char` is signed on the platforms it runs on. */
function bytes(s: string): ArrayLike<number> {
  if (ASCII.test(s)) {
    const out = new Array<number>(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  const b = encoder.encode(s);
  const nul = b.indexOf(0);
  return nul >= 0 ? b.subarray(0, nul) : b; // a C string ends at its first NUL
}

/** dpkg's order(): `~` before the end, the end (and digits) before letters, letters before the rest. */
function order(c: number | undefined): number {
  if (c === undefined) return 0;
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === 126) return -1; // '~'
  // Non-ASCII bytes are negative as signed chars: c + 256 is then the unsigned byte value.
  return c >= 128 ? c : c + 256;
}

/** dpkg's verrevcmp(): alternating non-digit and digit runs; digit runs compare as numbers of any length. */
export function verrevcmp(aStr: string, bStr: string): number {
  const a = bytes(aStr);
  const b = bytes(bStr);
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a[i]!)) || (j < b.length && !isDigit(b[j]!))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === 48) i++;
    while (b[j] === 48) j++;
    while (i < a.length && j < b.length && isDigit(a[i]!) && isDigit(b[j]!)) {
      if (!firstDiff) firstDiff = a[i]! - b[j]!;
      i++;
      j++;
    }
    if (i < a.length && isDigit(a[i]!)) return 1;
    if (j < b.length && isDigit(b[j]!)) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

const sign = (n: number): -1 | 0 | 1 => (n < 0 ? -1 : n > 0 ? 1 : 0);

export function compareDeb(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  const va = blankOrParse(a);
  const vb = blankOrParse(b);
  // dpkg --compare-versions: the blank version sorts before every informative one.
  const ia = informative(va);
  const ib = informative(vb);
  if (!ia || !ib) return ia === ib ? 0 : ia ? 1 : -1;
  if (va.epoch !== vb.epoch) return va.epoch < vb.epoch ? -1 : 1;
  return sign(verrevcmp(va.upstream, vb.upstream) || verrevcmp(va.revision, vb.revision));
}

/** `dpkg --compare-versions` treats an empty string and `<unknown>` as the blank version. */
function informative(v: DebVersion): boolean {
  return v.epoch !== 0 || v.upstream !== '' || v.revision !== '';
}

function blankOrParse(v: string): DebVersion {
  if (v === '' || v === '<unknown>') return { epoch: 0, upstream: '', revision: '' };
  return parseDebVersion(v).version;
}

export function validDeb(v: string): boolean {
  return parseDebVersion(v).problem === undefined;
}

export const debComparator: Comparator = { scheme: 'deb', compare: compareDeb, valid: validDeb };

/** Sample versions for the shared conformance suite. */
export const samples: string[] = [
  '0', '1', '1.0', '1.0-1', '1.0-1~bpo1', '1.0~rc1', '1.0~rc1-1', '1.0+dfsg-2', '1:0.9', '2:1.0-1',
  '1.0a', '1.0.a', '1.0-1+deb12u1', '1.0-1+b1', '9.9.9999999999999999999999', '10', '1.0~~', '1.0~',
  '3.0.22-1~deb12u2', '20250419~deb12u2', '2026b-0+deb12u1', '0:1.0', '00:1.0', '1.0-0', 'a1', '',
];
