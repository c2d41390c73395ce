/**
 * The conformance suite every ImageSource kind must pass (OCI layout, docker archive classic and OCI
 * form; a registry can run it too): images built in code are written by the kind's `write`, opened
 * with openImage, walked and squashed, and damaged in the ways the kind can be damaged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildImage, type BuiltImage, type Compression } from '../../test/helpers/image-builder.js';
import { openImage, squash, walkLayer } from './index.js';
import type { ImageRef, OpenOptions } from './types.js';

/** A way to damage what `write` stores; kinds that cannot express one return undefined from `write`. */
export type Damage =
  | { kind: 'corrupt-blob'; layer: number } // stored layer bytes changed, name kept
  | { kind: 'missing-blob'; layer: number }
  | { kind: 'corrupt-config' } // config bytes changed, name kept
  | { kind: 'top-document'; text: string }; // index.json (OCI) or manifest.json (classic) replaced

export interface SourceKind {
  name: string;
  /** Writes the images (tags[i] names images[i]) under `dir`; undefined when the kind cannot express `damage`. */
  write(dir: string, images: BuiltImage[], opts: { tags: string[]; damage?: Damage }): Promise<ImageRef | undefined>;
  /** Whether layer digests are blob digests (else, for uncompressed classic layers, diff_ids). */
  blobDigests: (layerCompression: Compression) => boolean;
  /** A top document with valid JSON but the wrong shape, and its kind's name. */
  wrongSchema: string;
  /** Media types are part of the kind (OCI manifests); classic archives have none. */
  hasMediaTypes: boolean;
  /** Whether each of several images carries its own tag (archives), or they share one index (OCI layouts). */
  tagsPerImage: boolean;
}

const sample = [
  [
    { path: 'etc/', type: 'dir' as const },
    { path: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.20.3\n' },
    { path: 'bin/', type: 'dir' as const },
    { path: 'bin/busybox', content: 'ELF' },
    { path: 'bin/sh', type: 'symlink' as const, linkname: '/bin/busybox' },
    { path: 'bin/ash', type: 'hardlink' as const, linkname: 'bin/busybox' },
    { path: 'app/', type: 'dir' as const },
    { path: 'app/.env', content: 'TOKEN=x' },
    { path: 'var/log/', type: 'dir' as const },
    { path: 'var/log/dpkg.log', content: 'log' },
  ],
  [
    { path: 'app/', type: 'dir' as const },
    { path: 'app/.wh..env', content: '' },
    { path: 'var/log/', type: 'dir' as const },
    { path: 'var/log/.wh..wh..opq', content: '' },
    { path: 'var/log/app/', type: 'dir' as const },
    { path: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.20.4\n' },
  ],
];

export function imageSourceSuite(kind: SourceKind, opts: OpenOptions = {}): void {
  describe(`image source conformance: ${kind.name}`, () => {
    const root = mkdtempSync(path.join(os.tmpdir(), `shipshape-${kind.name.replace(/\W+/g, '-')}-`));
    let n = 0;
    const fresh = () => path.join(root, `case-${n++}`);
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    const write = async (images: BuiltImage[], tags: string[], damage?: Damage) => kind.write(fresh(), images, { tags, ...(damage ? { damage } : {}) });
    const failsWith = async (p: Promise<unknown>, code: string) => {
      const t0 = Date.now();
      await expect(p).rejects.toMatchObject({ name: 'ShipshapeError', code });
      expect(Date.now() - t0).toBeLessThan(5000);
    };
    const openAndWalk = async (ref: ImageRef) => {
      const img = await openImage(ref, opts);
      return Promise.all(img.layers.map((l) => walkLayer(l, () => true)));
    };

    it.each(['gzip', 'zstd', 'none'] as const)('opens a two-layer %s image: config, layers, contents, squash', async (compression) => {
      const built = await buildImage({ layers: sample, compression, config: { config: { User: '1000', Env: ['A=1'] } } });
      const ref = (await write([built], ['app:1.0']))!;
      const img = await openImage(ref, opts);
      try {
        expect(img.config.config?.User).toBe('1000');
        expect(img.config.rootfs.diff_ids).toEqual(built.layers.map((l) => l.diffId));
        expect(img.layers.map((l) => l.diffId)).toEqual(built.layers.map((l) => l.diffId));
        const digests = built.layers.map((l) => (kind.blobDigests(compression) ? l.digest : l.diffId));
        expect(img.layers.map((l) => l.digest)).toEqual(digests);
        expect(img.manifest.layers.map((l) => l.digest)).toEqual(digests);
        expect(img.configDigest).toMatch(/^sha256:[a-f0-9]{64}$/);
        expect(img.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
        const layers = await Promise.all(img.layers.map((l) => walkLayer(l, (p) => p !== '/var/log/dpkg.log')));
        expect(layers[1]!.whiteouts).toEqual(['/app/.env']);
        expect(layers[1]!.opaqueDirs).toEqual(['/var/log']);
        const { view } = squash(layers);
        expect(view.read('/etc/os-release')!.toString()).toContain('3.20.4');
        expect(view.read('/bin/sh')!.toString()).toBe('ELF');
        expect(view.read('/bin/ash')!.toString()).toBe('ELF');
        expect(view.stat('/app/.env')).toBeUndefined();
        expect(view.list('/var/log')).toEqual(['app']);
      } finally {
        await img.close();
      }
    });

    it('mixes compressions across layers', async () => {
      const built = await buildImage({ layers: [{ entries: sample[0]!, compression: 'zstd' }, { entries: sample[1]!, compression: 'none' }] });
      const ref = (await write([built], ['app:1']))!;
      const layers = await openAndWalk(ref);
      expect(squash(layers).view.read('/etc/os-release')!.toString()).toContain('3.20.4');
    });

    it('selects an image by tag, and by platform when no tag is given', async () => {
      const amd = await buildImage({ layers: [[{ path: 'arch', content: 'amd64' }]], platform: { os: 'linux', architecture: 'amd64' } });
      const arm = await buildImage({ layers: [[{ path: 'arch', content: 'arm64' }]], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
      const ref = await write([amd, arm], ['multi:amd64', 'multi:arm64']);
      if (!ref) return;
      const archOf = async (r: ImageRef, o: OpenOptions) => {
        const img = await openImage(r, o);
        return (await walkLayer(img.layers[0]!, () => true)).files.get('/arch')!.toString();
      };
      expect(await archOf(ref, { platform: { os: 'linux', architecture: 'arm64' } })).toBe('arm64');
      expect(await archOf(ref, { platform: { os: 'linux', architecture: 'amd64' } })).toBe('amd64');
      if (kind.tagsPerImage) {
        expect(await archOf({ ...ref, tag: 'multi:arm64' } as ImageRef, {})).toBe('arm64');
      }
      await failsWith(openImage(ref, { platform: { os: 'linux', architecture: 'riscv64' } }), 'not-found');
    });

    it('an unknown tag → not-found', async () => {
      const built = await buildImage({ layers: [sample[0]!] });
      const ref = (await write([built], ['app:1.0']))!;
      await failsWith(openImage({ ...ref, tag: 'nope' } as ImageRef, opts), 'not-found');
    });

    it('layer bytes that do not match their digest → digest-mismatch when walked', async () => {
      const built = await buildImage({ layers: sample });
      const ref = await write([built], ['app:1'], { kind: 'corrupt-blob', layer: 0 });
      if (!ref) return;
      await failsWith(openAndWalk(ref), 'digest-mismatch');
    });

    it('an uncompressed layer not matching its diff_id → digest-mismatch', async () => {
      for (const compression of ['gzip', 'none'] as const) {
        const built = await buildImage({ layers: [{ entries: sample[0]!, compression, diffId: `sha256:${'a'.repeat(64)}` }] });
        const ref = (await write([built], ['app:1']))!;
        await failsWith(openAndWalk(ref), 'digest-mismatch');
      }
    });

    it('a truncated gzip layer (blob digest intact) → corrupt-layer', async () => {
      const built = await buildImage({ layers: [{ entries: [{ path: 'f', content: Buffer.alloc(100_000, 'x') }], mutate: (b) => b.subarray(0, b.length - 100) }] });
      const ref = (await write([built], ['app:1']))!;
      await failsWith(openAndWalk(ref), 'corrupt-layer');
    });

    it('a layer entry escaping the root → unsafe-path', async () => {
      const built = await buildImage({ layers: [[{ path: '../../etc/cron.d/evil', content: '* * * * * root sh' }]] });
      const ref = (await write([built], ['app:1']))!;
      await failsWith(openAndWalk(ref), 'unsafe-path');
    });

    it('a decompression bomb → too-large under a small limit', async () => {
      const built = await buildImage({ layers: [[{ path: 'zeros', zeros: 10 * 1024 * 1024 }]] });
      const ref = (await write([built], ['app:1']))!;
      const img = await openImage(ref, opts);
      await failsWith(walkLayer(img.layers[0]!, () => false, { maxLayerBytes: 1024 * 1024 }), 'too-large');
    });

    it('a missing layer blob → not-found', async () => {
      const built = await buildImage({ layers: sample });
      const ref = await write([built], ['app:1'], { kind: 'missing-blob', layer: 1 });
      if (!ref) return;
      await failsWith(openAndWalk(ref), 'not-found');
    });

    it('config bytes that do not match their digest → digest-mismatch', async () => {
      const built = await buildImage({ layers: sample });
      const ref = await write([built], ['app:1'], { kind: 'corrupt-config' });
      if (!ref) return;
      await failsWith(openImage(ref, opts), 'digest-mismatch');
    });

    it.each([
      ['not JSON', '{"schemaVersion": 2, "manifests": ['],
      ['the wrong shape', null],
    ])('a top document that is %s → bad-image', async (_what, text) => {
      const built = await buildImage({ layers: sample });
      const ref = await write([built], ['app:1'], { kind: 'top-document', text: text ?? kind.wrongSchema });
      if (!ref) return;
      await failsWith(openImage(ref, opts), 'bad-image');
    });

    it.skipIf(!kind.hasMediaTypes)('an unknown layer media type → unsupported-media-type', async () => {
      const built = await buildImage({ layers: [{ entries: sample[0]!, mediaType: 'application/vnd.example.layer.v1+lz4' }] });
      const ref = (await write([built], ['app:1']))!;
      await failsWith(openImage(ref, opts), 'unsupported-media-type');
    });
  });
}
