/** Alpine (apk-tools) version comparison and validation: digit{.digit}...{letter}{_suf{#}}...{~hash}{-r#}. */
// Ported from apk-tools' src/version.c (the tokenizer with `~hash` commit suffixes), e.g.
// https://github.com/alpinelinux/apk-tools/blob/master/src/version.c
import type { Comparator } from '../types.js';

// Token kinds in apk-tools' order: the order itself is the grammar (what may follow what) and
// decides the tail of a comparison.
const enum T {
  InitialDigit,
  Digit,
  Letter,
  Suffix,
  SuffixNo,
  CommitHash,
  RevisionNo,
  End,
  Invalid,
}

// Suffix ranks; NONE is the pivot: pre-release suffixes sort below a version without suffix.
const SUFFIX_NONE = 5;
const SUFFIXES: Record<string, number> = { alpha: 1, beta: 2, pre: 3, rc: 4, cvs: 6, svn: 7, git: 8, hg: 9, p: 10 };

interface Token {
  kind: T;
  value: string;
  suffix: number;
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isLower = (c: string | undefined) => c !== undefined && c >= 'a' && c <= 'z';
const isHex = (c: string | undefined) => isDigit(c) || (c !== undefined && c >= 'a' && c <= 'f');

/** A cursor over one version string producing apk-tools' tokens. */
class Tokenizer {
  pos = 0;
  tok: Token = { kind: T.InitialDigit, value: '', suffix: 0 };

  constructor(private readonly s: string) {
    this.digits(T.InitialDigit);
  }

  private span(pred: (c: string | undefined) => boolean): string {
    const start = this.pos;
    while (this.pos < this.s.length && pred(this.s[this.pos])) this.pos++;
    return this.s.slice(start, this.pos);
  }

  private digits(kind: T): void {
    const value = this.span(isDigit);
    this.tok = { kind: value ? kind : T.Invalid, value, suffix: 0 };
  }

  private invalid(): void {
    this.tok = { kind: T.Invalid, value: '', suffix: 0 };
  }

  next(): void {
    const prev = this.tok.kind;
    if (this.pos >= this.s.length) {
      this.tok = { kind: T.End, value: '', suffix: 0 };
      return;
    }
    const c = this.s[this.pos]!;
    if (isLower(c)) {
      if (prev > T.Digit) return this.invalid();
      this.pos++;
      this.tok = { kind: T.Letter, value: c, suffix: 0 };
    } else if (c === '.' || isDigit(c)) {
      if (c === '.') {
        if (prev > T.Digit) return this.invalid();
        this.pos++;
      }
      if (prev === T.InitialDigit || prev === T.Digit) this.digits(T.Digit);
      else if (prev === T.Suffix) this.digits(T.SuffixNo);
      else this.invalid();
    } else if (c === '_') {
      if (prev > T.SuffixNo) return this.invalid();
      this.pos++;
      const value = this.span(isLower);
      const suffix = SUFFIXES[value];
      if (suffix === undefined || !Object.hasOwn(SUFFIXES, value)) return this.invalid();
      this.tok = { kind: T.Suffix, value, suffix };
    } else if (c === '~') {
      if (prev >= T.CommitHash) return this.invalid();
      this.pos++;
      const value = this.span(isHex);
      if (!value) return this.invalid();
      this.tok = { kind: T.CommitHash, value, suffix: 0 };
    } else if (c === '-') {
      if (prev >= T.RevisionNo || this.s[this.pos + 1] !== 'r') return this.invalid();
      this.pos += 2;
      this.digits(T.RevisionNo);
    } else {
      this.invalid();
    }
  }
}

/** Byte-wise string order, shorter first on a common prefix (apk_blob_sort). */
function stringSort(a: string, b: string): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Numbers of any length: no overflow (apk-tools reads uint64; no real version gets near that). */
function numericSort(a: string, b: string): -1 | 0 | 1 {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return stringSort(x, y);
}

function tokenCmp(a: Token, b: Token): -1 | 0 | 1 {
  switch (a.kind) {
    case T.Digit:
      // A leading zero makes the component a fraction: compared as a string, as Gentoo does.
      if (a.value[0] === '0' || b.value[0] === '0') return stringSort(a.value, b.value);
      return numericSort(a.value, b.value);
    case T.InitialDigit:
    case T.SuffixNo:
    case T.RevisionNo:
      return numericSort(a.value, b.value);
    case T.Letter:
      return stringSort(a.value, b.value);
    case T.Suffix:
      return a.suffix < b.suffix ? -1 : a.suffix > b.suffix ? 1 : 0;
    default:
      return stringSort(a.value, b.value);
  }
}

export function compareApk(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  const ta = new Tokenizer(a);
  const tb = new Tokenizer(b);
  while (ta.tok.kind === tb.tok.kind && ta.tok.kind < T.End) {
    const r = tokenCmp(ta.tok, tb.tok);
    if (r !== 0) return r;
    ta.next();
    tb.next();
  }
  const x = ta.tok;
  const y = tb.tok;
  // Both ended (or both hit something invalid at the same place): equal, as apk says.
  if (x.kind === y.kind) return 0;
  // Otherwise the longer one is newer, unless what follows is a pre-release suffix.
  if (x.kind === T.Suffix && x.suffix < SUFFIX_NONE) return -1;
  if (y.kind === T.Suffix && y.suffix < SUFFIX_NONE) return 1;
  if (x.kind > y.kind) return -1;
  if (y.kind > x.kind) return 1;
  return 0;
}

export function validApk(v: string): boolean {
  const t = new Tokenizer(v);
  while (t.tok.kind < T.End) t.next();
  return t.tok.kind === T.End;
}

export const apkComparator: Comparator = { scheme: 'apk', compare: compareApk, valid: validApk };

/** Sample versions for the shared conformance suite. */
export const samples: string[] = [
  '0', '1', '1.0', '1.0-r0', '1.0-r1', '1.0_alpha', '1.0_alpha1', '1.0_beta2', '1.0_rc1', '1.0_p1',
  '1.0_git20200101', '1.0a', '1.01', '1.1', '1.10', '1.0~abc123', '1.0~abc124-r1', '1.0_alpha_pre2',
  '2.0.0_pre20191002222144-r0', '006', '1.1.22-r2', '1.1.22-r3', '1.0bc', 'abc', '', '1.', '1-r',
];
