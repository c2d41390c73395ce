/** The layer walker on layers built in code: compressions, tar dialects, links, whiteouts, limits and hostile input. */
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compress as zstdCompress } from 'zstd-napi';
import { buildImage, builtBlob, memoryBlob, packTar, paxRecord, rawTar, sha256, type Compression, type EntrySpec } from '../../test/helpers/image-builder.js';
import { detectCompression, layerLimits, normalizeEntryPath, walkLayer } from './layer.js';
import type { LayerBlob, LayerIndex } from './types.js';

const all = () => true;
const none = () => false;

async function layerOf(entries: EntrySpec[], compression: Compression = 'gzip') {
  const img = await buildImage({ layers: [{ entries, compression }] });
  return img.layers[0]!;
}

const sample: EntrySpec[] = [
  { path: './', type: 'dir' },
  { path: './etc/', type: 'dir' },
  { path: './etc/os-release', content: 'ID=alpine\nVERSION_ID=3.20.3\n' },
  { path: 'etc/hostname', content: 'box\n', mode: 0o600, uid: 1000, gid: 2000 },
  { path: 'bin/sh', type: 'symlink', linkname: '/bin/busybox' },
  { path: 'bin/busybox', content: 'ELF...' },
  { path: 'bin/ash', type: 'hardlink', linkname: 'bin/busybox' },
];

describe('walkLayer', () => {
  it.each(['gzip', 'zstd', 'none'] as const)('reads a %s layer: every entry, wanted contents only', async (compression) => {
    const layer = await layerOf(sample, compression);
    const idx = await walkLayer(builtBlob(layer), (p) => p === '/etc/os-release' || p === '/bin/busybox' || p === '/bin/ash');
    expect(idx.digest).toBe(layer.digest);
    expect(idx.diffId).toBe(layer.diffId);
    expect(idx.entries.map((e) => [e.path, e.type])).toEqual([
      ['/', 'dir'],
      ['/etc', 'dir'],
      ['/etc/os-release', 'file'],
      ['/etc/hostname', 'file'],
      ['/bin/sh', 'symlink'],
      ['/bin/busybox', 'file'],
      ['/bin/ash', 'hardlink'],
    ]);
    expect(idx.entries[3]).toMatchObject({ mode: 0o600, uid: 1000, gid: 2000, size: 4 });
    expect(idx.entries[4]!.linkname).toBe('/bin/busybox');
    expect(idx.entries[6]!.linkname).toBe('/bin/busybox');
    expect([...idx.files.keys()].sort()).toEqual(['/bin/ash', '/bin/busybox', '/etc/os-release']);
    expect(idx.files.get('/etc/os-release')!.toString()).toBe('ID=alpine\nVERSION_ID=3.20.3\n');
    expect(idx.files.get('/bin/ash')!.toString()).toBe('ELF...');
  });

  it.each(['gzip', 'none'] as const)('shows keep() each wanted file whole and keeps copies that pin no decompressed chunk (%s)', async (compression) => {
    // Sizes around the 1 MiB gunzip chunk: files within one chunk are shown as views, others concatenated.
    const sizes = [10, 4096, 300_000, 900_000, 1_500_000, 2_200_000];
    const files = sizes.map((n, i) => ({ path: `f${i}`, content: Buffer.alloc(n, 97 + i) }));
    const layer = await layerOf(files.map((f) => ({ path: f.path, content: f.content })), compression);
    const shown = new Map<string, Buffer>();
    const idx = await walkLayer(builtBlob(layer, 700_000), all, undefined, (p, _e, content) => {
      shown.set(p, Buffer.from(content));
      return Number(p.slice(2)) % 2 === 0; // keep f0, f2, f4
    });
    for (const [i, f] of files.entries()) {
      expect(shown.get(`/f${i}`)!.equals(f.content)).toBe(true);
      const kept = idx.files.get(`/f${i}`);
      if (i % 2) expect(kept).toBeUndefined();
      else {
        expect(kept!.equals(f.content)).toBe(true);
        // Its own memory (or the small-buffer pool's 8 KiB), not a view into a larger chunk.
        expect(kept!.buffer.byteLength).toBeLessThanOrEqual(Math.max(kept!.length, 8192));
      }
    }
  });

  it('keeps a wanted hardlink only when its target was kept', async () => {
    const layer = await layerOf(sample);
    const idx = await walkLayer(builtBlob(layer), (p) => p === '/bin/ash');
    expect(idx.files.size).toBe(0);
  });

  it('passes each entry to want with its metadata', async () => {
    const layer = await layerOf(sample);
    const seen: string[] = [];
    await walkLayer(builtBlob(layer), (p, e) => {
      seen.push(`${p}:${e.type}:${e.size}`);
      return false;
    });
    expect(seen).toEqual(['/etc/os-release:file:28', '/etc/hostname:file:4', '/bin/busybox:file:6', '/bin/ash:hardlink:0']);
  });

  it('records whiteouts and opaque dirs, never as entries', async () => {
    const layer = await layerOf([
      { path: 'app/', type: 'dir' },
      { path: 'app/.wh..env', content: '' },
      { path: 'var/log/', type: 'dir' },
      { path: 'var/log/.wh..wh..opq', content: '' },
      { path: 'var/log/app/', type: 'dir' },
      { path: '.wh.tmp', content: '' },
      { path: 'x/.wh..wh.plnk', content: '' }, // aufs bookkeeping: neither entry nor whiteout
    ]);
    const idx = await walkLayer(builtBlob(layer), all);
    expect(idx.whiteouts).toEqual(['/app/.env', '/tmp']);
    expect(idx.opaqueDirs).toEqual(['/var/log']);
    expect(idx.entries.map((e) => e.path)).toEqual(['/app', '/var/log', '/var/log/app']);
    expect(idx.files.size).toBe(0);
  });

  it('reads PAX long names and GNU long names and long link targets', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
    const pax = await layerOf([{ path: long, content: 'pax' }], 'none');
    const paxIdx = await walkLayer(builtBlob(pax), all);
    expect(paxIdx.files.get(`/${long}`)!.toString()).toBe('pax');

    const gnu = rawTar([
      { name: '././@LongLink', typeflag: 'L', data: `${long}\0` },
      { name: long.slice(0, 100), data: 'gnu' },
      { name: '././@LongLink', typeflag: 'K', data: `/${long}\0` },
      { name: 'short-link', typeflag: '2', linkname: 'truncated' },
    ]);
    const idx = await walkLayer(memoryBlob(gnu), all);
    expect(idx.entries.map((e) => e.path)).toEqual([`/${long}`, '/short-link']);
    expect(idx.files.get(`/${long}`)!.toString()).toBe('gnu');
    expect(idx.entries[1]!.linkname).toBe(`/${long}`);
  });

  it('detects compression by magic bytes, whatever the media type says', async () => {
    const layer = await layerOf(sample, 'zstd');
    const lying = { ...builtBlob(layer), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' };
    expect((await walkLayer(lying, none)).entries.length).toBe(7);
    expect(detectCompression(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe('gzip');
    expect(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))).toBe('zstd');
    expect(detectCompression(Buffer.from('./etc'))).toBe('none');
  });

  it('works on blobs that arrive in tiny chunks (headers split across chunks)', async () => {
    for (const c of ['gzip', 'zstd', 'none'] as const) {
      const layer = await layerOf(sample, c);
      const idx = await walkLayer(builtBlob(layer, 3), all);
      expect(idx.files.get('/etc/os-release')!.toString()).toContain('alpine');
      expect(idx.entries.length).toBe(7);
    }
  });

  it('reads a multi-member gzip stream', async () => {
    const tarBytes = await packTar(sample);
    const blob = Buffer.concat([zlib.gzipSync(tarBytes.subarray(0, 1000)), zlib.gzipSync(tarBytes.subarray(1000))]);
    const idx = await walkLayer(memoryBlob(blob, { diffId: sha256(tarBytes) }), all);
    expect(idx.entries.length).toBe(7);
  });

  it('is safe to run concurrently on many layers', async () => {
    const layers = await Promise.all(['gzip', 'zstd', 'none', 'gzip'].map((c, i) => layerOf([...sample, { path: `layer${i}`, content: `${i}` }], c as Compression)));
    const results = await Promise.all(layers.map((l) => walkLayer(builtBlob(l, 100), all)));
    results.forEach((r, i) => expect(r.files.get(`/layer${i}`)!.toString()).toBe(`${i}`));
  });

  it('normalises paths and refuses ones that climb out of the root', () => {
    expect(normalizeEntryPath('./etc/x')).toBe('/etc/x');
    expect(normalizeEntryPath('/etc//x/')).toBe('/etc/x');
    expect(normalizeEntryPath('a/../b')).toBe('/b');
    expect(normalizeEntryPath('./')).toBe('/');
    expect(normalizeEntryPath('../etc/passwd')).toBeUndefined();
    expect(normalizeEntryPath('a/../../x')).toBeUndefined();
  });
});

describe('walkLayer on bad input', () => {
  const expectCode = async (p: Promise<unknown>, code: string, msg?: RegExp) => {
    const t0 = Date.now();
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'the walk should have failed').toBeDefined();
    expect(err).toMatchObject({ name: 'ShipshapeError', code });
    if (msg) expect((err as Error).message).toMatch(msg);
    expect(Date.now() - t0).toBeLessThan(5000);
  };

  it.each(['gzip', 'zstd'] as const)('truncated %s stream → corrupt-layer naming the layer', async (compression) => {
    const img = await buildImage({ layers: [{ entries: [{ path: 'big', content: Buffer.from(Buffer.alloc(200_000, 7).map((_, i) => (i * 7919) % 251)) }], compression, mutate: (b) => b.subarray(0, b.length - 200) }] });
    const layer = img.layers[0]!;
    await expectCode(walkLayer(builtBlob(layer), all), 'corrupt-layer', new RegExp(`layer ${layer.digest}`));
  });

  it('corrupt gzip bytes → corrupt-layer', async () => {
    const img = await buildImage({ layers: [{ entries: sample, mutate: (b) => Buffer.concat([b.subarray(0, 20), Buffer.alloc(40, 0xff), b.subarray(60)]) }] });
    await expectCode(walkLayer(builtBlob(img.layers[0]!), all), 'corrupt-layer');
  });

  it('a plain tar cut mid-entry → corrupt-layer', async () => {
    const tarBytes = await packTar([{ path: 'f', content: Buffer.alloc(5000, 1) }]);
    const cut = tarBytes.subarray(0, 2048);
    await expectCode(walkLayer(memoryBlob(cut), all), 'corrupt-layer');
  });

  it('bytes that are not a tar → corrupt-layer', async () => {
    const junk = Buffer.alloc(4096, 0x41);
    await expectCode(walkLayer(memoryBlob(junk), all), 'corrupt-layer');
  });

  it('an empty blob → corrupt-layer', async () => {
    await expectCode(walkLayer(memoryBlob(Buffer.alloc(0)), all), 'corrupt-layer');
  });

  it('uncompressed content not matching the diff_id → digest-mismatch', async () => {
    const img = await buildImage({ layers: [{ entries: sample, diffId: `sha256:${'0'.repeat(64)}` }] });
    await expectCode(walkLayer(builtBlob(img.layers[0]!), all), 'digest-mismatch', /diff_id sha256:0000/);
  });

  it.each([
    ['../etc/passwd', [{ path: '../etc/passwd', content: 'root::0:0' }]],
    ['a/../../x', [{ path: 'a/../../x', content: 'x' }]],
    ['a hardlink to ../../etc/shadow', [{ path: 'ok', type: 'hardlink', linkname: '../../etc/shadow' }]],
  ] as Array<[string, EntrySpec[]]>)('%s → unsafe-path', async (_name, entries) => {
    const layer = await layerOf(entries);
    await expectCode(walkLayer(builtBlob(layer), all), 'unsafe-path');
  });

  it('absolute entry paths stay inside the root', async () => {
    const layer = await layerOf([{ path: '/etc/passwd', content: 'root' }]);
    expect((await walkLayer(builtBlob(layer), all)).files.get('/etc/passwd')!.toString()).toBe('root');
  });

  it.each(['gzip', 'zstd'] as const)('%s decompression bomb → too-large, early', async (compression) => {
    const img = await buildImage({ layers: [{ entries: [{ path: 'zeros', zeros: 10 * 1024 * 1024 }], compression }] });
    const layer = img.layers[0]!;
    expect(layer.data.length).toBeLessThan(64 * 1024);
    await expectCode(
      walkLayer(builtBlob(layer), none, { maxLayerBytes: 1024 * 1024 }),
      'too-large',
      new RegExp(`layer ${layer.digest} decompresses past the limit of 1048576 bytes \\(decompression bomb\\?\\)`),
    );
  });

  it('too many entries → too-large', async () => {
    const layer = await layerOf(sample);
    await expectCode(walkLayer(builtBlob(layer), none, { maxEntries: 3 }), 'too-large', /more than 3 entries/);
  });

  it('a wanted binary over maxFileBytes → too-large naming it', async () => {
    const layer = await layerOf([{ path: 'var/lib/big', content: Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(4092)]) }]);
    await expectCode(walkLayer(builtBlob(layer), all, { maxFileBytes: 1000 }), 'too-large', /\/var\/lib\/big is 4096 bytes, over the limit of 1000 for a binary or archive/);
    // Not wanted: not read into memory, so no limit applies.
    expect((await walkLayer(builtBlob(layer), none, { maxFileBytes: 1000 })).entries.length).toBe(1);
  });

  it('a wanted document over maxDocumentBytes → too-large naming it and the limit; an ELF or zip of that size passes', async () => {
    const big = Buffer.alloc(5000, 0x7b); // '{{{…': a lockfile, not a binary
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(4996)]);
    const jar = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(4996)]);
    const layer = await layerOf([{ path: 'app/package-lock.json', content: big }]);
    await expectCode(
      walkLayer(builtBlob(layer, 1), all, { maxDocumentBytes: 4096 }),
      'too-large',
      /\/app\/package-lock\.json is 5000 bytes, over the limit of 4096 for a lockfile, package database or manifest \(set SHIPSHAPE_MAX_DOCUMENT_BYTES/,
    );
    const ok = await walkLayer(builtBlob(await layerOf([{ path: 'bin/app', content: elf }, { path: 'lib/a.jar', content: jar }]), 3), all, { maxDocumentBytes: 4096 });
    expect(ok.files.get('/bin/app')!.length).toBe(5000);
    expect(ok.files.get('/lib/a.jar')!.length).toBe(5000);
    // An executable that is not ELF (a self-extracting shell installer) was only a binary candidate: skipped, not refused.
    const sh = await walkLayer(builtBlob(await layerOf([{ path: 'opt/install.run', content: big, mode: 0o755 }])), all, { maxDocumentBytes: 4096 });
    expect(sh.files.has('/opt/install.run')).toBe(false);
    expect(sh.entries.map((e) => e.path)).toEqual(['/opt/install.run']);
  });

  describe('hostile tar headers', () => {
    const paxRecords = (records: Record<string, string>) => Object.entries(records).map(([k, v]) => paxRecord(k, v)).join('');

    it('a pax size of -1536 → corrupt-layer, no loop', async () => {
      const tar = rawTar([{ name: 'PaxHeaders/f', typeflag: 'x', data: paxRecords({ size: '-1536' }) }, { name: 'f', data: 'x'.repeat(2048) }]);
      await expectCode(walkLayer(memoryBlob(tar), all), 'corrupt-layer', /invalid header/i);
    });

    it('a pax path over 4 KiB → too-large naming the limit', async () => {
      const tar = rawTar([{ name: 'PaxHeaders/f', typeflag: 'x', data: paxRecords({ path: 'a/'.repeat(3000) }) }, { name: 'f', data: 'x' }]);
      await expectCode(walkLayer(memoryBlob(tar), none), 'too-large', /longer than 4096 bytes \(limit\)/);
    });

    it('a GNU long name over 4 KiB → too-large before it is decoded', async () => {
      const tar = rawTar([{ name: '././@LongLink', typeflag: 'L', data: 'b'.repeat(100_000) }, { name: 'f', data: 'x' }]);
      await expectCode(walkLayer(memoryBlob(tar), none), 'too-large', /GNU long name of 100000 bytes/);
    });

    it('an extension header over 1 MiB → too-large', async () => {
      const tar = rawTar([{ name: 'PaxHeaders/f', typeflag: 'x', data: paxRecords({ comment: 'c'.repeat(1.5 * 1024 * 1024) }) }, { name: 'f', data: 'x' }]);
      await expectCode(walkLayer(memoryBlob(tar), none), 'too-large', /pax-header header of \d+ bytes \(limit 1048576\)/);
    });

    it('many pax headers past maxHeaderBytes → too-large naming SHIPSHAPE_MAX_HEADER_BYTES', async () => {
      const entries = [];
      for (let i = 0; i < 40; i++) entries.push({ name: 'PaxHeaders/f', typeflag: 'x', data: paxRecords({ comment: 'c'.repeat(60_000) }) }, { name: `f${i}`, data: 'x' });
      const tar = rawTar(entries);
      await expectCode(walkLayer(memoryBlob(tar), none, { maxHeaderBytes: 1024 * 1024 }), 'too-large', /more than 1048576 bytes of tar headers.*SHIPSHAPE_MAX_HEADER_BYTES/);
      expect((await walkLayer(memoryBlob(tar), none)).entries.length).toBe(40);
    });
  });

  describe('limits from the environment', () => {
    afterEach(() => vi.unstubAllEnvs());
    it('SHIPSHAPE_MAX_LAYER_BYTES overrides the default; explicit limits override both', async () => {
      vi.stubEnv('SHIPSHAPE_MAX_LAYER_BYTES', '2048');
      expect(layerLimits().maxLayerBytes).toBe(2048);
      expect(layerLimits({ maxLayerBytes: 10 }).maxLayerBytes).toBe(10);
      const layer = await layerOf([{ path: 'f', zeros: 10_000 }]);
      await expectCode(walkLayer(builtBlob(layer), none), 'too-large');
      vi.stubEnv('SHIPSHAPE_MAX_LAYER_BYTES', 'lots');
      expect(() => layerLimits()).toThrow(/SHIPSHAPE_MAX_LAYER_BYTES/);
    });
    it('defaults: 16 GiB per layer, 256 MiB per kept binary, 32 MiB per kept document, 2,000,000 entries, 256 MiB of headers', () => {
      vi.stubEnv('SHIPSHAPE_MAX_LAYER_BYTES', '');
      expect(layerLimits()).toEqual({
        maxLayerBytes: 16 * 1024 ** 3,
        maxFileBytes: 256 * 1024 ** 2,
        maxDocumentBytes: 32 * 1024 ** 2,
        maxEntries: 2_000_000,
        maxHeaderBytes: 256 * 1024 ** 2,
      });
    });
  });

  it('a blob stream that fails midway → one rejection, streams torn down', async () => {
    const layer = await layerOf([{ path: 'f', content: Buffer.alloc(300_000, 3) }], 'none');
    let destroyed = false;
    const blob: LayerBlob = {
      ...builtBlob(layer),
      open: async () => {
        let sent = 0;
        const r = new Readable({
          read() {
            if (sent++ < 2) this.push(layer.data.subarray((sent - 1) * 65536, sent * 65536));
            else this.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
          },
        });
        r.on('close', () => (destroyed = true));
        return r;
      },
    };
    await expectCode(walkLayer(blob, all), 'network', /socket hang up/);
    expect(destroyed).toBe(true);
  });

  it('a blob whose own digest check fails → that digest-mismatch, unchanged', async () => {
    const { verifiedStream } = await import('./oci-layout/index.js');
    const layer = await layerOf(sample);
    const blob: LayerBlob = {
      ...builtBlob(layer),
      digest: `sha256:${'e'.repeat(64)}`,
      open: async () => verifiedStream(Readable.from([layer.data]), `sha256:${'e'.repeat(64)}`, layer.data.length, 'blob X'),
    };
    await expectCode(walkLayer(blob, all), 'digest-mismatch', /blob X/);
  });

  it('a changed byte that also breaks the gzip stream → digest-mismatch every time, not corrupt-layer', async () => {
    // The blob's digest is known only at its end, zlib may notice the damage first: the blob's
    // digest-mismatch must still win (it was a race; 40 walks of each damage, big and small).
    const { verifiedStream } = await import('./oci-layout/index.js');
    const { randomBytes } = await import('node:crypto');
    const big = await layerOf([...sample, { path: 'big', content: randomBytes(3 * 1024 * 1024) }]);
    for (const layer of [await layerOf(sample), big]) {
      for (const at of [12, layer.data.length >> 1, layer.data.length - 6]) {
        const bad = Buffer.from(layer.data);
        bad[at]! ^= 0xff;
        const blob: LayerBlob = { ...builtBlob(layer), open: async () => verifiedStream(Readable.from([bad.subarray(0, 100_000), bad.subarray(100_000)].filter((c) => c.length)), layer.digest, layer.data.length, 'blob X') };
        const codes = await Promise.all(Array.from({ length: 40 }, () => walkLayer(blob, all).then(() => 'ok', (e: { code: string }) => e.code)));
        expect(new Set(codes)).toEqual(new Set(['digest-mismatch']));
      }
    }
  });

  it('a path filter that throws → internal, not blamed on the layer', async () => {
    const layer = await layerOf(sample);
    const boom = () => {
      throw new TypeError('oops');
    };
    await expectCode(walkLayer(builtBlob(layer), boom), 'internal', /path filter failed on \/etc\/os-release \(oops\)/);
  });

  it('a blob that cannot be opened → its error', async () => {
    const { ShipshapeError } = await import('../errors.js');
    const blob: LayerBlob = { ...memoryBlob(Buffer.alloc(10)), open: async () => Promise.reject(new ShipshapeError('not-found', 'gone')) };
    await expectCode(walkLayer(blob, all), 'not-found', /gone/);
  });

  it('zstd frames cut at the end → corrupt-layer, not a silent short read', async () => {
    const tarBytes = await packTar(sample);
    const z = zstdCompress(tarBytes);
    await expectCode(walkLayer(memoryBlob(z.subarray(0, z.length - 5), { diffId: sha256(tarBytes) }), all), 'corrupt-layer');
  });
});

describe('the light path for small blobs (readSmall: read whole, inflated at once)', () => {
  /** `blob` offering readSmall as oci-layout does (digest and size checked); counts stream opens. */
  const light = (blob: LayerBlob, raw?: Buffer, what = 'blob X') => {
    const opens = { n: 0 };
    const withSmall: LayerBlob = {
      ...blob,
      open: async () => {
        opens.n++;
        return blob.open();
      },
      readSmall: async () => {
        const { verifyBuffer } = await import('./digest.js');
        const chunks: Buffer[] = [];
        if (!raw) for await (const c of await blob.open()) chunks.push(c as Buffer);
        const data = raw ?? Buffer.concat(chunks);
        if (data.length !== blob.size) return undefined;
        verifyBuffer(data, blob.digest, what);
        return data;
      },
    };
    return { blob: withSmall, opens };
  };
  const outcome = async (p: Promise<LayerIndex>) =>
    p.then(
      (idx) => ({ entries: idx.entries, files: [...idx.files].map(([k, v]) => [k, v.toString('base64')]), whiteouts: idx.whiteouts, opaque: idx.opaqueDirs }),
      (e: { code?: string; message?: string; name?: string }) => ({ name: e.name, code: e.code, message: e.message }),
    );
  const bomb = (compression: Compression, zeros: number) => buildImage({ layers: [{ entries: [{ path: 'zeros', zeros }], compression }] }).then((i) => i.layers[0]!);
  const cases: Array<[string, () => Promise<LayerBlob>, Partial<Parameters<typeof walkLayer>[2]>?]> = [
    ['a gzip layer', async () => builtBlob(await layerOf(sample))],
    ['a plain tar layer', async () => builtBlob(await layerOf(sample, 'none'))],
    ['a zstd layer (stream path)', async () => builtBlob(await layerOf(sample, 'zstd'))],
    ['whiteouts and an opaque dir', async () => builtBlob(await layerOf([{ path: 'etc/.wh.passwd', content: '' }, { path: 'var/.wh..wh..opq', content: '' }, ...sample]))],
    ['truncated gzip', async () => builtBlob((await buildImage({ layers: [{ entries: sample, mutate: (b) => b.subarray(0, b.length - 30) }] })).layers[0]!)],
    ['corrupt gzip', async () => builtBlob((await buildImage({ layers: [{ entries: sample, mutate: (b) => Buffer.concat([b.subarray(0, 20), Buffer.alloc(40, 0xff), b.subarray(60)]) }] })).layers[0]!)],
    ['a plain tar cut mid-entry', async () => memoryBlob((await packTar([{ path: 'f', content: Buffer.alloc(5000, 1) }])).subarray(0, 2048))],
    ['bytes that are not a tar', async () => memoryBlob(Buffer.alloc(4096, 0x41))],
    ['a wrong diff_id', async () => builtBlob((await buildImage({ layers: [{ entries: sample, diffId: `sha256:${'0'.repeat(64)}` }] })).layers[0]!)],
    ['a path climbing out', async () => builtBlob(await layerOf([{ path: '../etc/passwd', content: 'root::0:0' }]))],
    ['a hardlink out', async () => builtBlob(await layerOf([{ path: 'ok', type: 'hardlink', linkname: '../../etc/shadow' }]))],
    ['too many entries', async () => builtBlob(await layerOf(sample)), { maxEntries: 3 }],
    ['a document over its limit', async () => builtBlob(await layerOf([{ path: 'app/package-lock.json', content: Buffer.alloc(5000, 0x7b) }])), { maxDocumentBytes: 4096 }],
    ['a bomb under the light limit, over maxLayerBytes', async () => builtBlob(await bomb('gzip', 2 * 1024 * 1024)), { maxLayerBytes: 1024 * 1024 }],
    ['a bomb over the light limit (stream path)', async () => builtBlob(await bomb('gzip', 10 * 1024 * 1024)), { maxLayerBytes: 8 * 1024 * 1024 }],
  ];

  it.each(cases)('%s: the same index or the same error as the stream path', async (_name, make, limits) => {
    const blob = await make();
    const plain = await outcome(walkLayer(blob, all, limits));
    const { blob: small, opens } = light(blob);
    expect(await outcome(walkLayer(small, all, limits))).toEqual(plain);
    // Small gzip and plain tars never open a stream; zstd and big bombs take the stream path.
    expect(opens.n).toBe(_name.includes('stream path') ? 1 : 0);
  });

  it('a blob whose bytes do not match its digest → digest-mismatch from readSmall, nothing parsed', async () => {
    const layer = await layerOf(sample);
    const { blob } = light({ ...builtBlob(layer), digest: `sha256:${'e'.repeat(64)}` });
    await expect(walkLayer(blob, all)).rejects.toMatchObject({ name: 'ShipshapeError', code: 'digest-mismatch', message: expect.stringMatching(/^blob X: content has digest/) });
  });

  it('a blob not of its descriptor size → the stream path and its error', async () => {
    const layer = await layerOf(sample);
    const { verifiedStream } = await import('./oci-layout/index.js');
    const blob: LayerBlob = { ...builtBlob(layer), size: layer.data.length - 1, open: async () => verifiedStream(Readable.from([layer.data]), layer.digest, layer.data.length - 1, 'blob X') };
    const plain = await outcome(walkLayer(blob, all));
    const { blob: small, opens } = light(blob, layer.data);
    expect(await outcome(walkLayer(small, all))).toEqual(plain);
    expect(plain).toMatchObject({ code: 'too-large' });
    expect(opens.n).toBe(1);
  });
});
