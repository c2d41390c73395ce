/** Table tests of the npm semver comparator and range matching (cases in the spirit of node-semver's test/fixtures). */
import { describe, expect, it } from 'vitest';
import { compareSemver, parseSemver, satisfies, semverComparator, validSemver } from './index.js';

describe('semver: compare', () => {
  it.each([
    ['0.0.0', '0.0.0-foo'],
    ['0.0.1', '0.0.0'],
    ['1.0.0', '0.9.9'],
    ['0.10.0', '0.9.0'],
    ['0.99.0', '0.10.0'],
    ['2.0.0', '1.2.3'],
    ['v0.0.0', '0.0.0-foo'],
    ['v0.0.1', '0.0.0'],
    ['1.2.3', '1.2.3-asdf'],
    ['1.2.3', '1.2.3-4'],
    ['1.2.3', '1.2.3-4-foo'],
    ['1.2.3-5-foo', '1.2.3-5'],
    ['1.2.3-5', '1.2.3-4'],
    ['1.2.3-5-foo', '1.2.3-5-Foo'],
    ['3.0.0', '2.7.2+asdf'],
    ['1.2.3-a.10', '1.2.3-a.5'],
    ['1.2.3-a.b', '1.2.3-a.5'],
    ['1.2.3-a.b', '1.2.3-a'],
    ['1.2.3-a.b.c.10.d.5', '1.2.3-a.b.c.5.d.100'],
    ['1.2.3-r2', '1.2.3-r100'],
    ['1.2.3-r100', '1.2.3-R2'],
    ['1.0.0', '=0.9.9'], // loose: a leading `=`
    ['1.2.3beta', '1.2.3alpha'], // loose: no `-` before the prerelease
  ])('%s > %s', (a, b) => {
    expect(compareSemver(a, b)).toBe(1);
    expect(compareSemver(b, a)).toBe(-1);
  });

  it.each([
    ['1.2.3', 'v1.2.3'],
    ['1.2.3', '=1.2.3'],
    ['1.2.3', 'v 1.2.3'],
    ['1.2.3', '= 1.2.3'],
    ['1.2.3', ' v1.2.3 '],
    ['1.2.3-0', 'v1.2.3-0'],
    ['1.2.3-beta', 'v1.2.3-beta'],
    ['1.2.3-beta+build', ' = 1.2.3-beta+otherbuild'],
    ['1.2.3+build', ' = 1.2.3+otherbuild'],
    ['01.2.3', '1.2.3'], // loose: leading zeros
    ['1.2.3-01', '1.2.3-1'],
  ])('%j == %j', (a, b) => {
    expect(compareSemver(a, b)).toBe(0);
  });

  it('sorts invalid strings first, never throwing', () => {
    expect(compareSemver('not a version', '0.0.0')).toBe(-1);
    expect(compareSemver('1.2', '1.2.3-alpha')).toBe(-1);
    expect(compareSemver('a', 'b')).toBe(-1);
    expect(compareSemver('1.2.3', 'x'.repeat(300))).toBe(1);
    expect(validSemver('1.2')).toBe(false);
    expect(validSemver(`1.2.${'9'.repeat(20)}`)).toBe(false); // beyond Number.MAX_SAFE_INTEGER
    expect(validSemver(`1.2.3-${'a'.repeat(300)}`)).toBe(false); // over node-semver's 256 characters
    expect(parseSemver('v1.2.3-alpha.7+b.1')).toEqual({ major: 1, minor: 2, patch: 3, prerelease: ['alpha', 7], build: ['b', '1'] });
    expect(semverComparator.scheme).toBe('semver');
  });
});

describe('semver: satisfies (npm ranges)', () => {
  it.each([
    ['1.2.3', '^1.0.0', true],
    ['2.0.0', '^1.0.0', false],
    ['1.2.3-beta.1', '^1.2.0', false], // prereleases only match ranges naming the same triple
    ['1.2.3-beta.2', '>=1.2.3-beta.1 <1.2.4', true],
    ['0.2.5', '~0.2.3', true],
    ['0.3.0', '~0.2.3', false],
    ['1.5.0', '1.x || >=2.5.0', true],
    ['2.4.0', '1.x || >=2.5.0', false],
    ['1.2.3', '1.2.3 - 2.3.4', true],
    ['v1.2.3', '>=1.2', true],
    ['=1.2.3', '1.2.3', true],
    ['not-a-version', '*', false],
    ['1.2.3', 'not a range', false],
    ['1.2.3', '>=1.0.0 <1.2.3', false],
  ])('%s in %j: %s', (v, range, want) => {
    expect(satisfies(v, range)).toBe(want);
  });
});
