/** Differential test: the deb comparator against `dpkg --compare-versions` on 10,000+ seeded random pairs. */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compareDeb, parseDebVersion } from './index.js';
import { prng } from '../../../test/helpers/prng.js';

const run = promisify(execFile);

function hasDpkg(): boolean {
  try {
    execFileSync('dpkg', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    process.stderr.write('skipping: dpkg is not installed (apt-get install dpkg)\n');
    return false;
  }
}


export function versionGenerator(seed: number) {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: ArrayLike<T>): T => xs[int(xs.length)]!;
  const digits = (): string => {
    const r = rnd();
    if (r < 0.1) return '0'.repeat(1 + int(3)) + String(int(100)); // leading zeros
    if (r < 0.17) return String(1 + int(9)) + Array.from({ length: 12 + int(20) }, () => int(10)).join(''); // long runs
    return String(int(r < 0.6 ? 10 : 1000));
  };
  const letters = () => Array.from({ length: 1 + int(3) }, () => pick('abcxyzABZ')).join('');
  const part = (allowHyphen: boolean): string => {
    const kinds = ['.d', '.d', '+', '~', '~~', 'L', 'Ld', '+L', '~L', '.', '.L'];
    if (allowHyphen) kinds.push('-d');
    let out = '';
    for (const ch of pick(kinds)) out += ch === 'd' ? digits() : ch === 'L' ? letters() : ch;
    return out;
  };
  const upstream = (allowHyphen: boolean) => {
    let s = digits();
    for (let n = int(5); n > 0; n--) s += part(allowHyphen);
    return s;
  };
  const revision = () => {
    let s = pick([digits(), digits(), letters(), '0']);
    for (let n = int(3); n > 0; n--) s += pick(['.', '+', '~', '+deb', '~bpo', '+b']) + (rnd() < 0.8 ? digits() : letters());
    return s;
  };
  const version = (): string => {
    let v = '';
    if (rnd() < 0.2) v += pick(['0', '1', '2', '00', '10', String(int(100000))]) + ':';
    const hasRev = rnd() < 0.6;
    v += upstream(hasRev);
    if (hasRev) v += '-' + revision();
    return v;
  };
  /** Versions dpkg warns about or refuses (never starting with `-`: dpkg would read an option). */
  const odd = (): string =>
    pick([
      () => letters() + version(),
      () => version() + pick(['_', '!', '@', '/']) + digits(),
      () => version() + '-',
      () => digits() + ':',
      () => ':' + version(),
      () => 'x:' + version(),
      () => digits() + ':' + letters() + digits(),
      () => version().replace(/\./, ':'),
      () => ' ' + version() + ' ',
      () => version() + ' ' + digits(),
      () => '99999999999:' + version(),
      () => '+' + digits() + ':' + version(),
    ])();
  /** A near neighbour of `v`: what makes comparisons hard is sharing a long prefix. */
  const neighbour = (v: string): string =>
    pick([
      () => v + part(false),
      () => v + '~' + pick(['', 'rc1', '~', 'beta']),
      () => v + pick(['+', '.', 'a', '.0', '0']),
      () => v.slice(0, Math.max(1, v.length - 1 - int(3))),
      () => v.slice(0, v.length - 1) + pick('0123456789a~+.'),
      () => (v.includes(':') ? v.replace(/^\d+:/, '') : '1:' + v),
      () => (v.includes('-') ? v.replace(/-[^-]*$/, '-' + revision()) : v + '-' + revision()),
      () => v.replace(/(\d+)/, (d) => '0' + d),
      () => v.replace(/(\d+)(?!.*\d)/, (d) => d + '0'),
      () => v,
    ])();
  return { rnd, version, odd, neighbour };
}

function pairs(seed: number, n: number): Array<[string, string]> {
  const g = versionGenerator(seed);
  const out: Array<[string, string]> = [];
  while (out.length < n) {
    const r = g.rnd();
    const a = r < 0.04 ? g.odd() : g.version();
    const b = r < 0.06 ? g.odd() : g.rnd() < 0.6 ? g.neighbour(a) : g.version();
    if (/[\t\n]/.test(a + b) || a.startsWith('-') || b.startsWith('-') || !a || !b) continue;
    out.push(g.rnd() < 0.5 ? [a, b] : [b, a]);
  }
  return out;
}

// One bash per half reads `a<TAB>op<TAB>b` lines and prints dpkg's exit code for each: 0 when dpkg
// confirms the relation we claim, 1 when it denies it, 2 when it refuses a version. One dpkg run per pair.
const SCRIPT = `
while IFS=$'\\t' read -r a op b; do
  dpkg --compare-versions "$a" "$op" "$b" 2>/dev/null; echo $?
done < "$1"
`;

async function dpkgVerdicts(lines: Array<[string, string, string]>, dir: string, workers = 2): Promise<string[]> {
  const size = Math.ceil(lines.length / workers);
  const chunks = Array.from({ length: workers }, (_, i) => lines.slice(i * size, (i + 1) * size));
  const outs = await Promise.all(
    chunks.map(async (chunk, i) => {
      const file = path.join(dir, `pairs-${i}.tsv`);
      writeFileSync(file, chunk.map((l) => `${l.join('\t')}\n`).join(''));
      const { stdout } = await run('bash', ['-c', SCRIPT, 'dpkg-diff', file], { maxBuffer: 1 << 24 });
      return stdout.split('\n').filter(Boolean);
    }),
  );
  return outs.flat();
}

const OP = { '-1': 'lt', '0': 'eq', '1': 'gt' } as const;
const refuses = (v: string) => parseDebVersion(v).problem?.level === 'error';

describe.skipIf(!hasDpkg())('deb comparator vs dpkg --compare-versions', () => {
  it('agrees on 10,000 random pairs (seeded)', async () => {
    const list = pairs(20261128, 10_000);
    expect(new Set(list.map((p) => p.join('\t'))).size).toBeGreaterThan(9_000); // the generator is not degenerate
    const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-dpkg-'));
    try {
      const claims = list.map(([a, b]) => (refuses(a) || refuses(b) ? 'refused' : OP[String(compareDeb(a, b)) as '-1' | '0' | '1']));
      const verdicts = await dpkgVerdicts(
        list.map(([a, b], i) => [a, claims[i] === 'refused' ? 'lt' : claims[i]!, b]),
        dir,
      );
      expect(verdicts).toHaveLength(list.length);
      const disagreements: string[] = [];
      list.forEach(([a, b], i) => {
        const claim = claims[i]!;
        const v = verdicts[i];
        const pair = `${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
        if (claim === 'refused' && v !== '2') disagreements.push(`${pair}: we refuse, dpkg accepts`);
        if (claim !== 'refused' && v === '2') disagreements.push(`${pair}: dpkg refuses, we accept`);
        if (claim !== 'refused' && v !== '0' && v !== '2') disagreements.push(`${pair}: dpkg denies ${claim} (exit ${v})`);
      });
      expect(disagreements.slice(0, 20)).toEqual([]);
      expect(claims.filter((c) => c === 'refused').length).toBeGreaterThan(50); // the odd shapes were exercised
      expect(claims.filter((c) => c === 'eq').length).toBeGreaterThan(100);
      expect(claims.filter((c) => c === 'lt').length).toBeGreaterThan(2000);
      expect(claims.filter((c) => c === 'gt').length).toBeGreaterThan(2000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
