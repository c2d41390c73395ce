/** Gem::Requirement lists → affected OSV ranges (the complement of what is patched or unaffected). */
import { describe, expect, it } from 'vitest';
import { gemBump, requirementInterval, requirementsToRanges } from './requirements.js';

describe('gemBump (Gem::Version#bump)', () => {
  it.each([
    ['5.2.4', '5.3'],
    ['5.2', '6'],
    ['5', '6'],
    ['5.2.4.rc1', '5.3'],
    ['1.0.0-beta', '1.1'],
  ])('%s → %s', (v, want) => {
    expect(gemBump(v)).toBe(want);
  });
});

describe('requirementsToRanges', () => {
  it.each<[string[], unknown]>([
    [[], [{ introduced: '0' }]],
    [['>= 0.5.5'], [{ introduced: '0', fixed: '0.5.5' }]],
    [['> 1.2.3'], [{ introduced: '0', lastAffected: '1.2.3' }]],
    [['< 4.0.0', '>= 4.2.1'], [{ introduced: '4.0.0', fixed: '4.2.1' }]],
    [
      ['~> 5.2.4, >= 5.2.4.3', '>= 6.0.3.1', '< 4.0.0'],
      [
        { introduced: '4.0.0', fixed: '5.2.4.3' },
        { introduced: '5.3', fixed: '6.0.3.1' },
      ],
    ],
    // Overlapping and touching requirements merge: [1.0, 2.0) ∪ [1.5, 3) ∪ [3, ∞) = [1.0, ∞).
    [['~> 1.0', '>= 1.5, < 3', '>= 3'], [{ introduced: '0', fixed: '1.0' }]],
    // One version left between two patched stretches: affected from 2.0 to 2.0.
    [['< 2.0', '> 2.0'], [{ introduced: '2.0', lastAffected: '2.0' }]],
    // Nothing patched past 3.x: affected again from 4.
    [['~> 3.1, >= 3.1.2'], [{ introduced: '0', fixed: '3.1.2' }, { introduced: '4' }]],
    // An unsatisfiable requirement says nothing.
    [['>= 2, < 1', '>= 5'], [{ introduced: '0', fixed: '5' }]],
  ])('%j', (reqs, want) => {
    expect(requirementsToRanges(reqs)).toEqual(want);
  });

  it.each([
    [['<= 4.4.0', '>= 4.7.1']], // affected from just above 4.4.0
    [['!= 1.0']],
    [['>= not.a version']],
    [['']],
  ])('%j has no OSV form', (reqs) => {
    expect(requirementsToRanges(reqs)).toBeUndefined();
  });

  it('parses a conjunction into one interval', () => {
    expect(requirementInterval('~> 5.2.4, >= 5.2.4.3')).toEqual({ lo: { v: '5.2.4.3', incl: true }, hi: { v: '5.3', incl: false } });
    expect(requirementInterval('1.2.3')).toEqual({ lo: { v: '1.2.3', incl: true }, hi: { v: '1.2.3', incl: true } });
    expect(requirementInterval('> 2, < 1')).toBeNull();
  });
});
