/** Table tests of the pep440 comparator: packaging's own sorted VERSIONS list and PEP 440 spelling normalisation. */
import { describe, expect, it } from 'vitest';
import { comparePep440, parsePep440, validPep440 } from './index.js';

// pypa/packaging tests/test_version.py VERSIONS: strictly ascending, without and with an epoch.
const BASE = [
  '1.0.dev456', '1.0a1', '1.0a2.dev456', '1.0a12.dev456', '1.0a12', '1.0b1.dev456', '1.0b2', '1.0b2.post345.dev456',
  '1.0b2.post345', '1.0b2-346', '1.0c1.dev456', '1.0c1', '1.0rc2', '1.0c3', '1.0', '1.0.post456.dev34', '1.0.post456',
  '1.1.dev1', '1.2+123abc', '1.2+123abc456', '1.2+abc', '1.2+abc123', '1.2+abc123def', '1.2+1234.abc', '1.2+123456',
  '1.2.r32+123456', '1.2.rev33+123456',
];
const VERSIONS = [...BASE, ...BASE.map((v) => `1!${v}`)];

describe('pep440: compare', () => {
  it('orders packaging’s VERSIONS list', () => {
    VERSIONS.forEach((a, i) => VERSIONS.forEach((b, j) => expect(comparePep440(a, b), `${a} vs ${b}`).toBe(Math.sign(i - j) || 0)));
  });

  it.each([
    ['1.0', '1.0.0'], ['1.0-alpha1', '1.0a1'], ['1.0.post', '1.0.post0'], ['1.0-1', '1.0.post1'], ['1.0.rev1', '1.0.post1'],
    ['1.0-pre.3', '1.0rc3'], ['1.0preview3', '1.0rc3'], ['1.0.DEV', '1.0.dev0'], ['v1.0', ' 1.0\n'], ['1.0+Ubuntu-1', '1.0+ubuntu.1'],
    ['1.0+01', '1.0+1'], ['0!1.0', '1.0'], ['1.0a.1', '1.0a1'], ['1.0_c_1', '1.0rc1'], ['01.02', '1.2'], ['1.0-dev-1', '1.0.dev1'],
  ])('%j == %j (normalised spellings)', (a, b) => {
    expect(comparePep440(a, b)).toBe(0);
  });

  it('compares numbers of any size', () => {
    expect(comparePep440('1.99999999999999999999', '1.100000000000000000000')).toBe(-1);
    expect(comparePep440('1.0+99999999999999999999', '1.0+100000000000000000000')).toBe(-1);
  });
});

describe('pep440: parse', () => {
  it.each(['1.0-', 'french toast', '1.0+', '1.0+_foo', '1..0', '1.0.post.post', '', '1.0+a+b', '1!', 'v', '1.0 dev', '1.0c1.rc1'])(
    'refuses %j',
    (v) => {
      expect(validPep440(v)).toBe(false);
      expect(comparePep440(v, '0')).toBe(-1);
    },
  );

  it('normalises the parts', () => {
    expect(parsePep440('1!2.03-ALPHA_4.r5-dev6+Ubuntu.07')).toEqual({
      epoch: '1', release: ['2', '3'], pre: { letter: 'a', n: '4' }, post: '5', dev: '6', local: ['ubuntu', 7n],
    });
  });
});
