/** Differential test: the maven comparator against Maven's own ComparableVersion (Debian libmaven3-core-java) on generated pairs. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareMaven } from '../../src/version/maven/index.js';
import { Disagreements, Gen, available, fuzzConfig, oraclesDir, pairsFrom, prng, runOracle } from './harness.js';

function findJar(): string | undefined {
  const dir = '/usr/share/java';
  if (!existsSync(dir)) return undefined;
  const names = readdirSync(dir);
  const pick = names.find((n) => n === 'maven3-artifact.jar') ?? names.find((n) => /^maven.*artifact.*\.jar$/.test(n));
  return pick && path.join(dir, pick);
}

const jar = findJar();
// javac when there is one (default-jdk-headless); otherwise Java 11+'s single-file source launch.
const hasJavac = available('javac', ['-version']);
const hasOracle = jar !== undefined && available('java', ['-version']);
if (!hasOracle) process.stderr.write('skipping maven differential test: needs java and /usr/share/java/maven3-artifact.jar (apt-get install default-jre-headless libmaven3-core-java)\n');

function version(g: Gen): string {
  const qualifier = () =>
    g.pick(['alpha', 'a', 'beta', 'b', 'milestone', 'm', 'rc', 'cr', 'snapshot', 'SNAPSHOT', 'ga', 'final', 'release', 'sp', 'GA', 'RC', 'abc', 'xyz', 'Final', 'redhat', '']);
  const token = () => {
    const r = g.rnd();
    if (r < 0.55) return g.num({ zeros: true, big: true });
    if (r < 0.8) return qualifier();
    if (r < 0.95) return qualifier() + g.num();
    return g.num() + qualifier();
  };
  let s = g.join(1, 5, token, ['.', '.', '-', '.', '-', '']);
  if (g.chance(0.05)) s = g.pick(['-', '.', '']) + s;
  if (g.chance(0.05)) s += g.pick(['-', '.', '..', '--']);
  if (g.chance(0.02)) s += g.pick(['\u0663', '\uff11', 'İ', 'ß']); // Unicode digits and case mappings
  return s;
}

describe.skipIf(!hasOracle)('maven vs ComparableVersion', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'shipshape-maven-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('agrees on the order of generated pairs (20,000 by default)', () => {
    const source = path.join(oraclesDir, 'MavenOracle.java');
    let command = ['-cp', jar!, source];
    if (hasJavac) {
      const c = spawnSync('javac', ['-cp', jar!, '-d', work, source], { encoding: 'utf8' });
      expect(c.status, c.stderr).toBe(0);
      command = ['-cp', `${work}:${jar!}`, 'MavenOracle'];
    }
    const cfg = fuzzConfig(3);
    const g = new Gen(prng(cfg.seed));
    const pool = Array.from({ length: cfg.pool }, () => (g.chance(0.1) ? g.soup('0123456789.-abcdefgilmnoprstAGR', 12) : version(g)));
    const pairs = pairsFrom(pool, cfg.pairs, g);
    const answers = runOracle('java', command, pairs);
    const d = new Disagreements();
    const outcomes = { '-1': 0, '0': 0, '1': 0 } as Record<string, number>;
    pairs.forEach(([a, b], i) => {
      const want = answers[i]!.split(' ')[0]!;
      outcomes[want]!++;
      const ours = compareMaven(a, b);
      if (ours !== Number(want)) d.add(`compare(${JSON.stringify(a)}, ${JSON.stringify(b)}): ours ${ours}, maven ${want}`);
    });
    expect(d.items, d.toString()).toEqual([]);
    expect(outcomes['-1']).toBeGreaterThan(3000);
    expect(outcomes['1']).toBeGreaterThan(3000);
    expect(outcomes['0']).toBeGreaterThan(500);
  });
});
