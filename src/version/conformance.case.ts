/** The conformance suite every Comparator must pass; run over the whole registry by conformance.test.ts. */
import { expect, it } from 'vitest';
import type { Comparator } from './types.js';

/** Strings no scheme should choke on: compare() and valid() must answer, never throw. */
export const GARBAGE: readonly string[] = [
  '', ' ', '\t', '\n', '-', '~', ':', '::', '.', '..', '_', '-r', '~~~', 'v', 'v1.0', '1.0 ', ' 1.0', '1..0',
  '!@#$%^&*()', '\u0000', '1\u00002', 'é', '😀', '1.0.😀', 'null', 'undefined', 'NaN', '-1', '0x10', '1e400',
  '9'.repeat(400), `1.${'0'.repeat(300)}1`, 'a'.repeat(2000), '<unknown>', '*', '>=1.0', '1.0 || 2.0', '[1.0,2.0)',
];

const SIGNS = new Set([-1, 0, 1]);

/**
 * Registers vitest cases checking that `c` orders `samples` as a total preorder: compare(a,a)=0,
 * results in {-1,0,1}, antisymmetry, transitivity; valid() answers a boolean; nothing throws on garbage.
 */
export function comparatorConformance(c: Comparator, samples: readonly string[] = []): void {
  const all = [...new Set([...samples, ...GARBAGE])];

  it(`${c.scheme}: has a kebab-case scheme id`, () => {
    expect(c.scheme).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it(`${c.scheme}: compare(a, a) = 0 and results are -1, 0 or 1`, () => {
    for (const a of all) {
      expect(c.compare(a, a), a).toBe(0);
      for (const b of all) expect(SIGNS.has(c.compare(a, b)), `${a} vs ${b}`).toBe(true);
    }
  });

  it(`${c.scheme}: is antisymmetric`, () => {
    for (const a of all) {
      for (const b of all) {
        const ab = c.compare(a, b);
        const ba = c.compare(b, a);
        expect(ab + ba, `${JSON.stringify(a)} vs ${JSON.stringify(b)}: ${ab} and ${ba}`).toBe(0);
      }
    }
  });

  it(`${c.scheme}: is transitive (sorting is consistent)`, () => {
    const sorted = [...all].sort((a, b) => c.compare(a, b));
    // Every earlier element must be <= every later one; with a consistent total preorder this holds.
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i + 1; j < sorted.length; j++) {
        expect(c.compare(sorted[i]!, sorted[j]!), `${JSON.stringify(sorted[i])} vs ${JSON.stringify(sorted[j])}`).not.toBe(1);
      }
    }
    // And explicitly on triples of samples: a<=b and b<=c imply a<=c; a=b and b=c imply a=c.
    for (const a of samples) {
      for (const b of samples) {
        for (const d of samples) {
          const ab = c.compare(a, b);
          const bd = c.compare(b, d);
          if (ab <= 0 && bd <= 0) expect(c.compare(a, d), `${a} ${b} ${d}`).toBeLessThanOrEqual(0);
          if (ab === 0 && bd === 0) expect(c.compare(a, d), `${a} ${b} ${d}`).toBe(0);
        }
      }
    }
  });

  it(`${c.scheme}: valid() answers a boolean, and some sample is valid`, () => {
    for (const v of all) expect(typeof c.valid(v), v).toBe('boolean');
    if (samples.length) expect(samples.some((v) => c.valid(v))).toBe(true);
  });

  it(`${c.scheme}: never throws on garbage`, () => {
    for (const g of GARBAGE) {
      expect(() => c.valid(g)).not.toThrow();
      for (const s of [...samples.slice(0, 5), ...GARBAGE]) {
        expect(() => c.compare(g, s)).not.toThrow();
        expect(() => c.compare(s, g)).not.toThrow();
      }
    }
  });
}
