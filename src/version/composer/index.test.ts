/** Table tests of the composer comparator: composer/semver's VersionParserTest normalisations and PHP version_compare cases. */
import { describe, expect, it } from 'vitest';
import { compareComposer, composerComparator, normalizeComposer, phpVersionCompare } from './index.js';

// composer/semver tests/VersionParserTest.php (successfulNormalizedVersions, failingNormalizedVersions),
// as composer/semver 3.3 (Debian php-composer-semver) answers them: dev-master stays dev-master.
describe('composer: normalize', () => {
  it.each([
    ['1.0.0', '1.0.0.0'], ['1.2.3.4', '1.2.3.4'], ['1.0.0RC1dev', '1.0.0.0-RC1-dev'], ['1.0.0-rC15-dev', '1.0.0.0-RC15-dev'],
    ['1.0.0.RC.15-dev', '1.0.0.0-RC15-dev'], ['1.0.0-rc1', '1.0.0.0-RC1'], ['1.0.0.pl3-dev', '1.0.0.0-patch3-dev'],
    ['1.0-dev', '1.0.0.0-dev'], ['0', '0.0.0.0'], ['10.4.13-beta', '10.4.13.0-beta'], ['10.4.13beta2', '10.4.13.0-beta2'],
    ['10.4.13beta.2', '10.4.13.0-beta2'], ['10.4.13-b', '10.4.13.0-beta'], ['10.4.13-b5', '10.4.13.0-beta5'],
    ['v1.0.0', '1.0.0.0'], ['2010.01', '2010.01.0.0'], ['2010.01.02', '2010.01.02.0'], ['2010.1.555', '2010.1.555.0'],
    ['2010.10.200', '2010.10.200.0'], ['v20100102', '20100102'], ['2010-01-02', '2010.01.02'], ['2010-01-02.5', '2010.01.02.5'],
    ['20100102-203040', '20100102.203040'], ['20100102203040-10', '20100102203040.10'],
    ['20100102-203040-p1', '20100102.203040-patch1'], ['dev-master', 'dev-master'], ['dev-trunk', 'dev-trunk'],
    ['1.x-dev', '1.9999999.9999999.9999999-dev'], ['dev-feature-foo', 'dev-feature-foo'], ['DEV-FOOBAR', 'dev-FOOBAR'],
    ['dev-feature/foo', 'dev-feature/foo'], ['dev-feature+issue-1', 'dev-feature+issue-1'], ['dev-master as 1.0.0', 'dev-master'],
    ['1.0.0-beta.5+foo', '1.0.0.0-beta5'], ['1.0.0+foo', '1.0.0.0'], ['1.0.0-alpha.3.1+foo', '1.0.0.0-alpha3.1'],
    ['1.0.0-alpha2.1+foo', '1.0.0.0-alpha2.1'], ['1.0.0-alpha-2.1-3+foo', '1.0.0.0-alpha2.1-3'], ['1.0.0+foo as 2.0', '1.0.0.0'],
    ['master', 'dev-master'], ['1.0@dev', '1.0.0.0'], ['1.0.0-stable', '1.0.0.0'], ['1.0.0-STABLE', '1.0.0.0-stable'],
    ['v1.x-dev', '1.9999999.9999999.9999999-dev'], ['2.0.*-dev', '2.0.9999999.9999999-dev'], ['123456', '123456'],
  ])('%j => %j', (v, want) => {
    expect(normalizeComposer(v)).toBe(want);
  });

  it.each(['', 'a', '1.0.0-meh', '1.0.0.0.0', 'feature-foo', '1.0.0+foo bar', '1.0-dev-dev', '20150920.0.0'])('refuses %j', (v) => {
    expect(normalizeComposer(v)).toBeUndefined();
  });
});

describe('composer: compare', () => {
  it.each([
    ['1.0.0.0-dev', '1.0.0.0-alpha1', -1], ['1.0.0.0-alpha1', '1.0.0.0-beta1', -1], ['1.0.0.0-beta1', '1.0.0.0-RC1', -1],
    ['1.0.0.0-RC1', '1.0.0.0', -1], ['1.0.0.0', '1.0.0.0-patch1', -1], ['1.0.0.0-patch1', '1.0.0.1', -1],
    ['1.0.0.0-beta2', '1.0.0.0-beta10', -1], ['1.0.9999999.9999999-dev', '1.1.0.0', -1], ['1.0.0.0-stable', '1.0.0.0-dev', -1],
    ['1.0.0.0-RC1-dev', '1.0.0.0-RC1', -1], ['dev-foo', '0.0.0.0', -1], ['1.0', '1.0.0', -1], ['1.0.0.0-beta1.2', '1.0.0.0-beta1-2', 0],
    ['1.0.0.0', '1.0.0.0', 0], ['', '', 0], ['', '1', -1], ['1.99999999999999999999', '1.99999999999999999998', 0], // strtol saturates
  ] as const)('version_compare(%j, %j) = %i', (a, b, want) => {
    expect(phpVersionCompare(a, b)).toBe(want);
    expect(phpVersionCompare(b, a)).toBe(-want || 0);
  });

  it.each([
    ['1.0.0-dev', '1.0.0-alpha'], ['1.0.0-alpha', '1.0.0-beta2'], ['1.0.0-beta2', '1.0.0-beta10'], ['1.0.0-RC1', '1.0.0'],
    ['1.0.0', '1.0.0-patch1'], ['1.0.0-pl1', '1.0.1'], ['1.0.x-dev', '1.1.0'], ['9.9.9', 'dev-master'], ['dev-feature', '0.0.1'],
    ['dev-a', 'dev-b'], // incomparable for Composer; ordered by name here
    ['garbage here', 'dev-feature'],
  ])('%j < %j', (a, b) => {
    expect(compareComposer(a, b)).toBe(-1);
    expect(compareComposer(b, a)).toBe(1);
  });

  it.each([['1.0', 'v1.0.0.0'], ['1.0.0+build', '1.0.0'], ['master', 'dev-master'], ['1.0.0@beta', '1.0.0'], ['dev-trunk', 'dev-master']])(
    '%j == %j',
    (a, b) => {
      expect(compareComposer(a, b)).toBe(0);
    },
  );

  it('is registered as composer', () => expect(composerComparator.scheme).toBe('composer'));
});
