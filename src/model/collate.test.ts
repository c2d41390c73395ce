import { describe, expect, it } from 'vitest';
import { collate } from './collate.js';

const icu = new Intl.Collator('en');
const sign = (n: number) => Math.sign(n);

/** A small deterministic generator, so a failure names a pair that can be rerun. */
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

describe('collate', () => {
  it('orders every pair of printable ASCII characters as ICU does', () => {
    const chars = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
    for (const a of chars) for (const b of chars) expect([a, b, sign(collate(a, b))]).toEqual([a, b, sign(icu.compare(a, b))]);
  });

  it('orders random ASCII strings as ICU does (case, punctuation, prefixes, equal primaries)', () => {
    const next = rng(42);
    const alphabets = ['aAbBzZ', 'aA-_.', 'ab01.-+~:', ' !"#$%&\'()*+,-./0123456789:;<=>?@AZ[\\]^_`az{|}~'];
    for (let i = 0; i < 20_000; i++) {
      const alphabet = alphabets[i % alphabets.length]!;
      const word = () => Array.from({ length: Math.floor(next() * 7) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
      const a = word();
      const b = next() < 0.3 ? a.toUpperCase() : word();
      expect([a, b, sign(collate(a, b))]).toEqual([a, b, sign(icu.compare(a, b))]);
    }
  });

  it('orders real package names and versions as ICU does', () => {
    const names = ['libc6', 'libc-bin', 'libc6-dev', 'Flask', 'flask', 'flask_cors', 'flask-cors', 'zlib1g', 'ZLIB', '1.2.3', '1.2.3-r0', '1.2.3_rc1', '1:2.3~beta', '@babel/core', 'musl', 'musl-utils', '.NET', 'a b'];
    for (const a of names) for (const b of names) expect([a, b, sign(collate(a, b))]).toEqual([a, b, sign(icu.compare(a, b))]);
  });

  it('hands strings beyond printable ASCII to ICU', () => {
    const words = ['café', 'cafe', 'Cafe', 'caff', 'a\tb', 'ab', 'a\u0301', 'á', 'b', 'ß', 'ss', '日本', ''];
    for (const a of words) for (const b of words) expect([a, b, sign(collate(a, b))]).toEqual([a, b, sign(icu.compare(a, b))]);
  });

  it('sorts a list as sorting by localeCompare in English does', () => {
    const list = ['b', 'B', 'a-b', 'a_b', 'ab', 'Ab', 'a.b', 'a', '10', '9', 'é'];
    expect([...list].sort(collate)).toEqual([...list].sort(icu.compare));
  });
});
