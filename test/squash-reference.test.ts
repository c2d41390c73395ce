/**
 * Differential: random layer stacks (seeded), squashed by shipshape's walker + squash and unpacked
 * by umoci (an independent OCI implementation of whiteouts and opaque dirs); the regular files and
 * their contents must agree. Bounded: 40 stacks of 2-4 layers with at most 14 entries each.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { walkLayer } from '../src/image/layer.js';
import { squash } from '../src/image/squash.js';
import { buildImage, builtBlob, writeOciLayout, type EntrySpec } from './helpers/image-builder.js';
import { prng } from './helpers/prng.js';

const umociMissing = spawnSync('umoci', ['--version']).status !== 0;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-squash-ref-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Names keep one type each (d* directories, f* files), so no layer turns a file into a directory:
// that is where tar extractors and overlayfs legitimately differ.
const DIRS = ['d1', 'd2', 'd3'];
const FILES = ['f1', 'f2'];

/** One random layer: files at depth 1-3, directory entries only sometimes, whiteouts and opaque markers of paths lower layers may hold. */
function randomLayer(rand: () => number, n: number): EntrySpec[] {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const dirPath = () => Array.from({ length: 1 + Math.floor(rand() * 2) }, () => pick(DIRS)).join('/');
  const markers: EntrySpec[] = [];
  const entries: EntrySpec[] = [];
  const written = new Set<string>();
  const count = 3 + Math.floor(rand() * 12);
  for (let i = 0; i < count; i++) {
    const r = rand();
    if (r < 0.15) {
      // A whiteout of a directory or a file; kept away from what this layer writes (the spec leaves
      // a whiteout of a path the same layer creates to the order of entries).
      const d = dirPath();
      const target = rand() < 0.5 ? d : `${d}/${pick(FILES)}`;
      const [parent, base] = target.includes('/') ? [target.slice(0, target.lastIndexOf('/')), target.slice(target.lastIndexOf('/') + 1)] : ['', target];
      markers.push({ path: `${parent ? `${parent}/` : ''}.wh.${base}`, content: '' });
      written.add(`!${target}`);
    } else if (r < 0.22) {
      markers.push({ path: `${dirPath()}/.wh..wh..opq`, content: '' });
    } else {
      const d = dirPath();
      const f = `${d}/${pick(FILES)}`;
      if (written.has(f)) continue;
      // Directory entries are left out half the time: real layers (and hostile ones) may do so.
      if (rand() < 0.5) entries.push({ path: `${d}/`, type: 'dir' });
      entries.push({ path: f, content: `layer ${n} ${f} ${Math.floor(rand() * 1000)}\n` });
      written.add(f);
    }
  }
  // Drop markers that hit a path this layer writes (or a directory above one).
  const mine = [...written].filter((w) => !w.startsWith('!'));
  const keep = markers.filter((m) => {
    const base = path.posix.basename(m.path);
    const parent = path.posix.dirname(m.path);
    if (base === '.wh..wh..opq') return !mine.some((w) => w.startsWith(`${parent}/`));
    const target = `${parent === '.' ? '' : `${parent}/`}${base.slice(4)}`;
    return !mine.some((w) => w === target || w.startsWith(`${target}/`) || target.startsWith(`${w}/`));
  });
  return [...keep, ...entries];
}

/** Regular files below `root` → their contents, as `/a/b` paths. */
function filesOnDisk(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const todo = [''];
  while (todo.length) {
    const rel = todo.pop()!;
    for (const name of readdirSync(path.join(root, rel))) {
      const r = `${rel}/${name}`;
      const st = lstatSync(path.join(root, r));
      if (st.isDirectory()) todo.push(r);
      else if (st.isFile()) out.set(r, readFileSync(path.join(root, r), 'utf8'));
    }
  }
  return out;
}

describe.skipIf(umociMissing)('squash against umoci on random layer stacks', () => {
  it('40 seeded stacks: same files, same contents', async () => {
    if (umociMissing) return;
    const rand = prng(3);
    for (let stack = 0; stack < 40; stack++) {
      const layers = Array.from({ length: 2 + Math.floor(rand() * 3) }, (_, n) => randomLayer(rand, n));
      const img = await buildImage({ layers });
      const dir = writeOciLayout(path.join(tmp, `img${stack}`), img, { tag: 'latest' });
      const rootfs = path.join(tmp, `rootfs${stack}`);
      const r = spawnSync('umoci', ['raw', 'unpack', '--rootless', '--image', `${dir}:latest`, rootfs], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const indexes = await Promise.all(img.layers.map((l) => walkLayer(builtBlob(l), () => true)));
      const { entries, view } = squash(indexes);
      const ours = new Map<string, string>();
      for (const [p, e] of entries) if (e.type === 'file') ours.set(p, view.read(p)!.toString());
      const sorted = (m: Map<string, string>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1));
      expect({ stack, files: sorted(ours) }).toEqual({ stack, files: sorted(filesOnDisk(rootfs)) });
      rmSync(rootfs, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
