/** Table tests of the Debian comparator: ordering rules and dpkg's parseversion() validity rules. */
import { describe, expect, it } from 'vitest';
import { compareDeb, debComparator, parseDebVersion, validDeb } from './index.js';

describe('deb: compare', () => {
  // Cases in the spirit of dpkg's lib/dpkg/t/t-version.c, checked against dpkg --compare-versions.
  it.each([
    ['1.0', '1.0', 0],
    ['1.0', '1.00', 0],
    ['0:1.0', '1.0', 0],
    ['1.0', '1.0-0', 0],
    ['0001', '1', 0],
    ['1:1.0', '1.0', 1],
    ['1:0.1', '2.0', 1],
    ['2:0', '10:0', -1],
    ['1.0~rc1', '1.0', -1],
    ['1.0~~', '1.0~', -1],
    ['1.0~', '1.0', -1],
    ['1.0', '1.0a', -1],
    ['1.0a', '1.0.', -1],
    ['1.0', '1.0+', -1],
    ['1.0+', '1.0.', -1],
    ['1.0-1', '1.0-1.0', -1],
    ['1.0-1', '1.0-1~bpo1', 1],
    ['1.0-1', '1.0-2', -1],
    ['1.0-10', '1.0-9', 1],
    ['1.99999999999999999999', '1.100000000000000000000', -1],
    ['1.00000000000000000001', '1.1', 0],
    ['3.0.22-1~deb12u2', '3.0.22-1', -1],
    ['2.36-9+deb12u14', '2.36-9+deb12u4', 1],
    ['1.0-a', '1.0-B', 1],
    ['1.0-Z', '1.0-a', -1],
    ['1:2:3', '1:2:3', 0],
    ['1.0-1-1', '1.0-1', 1],
    ['+1:2', '1:2', 0],
    ['', '0', -1], // the blank version sorts first
    [' ', '', 0],
    ['', '1', -1],
    ['<unknown>', '', 0],
  ] as const)('%s vs %s = %i', (a, b, want) => {
    expect(compareDeb(a, b)).toBe(want);
    expect(compareDeb(b, a)).toBe(want === 0 ? 0 : -want);
  });

  it('compares non-ASCII bytes the way dpkg (signed chars) does, without throwing', () => {
    expect(compareDeb('1.é', '1.a')).toBe(1);
    expect(compareDeb('1.é', '1..')).toBe(-1);
  });
});

describe('deb: parse and valid', () => {
  it('splits epoch, upstream and revision (revision after the last hyphen)', () => {
    expect(parseDebVersion('2:1.0-rc1-3').version).toEqual({ epoch: 2, upstream: '1.0-rc1', revision: '3' });
    expect(parseDebVersion('  1.0  ').version).toEqual({ epoch: 0, upstream: '1.0', revision: '' });
  });

  it.each([
    ['1.0', true],
    ['1:1.0-1', true],
    ['1.0+dfsg~rc1-1+deb12u1', true],
    ['1:2:3', true],
    ['2026b-0+deb12u1', true],
    [' 1.0\t', true],
    ['+1:2', true],
    ['', false],
    ['   ', false],
    ['1.0 1', false],
    [':1.0', false],
    ['a:1.0', false],
    ['1:', false],
    ['-1:1.0', false],
    ['9999999999:1.0', false],
    ['1.0-', false],
    ['-1', false],
    ['a1.0', false],
    ['1.0_1', false],
    ['1.0-1:2', false],
    ['1.0-1_2', false],
    ['1.2:3', false],
  ] as const)('valid(%j) = %s', (v, want) => {
    expect(validDeb(v)).toBe(want);
  });

  it('tells an error (dpkg refuses) from a warning (dpkg compares anyway)', () => {
    expect(parseDebVersion('1:').problem?.level).toBe('error');
    expect(parseDebVersion('a1').problem?.level).toBe('warning');
    expect(parseDebVersion('1.0_1').problem?.level).toBe('warning');
  });

  it('is registered under the deb scheme', () => {
    expect(debComparator.scheme).toBe('deb');
  });
});
