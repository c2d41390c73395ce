/** Table tests of the nuget comparator, ported from NuGet.Client's NuGet.Versioning tests (no .NET oracle offline). */
import { describe, expect, it } from 'vitest';
import { compareNuGet, nugetComparator, parseNuGet, samples, validNuGet } from './index.js';

// Sources: NuGet/NuGet.Client test/NuGet.Core.Tests/NuGet.Versioning.Test/{VersionComparerTests,
// NuGetVersionTest,VersionParsingTests,SemVer201SpecTests}.cs. SemVer201SpecTests use the strict
// SemanticVersion parser; only the cases on which NuGetVersion.TryParse agrees are taken from it.

describe('nuget: parse', () => {
  it.each([
    ['1.0.0', [1, 0, 0, 0], [], ''],
    ['2.3-alpha', [2, 3, 0, 0], ['alpha'], ''],
    ['3.4.0.3-RC-3', [3, 4, 0, 3], ['RC-3'], ''],
    ['1.0.0-beta.x.y.5.79.0+aa', [1, 0, 0, 0], ['beta', 'x', 'y', '5', '79', '0'], 'aa'],
    ['1.0.0-beta.x.y.5.79.0+AA', [1, 0, 0, 0], ['beta', 'x', 'y', '5', '79', '0'], 'AA'],
    ['1.022', [1, 22, 0, 0], [], ''],
    ['23.2.3', [23, 2, 3, 0], [], ''],
    ['1.3.42.10133', [1, 3, 42, 10133], [], ''],
    ['1.022-Beta', [1, 22, 0, 0], ['Beta'], ''],
    ['1.3.42.200930-RC-2', [1, 3, 42, 200930], ['RC-2'], ''],
    ['  1.022-Beta', [1, 22, 0, 0], ['Beta'], ''],
    ['    1.3.42.10133-PreRelease  ', [1, 3, 42, 10133], ['PreRelease'], ''],
    ['1.0.0-RC.X.35.A.3455+Meta-A-B-C', [1, 0, 0, 0], ['RC', 'X', '35', 'A', '3455'], 'Meta-A-B-C'],
    ['1.0.0009.01-1.1+A', [1, 0, 9, 1], ['1', '1'], 'A'],
    ['2', [2, 0, 0, 0], [], ''],
    ['1.3.2-CTP-2-Refresh-Alpha', [1, 3, 2, 0], ['CTP-2-Refresh-Alpha'], ''],
  ] as const)('%j', (v, parts, labels, metadata) => {
    expect(parseNuGet(v)).toEqual({ parts, labels, metadata });
  });

  it.each([
    '1beta', '$version$', '1.2Av^c', '1.2..', '1.2.3.4.5', '1.2.3.Beta', '1.2.3.4This version is full of awesomeness!!',
    'So.is.this', '1.34.2Alpha', '1.34.2Release Candidate', '1.4.7-', '1.4.7-*', '1.4.7+*', '1.4.7-AA.01^',
    '1.4.7-AA.0A^', '1.4.7-A^A', '1.4.7+AA.01^', '', '-1.2.3', '1.-2.3', '1.2.-3', 'X.2.3', '1.2.Z',
    '0.1.2-Alpha..2', '0.1.2-Alpha.', '0.1.2-.AA', '0.1.2-', '0.1.2-alp=ha', '0.1.2-alp┐jj', '0.1.2-a&444',
    '0.1.2-02', '0.1.2-2.02', '0.1.2-2.A.02', '0.1.2-02.A', '0.1.2+ÄÄ', '0.1.2+22.2ÄÄ', '0.1.2+2+A',
    '0.1.2+02A.', '0.1.2+02..A', '0.1.2+', '2147483648.0', 'v1.0.0',
  ])('refuses %j', (v) => {
    expect(validNuGet(v)).toBe(false);
  });

  it.each([
    '1', '1.2', '1.2.3.4', '01.42.0', '01.0', '01.42.0-alpha.1', '01.42.0+metadata', '0.1.2-Alpha-2-5Bdd', '0.1.2--',
    '0.1.2--B-C-', '0.1.2--B2.-.C.-A0-', '0.1.2+NoReleaseLabel', '0.1.2-02A', '0.1.2-2.02B', '0.1.2-2.A.02-',
    '0.1.2-A02.A', '0.1.2+02A', '0.1.2+203-49244.23-3.34-4.0-.-.-', '0.1.2+-', '0.1.2----+----', '0.1.2+02.02-02',
    '0.1.2+000000', '0.1.2+A.-A-02A', '1.2. 3', '2147483647.0',
  ])('accepts %j', (v) => {
    expect(validNuGet(v)).toBe(true);
  });
});

describe('nuget: compare', () => {
  it.each([
    ['1.0.0', '1.0.0'],
    ['1.0.0-BETA', '1.0.0-beta'],
    ['1.0.0-BETA+AA', '1.0.0-beta+aa'],
    ['1.0.0-BETA.X.y.5.77.0+AA', '1.0.0-beta.x.y.5.77.0+aa'],
    ['1.0', '1.0.0.0'],
    ['1.23.01', '1.23.1'],
    ['1.45.6', '1.45.6.0'],
    ['1.45.6-Alpha', '1.45.6-Alpha'],
    ['1.6.2-BeTa', '1.6.02-beta'],
    ['22.3.07     ', '22.3.07'],
    ['1.2.3-a', '1.2.3-A'],
    ['1.2.3-A-b2-C', '1.2.3-a-B2-c'],
    ['2', '2.0.0.0'],
  ])('%j == %j', (a, b) => {
    expect(compareNuGet(a, b)).toBe(0);
    expect(compareNuGet(b, a)).toBe(0);
  });

  it.each([
    ['0.0.0', '1.0.0'],
    ['1.0.0', '1.1.0'],
    ['1.0.0', '1.0.1'],
    ['1.999.9999', '2.1.1'],
    ['1.0.0-BETA', '1.0.0-beta2'],
    ['1.0.0-beta+AA', '1.0.0+aa'],
    ['1.0.0-BETA', '1.0.0-beta.1+AA'],
    ['1.0.0-BETA.X.y.5.77.0+AA', '1.0.0-beta.x.y.5.79.0+aa'],
    ['1.0.0-BETA.X.y.5.79.0+AA', '1.0.0-beta.x.y.5.790.0+abc'],
    ['1.0', '1.0.1'],
    ['1.23', '1.231'],
    ['1.4.5.6', '1.45.6'],
    ['1.4.5.6', '1.4.5.60'],
    ['1.01', '1.10'],
    ['1.01-alpha', '1.10-beta'],
    ['1.01.0-RC-1', '1.10.0-rc-2'],
    ['1.01-RC-1', '1.01'],
    ['1.01', '1.2-preview'],
    ['1.2.3', '1.2.4'],
    ['9.9.9', '10.1.1'],
    ['1.2.3-alpha', '1.2.3'],
    ['1.2.3-2', '1.2.3-3'],
    ['1.2.3-1.9', '1.2.3-1.50'],
    ['1.2.3-2A', '1.2.3-3A'],
    ['1.2.3-1.50A', '1.2.3-1.9A'],
    ['1.2.3-999999', '1.2.3-Z'],
    ['1.2.3-A.999999', '1.2.3-A.56-2'],
    ['1.2.3-a', '1.2.3-a.2'],
    ['1.2.3-a.2.3.4', '1.2.3-a.2.3.4.5'],
    // Beyond the upstream tables: the fourth part, and int.TryParse rules for labels.
    ['1.0.0', '1.0.0.1'],
    ['1.0.0.1-alpha', '1.0.0.1'],
    ['1.0.0-2147483647', '1.0.0-2147483648'], // int32 overflow: the second label is alphanumeric
    ['1.0.0--1', '1.0.0-0'], // "-1" parses as the number -1
    ['1.0.0-a-', '1.0.0-a0'], // '-' < '0' < letters, after upper-casing
    ['garbage', '0.0.0'], // unparsable strings sort first
  ])('%j < %j', (a, b) => {
    expect(compareNuGet(a, b)).toBe(-1);
    expect(compareNuGet(b, a)).toBe(1);
  });

  it('is the comparator registered as nuget', () => {
    expect(nugetComparator.scheme).toBe('nuget');
    expect(samples.some((s) => !validNuGet(s))).toBe(true);
  });
});
