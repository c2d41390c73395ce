/** Maven version ordering: a port of Maven 3.8's org.apache.maven.artifact.versioning.ComparableVersion. */
// Items: numbers (any size), strings (qualifiers) and lists (opened by `-` and by digit/letter
// transitions). Known qualifiers, case-insensitive: alpha = a1 < beta = b1 < milestone = m1 <
// rc = cr < snapshot < "" = ga = final = release < sp; unknown ones come after them in lexical
// order. Trailing nulls (0, "", empty lists) are dropped. Every string is a Maven version, so valid() only refuses blank strings.
import type { Comparator } from '../types.js';

type Item = { t: 'num'; v: string } | { t: 'str'; v: string } | { t: 'list'; v: Item[] };

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { ga: '', final: '', release: '', cr: 'rc' };
const RELEASE_VERSION_INDEX = String(QUALIFIERS.indexOf(''));
const ZERO: Item = { t: 'num', v: '0' };

// Java's Character.isDigit(char): Unicode category Nd, BMP only (charAt never yields a whole
// supplementary character). Integer.parseInt reads those digits by their decimal value.
const ND = /^\p{Nd}$/u;
function isDigit(c: string): boolean {
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return true;
  return code > 127 && !(code >= 0xd800 && code <= 0xdfff) && ND.test(c);
}
function digitValue(c: string): number {
  let code = c.charCodeAt(0);
  if (code <= 57) return code - 48;
  // Nd characters come in runs of ten starting at the digit zero.
  let start = code;
  while (start > 0 && ND.test(String.fromCharCode(start - 1))) start--;
  code -= start;
  return code % 10;
}

/** The canonical digits of a numeric item: ASCII, no leading zeros. */
function numItem(buf: string): Item {
  let digits = '';
  for (const c of buf) digits += String(digitValue(c));
  digits = digits.replace(/^0+(?=.)/, '');
  return { t: 'num', v: digits };
}

function strItem(value: string, followedByDigit: boolean): Item {
  if (followedByDigit && value.length === 1) {
    // a1 = alpha-1, b1 = beta-1, m1 = milestone-1
    if (value === 'a') value = 'alpha';
    else if (value === 'b') value = 'beta';
    else if (value === 'm') value = 'milestone';
  }
  return { t: 'str', v: Object.hasOwn(ALIASES, value) ? ALIASES[value]! : value };
}

function parseItem(isDigit_: boolean, buf: string): Item {
  return isDigit_ ? numItem(buf) : strItem(buf, false);
}

function comparableQualifier(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
}

// Java's String.compareTo: UTF-16 code units, then length.
const javaCmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function isNull(item: Item): boolean {
  switch (item.t) {
    case 'num':
      return item.v === '0';
    case 'str':
      return comparableQualifier(item.v) === RELEASE_VERSION_INDEX;
    case 'list':
      return item.v.length === 0;
  }
}

/** ListItem.normalize(): drop trailing null items, looking through (but not past) non-list items. */
function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const last = list[i]!;
    if (isNull(last)) list.splice(i, 1);
    else if (last.t !== 'list') break;
  }
}

function cmpDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return javaCmp(a, b);
}

/** Item.compareTo(other); `undefined` stands for Java's null (the other side ran out). */
function compareItem(a: Item, b: Item | undefined): number {
  switch (a.t) {
    case 'num':
      if (b === undefined) return a.v === '0' ? 0 : 1; // 1.0 == 1, 1.1 > 1
      if (b.t === 'num') return cmpDigits(a.v, b.v);
      return 1; // 1.1 > 1-sp, 1.1 > 1-1
    case 'str':
      if (b === undefined) return javaCmp(comparableQualifier(a.v), RELEASE_VERSION_INDEX); // 1-rc < 1, 1-ga > 1
      if (b.t === 'str') return javaCmp(comparableQualifier(a.v), comparableQualifier(b.v));
      return -1; // 1.any < 1.1, 1.any < 1-1
    case 'list': {
      if (b === undefined) {
        for (const item of a.v) {
          const r = compareItem(item, undefined);
          if (r !== 0) return r;
        }
        return 0;
      }
      if (b.t === 'num') return -1; // 1-1 < 1.0.x
      if (b.t === 'str') return 1; // 1-1 > 1-sp
      const n = Math.max(a.v.length, b.v.length);
      for (let i = 0; i < n; i++) {
        const l = a.v[i];
        const r = b.v[i];
        const result = l === undefined ? (r === undefined ? 0 : -1 * compareItem(r, undefined)) : compareItem(l, r);
        if (result !== 0) return result;
      }
      return 0;
    }
  }
}

/** ComparableVersion.parseVersion(): the item tree of a version string. */
export function parseMaven(version: string): Item[] {
  const items: Item[] = [];
  version = version.toLowerCase();
  let list = items;
  const stack: Item[][] = [list];
  const openList = () => {
    const next: Item[] = [];
    list.push({ t: 'list', v: next });
    list = next;
    stack.push(next);
  };
  let digit = false;
  let startIndex = 0;
  for (let i = 0; i < version.length; i++) {
    const c = version[i]!;
    if (c === '.') {
      list.push(i === startIndex ? ZERO : parseItem(digit, version.slice(startIndex, i)));
      startIndex = i + 1;
    } else if (c === '-') {
      list.push(i === startIndex ? ZERO : parseItem(digit, version.slice(startIndex, i)));
      startIndex = i + 1;
      openList();
    } else if (isDigit(c)) {
      if (!digit && i > startIndex) {
        // 1.0.0.X1 < 1.0.0-X2: treat .X as -X for any string qualifier X
        if (list.length > 0) openList();
        list.push(strItem(version.slice(startIndex, i), true));
        startIndex = i;
        openList();
      }
      digit = true;
    } else {
      if (digit && i > startIndex) {
        list.push(parseItem(true, version.slice(startIndex, i)));
        startIndex = i;
        openList();
      }
      digit = false;
    }
  }
  if (version.length > startIndex) {
    if (!digit && list.length > 0) openList();
    list.push(parseItem(digit, version.slice(startIndex)));
  }
  while (stack.length > 0) normalize(stack.pop()!);
  return items;
}

export function compareMaven(a: string, b: string): -1 | 0 | 1 {
  const r = compareItem({ t: 'list', v: parseMaven(a) }, { t: 'list', v: parseMaven(b) });
  return r < 0 ? -1 : r > 0 ? 1 : 0;
}

/** Maven accepts any string as a version; only a blank one is useless for a range. */
export function validMaven(v: string): boolean {
  return v.trim() !== '';
}

export const mavenComparator: Comparator = { scheme: 'maven', compare: compareMaven, valid: validMaven };

/** Sample versions for the shared conformance suite. */
export const samples: string[] = [
  '1', '1.0', '1-alpha-1', '1.0-alpha1', '1-a1', '1-beta-2', '1-milestone-1', '1-rc1', '1-cr2', '1-SNAPSHOT',
  '1-ga', '1-final', '1-release', '1-sp1', '1-abc', '1.0.1', '1-1', '1.1', '1.0.0.RC1', '1.0.0-RC2', '2.0.x',
  '2-xyz', '2.0.0.xyz', '1.0-01', '00001', '1..1', '', '-', '1.0.0-20240101.123456-3',
];
