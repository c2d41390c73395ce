/** Table tests of the go comparator: x/mod/semver's own test table and Go toolchain versions as go/version orders them. */
import { describe, expect, it } from 'vitest';
import { compareGo, compareModuleVersions, toModuleVersion, validGo } from './index.js';

// golang.org/x/mod/semver/semver_test.go: `tests` is sorted ascending; entries with the same
// canonical form (out) are equal, and every invalid one (out "") equals the others.
const XMOD: [string, string][] = [
  ['bad', ''], ['v1-alpha.beta.gamma', ''], ['v1-pre', ''], ['v1+meta', ''], ['v1-pre+meta', ''], ['v1.2-pre', ''],
  ['v1.2+meta', ''], ['v1.2-pre+meta', ''], ['v1.0.0-alpha', 'v1.0.0-alpha'], ['v1.0.0-alpha.1', 'v1.0.0-alpha.1'],
  ['v1.0.0-alpha.beta', 'v1.0.0-alpha.beta'], ['v1.0.0-beta', 'v1.0.0-beta'], ['v1.0.0-beta.2', 'v1.0.0-beta.2'],
  ['v1.0.0-beta.11', 'v1.0.0-beta.11'], ['v1.0.0-rc.1', 'v1.0.0-rc.1'], ['v1', 'v1.0.0'], ['v1.0', 'v1.0.0'],
  ['v1.0.0', 'v1.0.0'], ['v1.2', 'v1.2.0'], ['v1.2.0', 'v1.2.0'], ['v1.2.3-456', 'v1.2.3-456'],
  ['v1.2.3-456.789', 'v1.2.3-456.789'], ['v1.2.3-456-789', 'v1.2.3-456-789'], ['v1.2.3-456a', 'v1.2.3-456a'],
  ['v1.2.3-pre', 'v1.2.3-pre'], ['v1.2.3-pre+meta', 'v1.2.3-pre'], ['v1.2.3-pre.1', 'v1.2.3-pre.1'],
  ['v1.2.3-zzz', 'v1.2.3-zzz'], ['v1.2.3', 'v1.2.3'], ['v1.2.3+meta', 'v1.2.3'], ['v1.2.3+meta-pre', 'v1.2.3'],
  ['v1.2.3+meta-pre.sha.256a', 'v1.2.3'],
];

describe('go: module versions (x/mod/semver)', () => {
  it('orders x/mod’s own table (TestCompare)', () => {
    XMOD.forEach(([a, outA], i) => {
      XMOD.forEach(([b, outB], j) => {
        const want = outA === outB ? 0 : i < j ? -1 : 1;
        expect(compareModuleVersions(a, b), `${a} vs ${b}`).toBe(want);
        expect(compareGo(a, b), `${a} vs ${b}`).toBe(want);
      });
      expect(validGo(a), a).toBe(outA !== '');
    });
  });

  it.each([
    ['v0.0.0-20191109021931-daa7c04131f5', 'v0.0.0'], // a pseudo-version before any tag
    ['v0.0.0-20191109021931-daa7c04131f5', 'v0.0.0-20200101000000-0123456789ab'],
    ['v1.2.3', 'v1.2.4-0.20191109021931-daa7c04131f5'], // a pseudo-version after v1.2.3
    ['v1.2.4-0.20191109021931-daa7c04131f5', 'v1.2.4'],
    ['v1.2.3-pre', 'v1.2.3-pre.0.20191109021931-daa7c04131f5'],
    ['v1.9.9', 'v2.0.0+incompatible'],
    ['v1.2.3-9', 'v1.2.3-10'],
    ['v1.2.3-99999999999999999998', 'v1.2.3-99999999999999999999'],
    ['v01.2.3', 'v0.0.0'], // invalid: leading zero
  ])('%s < %s', (a, b) => {
    expect(compareGo(a, b)).toBe(-1);
    expect(compareGo(b, a)).toBe(1);
  });

  it('reads OSV’s module versions, which lack the `v`, as the same versions', () => {
    expect(compareGo('v1.2.3', '1.2.3')).toBe(0);
    expect(compareGo('v0.0.0-20220314234659-1baeb1ce4c0b', '0.0.0-20220314234659-1baeb1ce4c0b')).toBe(0);
    expect(compareGo('v0.0.0-20220101000000-0123456789ab', '0.0.0-20220314234659-1baeb1ce4c0b')).toBe(-1);
    expect(compareGo('v2.3.0+incompatible', '2.4.0')).toBe(-1);
  });

  it('ignores +incompatible and other build metadata', () => {
    expect(compareGo('v2.0.0+incompatible', 'v2.0.0')).toBe(0);
  });
});

describe('go: toolchain versions (go/version, the standard library in OSV)', () => {
  // internal/gover's compareTests (Go 1.21+), with the `go` prefix also accepted.
  it.each([
    ['', '', 0], ['x', 'x', 0], ['', 'x', 0], ['1', '1.1', -1], ['1.5', '1.6', -1], ['1.5', '1.10', -1],
    ['1.6', '1.6.1', -1], ['1.19', '1.19.0', 0], ['1.19rc1', '1.19', -1], ['1.20', '1.20.0', 0],
    ['1.20rc1', '1.20', -1], ['1.21', '1.21.0', -1], ['1.21', '1.21rc1', -1], ['1.21rc1', '1.21.0', -1],
    ['1.6', '1.19', -1], ['1.19', '1.19.1', -1], ['1.19rc1', '1.19.1', -1], ['1.19rc1', '1.19rc2', -1],
    ['1.19.0', '1.19.1', -1], ['1.19rc1', '1.19.0', -1], ['1.19alpha3', '1.19beta2', -1],
    ['1.19beta2', '1.19rc1', -1], ['1.1', '1.99999999999999998', -1],
    ['1.99999999999999998', '1.99999999999999999', -1],
    ['go1.21.0', '1.21.0', 0], ['go1.20rc1', '1.20.0', -1], ['1.19.8', 'go1.20', -1],
    ['1.20.0-rc.1', '1.20rc1', 0], // OSV's semver spelling of the same prerelease
    ['1.20.0-rc.2', '1.20.0', -1],
  ] as const)('%j vs %j = %i', (a, b, want) => {
    expect(compareGo(a, b)).toBe(want);
    expect(compareGo(b, a)).toBe(-want || 0);
  });

  it('maps toolchain names onto module semver', () => {
    expect(toModuleVersion('go1.21.0')).toBe('v1.21.0');
    expect(toModuleVersion('1.20rc1')).toBe('v1.20.0-rc.1');
    expect(toModuleVersion('1.20')).toBe('v1.20.0');
    expect(toModuleVersion('1.21')).toBe('v1.21.0-0');
    expect(toModuleVersion('v1.21')).toBe('v1.21');
    expect(validGo('go1.21.0')).toBe(true);
    expect(validGo('1.21x')).toBe(false);
  });
});
