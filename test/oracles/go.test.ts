/** Differential test: the go comparator against golang.org/x/mod/semver (Debian golang-golang-x-mod-dev, built offline) on generated pairs. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareGo, compareModuleVersions, parseModuleVersion, validGo } from '../../src/version/go/index.js';
import { Disagreements, Gen, available, fuzzConfig, oraclesDir, pairsFrom, prng, runOracle } from './harness.js';

const GOPATH = '/usr/share/gocode';
const hasOracle = available('go', ['version']) && existsSync(path.join(GOPATH, 'src/golang.org/x/mod/semver/semver.go'));
if (!hasOracle) process.stderr.write('skipping go differential test: needs go and x/mod sources (apt-get install golang-go golang-golang-x-mod-dev)\n');

function version(g: Gen): string {
  // Four in five are well-formed (so that orders get compared), the rest break a rule.
  const wild = g.chance(0.2);
  const zeros = wild;
  const ident = () =>
    g.chance(0.5) ? g.num({ zeros, big: true }) : g.pick(['alpha', 'beta', 'rc', 'pre', 'Beta', 'x-y', '-', '0a', 'a0', '20191109021931-daa7c04131f5', '20200101000000-0123456789ab']);
  const r = g.rnd();
  let s = wild ? g.pick(['v', 'V', '', 'vv']) : 'v';
  if (r < 0.1) {
    // pseudo-versions, in their three shapes
    const ts = `20${g.int(3)}${g.int(10)}0${1 + g.int(9)}1${g.int(10)}0${g.int(10)}${g.int(6)}${g.int(10)}0${g.int(10)}`;
    const hash = g.pick(['daa7c04131f5', '0123456789ab', 'abcdef012345']);
    s += g.pick([`0.0.0-${ts}-${hash}`, `1.2.4-0.${ts}-${hash}`, `1.2.3-pre.0.${ts}-${hash}`]);
  } else {
    s += g.num({ zeros, big: true });
    if (g.chance(0.85)) s += `.${g.num({ zeros })}`;
    if (g.chance(0.8)) s += `.${g.num({ zeros })}`;
    if (g.chance(0.4)) s += '-' + g.join(1, 3, ident, wild ? ['.', '..'] : ['.']);
  }
  if (g.chance(0.15)) s += '+' + g.pick(['incompatible', 'meta', 'build.1', '001', ...(wild ? ['a..b', '', '_'] : [])]);
  if (wild && g.chance(0.2)) s += g.pick([' ', '.', '-', '+']);
  return s;
}

describe.skipIf(!hasOracle)('go vs golang.org/x/mod/semver', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'shipshape-go-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('agrees on validity and order of generated pairs (30,000 by default)', () => {
    // GOPATH mode against Debian's x/mod sources: no module download, no network.
    const env = { ...process.env, GO111MODULE: 'off', GOPATH, GOCACHE: path.join(work, 'cache'), GOFLAGS: '', GOPROXY: 'off' };
    const bin = path.join(work, 'oracle');
    const b = spawnSync('go', ['build', '-o', bin, path.join(oraclesDir, 'go', 'main.go')], { encoding: 'utf8', env, cwd: work });
    expect(b.status, b.stderr).toBe(0);
    const cfg = fuzzConfig(1, 30_000);
    const g = new Gen(prng(cfg.seed));
    const pool = Array.from({ length: cfg.pool }, () => (g.chance(0.1) ? g.soup('v0123456789.-+abinrcV', 14) : version(g)));
    const pairs = pairsFrom(pool, cfg.pairs, g);
    const answers = runOracle(bin, [], pairs);
    const d = new Disagreements();
    const outcomes = { '-1': 0, '0': 0, '1': 0 } as Record<string, number>;
    pairs.forEach(([a, b], i) => {
      const [c, va, vb] = answers[i]!.split(' ');
      const validA = parseModuleVersion(a) !== undefined;
      const validB = parseModuleVersion(b) !== undefined;
      if (validA !== (va === '1')) d.add(`IsValid(${JSON.stringify(a)}): ours ${validA}, x/mod ${va}`);
      if (validB !== (vb === '1')) d.add(`IsValid(${JSON.stringify(b)}): ours ${validB}, x/mod ${vb}`);
      const ours = compareModuleVersions(a, b);
      if (ours !== Number(c)) d.add(`Compare(${JSON.stringify(a)}, ${JSON.stringify(b)}): ours ${ours}, x/mod ${c}`);
      // With the `v`, the comparator is x/mod itself; strings without it are read as toolchain versions.
      if (a.startsWith('v') && b.startsWith('v') && compareGo(a, b) !== Number(c)) d.add(`compareGo(${a}, ${b}) differs from x/mod`);
      if (a.startsWith('v') && validGo(a) !== (va === '1')) d.add(`validGo(${a}) differs from x/mod`);
      if (va === '1' && vb === '1') outcomes[c!]!++;
    });
    expect(d.items, d.toString()).toEqual([]);
    expect(outcomes['-1']! + outcomes['0']! + outcomes['1']!).toBeGreaterThan(10_000);
    expect(outcomes['0']).toBeGreaterThan(500);
  });
});
