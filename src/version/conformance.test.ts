/** Runs the comparator conformance suite over every registered scheme, plus the registry's own contract. */
import { describe, expect, it } from 'vitest';
import { isShipshapeError } from '../errors.js';
import { comparatorConformance } from './conformance.case.js';
import { COMPARATORS, compareVersions, getComparator, schemes } from './index.js';

for (const { comparator, samples } of COMPARATORS) {
  describe(`comparator conformance: ${comparator.scheme}`, () => {
    comparatorConformance(comparator, samples);
  });
}

describe('version registry', () => {
  it('has unique scheme ids and finds each one', () => {
    expect(new Set(schemes()).size).toBe(COMPARATORS.length);
    for (const s of schemes()) expect(getComparator(s)?.scheme).toBe(s);
    expect(schemes()).toEqual(expect.arrayContaining(['apk', 'deb']));
  });

  it('compares by scheme', () => {
    expect(compareVersions('apk', '1.1.22-r2', '1.1.22-r3')).toBe(-1);
    expect(compareVersions('deb', '1:1.0', '2.0')).toBe(1);
  });

  it('throws a usage error for an unknown scheme', () => {
    let err: unknown;
    try {
      compareVersions('nope', '1', '2');
    } catch (e) {
      err = e;
    }
    expect(isShipshapeError(err) && err.code === 'usage' && err.message).toBe('unknown version scheme nope');
    expect(getComparator('nope')).toBeUndefined();
  });
});
