/** Differential tests: the semver (npm) and cargo comparators against node-semver, npm's own implementation, on generated pairs. */
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { compareCargo, validCargo } from '../../src/version/cargo/index.js';
import { compareSemver, validSemver } from '../../src/version/semver/index.js';
import { Disagreements, Gen, fuzzConfig, pairsFrom, prng } from './harness.js';

function version(g: Gen, strict: boolean): string {
  const wild = g.chance(0.25);
  const ident = () =>
    g.chance(0.5)
      ? g.num({ zeros: wild, big: !strict && wild })
      : g.pick(['alpha', 'beta', 'rc', 'Alpha', 'pre', 'x-y', '-', '0a', 'a0', '--', '1-1', 'ALPHA', 'z']);
  let s = '';
  if (wild) s += g.pick(['v', '=', ' ', 'v ', '=v', ' =', 'V', '\t', '']);
  else if (!strict && g.chance(0.1)) s += g.pick(['v', '=']);
  s += [g.num({ zeros: wild, big: wild && !strict }), g.num({ zeros: wild }), g.num({ zeros: wild })].join('.');
  if (wild && g.chance(0.1)) s = s.replace(/\.[0-9]+$/, g.pick(['', '.1.2', '.x']));
  if (g.chance(0.45)) s += (wild && !strict && g.chance(0.3) ? '' : '-') + g.join(1, 3, ident, wild && g.chance(0.1) ? ['..'] : ['.']);
  if (g.chance(0.15)) s += '+' + g.join(1, 2, () => g.pick(['build', '001', 'sha-1', 'x']), ['.']);
  if (wild && g.chance(0.15)) s += g.pick([' ', '.', '-', '+', '\n']);
  return s;
}

function tally(outcomes: Record<string, number>, want: number): void {
  outcomes[String(want)] = (outcomes[String(want)] ?? 0) + 1;
}

describe('semver vs node-semver (loose)', () => {
  it('agrees on validity and order of generated pairs (30,000 by default)', () => {
    const cfg = fuzzConfig(11, 30_000);
    const g = new Gen(prng(cfg.seed));
    const pool = Array.from({ length: cfg.pool }, () => (g.chance(0.1) ? g.soup('0123456789.-+vV= abrx', 14) : version(g, false)));
    const d = new Disagreements();
    const outcomes: Record<string, number> = {};
    for (const [a, b] of pairsFrom(pool, cfg.pairs, g)) {
      for (const v of [a, b]) {
        const want = semver.valid(v, true) !== null;
        if (validSemver(v) !== want) d.add(`valid(${JSON.stringify(v)}): ours ${validSemver(v)}, node-semver ${want}`);
      }
      if (semver.valid(a, true) === null || semver.valid(b, true) === null) continue;
      const want = semver.compare(a, b, true);
      tally(outcomes, want);
      const ours = compareSemver(a, b);
      if (ours !== want) d.add(`compare(${JSON.stringify(a)}, ${JSON.stringify(b)}): ours ${ours}, node-semver ${want}`);
    }
    expect(d.items, d.toString()).toEqual([]);
    expect((outcomes['-1'] ?? 0) + (outcomes['0'] ?? 0) + (outcomes['1'] ?? 0)).toBeGreaterThan(10_000);
    expect(outcomes['0']).toBeGreaterThan(500);
  });
});

describe('cargo vs node-semver (strict SemVer 2.0)', () => {
  it('agrees on validity and order of generated pairs (30,000 by default)', () => {
    const cfg = fuzzConfig(12, 30_000);
    const g = new Gen(prng(cfg.seed));
    const pool = Array.from({ length: cfg.pool }, () => (g.chance(0.1) ? g.soup('0123456789.-+vabrx', 14) : version(g, true)));
    const d = new Disagreements();
    const outcomes: Record<string, number> = {};
    // node-semver also trims blanks and takes a leading `v`, which the semver crate refuses;
    // every number here is below 2^53, where node-semver's float arithmetic is exact.
    const strictValid = (v: string) => semver.valid(v) !== null && v === v.trim() && !/^[vV=]/.test(v);
    for (const [a, b] of pairsFrom(pool, cfg.pairs, g)) {
      for (const v of [a, b]) {
        if (validCargo(v) !== strictValid(v)) d.add(`valid(${JSON.stringify(v)}): ours ${validCargo(v)}, node-semver ${strictValid(v)}`);
      }
      if (!strictValid(a) || !strictValid(b)) continue;
      const want = semver.compare(a, b);
      tally(outcomes, want);
      const ours = compareCargo(a, b);
      if (ours !== want) d.add(`compare(${JSON.stringify(a)}, ${JSON.stringify(b)}): ours ${ours}, node-semver ${want}`);
    }
    expect(d.items, d.toString()).toEqual([]);
    expect((outcomes['-1'] ?? 0) + (outcomes['0'] ?? 0) + (outcomes['1'] ?? 0)).toBeGreaterThan(10_000);
    expect(outcomes['0']).toBeGreaterThan(500);
  });
});
