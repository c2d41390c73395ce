/** Table tests of the apk comparator: apk-tools' own test/version.data, plus rows on `~hash` and validity. */
import { describe, expect, it } from 'vitest';
import { apkComparator, compareApk, validApk } from './index.js';
import { APK_TOOLS_VERSION_DATA } from './version-data.js';

const OPS: Record<string, -1 | 0 | 1> = { '<': -1, '=': 0, '>': 1 };

function parseTable(text: string): Array<[string, string, -1 | 0 | 1]> {
  const rows: Array<[string, string, -1 | 0 | 1]> = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [a, op, b] = line.split(/\s+/);
    rows.push([a!, b!, OPS[op!]!]);
  }
  return rows;
}

describe('apk: apk-tools test/version.data', () => {
  const rows = parseTable(APK_TOOLS_VERSION_DATA);
  it('has the whole table', () => {
    expect(rows.length).toBeGreaterThan(700);
  });
  it.each(rows)('%s vs %s', (a, b, want) => {
    expect(compareApk(a, b)).toBe(want);
    expect(compareApk(b, a)).toBe(want === 0 ? 0 : -want);
  });
});

describe('apk: rules spelled out', () => {
  // Derived from apk-tools src/version.c token order: INITIAL_DIGIT < DIGIT < LETTER < SUFFIX <
  // SUFFIX_NO < COMMIT_HASH < REVISION_NO < END: the longer version wins unless a pre-release suffix follows.
  it.each([
    ['1.0', '1.0_alpha', 1],
    ['1.0_alpha', '1.0_beta', -1],
    ['1.0_beta', '1.0_pre', -1],
    ['1.0_pre', '1.0_rc', -1],
    ['1.0_rc', '1.0', -1],
    ['1.0', '1.0_cvs', -1],
    ['1.0_cvs', '1.0_svn', -1],
    ['1.0_svn', '1.0_git', -1],
    ['1.0_git', '1.0_hg', -1],
    ['1.0_hg', '1.0_p', -1],
    ['1.0_p1', '1.0_p1-r1', -1],
    ['1.0-r9', '1.0-r10', -1],
    ['1.0', '1.0-r0', -1],
    ['1.01', '1.1', -1], // leading zero: string order, "01" < "1"
    ['1.010', '1.01', 1],
    ['1.0', '1.00', -1],
    ['01', '1', 0], // the first component is always numeric
    ['1.99999999999999999999999', '1.100000000000000000000000', -1], // no overflow
    ['1.0a', '1.0b', -1],
    ['1.0a', '1.0', 1],
    ['1.0~abc', '1.0~abd', -1],
    ['1.0', '1.0~abc', -1],
    ['1.0~abc', '1.0~abc-r1', -1],
    ['1.0~abc', '1.0-r1', 1],
    ['1.0_rc1~abc', '1.0', -1],
    ['1.0~abc', '1.0~abc0', -1],
    ['1.0bc', '1.0b', -1], // invalid tail sorts before the end
    ['1.0bc', '1.0bd', 0], // both invalid at the same place: apk calls them equal
  ] as const)('%s vs %s = %i', (a, b, want) => {
    expect(compareApk(a, b)).toBe(want);
    expect(compareApk(b, a)).toBe(want === 0 ? 0 : -want);
  });

  it.each([
    ['1', true],
    ['1.2.3a_rc1_p2-r10', true],
    ['1.0~abc123-r1', true],
    ['1.0_alpha_pre2', true],
    ['0.1_pre20060810', true],
    ['', false],
    ['a1', false],
    ['1.', false],
    ['1..2', false],
    ['1.0-r', false],
    ['1.0-1', false],
    ['1.0-r1~abc', false],
    ['1.0~', false],
    ['1.0~ABC', false],
    ['1.0~abcg', false],
    ['1.0_foo', false],
    ['1.0_', false],
    ['1.0ab', false],
    ['1.0a1', false],
    ['1.0-r1-r2', false],
    ['1.0 ', false],
    ['1.0_constructor', false],
  ] as const)('valid(%j) = %s', (v, want) => {
    expect(validApk(v)).toBe(want);
  });

  it('is registered under the apk scheme', () => {
    expect(apkComparator.scheme).toBe('apk');
  });
});
