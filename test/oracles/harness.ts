/** Differential-test plumbing: a seeded PRNG, version-shape generators, and one oracle process per batch of pairs. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
export { prng } from '../helpers/prng.js';

export const oraclesDir = path.dirname(fileURLToPath(import.meta.url));


/** Helpers over a PRNG for building version strings. */
export class Gen {
  constructor(readonly rnd: () => number) {}
  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.rnd() < p;
  }
  /** A small number most of the time, sometimes with leading zeros or large. */
  num(opts: { zeros?: boolean; big?: boolean } = {}): string {
    const r = this.rnd();
    let n: string;
    if (r < 0.45) n = String(this.int(3));
    else if (r < 0.8) n = String(this.int(12));
    else if (r < 0.95 || !opts.big) n = String(this.int(1000));
    else n = String(this.int(10)) + String(this.int(1e9)).padStart(9, '0') + String(this.int(1e9)).padStart(9, '0') + (this.chance(0.5) ? '7' : '');
    if (opts.zeros && this.chance(0.1)) n = '0'.repeat(1 + this.int(2)) + n;
    return n;
  }
  /** A random string over `alphabet`: shapes no hand-written generator thinks of. */
  soup(alphabet: string, maxLen: number): string {
    let s = '';
    const n = this.int(maxLen + 1);
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }
  /** Joins 1..max parts made by `part` with separators picked from `seps`. */
  join(min: number, max: number, part: () => string, seps: readonly string[]): string {
    const n = min + this.int(max - min + 1);
    let s = part();
    for (let i = 1; i < n; i++) s += this.pick(seps) + part();
    return s;
  }
}

/**
 * Builds pairs from a pool: mostly pairs of pool members (so equal and near-equal versions meet),
 * plus every sample against a few others.
 */
export function pairsFrom(pool: string[], count: number, g: Gen): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < count; i++) {
    const a = g.pick(pool);
    const b = g.chance(0.05) ? a : g.pick(pool);
    pairs.push([a, b]);
  }
  return pairs;
}

const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');

/** Whether `cmd args` runs and exits 0 (an oracle tool is installed). */
export function available(cmd: string, args: string[] = ['--version'], env?: NodeJS.ProcessEnv): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', env: env ?? process.env, timeout: 60_000 });
  return r.status === 0;
}

/**
 * Writes the pairs (hex-encoded, `hexA hexB` per line) to a temp file, runs the oracle once with
 * the file's path as its last argument, and returns its output lines, one per pair.
 */
export function runOracle(cmd: string, args: string[], pairs: [string, string][], env?: NodeJS.ProcessEnv): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-oracle-'));
  try {
    const file = path.join(dir, 'pairs.txt');
    writeFileSync(file, pairs.map(([a, b]) => `${hex(a)} ${hex(b)}`).join('\n') + '\n');
    const r = spawnSync(cmd, [...args, file], { encoding: 'utf8', maxBuffer: 256 << 20, env: env ?? process.env, timeout: 300_000 });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}`);
    const lines = r.stdout.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    if (lines.length !== pairs.length) throw new Error(`${cmd}: ${lines.length} answers for ${pairs.length} pairs; stderr: ${r.stderr}`);
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Collects disagreements and renders the first few for an assertion message. */
export class Disagreements {
  readonly items: string[] = [];
  add(msg: string): void {
    this.items.push(msg);
  }
  toString(): string {
    return `${this.items.length} disagreements:\n${this.items.slice(0, 15).join('\n')}`;
  }
}

/**
 * Pair count and seed of a differential test: the defaults keep CI fast and deterministic;
 * SHIPSHAPE_ORACLE_PAIRS and SHIPSHAPE_ORACLE_SEED widen a local fuzzing run.
 */
export function fuzzConfig(defaultSeed: number, defaultPairs = 20_000): { seed: number; pairs: number; pool: number } {
  const pairs = Number(process.env.SHIPSHAPE_ORACLE_PAIRS) || defaultPairs;
  const seed = defaultSeed + (Number(process.env.SHIPSHAPE_ORACLE_SEED) || 0);
  return { seed, pairs, pool: Math.max(4000, Math.floor(pairs / 5)) };
}
