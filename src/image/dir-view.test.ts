/** treeView's memoized symlink resolution against a plain component-by-component walk, and normalizePath's fast path. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizePath, treeView } from './dir-view.js';
import type { FileEntry } from './types.js';

/** The straightforward walk treeView must agree with: one component at a time, at most 40 links in all. */
function referenceResolve(entries: Map<string, FileEntry>, p: string): string | undefined {
  let hops = 0;
  let pending = normalizePath(p).split('/').filter(Boolean);
  let cur = '';
  while (pending.length) {
    const next = `${cur}/${pending.shift()!}`;
    const e = entries.get(next);
    if (e?.type === 'symlink' && e.linkname !== undefined) {
      if (++hops > 40) return undefined;
      const target = e.linkname.startsWith('/') ? e.linkname : `${cur}/${e.linkname}`;
      pending = [...normalizePath(target).split('/').filter(Boolean), ...pending];
      cur = '';
      continue;
    }
    cur = next;
  }
  return entries.has(cur) || cur === '' ? cur || '/' : undefined;
}

const entry = (path: string, type: FileEntry['type'], linkname?: string): FileEntry => ({
  path,
  type,
  mode: 0o755,
  size: 0,
  uid: 0,
  gid: 0,
  layer: 'l',
  ...(linkname !== undefined ? { linkname } : {}),
});

/** A small deterministic PRNG (mulberry32), so a failing tree can be rebuilt from its seed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('normalizePath', () => {
  it.each([
    ['/', '/'],
    ['', '/'],
    ['/a/b', '/a/b'],
    ['a/b', '/a/b'],
    ['/a//b/', '/a/b'],
    ['/a/./b', '/a/b'],
    ['/a/../b', '/b'],
    ['/../../a', '/a'],
    ['/a/..', '/'],
    ['/a/.', '/a'],
    ['/.a/..b/...', '/.a/..b/...'],
  ])('%j -> %j', (input, want) => {
    expect(normalizePath(input)).toBe(want);
  });
});

describe('treeView resolve', () => {
  it('follows usrmerge links, relative links, and stops loops and over-long chains', () => {
    const entries = new Map<string, FileEntry>();
    const add = (e: FileEntry) => entries.set(e.path, e);
    add(entry('/usr', 'dir'));
    add(entry('/usr/lib', 'dir'));
    add(entry('/usr/lib/os-release', 'file'));
    add(entry('/lib', 'symlink', 'usr/lib'));
    add(entry('/etc', 'dir'));
    add(entry('/etc/os-release', 'symlink', '../lib/os-release'));
    add(entry('/loop1', 'symlink', '/loop2'));
    add(entry('/loop2', 'symlink', 'loop1/x'));
    // A link into itself, with an entry at the path the loop keeps asking for.
    add(entry('/m', 'symlink', 'm/x'));
    add(entry('/m/x', 'file'));
    add(entry('/self', 'symlink', '/self'));
    // A chain of 41 links: one too many, and a chain of 40: just enough.
    for (let i = 0; i < 41; i++) add(entry(`/c${i}`, 'symlink', i === 40 ? '/usr' : `/c${i + 1}`));
    const view = treeView(entries, () => undefined);
    expect(view.resolve('/etc/os-release')).toBe('/usr/lib/os-release');
    expect(view.resolve('/lib/os-release')).toBe('/usr/lib/os-release');
    expect(view.resolve('/lib/../etc')).toBe('/etc');
    expect(view.resolve('/loop1')).toBeUndefined();
    expect(view.resolve('/loop2/y')).toBeUndefined();
    expect(view.resolve('/m')).toBeUndefined();
    expect(view.resolve('/m/x')).toBeUndefined();
    expect(view.resolve('/self')).toBeUndefined();
    expect(view.resolve('/self/a')).toBeUndefined();
    expect(view.stat('/m/x')?.type).toBe('file');
    expect(view.resolve('/c1/lib')).toBe('/usr/lib');
    expect(view.resolve('/c0/lib')).toBeUndefined();
    expect(view.resolve('/c1/lib')).toBe('/usr/lib'); // the failed longer chain did not poison the memo
    expect(view.resolve('/nope/x')).toBeUndefined();
    expect(view.resolve('/')).toBe('/');
  });

  it('takes hostile depths in its stride: 20,000 components, a chain of 5,000 links', () => {
    const entries = new Map<string, FileEntry>();
    const deep = `/${Array.from({ length: 20_000 }, (_, i) => `d${i % 7}`).join('/')}`;
    entries.set(deep, entry(deep, 'file'));
    const n = 5_000;
    for (let i = 0; i < n; i++) entries.set(`/c${i}`, entry(`/c${i}`, 'symlink', i === n - 1 ? '/end' : `/c${i + 1}`));
    entries.set('/end', entry('/end', 'dir'));
    const view = treeView(entries, () => undefined);
    expect(view.resolve(deep)).toBe(deep);
    expect(view.resolve(`${deep}/../x`)).toBeUndefined();
    expect(view.resolve('/c0')).toBeUndefined();
    // Abandoning the long walk left nothing wrong behind: 40 links from the end still resolve.
    expect(view.resolve(`/c${n - 40}`)).toBe('/end');
    expect(view.resolve(`/c${n - 41}`)).toBeUndefined();
    for (const q of ['/c0', `/c${n - 40}`, `/c${n - 41}`, `/c${n - 2}/x`]) expect(view.resolve(q), q).toBe(referenceResolve(entries, q));
  });

  it('agrees with a plain walk on random trees full of links', () => {
    const names = ['a', 'b', 'c', 'lib', 'usr'];
    for (let seed = 1; seed <= 40; seed++) {
      const rand = rng(seed);
      const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
      const randomPath = (depth: number) => `/${Array.from({ length: 1 + Math.floor(rand() * depth) }, () => pick([...names, '.', '..'])).join('/')}`;
      const entries = new Map<string, FileEntry>();
      for (let i = 0; i < 60; i++) {
        const p = normalizePath(randomPath(4));
        if (p === '/') continue;
        const r = rand();
        if (r < 0.35) {
          const target = rand() < 0.5 ? randomPath(3) : randomPath(3).slice(1);
          entries.set(p, entry(p, 'symlink', target));
        } else entries.set(p, entry(p, r < 0.7 ? 'dir' : 'file'));
      }
      const view = treeView(entries, () => undefined);
      for (let i = 0; i < 200; i++) {
        const q = randomPath(6);
        expect(view.resolve(q), `seed ${seed}: ${q}`).toBe(referenceResolve(entries, q));
      }
    }
  });
});

describe('treeView list', () => {
  it('gives the same names whether it scans the keys (first calls) or uses its index (later ones)', () => {
    const keys = ['/a', '/a/b', '/a/b/c', '/a/d', '/e', '/a/b/f', 'rel/x', '/a//g', '/z/y'];
    const entries = new Map(keys.map((k) => [k, entry(k, 'file')]));
    const view = treeView(entries, () => undefined);
    const dirs = ['/', '/a', '/a/b', '/a/', 'a', '/z', '/nope', '/a/b/c', 'rel', '/a/./b'];
    const want = (d: string) =>
      keys.filter((k) => path.posix.dirname(k) === normalizePath(d)).map((k) => path.posix.basename(k)).sort();
    expect(want('/a/b')).toEqual(['c', 'f']);
    // Twice over: the first pass mostly scans, the second uses the index.
    for (const d of [...dirs, ...dirs]) expect(view.list(d), d).toEqual(want(d));
  });
});
