/**
 * Differential test: the deb comparator against dpkg on 10,000 seeded random pairs. Oracle calls
 * are batched so the test stays fast on a busy machine: every pair goes through libdpkg's own
 * parseversion + dpkg_version_compare (test/oracles/dpkg-compare.c, the code `dpkg
 * --compare-versions` runs) in one process per 5,000 pairs; every 50th pair also goes through the
 * `dpkg --compare-versions` binary itself, holding the batch oracle to the real command.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { compareDeb, parseDebVersion } from './index.js';
import { prng } from '../../../test/helpers/prng.js';
import { oraclesDir } from '../../../test/oracles/harness.js';

const run = promisify(execFile);
const work = mkdtempSync(path.join(tmpdir(), 'shipshape-dpkg-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Compiles the batch oracle against libdpkg; undefined (and a note why) when dpkg, gcc or libdpkg-dev is missing. */
function buildOracle(): string | undefined {
  const bin = path.join(work, 'dpkg-compare');
  try {
    execFileSync('dpkg', ['--version'], { stdio: 'ignore' });
    const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'libdpkg'], { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean);
    execFileSync('gcc', ['-O1', '-o', bin, path.join(oraclesDir, 'dpkg-compare.c'), ...flags], { stdio: 'pipe' });
    return bin;
  } catch {
    process.stderr.write('skipping: the dpkg oracle needs dpkg, gcc, pkg-config and libdpkg-dev (apt-get install dpkg gcc pkg-config libdpkg-dev)\n');
    return undefined;
  }
}
const oracle = buildOracle();

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

// One bash reads `a<TAB>op<TAB>b` lines and prints dpkg's exit code for each: 0 when dpkg confirms
// the relation we claim, 1 when it denies it, 2 when it refuses a version. One dpkg run per line:
// only for the sample that holds the batch oracle to the real command.
const SCRIPT = `
while IFS=$'\\t' read -r a op b; do
  dpkg --compare-versions "$a" "$op" "$b" 2>/dev/null; echo $?
done < "$1"
`;

async function dpkgVerdicts(lines: Array<[string, string, string]>): Promise<string[]> {
  const file = path.join(work, 'sample.tsv');
  writeFileSync(file, lines.map((l) => `${l.join('\t')}\n`).join(''));
  const { stdout } = await run('bash', ['-c', SCRIPT, 'dpkg-diff', file], { maxBuffer: 1 << 24 });
  return stdout.split('\n').filter(Boolean);
}

/** The batch oracle's answer for each pair (-1, 0, 1, or 2 for refused), PER_PROCESS pairs per process. */
const PER_PROCESS = 5000;
async function oracleVerdicts(bin: string, list: Array<[string, string]>): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < list.length; i += PER_PROCESS) {
    const input = list.slice(i, i + PER_PROCESS).map(([a, b]) => `${a}\t${b}\n`).join('');
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = execFile(bin, [], { maxBuffer: 1 << 24 }, (err, so) => (err ? reject(err) : resolve(so)));
      child.stdin!.end(input);
    });
    out.push(...stdout.split('\n').filter(Boolean));
  }
  return out;
}

const OP = { '-1': 'lt', '0': 'eq', '1': 'gt' } as const;
const refuses = (v: string) => parseDebVersion(v).problem?.level === 'error';

describe.skipIf(!oracle)('deb comparator vs dpkg', () => {
  it('agrees on 10,000 random pairs (seeded), one oracle process per 5,000 pairs', async () => {
    const list = pairs(20261128, 10_000);
    expect(new Set(list.map((p) => p.join('\t'))).size).toBeGreaterThan(9_000); // the generator is not degenerate
    const claims = list.map(([a, b]) => (refuses(a) || refuses(b) ? 'refused' : OP[String(compareDeb(a, b)) as '-1' | '0' | '1']));
    const verdicts = await oracleVerdicts(oracle!, list);
    expect(verdicts).toHaveLength(list.length);
    const disagreements: string[] = [];
    list.forEach(([a, b], i) => {
      const claim = claims[i]!;
      const v = verdicts[i]!;
      const said = v === '2' ? 'refused' : OP[v as '-1' | '0' | '1'];
      if (said !== claim) disagreements.push(`${JSON.stringify(a)} vs ${JSON.stringify(b)}: dpkg ${said}, we ${claim}`);
    });
    expect(disagreements.slice(0, 20)).toEqual([]);
    expect(claims.filter((c) => c === 'refused').length).toBeGreaterThan(50); // the odd shapes were exercised
    expect(claims.filter((c) => c === 'eq').length).toBeGreaterThan(100);
    expect(claims.filter((c) => c === 'lt').length).toBeGreaterThan(2000);
    expect(claims.filter((c) => c === 'gt').length).toBeGreaterThan(2000);

    // The batch oracle against the dpkg binary on every 50th pair (200 runs).
    const sample = list.map((_, i) => i).filter((i) => i % 50 === 0);
    const real = await dpkgVerdicts(sample.map((i) => [list[i]![0], verdicts[i] === '2' ? 'lt' : OP[verdicts[i] as '-1' | '0' | '1'], list[i]![1]]));
    expect(real).toHaveLength(sample.length);
    const off = sample.filter((i, k) => (verdicts[i] === '2' ? real[k] !== '2' : real[k] !== '0'));
    expect(off.map((i) => `${JSON.stringify(list[i])}: oracle ${verdicts[i]}, dpkg exit ${real[sample.indexOf(i)]}`)).toEqual([]);
  });
});
