/** The layer cache: round trips, atomic writes, damaged entries treated as misses, and read speed. */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sharedPath } from '../../test/helpers/shared.js';
import { openImage, walkLayer } from '../image/index.js';
import type { LayerIndex } from '../image/types.js';
import { decodeLayerIndex, defaultCacheDir, encodeLayerIndex, inventoryCacheKey, LayerCache, layerCacheKey, layerIndexBytes, layerMemory, LayerMemory } from './index.js';

function sampleIndex(n = 3, tag = 'a'): LayerIndex {
  const status = Buffer.from(`Package: ${tag}\nVersion: 1.0\n`);
  const entries: LayerIndex['entries'] = [
    { path: '/etc', type: 'dir', mode: 0o755, size: 0, uid: 0, gid: 0 },
    { path: '/etc/os-release', type: 'symlink', mode: 0o777, size: 0, uid: 0, gid: 0, linkname: '../usr/lib/os-release' },
    { path: '/var/lib/dpkg/status', type: 'file', mode: 0o644, size: status.length, uid: 0, gid: 0 },
    { path: '/var/lib/dpkg/status-link', type: 'hardlink', mode: 0o644, size: 0, uid: 0, gid: 0, linkname: '/var/lib/dpkg/status' },
  ];
  for (let i = 0; i < n; i++) entries.push({ path: `/usr/share/f${i}`, type: 'file', mode: 0o600, size: i, uid: 1000, gid: 1000 });
  return {
    digest: `sha256:${'1'.repeat(64)}`,
    diffId: `sha256:${'2'.repeat(64)}`,
    entries,
    files: new Map([
      ['/var/lib/dpkg/status', status],
      ['/var/lib/dpkg/status-link', status],
      ['/empty', Buffer.alloc(0)],
    ]),
    whiteouts: ['/app/.env'],
    opaqueDirs: ['/var/log'],
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'shipshape-cache-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('LayerCache', () => {
  it('round-trips a LayerIndex: entries, links, files, whiteouts, opaque dirs', () => {
    const cache = new LayerCache(path.join(dir, 'layers'));
    const key = layerCacheKey(`sha256:${'2'.repeat(64)}`, 'apk-db@1,dpkg-db@1');
    expect(cache.get(key)).toBeUndefined();
    const idx = sampleIndex();
    cache.put(key, idx);
    const back = cache.get(key)!;
    expect(back.digest).toBe(idx.digest);
    expect(back.diffId).toBe(idx.diffId);
    expect(back.entries).toEqual(idx.entries);
    expect(back.whiteouts).toEqual(['/app/.env']);
    expect(back.opaqueDirs).toEqual(['/var/log']);
    expect([...back.files.keys()]).toEqual([...idx.files.keys()]);
    expect(back.files.get('/var/lib/dpkg/status')!.toString()).toBe('Package: a\nVersion: 1.0\n');
    expect(back.files.get('/var/lib/dpkg/status-link')!.equals(idx.files.get('/var/lib/dpkg/status')!)).toBe(true);
    expect(back.files.get('/empty')!.length).toBe(0);
  });

  it('gives the caller\'s blob digest to an entry written from the same content stored another way', () => {
    const cache = new LayerCache(dir);
    cache.put('k', sampleIndex());
    expect(cache.get('k')!.digest).toBe(`sha256:${'1'.repeat(64)}`);
    expect(cache.get('k', `sha256:${'9'.repeat(64)}`)!.digest).toBe(`sha256:${'9'.repeat(64)}`);
  });

  it('writes private files in a private directory', () => {
    const cache = new LayerCache(path.join(dir, 'private'));
    cache.put('k', sampleIndex());
    expect(statSync(path.join(dir, 'private')).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(dir, 'private', 'k.layer')).mode & 0o777).toBe(0o600);
  });

  it('keys differ by diff_id and by the wanted-set version', () => {
    const a = layerCacheKey('sha256:aa', 'v1');
    expect(a).toMatch(/^[a-f0-9]{64}$/);
    expect(layerCacheKey('sha256:aa', 'v2')).not.toBe(a);
    expect(layerCacheKey('sha256:ab', 'v1')).not.toBe(a);
  });

  it('stores hardlinked contents once', () => {
    const idx = sampleIndex();
    const once = encodeLayerIndex(idx).length;
    idx.files.set('/var/lib/dpkg/status-link', Buffer.from(idx.files.get('/var/lib/dpkg/status')!));
    expect(encodeLayerIndex(idx).length).toBeGreaterThan(once);
  });

  it('leaves no temp files behind and replaces an entry atomically', () => {
    const cache = new LayerCache(dir);
    cache.put('k1', sampleIndex(3, 'a'));
    cache.put('k1', sampleIndex(3, 'b'));
    expect(readdirSync(dir)).toEqual(['k1.layer']);
    expect(cache.get('k1')!.files.get('/var/lib/dpkg/status')!.toString()).toContain('Package: b');
  });

  it.each([
    ['truncated', (f: string) => truncateSync(f, 60)],
    ['a flipped byte in the contents', (f: string) => {
      const b = readFileSync(f);
      b[b.length - 3]! ^= 0xff;
      writeFileSync(f, b);
    }],
    ['empty', (f: string) => writeFileSync(f, '')],
    ['not ours', (f: string) => writeFileSync(f, JSON.stringify({ hello: 'world' }))],
  ])('treats a %s entry as a miss and deletes it', (_name, damage) => {
    const cache = new LayerCache(dir);
    cache.put('k', sampleIndex());
    const file = path.join(dir, 'k.layer');
    damage(file);
    expect(cache.get('k')).toBeUndefined();
    expect(existsSync(file)).toBe(false);
    cache.put('k', sampleIndex());
    expect(cache.get('k')).toBeDefined();
  });

  it('rejects a checksummed entry whose header lies about file offsets', () => {
    const idx = sampleIndex();
    const good = encodeLayerIndex(idx);
    expect(() => decodeLayerIndex(good)).not.toThrow();
    const forged = encodeLayerIndex({ ...idx, files: new Map([['/x', Buffer.alloc(4)]]) });
    // Re-point the file past the end, then re-checksum: decode must still refuse it.
    const text = forged.toString('latin1').replace('["/x",0,4]', '["/x",9,4]');
    const bad = Buffer.from(text, 'latin1');
    createHash('sha256').update(bad.subarray(37)).digest().copy(bad, 5);
    expect(() => decodeLayerIndex(bad)).toThrow(/out of range/);
  });

  it('keeps an image inventory beside the layers; a damaged one is a miss and is deleted', () => {
    const cache = new LayerCache(dir);
    const inv = { os: { id: 'debian', version: '12' }, packages: [{ name: 'a', version: '1', type: 'deb', locations: [{ path: '/x', layer: 'sha256:1' }] }], warnings: [] };
    cache.putInventory('i', inv);
    expect(cache.getInventory('i')).toEqual(inv);
    expect(cache.get('i')).toBeUndefined(); // a layer entry of the same key is another file
    const file = path.join(dir, 'i.inventory');
    const b = readFileSync(file);
    b[b.length - 2]! ^= 0xff;
    writeFileSync(file, b);
    expect(cache.getInventory('i')).toBeUndefined();
    expect(existsSync(file)).toBe(false);
    // A layer file under an inventory's name is not an inventory.
    writeFileSync(file, encodeLayerIndex(sampleIndex()));
    expect(cache.getInventory('i')).toBeUndefined();
  });

  it('keys an inventory by every layer key in order and by the variant', () => {
    const k = inventoryCacheKey(['a', 'b'], 'v1');
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(inventoryCacheKey(['b', 'a'], 'v1')).not.toBe(k);
    expect(inventoryCacheKey(['a', 'b'], 'v2')).not.toBe(k);
    expect(inventoryCacheKey(['ab'], 'v1')).not.toBe(inventoryCacheKey(['a', 'b'], 'v1'));
    expect(inventoryCacheKey(['a', 'b'], 'v1')).toBe(k);
  });

  it('never throws when the cache directory cannot be written', () => {
    const file = path.join(dir, 'plain-file');
    writeFileSync(file, 'x');
    const cache = new LayerCache(path.join(file, 'layers')); // a path below a regular file
    expect(() => cache.put('k', sampleIndex())).not.toThrow();
    expect(cache.get('k')).toBeUndefined();
  });

  it('defaults under $XDG_CACHE_HOME/shipshape/layers, else ~/.cache', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/shipshape/layers');
    expect(defaultCacheDir({})).toBe(path.join(os.homedir(), '.cache', 'shipshape', 'layers'));
  });

  it('reads four layers of 4,000+ entries in a small fraction of 0.3 s', () => {
    const cache = new LayerCache(dir);
    const keys = ['l1', 'l2', 'l3', 'l4'];
    keys.forEach((k, i) => cache.put(k, { ...sampleIndex(i === 0 ? 4300 : 1500), files: new Map([['/var/lib/dpkg/status', Buffer.alloc(400_000, 97)]]) }));
    cache.get('l1'); // warm the module and the page cache, as a rescan would find them
    const t0 = performance.now();
    const got = keys.map((k) => cache.get(k)!);
    const ms = performance.now() - t0;
    expect(got.reduce((n, l) => n + l.entries.length, 0)).toBeGreaterThan(8000);
    expect(ms).toBeLessThan(100);
  });
});

describe('writes off the main thread (store, storeInventory)', () => {
  it('puts the same private files in place as put/putInventory, and remembers the index', async () => {
    const cache = new LayerCache(path.join(dir, 'async'));
    await cache.store('k', sampleIndex(3, 'z'));
    await cache.storeInventory('i', { packages: [] });
    expect(readdirSync(path.join(dir, 'async')).sort()).toEqual(['i.inventory', 'k.layer']);
    expect(statSync(path.join(dir, 'async', 'k.layer')).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(dir, 'async', 'k.layer')).equals(encodeLayerIndex(sampleIndex(3, 'z')))).toBe(true);
    expect(cache.get('k')!.files.get('/var/lib/dpkg/status')!.toString()).toContain('Package: z');
    expect(cache.getInventory('i')).toEqual({ packages: [] });
  });

  it('writes small entries at once and large ones off the thread, to the same files', async () => {
    const cache = new LayerCache(path.join(dir, 'sizes'));
    const big = { ...sampleIndex(3, 'b'), files: new Map([['/var/lib/dpkg/status', Buffer.alloc(200_000, 98)]]) };
    await Promise.all([cache.store('small', sampleIndex(3, 's')), cache.store('big', big), cache.storeInventory('inv', { n: 'x'.repeat(100_000) })]);
    expect(readdirSync(path.join(dir, 'sizes')).sort()).toEqual(['big.layer', 'inv.inventory', 'small.layer']);
    for (const f of ['big.layer', 'small.layer', 'inv.inventory']) expect(statSync(path.join(dir, 'sizes', f)).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(dir, 'sizes', 'big.layer')).equals(encodeLayerIndex(big))).toBe(true);
    expect(readFileSync(path.join(dir, 'sizes', 'small.layer')).equals(encodeLayerIndex(sampleIndex(3, 's')))).toBe(true);
    expect(cache.getInventory<{ n: string }>('inv')!.n).toHaveLength(100_000);
  });

  it('makes the directory again when it went away (a cache clean) between writes, small or large', async () => {
    const d = path.join(dir, 'cleaned');
    const cache = new LayerCache(d);
    await cache.store('a', sampleIndex(3, 'a'));
    rmSync(d, { recursive: true, force: true });
    await cache.store('b', sampleIndex(3, 'b'));
    cache.putInventory('i', { packages: [] });
    rmSync(d, { recursive: true, force: true });
    await cache.store('c', { ...sampleIndex(3, 'c'), files: new Map([['/var/lib/dpkg/status', Buffer.alloc(100_000, 99)]]) });
    cache.put('p', sampleIndex(3, 'p'));
    expect(readdirSync(d).sort()).toEqual(['c.layer', 'p.layer']);
    expect(statSync(d).mode & 0o777).toBe(0o700);
  });

  it('resolves without writing when the directory cannot be made, leaving no temp file', async () => {
    const file = path.join(dir, 'plain-file');
    writeFileSync(file, 'x');
    const cache = new LayerCache(path.join(file, 'layers'));
    await expect(cache.store('k', sampleIndex())).resolves.toBeUndefined();
    await expect(cache.storeInventory('i', {})).resolves.toBeUndefined();
    expect(cache.get('k')).toBeUndefined();
    expect(readdirSync(dir)).toEqual(['plain-file']);
  });
});

describe('layer memory (decoded indexes kept per process)', () => {
  it('serves a second read from memory: the same entries, no decoding', () => {
    const cache = new LayerCache(dir);
    cache.put('k', sampleIndex());
    const a = cache.get('k', `sha256:${'7'.repeat(64)}`)!;
    const b = cache.get('k')!;
    expect(b.entries).toBe(a.entries);
    expect(b.files).toBe(a.files);
    // Each caller gets its own record: the digest it asked for, never another caller's.
    expect(a.digest).toBe(`sha256:${'7'.repeat(64)}`);
    expect(b.digest).toBe(`sha256:${'1'.repeat(64)}`);
  });

  it('reads the file again once it was replaced, damaged or removed on disk', () => {
    const cache = new LayerCache(dir);
    const file = path.join(dir, 'k.layer');
    cache.put('k', sampleIndex(3, 'a'));
    const first = cache.get('k')!;
    // Replaced by another process (another writer's rename): the new content, not the remembered one.
    writeFileSync(file, encodeLayerIndex(sampleIndex(3, 'b')));
    const second = cache.get('k')!;
    expect(second.entries).not.toBe(first.entries);
    expect(second.files.get('/var/lib/dpkg/status')!.toString()).toContain('Package: b');
    truncateSync(file, 60);
    expect(cache.get('k')).toBeUndefined();
    expect(existsSync(file)).toBe(false);
    cache.put('k', sampleIndex());
    rmSync(file);
    expect(cache.get('k')).toBeUndefined();
  });

  it('keeps nothing for an entry it could not write', () => {
    const file = path.join(dir, 'plain-file');
    writeFileSync(file, 'x');
    const before = layerMemory().count;
    new LayerCache(path.join(file, 'layers')).put('k', sampleIndex());
    expect(layerMemory().count).toBe(before);
  });

  it('stays within its byte budget, dropping the least recently used first', () => {
    const idx = (tag: string) => ({ ...sampleIndex(10, tag), files: new Map([['/big', Buffer.alloc(10_000, tag)]]) });
    const one = layerIndexBytes(idx('a'));
    expect(one).toBeGreaterThan(10_000);
    const mem = new LayerMemory(one * 3 + 100);
    for (const t of ['a', 'b', 'c']) mem.set(t, 's', idx(t));
    expect(mem.count).toBe(3);
    expect(mem.get('a', 's')).toBeDefined(); // a is now the most recently used
    mem.set('d', 's', idx('d'));
    expect(mem.count).toBe(3);
    expect(mem.size).toBeLessThanOrEqual(mem.budget);
    expect(mem.get('b', 's')).toBeUndefined();
    expect(mem.get('a', 's')).toBeDefined();
    expect(mem.get('d', 's')).toBeDefined();
    // A stale stamp is a miss and frees the entry.
    expect(mem.get('c', 'other')).toBeUndefined();
    expect(mem.count).toBe(2);
    // One index bigger than the budget is not kept at all.
    mem.set('huge', 's', { ...idx('h'), files: new Map([['/h', Buffer.alloc(one * 4)]]) });
    expect(mem.get('huge', 's')).toBeUndefined();
    expect(mem.size).toBeLessThanOrEqual(mem.budget);
    const off = new LayerMemory(0);
    off.set('a', 's', idx('a'));
    expect(off.count).toBe(0);
  });

  it('counts a backing store shared by many contents once', () => {
    const backing = Buffer.alloc(50_000);
    const shared = { ...sampleIndex(0), files: new Map([['/a', backing.subarray(0, 10)], ['/b', backing.subarray(10, 20)]]) };
    const bytes = layerIndexBytes(shared);
    expect(bytes).toBeGreaterThanOrEqual(50_000);
    expect(bytes).toBeLessThan(60_000);
  });
});

describe.skipIf(!sharedPath('images/oci/debian-app'))('LayerCache on a real image', () => {
  it('round-trips every layer of debian-app and reads all four back in a small fraction of 0.3 s', async () => {
    const img = await openImage({ kind: 'oci', path: sharedPath('images/oci/debian-app')!, name: 'debian-app' }, {});
    const want = (p: string) => p.endsWith('/status') || p.endsWith('/package.json') || p.endsWith('os-release') || p.endsWith('.egg-info/PKG-INFO');
    const walked = await Promise.all(img.layers.map((l) => walkLayer(l, want)));
    const cache = new LayerCache(dir);
    const keys = walked.map((l) => layerCacheKey(l.diffId, 'test@1'));
    walked.forEach((l, i) => cache.put(keys[i]!, l));
    const t0 = performance.now();
    const back = keys.map((k) => cache.get(k)!);
    const ms = performance.now() - t0;
    expect(back.reduce((n, l) => n + l.entries.length, 0)).toBeGreaterThan(4000);
    back.forEach((l, i) => {
      expect(l.entries).toEqual(walked[i]!.entries);
      expect(l.whiteouts).toEqual(walked[i]!.whiteouts);
      expect(l.opaqueDirs).toEqual(walked[i]!.opaqueDirs);
      expect(new Map([...l.files].map(([k, v]) => [k, v.toString('base64')]))).toEqual(new Map([...walked[i]!.files].map(([k, v]) => [k, v.toString('base64')])));
    });
    expect(ms).toBeLessThan(100);
  });
});
