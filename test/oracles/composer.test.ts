/** Differential test: the composer comparator against Composer\Semver (Debian php-composer-semver) and PHP's version_compare on generated pairs. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareComposer, normalizeComposer, phpVersionCompare } from '../../src/version/composer/index.js';
import { Disagreements, Gen, available, fuzzConfig, oraclesDir, pairsFrom, prng, runOracle } from './harness.js';

const hasOracle = available('php', ['-v']) && existsSync('/usr/share/php/Composer/Semver/VersionParser.php');
if (!hasOracle) process.stderr.write('skipping composer differential test: needs php and Composer\\Semver (apt-get install php-cli php-composer-semver)\n');

function version(g: Gen): string {
  const wild = g.chance(0.2);
  const r = g.rnd();
  let s = '';
  if (g.chance(0.05)) s += g.pick([' ', '\t']);
  if (r < 0.08) {
    s += g.pick(['dev-master', 'master', 'trunk', 'default', 'dev-trunk', 'dev-feature/x', 'DEV-Foo', 'dev-1.0', 'feature-dev', 'foo']);
  } else if (r < 0.14) {
    // date and datetime versions
    s += `20${g.int(3)}${g.int(10)}` + g.pick(['', '.', '-', ':']) + `0${1 + g.int(9)}` + g.pick(['', '.', '-']) + `${1 + g.int(2)}${g.int(10)}`;
    if (g.chance(0.4)) s += g.pick(['', '.', '-']) + `${g.int(24)}`.padStart(2, '0') + `${g.int(60)}`.padStart(2, '0');
  } else if (r < 0.2) {
    // numeric dev branches
    s += g.pick(['', 'v']) + g.join(1, 4, () => g.pick([g.num(), 'x', 'X', '*']), ['.']) + g.pick(['-dev', '.x-dev', 'dev', '.dev']);
  } else {
    s += g.pick(['', '', '', 'v', 'V']) + g.join(1, 4, () => g.num({ zeros: wild, big: wild }), ['.']);
    if (g.chance(0.45)) {
      s += g.pick(['', '-', '.', '_']) + g.pick(['alpha', 'a', 'beta', 'b', 'RC', 'rc', 'patch', 'pl', 'p', 'stable', 'Beta', 'ALPHA', 'STABLE']);
      if (g.chance(0.7)) s += g.join(1, 2, () => g.pick(['', '.', '-']) + g.num(), ['']);
    }
    if (g.chance(0.15)) s += g.pick(['-dev', '.dev', 'dev', '-DEV']);
    if (g.chance(0.08)) s += '+' + g.pick(['build', '20200101', 'sha.abc']);
    if (g.chance(0.05)) s += g.pick(['@dev', '@stable', '@RC', '@beta']);
    if (g.chance(0.03)) s += ` as ${g.num()}.0`;
  }
  if (wild && g.chance(0.3)) {
    const i = g.int(s.length + 1);
    s = s.slice(0, i) + g.pick(['.', '-', '_', '+', 'x', ' ', '..', '#', '']) + s.slice(i);
  }
  return s;
}

describe.skipIf(!hasOracle)('composer vs Composer\\Semver', () => {
  it('agrees on normalisation and order of generated pairs (20,000 by default)', () => {
    const cfg = fuzzConfig(5);
    const g = new Gen(prng(cfg.seed));
    const pool = Array.from({ length: cfg.pool }, () => (g.chance(0.1) ? g.soup('0123456789.-_+@vVabdeilprsctxX* ', 14) : version(g)));
    const pairs = pairsFrom(pool, cfg.pairs, g);
    const answers = runOracle('php', [path.join(oraclesDir, 'composer.php')], pairs);
    const d = new Disagreements();
    const outcomes = { '-1': 0, '0': 0, '1': 0 } as Record<string, number>;
    pairs.forEach(([a, b], i) => {
      const f = answers[i]!.split(' ');
      const na = normalizeComposer(a);
      const nb = normalizeComposer(b);
      if (f[0] === 'x') {
        if ((na !== undefined) !== (f[1] === '1')) d.add(`normalize(${JSON.stringify(a)}): ours ${na}, composer valid=${f[1]}`);
        if ((nb !== undefined) !== (f[2] === '1')) d.add(`normalize(${JSON.stringify(b)}): ours ${nb}, composer valid=${f[2]}`);
        return;
      }
      const [same, ltAB, ltBA, vc, nHex] = f;
      const theirs = Buffer.from(nHex!, 'hex').toString('utf8');
      const ours = na === undefined ? undefined : na.replace(/^dev-(master|default|trunk)$/, '9999999-dev');
      if (ours !== theirs) d.add(`normalize(${JSON.stringify(a)}): ours ${na}, composer ${theirs}`);
      const c = compareComposer(a, b);
      // Semver::sort: identical normalised strings are equal, else lessThan decides.
      const bothBranches = theirs.startsWith('dev-') && (nb ?? '').startsWith('dev-');
      let want: number;
      if (same === '1') want = 0;
      else if (bothBranches) return; // incomparable for Composer; ours orders them by name
      else want = ltAB === '1' ? -1 : ltBA === '1' ? 1 : 0;
      outcomes[String(want)]!++;
      if (c !== want) d.add(`compare(${JSON.stringify(a)}, ${JSON.stringify(b)}): ours ${c}, composer ${want} (lt ${ltAB}/${ltBA})`);
      const pvc = phpVersionCompare(theirs, nb!.replace(/^dev-(master|default|trunk)$/, '9999999-dev'));
      if (pvc !== Number(vc)) d.add(`version_compare(${theirs}, ${nb}): ours ${pvc}, php ${vc}`);
    });
    expect(d.items, d.toString()).toEqual([]);
    expect(outcomes['-1']! + outcomes['0']! + outcomes['1']!).toBeGreaterThan(10_000);
    expect(outcomes['0']).toBeGreaterThan(500);
  });
});
