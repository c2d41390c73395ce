/** Table tests of the gem comparator (cases in the spirit of rubygems' test_gem_version.rb, checked against Ruby 3.1's Gem::Version). */
import { describe, expect, it } from 'vitest';
import { compareGem, gemComparator, validGem } from './index.js';

describe('gem: compare', () => {
  it.each([
    ['1.0', '1.0.0', 0], ['1.8.2.a', '1.8.2', -1], ['1.a', '1', -1], ['1.0.a', '1.0.a0', 0], ['0.beta.1', '0.0.beta.1', 0],
    ['1.0.0.a.1.0', '1.0.0.a.1', 0], ['1.0-rc1', '1.0.pre.rc1', 0], ['1.9.3', '1.9.3.0', 0], ['1.A', '1.a', -1],
    ['5.a', '5.0.0.rc2', -1], ['5.x', '5.0.0.rc2', 1], ['1.0.0.a10', '1.0.0.a9', 1], ['1.0.a.2', '1.0.b1', -1],
    ['', '0', 0], [' 1.0 ', '1', 0], ['1.0.beta.0.1', '1.0.beta.1', -1], ['0.9', '0.10', -1], ['1.0.0-1', '1.0.0', -1],
    ['2.0.0.pre', '2.0.0', -1], ['1.b.1', '1.a', 1], ['1.99999999999999999999', '1.100000000000000000000', -1],
    ['junk', '0', -1],
  ] as const)('%j vs %j = %i', (a, b, want) => {
    expect(compareGem(a, b)).toBe(want);
    expect(compareGem(b, a)).toBe(-want || 0);
  });

  it('validates as Gem::Version.correct?', () => {
    for (const v of ['junk', '1.0 1', '1..0', '1.0-', '.1', '1.0_1', '-1']) expect(validGem(v), v).toBe(false);
    for (const v of ['1.0\n', '', ' ', '1.0.0-rc.1', '1.a']) expect(validGem(v), v).toBe(true);
    expect(gemComparator.scheme).toBe('gem');
  });
});
