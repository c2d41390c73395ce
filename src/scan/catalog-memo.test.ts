/** The catalog memo: images on one base take a sibling's results only when exact; every result equals a plain run. */
import { beforeEach, describe, expect, it } from 'vitest';
import { prng } from '../../test/helpers/prng.js';
import { catalogAll, catalogers, detectOs } from '../catalog/index.js';
import { matchingEntries, matchingFiles, matchingLinks } from '../catalog/lang-support.js';
import { squash } from '../image/squash.js';
import type { EntryMeta, LayerIndex } from '../image/types.js';
import { catalogMemoStats, clearCatalogMemo, MAX_BASES, memoizedCatalogers, squashImage } from './catalog-memo.js';

interface F {
  path: string;
  data?: string;
  type?: EntryMeta['type'];
  linkname?: string;
  mode?: number;
}

let serial = 0;
/** A layer index made in code: entries in order, contents of the files given data. */
function layer(files: F[], extra: Partial<Pick<LayerIndex, 'whiteouts' | 'opaqueDirs'>> = {}): LayerIndex {
  const diffId = `sha256:${(++serial).toString(16).padStart(64, '0')}`;
  const entries: EntryMeta[] = [];
  const contents = new Map<string, Buffer>();
  for (const f of files) {
    const type = f.type ?? (f.data === undefined ? 'dir' : 'file');
    const data = Buffer.from(f.data ?? '');
    const e: EntryMeta = { path: f.path, type, mode: f.mode ?? (type === 'dir' ? 0o755 : 0o644), size: data.length, uid: 0, gid: 0 };
    if (f.linkname !== undefined) e.linkname = f.linkname;
    entries.push(e);
    if (type === 'file') contents.set(f.path, data);
  }
  return { digest: diffId, diffId, entries, files: contents, whiteouts: extra.whiteouts ?? [], opaqueDirs: extra.opaqueDirs ?? [] };
}

const dpkgStatus = (pkgs: string[]) =>
  pkgs.map((p) => `Package: ${p}\nStatus: install ok installed\nVersion: 1.${p.length}-1\nArchitecture: amd64\n`).join('\n');

/** A Debian-like base: usrmerge links, a dpkg database with file lists, a python dist-info, a node app. */
function debianBase(): LayerIndex[] {
  const os = layer([
    { path: '/etc' },
    { path: '/etc/os-release', data: 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' },
    { path: '/usr' },
    { path: '/usr/lib' },
    { path: '/usr/lib/python3' },
    { path: '/lib', type: 'symlink', linkname: 'usr/lib' },
    { path: '/var/lib/dpkg/status', data: dpkgStatus(['libc6', 'python3-requests', 'openssl']) },
    { path: '/var/lib/dpkg/info/libc6.list', data: '/.\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libc.so.6\n' },
    { path: '/var/lib/dpkg/info/python3-requests.list', data: '/usr/lib/python3/dist-packages/requests\n/usr/lib/python3/dist-packages/requests-2.28.1.dist-info\n/usr/lib/python3/dist-packages/requests-2.28.1.dist-info/METADATA\n' },
    { path: '/usr/lib/python3/dist-packages/requests-2.28.1.dist-info/METADATA', data: 'Metadata-Version: 2.1\nName: requests\nVersion: 2.28.1\n' },
    { path: '/usr/lib/x86_64-linux-gnu/libc.so.6', data: 'ELF' },
    { path: '/usr/share/doc/openssl/copyright', data: 'License: Apache-2.0\n' },
  ]);
  const app = layer([
    { path: '/app' },
    { path: '/app/package.json', data: JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { lodash: '4.17.20' } }) },
    { path: '/app/node_modules/lodash/package.json', data: JSON.stringify({ name: 'lodash', version: '4.17.20', license: 'MIT' }) },
  ]);
  return [os, app];
}

const jsonFiles = (p: string) => p.endsWith('.json');
const everyFile = () => true;

/** Catalogs base + top with the memo, and checks the result against a plain run over the same squash. */
async function both(layers: LayerIndex[]) {
  const keys = layers.map((l) => l.diffId.slice(7));
  const { view } = squash(layers);
  const os = detectOs(view);
  const plain = await catalogAll(view, os, catalogers);
  const sq = squashImage(layers, keys);
  expect([...sq.entries.keys()].map((k) => [k, sq.entries.get(k)])).toEqual([...squash(layers).entries]);
  const memo = memoizedCatalogers(catalogers, layers, keys, sq);
  const got = memo ? await catalogAll(memo.view, os, memo.catalogers) : plain;
  if (memo) {
    // The regular files made from the base's list are those a walk over the image's paths finds.
    expect(matchingEntries(memo.view, () => true)).toEqual(matchingEntries(view, () => true));
    expect(matchingLinks(memo.view, () => true)).toEqual(matchingLinks(view, () => true));
    // Selections remembered per base (by the predicate) and patched with the top's paths.
    for (const pred of [jsonFiles, everyFile]) expect(matchingFiles(memo.view, pred)).toEqual(matchingFiles(view, pred));
    for (const p of squash(layers).entries.keys()) expect(sq.view.read(p)).toEqual(view.read(p));
  }
  expect(JSON.stringify(got.packages)).toBe(JSON.stringify(plain.packages));
  expect(got.warnings).toEqual(plain.warnings);
  expect([...got.ownedFiles].sort()).toEqual([...plain.ownedFiles].sort());
  return { used: memo !== undefined, packages: plain.packages };
}

const hitsOf = async (layers: LayerIndex[]) => {
  const before = catalogMemoStats();
  await both(layers);
  const after = catalogMemoStats();
  return { hits: after.hits - before.hits, misses: after.misses - before.misses };
};

beforeEach(() => clearCatalogMemo());

describe('catalog memo', () => {
  it('reuses every cataloger whose files a new top layer leaves alone, and runs the one it touches', async () => {
    const base = debianBase();
    const n = catalogers.length;
    expect(await hitsOf([...base, layer([{ path: '/srv' }, { path: '/srv/a.txt', data: 'a' }])])).toEqual({ hits: 0, misses: n });
    expect(await hitsOf([...base, layer([{ path: '/srv' }, { path: '/srv/b.txt', data: 'b' }])])).toEqual({ hits: n, misses: 0 });
    // A package.json: the npm cataloger runs again (and finds the package), the others do not.
    const withPkg = layer([{ path: '/srv/node_modules/left-pad/package.json', data: JSON.stringify({ name: 'left-pad', version: '1.3.0' }) }]);
    expect(await hitsOf([...base, withPkg])).toEqual({ hits: n - 1, misses: 1 });
    expect((await both([...base, withPkg])).packages.map((p) => p.name)).toContain('left-pad');
  });

  it('runs again what a top layer changes: the dpkg database, a listed file behind a link, a copyright file', async () => {
    const base = debianBase();
    await hitsOf([...base, layer([{ path: '/srv/x', data: 'x' }])]);
    const tops = [
      layer([{ path: '/var/lib/dpkg/status', data: dpkgStatus(['libc6']) }]),
      // Listed as /lib/x86_64-linux-gnu/libfoo.so (through the /lib link): its real path is now present.
      layer([{ path: '/var/lib/dpkg/info/libc6.list', data: '/lib/x86_64-linux-gnu/libfoo.so\n' }]),
      layer([{ path: '/usr/lib/x86_64-linux-gnu/libfoo.so', data: 'ELF' }]),
      layer([{ path: '/usr/share/doc/libc6/copyright', data: 'License: LGPL-2.1\n' }]),
      layer([{ path: '/usr/lib/python3/dist-packages/requests-2.28.1.dist-info/METADATA', data: 'Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n' }]),
      layer([{ path: '/app/node_modules/lodash', data: 'now a file' }]),
    ];
    for (const t of tops) {
      const { misses } = await hitsOf([...base, t]);
      expect(misses).toBeGreaterThan(0);
    }
  });

  it('does not compare top layers with links, whiteouts or opaque directories', async () => {
    const base = debianBase();
    for (const t of [
      layer([{ path: '/srv', type: 'symlink', linkname: '/usr/lib' }]),
      layer([], { whiteouts: ['/app/node_modules/lodash'] }),
      layer([{ path: '/app' }], { opaqueDirs: ['/app'] }),
      layer([{ path: '/app/hard', type: 'hardlink', linkname: '/app/package.json' }]),
    ]) {
      expect((await both([...base, t])).used).toBe(false);
    }
    // A single-layer image has no base to share.
    expect((await both([base[0]!])).used).toBe(false);
  });

  it('equals a plain run for every top layer drawn from paths the catalogers care about (random, seeded)', async () => {
    const base = debianBase();
    const pool: F[] = [
      { path: '/srv/a.txt', data: 'a' },
      { path: '/srv', data: 'srv is a file' },
      { path: '/app/node_modules/lodash/package.json', data: JSON.stringify({ name: 'lodash', version: '4.17.21' }) },
      { path: '/app/node_modules/left-pad/package.json', data: JSON.stringify({ name: 'left-pad', version: '1.0.0' }) },
      { path: '/app/node_modules', data: 'a file over a directory' },
      { path: '/app/package-lock.json', data: JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/x': { version: '1.0.0' } } }) },
      { path: '/var/lib/dpkg/status', data: dpkgStatus(['libc6', 'zlib1g']) },
      { path: '/var/lib/dpkg/status.d' },
      { path: '/var/lib/dpkg/status.d/base', data: dpkgStatus(['base-files']) },
      { path: '/var/lib/dpkg/info/zlib1g.list', data: '/lib/libz.so\n' },
      { path: '/usr/lib/libz.so', data: 'ELF' },
      { path: '/usr/lib/x86_64-linux-gnu/libc.so.6', data: 'ELF2' },
      { path: '/usr/share/doc/zlib1g/copyright', data: 'License: Zlib\n' },
      { path: '/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA', data: 'Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n' },
      { path: '/usr/lib/python3', data: 'not a dir' },
      { path: '/etc/os-release', data: 'ID=debian\nVERSION_ID="13"\n' },
      { path: '/lib' },
      { path: '/usr/local/bin/tool', data: '\x7fELF', mode: 0o755 },
      { path: '/srv/Gemfile.lock', data: 'GEM\n  specs:\n    rack (2.2.3)\n' },
      { path: '/srv/composer.lock', data: JSON.stringify({ packages: [{ name: 'a/b', version: '1.0.0' }] }) },
    ];
    const next = prng(42);
    const rand = (n: number) => Math.floor(next() * n);
    let used = 0;
    for (let i = 0; i < 150; i++) {
      const picked = Array.from({ length: 1 + rand(3) }, () => pool[rand(pool.length)]!);
      const r = await both([...base, layer([{ path: '/srv' }, ...picked.filter((f) => f.path !== '/srv'), { path: `/srv/own-${i}`, data: String(i) }])]);
      if (r.used) used++;
    }
    expect(used).toBeGreaterThan(75);
    expect(catalogMemoStats().hits).toBeGreaterThan(100);
  });

  it('remembers a bounded number of bases', async () => {
    for (let i = 0; i < MAX_BASES + 8; i++) await both([layer([{ path: '/etc/os-release', data: `ID=alpine\nVERSION_ID=3.${i}\n` }]), layer([{ path: `/srv/${i}`, data: 'x' }])]);
    expect(catalogMemoStats().bases).toBeLessThanOrEqual(MAX_BASES * catalogers.length);
    expect(catalogMemoStats().bases).toBeGreaterThan(0);
  });

  it('hands out copies: changing a result does not change what a later image gets', async () => {
    const base = debianBase();
    const keysOf = (ls: LayerIndex[]) => ls.map((l) => l.diffId.slice(7));
    const run = async (top: LayerIndex) => {
      const ls = [...base, top];
      const sq = squashImage(ls, keysOf(ls));
      const m = memoizedCatalogers(catalogers, ls, keysOf(ls), sq)!;
      return catalogAll(m.view, detectOs(sq.view), m.catalogers);
    };
    const first = await run(layer([{ path: '/srv/1', data: '1' }]));
    first.packages[0]!.name = 'changed';
    const second = await run(layer([{ path: '/srv/2', data: '2' }]));
    expect(second.packages.map((p) => p.name)).not.toContain('changed');
    // The owned paths are shared, as a set that refuses changes.
    expect(second.ownedFiles.size).toBeGreaterThan(0);
    expect(() => second.ownedFiles.add('/x')).toThrow(/cannot change/);
    expect(() => second.ownedFiles.delete('/usr/lib/x86_64-linux-gnu/libc.so.6')).toThrow(/cannot change/);
  });
});
