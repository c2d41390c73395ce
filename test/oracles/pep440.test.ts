/** Differential test: the pep440 comparator against Python's `packaging` (packaging.version.Version) on generated pairs. */
import { describe, expect, it } from 'vitest';
import { comparePep440, validPep440 } from '../../src/version/pep440/index.js';
import { Disagreements, Gen, available, fuzzConfig, oraclesDir, pairsFrom, prng, runOracle } from './harness.js';
import path from 'node:path';

const hasOracle = available('python3', ['-c', 'import packaging.version']);
if (!hasOracle) process.stderr.write('skipping pep440 differential test: python3 with `packaging` is absent (apt-get install python3-packaging)\n');

function version(g: Gen): string {
  const sep = () => g.pick(['', '', '.', '-', '_']);
  let s = '';
  if (g.chance(0.05)) s += g.pick([' ', '\t', '\n ']);
  if (g.chance(0.1)) s += g.pick(['v', 'V']);
  if (g.chance(0.08)) s += `${g.num({ zeros: true })}!`;
  s += g.join(1, 4, () => g.num({ zeros: true, big: true }), ['.']);
  if (g.chance(0.4)) {
    s += sep() + g.pick(['a', 'alpha', 'b', 'beta', 'c', 'rc', 'pre', 'preview', 'RC', 'Alpha', 'B']) + sep();
    if (g.chance(0.8)) s += g.num({ zeros: true });
  }
  if (g.chance(0.3)) {
    if (g.chance(0.3)) s += `-${g.num()}`;
    else s += sep() + g.pick(['post', 'rev', 'r', 'POST', 'Rev']) + sep() + (g.chance(0.7) ? g.num({ zeros: true }) : '');
  }
  if (g.chance(0.3)) s += sep() + g.pick(['dev', 'DEV', 'Dev']) + sep() + (g.chance(0.7) ? g.num({ zeros: true }) : '');
  if (g.chance(0.2)) {
    s += '+' + g.join(1, 4, () => (g.chance(0.5) ? g.num({ zeros: true }) : g.pick(['ubuntu', 'abc', 'ABC', 'deb', 'z', 'a1', '1a', 'x'])), ['.', '-', '_']);
  }
  if (g.chance(0.05)) s += g.pick([' ', '\r\n', '\t']);
  if (g.chance(0.08)) {
    // Mutations that are usually invalid: doubled or stray separators, junk letters.
    const i = g.int(s.length + 1);
    s = s.slice(0, i) + g.pick(['.', '-', '_', '+', '!', 'x', 'q', ' ', '..', '']) + s.slice(i);
  }
  return s;
}

describe.skipIf(!hasOracle)('pep440 vs packaging', () => {
  it('agrees on validity and order of generated pairs (20,000 by default)', () => {
    const cfg = fuzzConfig(440);
    const g = new Gen(prng(cfg.seed));
    const pool = Array.from({ length: cfg.pool }, () => (g.chance(0.1) ? g.soup('0123456789.-_+!vVabcdeilnoprstvwABCDEPRV ', 14) : version(g)));
    const pairs = pairsFrom(pool, cfg.pairs, g);
    const answers = runOracle('python3', [path.join(oraclesDir, 'pep440.py')], pairs);
    const d = new Disagreements();
    const outcomes = { '-1': 0, '0': 0, '1': 0 } as Record<string, number>;
    pairs.forEach(([a, b], i) => {
      const [c, va, vb] = answers[i]!.split(' ');
      if (validPep440(a) !== (va === '1')) d.add(`valid(${JSON.stringify(a)}): ours ${validPep440(a)}, packaging ${va}`);
      if (validPep440(b) !== (vb === '1')) d.add(`valid(${JSON.stringify(b)}): ours ${validPep440(b)}, packaging ${vb}`);
      if (c !== 'x') {
        outcomes[c!]!++;
        const ours = comparePep440(a, b);
        if (ours !== Number(c)) d.add(`compare(${JSON.stringify(a)}, ${JSON.stringify(b)}): ours ${ours}, packaging ${c}`);
      }
    });
    expect(d.items, d.toString()).toEqual([]);
    // The pairs must exercise every outcome, not just invalid strings.
    expect(outcomes['-1']! + outcomes['0']! + outcomes['1']!).toBeGreaterThan(10_000);
    expect(outcomes['0']).toBeGreaterThan(500);
  });
});
