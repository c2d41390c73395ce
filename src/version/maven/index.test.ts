/** Table tests of the maven comparator, from Maven's ComparableVersionTest (checked against maven3-artifact 3.8.7). */
import { describe, expect, it } from 'vitest';
import { compareMaven, mavenComparator, validMaven } from './index.js';

// apache/maven maven-artifact/src/test/java/org/apache/maven/artifact/versioning/ComparableVersionTest.java
const VERSIONS_QUALIFIER = [
  '1-alpha2snapshot', '1-alpha2', '1-alpha-123', '1-beta-2', '1-beta123', '1-m2', '1-m11', '1-rc', '1-cr2', '1-rc123',
  '1-SNAPSHOT', '1', '1-sp', '1-sp2', '1-sp123', '1-abc', '1-def', '1-pom-1', '1-1-snapshot', '1-1', '1-2', '1-123',
];
const VERSIONS_NUMBER = [
  '2.0', '2.0.a', '2-1', '2.0.2', '2.0.123', '2.1.0', '2.1-a', '2.1b', '2.1-c', '2.1-1', '2.1.0.1', '2.2', '2.123',
  '11.a2', '11.a11', '11.b2', '11.b11', '11.m2', '11.m11', '11', '11.a', '11b', '11c', '11m',
];

function checkOrder(list: string[]): void {
  list.forEach((a, i) => list.forEach((b, j) => expect(compareMaven(a, b), `${a} vs ${b}`).toBe(Math.sign(i - j) || 0)));
}

describe('maven: compare', () => {
  it('orders VERSIONS_QUALIFIER', () => checkOrder(VERSIONS_QUALIFIER));
  it('orders VERSIONS_NUMBER', () => checkOrder(VERSIONS_NUMBER));

  it.each([
    ['1', '1'], ['1', '1.0'], ['1', '1.0.0'], ['1.0', '1.0.0'], ['1', '1-0'], ['1', '1.0-0'], ['1.0', '1.0-0'],
    ['1a', '1-a'], ['1a', '1.0-a'], ['1a', '1.0.0-a'], ['1.0a', '1-a'], ['1.0.0a', '1-a'], ['1x', '1-x'],
    ['1x', '1.0-x'], ['1x', '1.0.0-x'], ['1.0x', '1-x'], ['1.0.0x', '1-x'],
    ['1ga', '1'], ['1release', '1'], ['1final', '1'], ['1cr', '1rc'],
    ['1a1', '1-alpha-1'], ['1b2', '1-beta-2'], ['1m3', '1-milestone-3'],
    ['1X', '1x'], ['1A', '1a'], ['1B', '1b'], ['1M', '1m'], ['1Ga', '1'], ['1GA', '1'], ['1RELEASE', '1'],
    ['1release', '1'], ['1RELeaSE', '1'], ['1Final', '1'], ['1FinaL', '1'], ['1FINAL', '1'], ['1Cr', '1Rc'],
    ['1cR', '1rC'], ['1m3', '1Milestone3'], ['1m3', '1MileStone3'], ['1m3', '1MILESTONE3'],
    // MNG-6572, MNG-7644: leading zeros and .X treated as -X
    ['1-0.20', '1-0.020'], ['2-abc', '2.0.abc'], ['2-abc', '2.0.0.abc'], ['2.0.abc', '2.0.0.abc'],
  ])('%s == %s', (a, b) => {
    expect(compareMaven(a, b)).toBe(0);
    expect(compareMaven(b, a)).toBe(0);
  });

  it.each([
    ['1.0.0.rc1', '1.0.0-rc2'], // MNG-7644
    ['1.0.0.abc1', '1.0.0-abc2'],
    ['1-0.9', '1-0.10'], // numbers compare by value, any size
    ['1.99999999999999999999', '1.100000000000000000000'],
    ['1.2147483647', '1.2147483648'],
    ['1.0-snapshot', '1.0'],
    ['1.0', '1.0-sp'],
    ['1.0-sp', '1.0-xyz'], // unknown qualifiers after known ones
    ['1.0-xyz', '1.0.1'],
  ])('%s < %s', (a, b) => {
    expect(compareMaven(a, b)).toBe(-1);
    expect(compareMaven(b, a)).toBe(1);
  });

  it('reads any string, Unicode digits included, without throwing', () => {
    expect(compareMaven('1.\u0663', '1.3')).toBe(0); // ARABIC-INDIC DIGIT THREE, as Character.isDigit reads it
    expect(compareMaven('', '0')).toBe(0);
    expect(validMaven('')).toBe(false);
    expect(validMaven('anything-goes')).toBe(true);
    expect(mavenComparator.scheme).toBe('maven');
  });
});
