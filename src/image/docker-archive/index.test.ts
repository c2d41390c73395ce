/** docker-archive specifics: tag matching, member links, and archives that are not what they claim. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildImage, packArchive, paxRecord, rawTar, sha256, writeDockerArchive } from '../../../test/helpers/image-builder.js';
import { walkLayer } from '../layer.js';
import { normalizeTag, openDockerArchive, tagMatches } from './index.js';
import { TarIndex } from './tar-index.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'shipshape-darchive-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => path.join(root, `a${n++}.tar`);
const ref = (file: string, tag?: string) => ({ kind: 'docker-archive' as const, path: file, name: `docker-archive:${file}`, ...(tag ? { tag } : {}) });
const layer = [{ path: 'etc/os-release', content: 'ID=test\n' }];

describe('tag matching', () => {
  it('normalises names as Docker does', () => {
    expect(normalizeTag('alpine')).toBe('docker.io/library/alpine:latest');
    expect(normalizeTag('alpine:3.20')).toBe('docker.io/library/alpine:3.20');
    expect(normalizeTag('me/app:1')).toBe('docker.io/me/app:1');
    expect(normalizeTag('localhost:5000/app')).toBe('localhost:5000/app:latest');
    expect(normalizeTag('ghcr.io/o/app:2')).toBe('ghcr.io/o/app:2');
  });
  it('matches full names, short names and bare tags', () => {
    expect(tagMatches('alpine-3.20:latest', 'docker.io/library/alpine-3.20:latest')).toBe(true);
    expect(tagMatches('alpine-3.20', 'docker.io/library/alpine-3.20:latest')).toBe(true);
    expect(tagMatches('arm64', 'alpine-3.20-multiarch:arm64')).toBe(true);
    expect(tagMatches('alpine:3.19', 'alpine:3.20')).toBe(false);
    expect(tagMatches('other:arm64', 'alpine:arm64')).toBe(false);
  });
});

describe('openDockerArchive', () => {
  it('finds an image by any spelling of its tag; refuses unknown and ambiguous tags', async () => {
    const a = await buildImage({ layers: [layer] });
    const b = await buildImage({ layers: [[{ path: 'b', content: 'b' }]] });
    const file = await writeDockerArchive(fresh(), [a, b], { tags: ['docker.io/library/app:1', 'app:2'] });
    expect((await openDockerArchive(ref(file, 'app:1'), {})).configDigest).toBe(a.config.digest);
    expect((await openDockerArchive(ref(file, 'docker.io/library/app:2'), {})).configDigest).toBe(b.config.digest);
    expect((await openDockerArchive(ref(file, '2'), {})).configDigest).toBe(b.config.digest);
    await expect(openDockerArchive(ref(file, 'app:3'), {})).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/app:1, app:2/) });
    const dup = await writeDockerArchive(fresh(), [a, b], { tags: ['app:1', 'docker.io/library/app:1'] });
    await expect(openDockerArchive(ref(dup, 'app:1'), {})).rejects.toMatchObject({ code: 'bad-reference' });
  });

  it('describes a classic image with the manifest it implies', async () => {
    const img = await buildImage({ layers: [layer, { entries: layer, compression: 'none' }] });
    const file = await writeDockerArchive(fresh(), img, { tag: 'app:1' });
    const src = await openDockerArchive(ref(file), {});
    expect(src.configDigest).toBe(img.config.digest);
    expect(src.manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(src.manifest.layers.map((l) => l.mediaType)).toEqual([
      'application/vnd.docker.image.rootfs.diff.tar.gzip',
      'application/vnd.docker.image.rootfs.diff.tar',
    ]);
    expect(src.digest).toBe(sha256(JSON.stringify(src.manifest)));
  });

  it('uses the diff_id as digest for a compressed member not named by its digest', async () => {
    const img = await buildImage({ layers: [layer] });
    const l = img.layers[0]!;
    const manifest = [{ Config: 'config.json', RepoTags: ['x:1'], Layers: ['layer-one/layer.tar'] }];
    const file = fresh();
    writeFileSync(
      file,
      await packArchive([
        { name: 'config.json', data: img.config.data },
        { name: 'layer-one/layer.tar', data: l.data },
        { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) },
      ]),
    );
    const src = await openDockerArchive(ref(file), {});
    expect(src.layers[0]!.digest).toBe(l.diffId);
    expect((await walkLayer(src.layers[0]!, () => true)).files.get('/etc/os-release')!.toString()).toBe('ID=test\n');
  });

  it('refuses member links that leave the archive', async () => {
    const img = await buildImage({ layers: [layer] });
    const file = fresh();
    const manifest = [{ Config: 'c.json', RepoTags: null, Layers: ['l/layer.tar'] }];
    writeFileSync(
      file,
      await packArchive([
        { name: 'c.json', data: img.config.data },
        { name: 'l/layer.tar', symlink: '../../../etc/passwd' },
        { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) },
      ]),
    );
    await expect(openDockerArchive(ref(file), {})).rejects.toMatchObject({ code: 'unsafe-path' });
  });

  it('refuses files that are not tar archives, truncated archives, and missing files', async () => {
    const junk = fresh();
    writeFileSync(junk, Buffer.alloc(2048, 'j'));
    await expect(openDockerArchive(ref(junk), {})).rejects.toMatchObject({ code: 'bad-image', message: expect.stringMatching(/not a tar/) });
    const gz = fresh();
    writeFileSync(gz, zlib.gzipSync(Buffer.alloc(4096)));
    await expect(openDockerArchive(ref(gz), {})).rejects.toMatchObject({ code: 'bad-image' });
    const img = await buildImage({ layers: [{ entries: [{ path: 'f', content: Buffer.alloc(50_000, 1) }], compression: 'none' }] });
    const whole = await writeDockerArchive(fresh(), img, { tag: 'a:1' });
    const cut = fresh();
    const { readFileSync } = await import('node:fs');
    writeFileSync(cut, readFileSync(whole).subarray(0, 30_000));
    await expect(openDockerArchive(ref(cut), {})).rejects.toMatchObject({ code: 'bad-image' });
    await expect(openDockerArchive(ref(path.join(root, 'absent.tar')), {})).rejects.toMatchObject({ code: 'not-found' });
    const empty = fresh();
    writeFileSync(empty, await packArchive([{ name: 'hello.txt', data: Buffer.from('hi') }]));
    await expect(openDockerArchive(ref(empty), {})).rejects.toMatchObject({ code: 'bad-image', message: expect.stringMatching(/no manifest.json/) });
  });

  it('indexes long member names and follows hardlinked members', async () => {
    const long = `${'x'.repeat(150)}/layer.tar`;
    const file = fresh();
    const { packTar } = await import('../../../test/helpers/image-builder.js');
    writeFileSync(
      file,
      await packTar([
        { path: long, content: 'data' },
        { path: 'alias', type: 'hardlink', linkname: long },
      ]),
    );
    const idx = await TarIndex.load(file, 'test');
    const m = idx.find('alias')!;
    expect(m.name).toBe(long);
    expect((await idx.read(m)).toString()).toBe('data');
  });

  describe('hostile archives end in one error, quickly', () => {
    const load = async (entries: Parameters<typeof rawTar>[0]) => {
      const file = fresh();
      writeFileSync(file, rawTar(entries));
      return TarIndex.load(file, 'archive.tar');
    };

    it('a pax size of -1536 (was an endless loop)', async () => {
      await expect(load([{ name: 'PaxHeaders/m', typeflag: 'x', data: paxRecord('size', '-1536') }, { name: 'manifest.json', data: 'x'.repeat(2048) }])).rejects.toMatchObject({
        code: 'bad-image',
        message: 'archive.tar: tar member "manifest.json" has an invalid pax size "-1536"',
      });
    });

    it('a pax size that is not a number (was "bad header checksum at byte NaN")', async () => {
      await expect(load([{ name: 'PaxHeaders/m', typeflag: 'x', data: paxRecord('size', 'lots') }, { name: 'manifest.json', data: '[]' }])).rejects.toMatchObject({
        code: 'bad-image',
        message: expect.stringMatching(/invalid pax size "lots"/),
      });
    });

    it('a header size field that is not octal', async () => {
      const tar = rawTar([{ name: 'manifest.json', data: '[]' }]);
      tar.write('9zz\0', 124, 'latin1');
      let sum = 0;
      tar.fill(0x20, 148, 156);
      for (let i = 0; i < 512; i++) sum += tar[i]!;
      tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
      const file = fresh();
      writeFileSync(file, tar);
      await expect(TarIndex.load(file, 'archive.tar')).rejects.toMatchObject({ code: 'bad-image', message: 'archive.tar: tar header at byte 0 has an invalid size field' });
    });

    it('a member name over 4 KiB', async () => {
      await expect(load([{ name: 'PaxHeaders/m', typeflag: 'x', data: paxRecord('path', 'p/'.repeat(2100)) }, { name: 'm', data: '' }])).rejects.toMatchObject({
        code: 'too-large',
        message: expect.stringMatching(/longer than 4096 bytes \(limit\)/),
      });
    });
  });
});
