/** Differential test: the gem comparator against Ruby's own Gem::Version on generated pairs. */
import { describe, expect, it } from 'vitest';
import { compareGem, validGem } from '../../src/version/gem/index.js';
import { Disagreements, Gen, available, fuzzConfig, oraclesDir, pairsFrom, prng, runOracle } from './harness.js';
import path from 'node:path';

const hasOracle = available('ruby', ['-e', 'require "rubygems"']);
if (!hasOracle) process.stderr.write('skipping gem differential test: ruby is absent (apt-get install ruby)\n');

function version(g: Gen): string {
  let s = '';
  if (g.chance(0.04)) s += g.pick([' ', '\t', '\n']);
  if (g.chance(0.03)) return s + g.pick(['', ' ']);
  s += g.num({ zeros: true, big: true });
  const n = g.int(4);
  for (let i = 0; i < n; i++) {
    s += '.';
    const r = g.rnd();
    if (r < 0.6) s += g.num({ zeros: true });
    else if (r < 0.85) s += g.pick(['a', 'b', 'pre', 'rc', 'beta', 'alpha', 'A', 'RC', 'z']);
    else s += g.pick(['rc', 'a', 'b', 'beta']) + g.num() + (g.chance(0.3) ? g.pick(['a', 'x']) : '');
  }
  if (g.chance(0.2)) s += '-' + g.join(1, 3, () => g.pick(['pre', 'rc1', 'beta', '1', '0', 'a-b', 'x2y']), ['.']);
  if (g.chance(0.05)) s += g.pick([' ', '\n', '\t ']);
  if (g.chance(0.08)) {
    const i = g.int(s.length + 1);
    s = s.slice(0, i) + g.pick(['.', '-', '_', '+', '..', 'x', ' ', '']) + s.slice(i);
  }
  return s;
}

describe.skipIf(!hasOracle)('gem vs Gem::Version', () => {
  it('agrees on validity and order of generated pairs (20,000 by default)', () => {
    const cfg = fuzzConfig(7);
    const g = new Gen(prng(cfg.seed));
    const pool = Array.from({ length: cfg.pool }, () => (g.chance(0.1) ? g.soup('0123456789.-abprAZ \n', 12) : version(g)));
    const pairs = pairsFrom(pool, cfg.pairs, g);
    const answers = runOracle('ruby', [path.join(oraclesDir, 'gem.rb')], pairs);
    const d = new Disagreements();
    const outcomes = { '-1': 0, '0': 0, '1': 0 } as Record<string, number>;
    pairs.forEach(([a, b], i) => {
      const [c, va, vb] = answers[i]!.split(' ');
      if (validGem(a) !== (va === '1')) d.add(`valid(${JSON.stringify(a)}): ours ${validGem(a)}, ruby ${va}`);
      if (validGem(b) !== (vb === '1')) d.add(`valid(${JSON.stringify(b)}): ours ${validGem(b)}, ruby ${vb}`);
      if (c !== 'x') {
        outcomes[c!]!++;
        const ours = compareGem(a, b);
        if (ours !== Number(c)) d.add(`compare(${JSON.stringify(a)}, ${JSON.stringify(b)}): ours ${ours}, ruby ${c}`);
      }
    });
    expect(d.items, d.toString()).toEqual([]);
    expect(outcomes['-1']! + outcomes['0']! + outcomes['1']!).toBeGreaterThan(10_000);
    expect(outcomes['0']).toBeGreaterThan(500);
  });
});
