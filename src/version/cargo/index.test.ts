/** Table tests of the cargo comparator: the semver crate's grammar (src/parse.rs) and SemVer 2.0 precedence. */
import { describe, expect, it } from 'vitest';
import { compareCargo, parseCargo, validCargo } from './index.js';

describe('cargo: parse', () => {
  it.each([
    '0.0.0', '1.2.3', '1.2.3-alpha.1', '1.2.3-0a', '1.2.3--', '1.2.3+001', '1.2.3-alpha+build.5',
    '18446744073709551615.18446744073709551615.18446744073709551615',
  ])('accepts %j', (v) => expect(validCargo(v)).toBe(true));

  it.each([
    '', '1', '1.2', '1.2.3.4', 'v1.2.3', ' 1.2.3', '1.2.3 ', '01.2.3', '1.02.3', '1.2.03', '1.2.3-', '1.2.3+',
    '1.2.3-01', '1.2.3-a..b', '1.2.3-a.', '1.2.3+a..b', '1.2.3-a_b', '18446744073709551616.0.0', '1.2.3-ä',
  ])('refuses %j', (v) => expect(validCargo(v)).toBe(false));

  it('splits identifiers', () => {
    expect(parseCargo('1.2.3-rc.1+b.7')).toEqual({ major: '1', minor: '2', patch: '3', pre: ['rc', '1'], build: ['b', '7'] });
  });
});

describe('cargo: compare', () => {
  // semver.org's precedence example, then the crate's numeric range beyond 2^53.
  const ordered = [
    '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11',
    '1.0.0-rc.1', '1.0.0', '1.0.1', '1.1.0', '2.0.0', '9007199254740993.0.0', '9007199254740994.0.0',
    '18446744073709551615.0.0',
  ];
  it('orders the SemVer 2.0 example chain', () => {
    ordered.forEach((a, i) => ordered.forEach((b, j) => expect(compareCargo(a, b), `${a} vs ${b}`).toBe(Math.sign(i - j) || 0)));
  });

  it('ignores build metadata and compares huge prerelease numbers exactly', () => {
    expect(compareCargo('1.0.0+a', '1.0.0+b')).toBe(0);
    expect(compareCargo('1.0.0-9007199254740993', '1.0.0-9007199254740992')).toBe(1);
    expect(compareCargo('1.0.0-1', '1.0.0--')).toBe(-1); // numeric ids sort before alphanumeric ones
    expect(compareCargo('v1.0.0', '0.0.0')).toBe(-1); // refused strings sort first
  });
});
