/** OCI layout specifics: selection by digest/tag/platform, nested indexes, and layouts that point outside themselves. */
import { mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildImage, corruptOciBlob, ociLayoutFiles, sha256, writeOciLayout } from '../../../test/helpers/image-builder.js';
import { openOciLayout } from './index.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'shipshape-oci-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => path.join(root, `l${n++}`);
const ref = (dir: string, extra: { tag?: string; digest?: string } = {}) => ({ kind: 'oci' as const, path: dir, name: `oci:${dir}`, ...extra });
const layer = [{ path: 'etc/os-release', content: 'ID=test\n' }];

describe('openOciLayout', () => {
  it('opens by tag, by manifest digest, and the only image without either', async () => {
    const img = await buildImage({ layers: [layer] });
    const dir = writeOciLayout(fresh(), img, { tag: 'v1' });
    for (const r of [ref(dir, { tag: 'v1' }), ref(dir, { digest: img.manifest.digest }), ref(dir)]) {
      const src = await openOciLayout(r, {});
      expect(src.digest).toBe(img.manifest.digest);
      expect(src.configDigest).toBe(img.config.digest);
      expect(src.layers[0]!.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    }
    await expect(openOciLayout(ref(dir, { tag: 'v2' }), {})).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/tags: v1/) });
    await expect(openOciLayout(ref(dir, { digest: sha256('other') }), {})).rejects.toMatchObject({ code: 'not-found' });
  });

  it('asks for a tag when index.json lists several untagged images', async () => {
    const a = await buildImage({ layers: [layer] });
    const b = await buildImage({ layers: [[{ path: 'b', content: 'b' }]] });
    const dir = fresh();
    writeOciLayout(dir, a, { tag: 'a' });
    const files = ociLayoutFiles(b, { tag: 'b' });
    for (const [rel, data] of files) if (rel.startsWith('blobs/')) writeFileSync(path.join(dir, rel), data);
    const index = JSON.parse(files.get('index.json')!.toString());
    const mine = JSON.parse(ociLayoutFiles(a, { tag: 'a' }).get('index.json')!.toString());
    const both = { ...mine, manifests: [...mine.manifests, ...index.manifests].map((d: { platform?: unknown }) => ({ ...d, platform: undefined })) };
    writeFileSync(path.join(dir, 'index.json'), JSON.stringify(both));
    await expect(openOciLayout(ref(dir), {})).rejects.toMatchObject({ code: 'bad-reference' });
    expect((await openOciLayout(ref(dir, { tag: 'b' }), {})).digest).toBe(b.manifest.digest);
  });

  it('follows a nested index to the platform asked for, variant included', async () => {
    const amd = await buildImage({ layers: [layer], platform: { os: 'linux', architecture: 'amd64' } });
    const armv7 = await buildImage({ layers: [[{ path: 'v7', content: '' }]], platform: { os: 'linux', architecture: 'arm', variant: 'v7' } });
    const arm64 = await buildImage({ layers: [[{ path: 'v8', content: '' }]], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    const dir = writeOciLayout(fresh(), [amd, armv7, arm64], { tag: 'latest' });
    const pick = async (architecture: string, variant?: string) =>
      (await openOciLayout(ref(dir, { tag: 'latest' }), { platform: { os: 'linux', architecture, ...(variant ? { variant } : {}) } })).digest;
    expect(await pick('amd64')).toBe(amd.manifest.digest);
    expect(await pick('arm', 'v7')).toBe(armv7.manifest.digest);
    expect(await pick('arm64')).toBe(arm64.manifest.digest);
  });

  it('checks manifest bytes against the digest that names them', async () => {
    const img = await buildImage({ layers: [layer] });
    const dir = writeOciLayout(fresh(), img, { tag: 'v1' });
    corruptOciBlob(dir, img.manifest.digest, (b) => Buffer.from(b.toString().replace('"schemaVersion":2', '"schemaVersion": 2')));
    await expect(openOciLayout(ref(dir), {})).rejects.toMatchObject({ code: 'digest-mismatch' });
  });

  it('reads a small layer whole with the stream\'s checks: same index, same errors for a changed, cut or grown blob', async () => {
    const { walkLayer } = await import('../layer.js');
    const outcome = (p: Promise<unknown>) => p.then((i) => ({ ok: JSON.stringify(i, (_k, v) => (v instanceof Map ? [...v] : v)) }), (e: Error & { code?: string }) => ({ code: e.code, message: e.message }));
    const damages: Array<(b: Buffer) => Buffer> = [
      (b) => b,
      (b) => Buffer.concat([b.subarray(0, 10), Buffer.from([b[10]! ^ 0xff]), b.subarray(11)]),
      (b) => b.subarray(0, b.length - 7),
      (b) => Buffer.concat([b, Buffer.alloc(9)]),
    ];
    const seen = new Set<string>();
    for (const damage of damages) {
      const img = await buildImage({ layers: [layer] });
      const dir = writeOciLayout(fresh(), img, { tag: 'v1' });
      corruptOciBlob(dir, img.layers[0]!.digest, damage);
      const blob = (await openOciLayout(ref(dir), {})).layers[0]!;
      expect(blob.readSmall).toBeTypeOf('function');
      const whole = await outcome(walkLayer(blob, () => true));
      expect(whole).toEqual(await outcome(walkLayer({ ...blob, readSmall: undefined }, () => true)));
      seen.add('code' in whole ? String(whole.code) : 'ok');
    }
    expect(seen.has('ok') && seen.has('digest-mismatch')).toBe(true);
  });

  it('names a missing manifest or config blob', async () => {
    for (const which of ['manifest', 'config'] as const) {
      const img = await buildImage({ layers: [layer] });
      const dir = writeOciLayout(fresh(), img, { tag: 'v1' });
      const digest = which === 'manifest' ? img.manifest.digest : img.config.digest;
      unlinkSync(path.join(dir, 'blobs/sha256', digest.slice(7)));
      await expect(openOciLayout(ref(dir), {})).rejects.toMatchObject({ code: 'not-found', message: `OCI layout ${dir}: ${which} blob ${digest} is missing` });
    }
  });

  it('validates a manifest and config once per digest: each open gets its own equal copy, other digests their own documents', async () => {
    const a = await buildImage({ layers: [layer], config: { config: { Env: ['A=1'] } } as never });
    const b = await buildImage({ layers: [layer], config: { config: { Env: ['B=2'] } } as never });
    const dirA = writeOciLayout(fresh(), a, { tag: 'v1' });
    const dirB = writeOciLayout(fresh(), b, { tag: 'v1' });
    const first = await openOciLayout(ref(dirA), {});
    first.config.config!.Env!.push('CHANGED=1');
    (first.manifest.layers as unknown[]).length = 0;
    const again = await openOciLayout(ref(dirA), {});
    const other = await openOciLayout(ref(dirB), {});
    expect(again.config).toEqual(a.config.json);
    expect(again.manifest.layers).toHaveLength(1);
    expect(other.configDigest).toBe(b.config.digest);
    expect(other.config).toEqual(b.config.json);
    expect(other.config.config!.Env).toEqual(['B=2']);
    // A damaged document is still refused after its digest was seen whole.
    corruptOciBlob(dirA, a.config.digest, (x) => Buffer.concat([x, Buffer.from(' ')]));
    await expect(openOciLayout(ref(dirA), {})).rejects.toMatchObject({ code: 'digest-mismatch' });
  });

  it('refuses a blob that is a symlink out of the layout', async () => {
    const img = await buildImage({ layers: [layer] });
    const dir = writeOciLayout(fresh(), img, { tag: 'v1' });
    const outside = path.join(root, 'outside-blob');
    writeFileSync(outside, img.layers[0]!.data);
    const p = path.join(dir, 'blobs/sha256', img.layers[0]!.digest.slice(7));
    unlinkSync(p);
    symlinkSync(outside, p);
    await expect(openOciLayout(ref(dir), {})).rejects.toMatchObject({ code: 'unsafe-path' });
  });

  it('refuses a directory that is not a layout, and a missing one', async () => {
    const dir = fresh();
    writeOciLayout(dir, await buildImage({ layers: [layer] }));
    unlinkSync(path.join(dir, 'oci-layout'));
    await expect(openOciLayout(ref(dir), {})).rejects.toMatchObject({ code: 'bad-image', message: expect.stringMatching(/no oci-layout/) });
    await expect(openOciLayout(ref(path.join(root, 'nope')), {})).rejects.toMatchObject({ code: 'not-found' });
  });

  it('refuses a manifest whose layer count differs from the config diff_ids', async () => {
    const img = await buildImage({ layers: [layer, layer] });
    img.config.json.rootfs.diff_ids.pop();
    const configData = Buffer.from(JSON.stringify(img.config.json));
    const configDigest = sha256(configData);
    const manifest = { ...img.manifest.json, config: { ...img.manifest.json.config, digest: configDigest, size: configData.length } };
    const manifestData = Buffer.from(JSON.stringify(manifest));
    const patched = {
      ...img,
      config: { ...img.config, digest: configDigest, data: configData },
      manifest: { ...img.manifest, digest: sha256(manifestData), data: manifestData, json: manifest },
    };
    const dir = writeOciLayout(fresh(), patched, { tag: 'v1' });
    await expect(openOciLayout(ref(dir), {})).rejects.toMatchObject({ code: 'bad-image', message: expect.stringMatching(/2 layers but the config has 1/) });
  });
});
