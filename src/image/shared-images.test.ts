/** The real fixture images of ../shared/images, in both forms, against the facts recorded when they were built. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../test/helpers/shared.js';
import { openImage, squash, walkLayer } from './index.js';
import type { ImageRef, ImageSource, LayerIndex } from './types.js';

const dir = sharedPath('images/expected-facts.json') ? sharedPath('images')! : undefined;

interface LayerFact {
  digest: string;
  diffId: string;
  entries: number;
  whiteouts: string[];
}
interface ImageFact {
  name: string;
  manifestDigest?: string;
  configDigest?: string;
  layers?: LayerFact[];
  dockerArchive: { file: string; repoTags: string[]; layerFormat: string };
  manifests?: Array<{ platform: { os: string; architecture: string }; manifestDigest: string; configDigest: string; layers: LayerFact[] }>;
}
const facts: ImageFact[] = dir ? (JSON.parse(readFileSync(path.join(dir, 'expected-facts.json'), 'utf8')) as { images: ImageFact[] }).images : [];
const single = facts.filter((f) => f.layers);

const oci = (name: string, extra: Partial<Extract<ImageRef, { kind: 'oci' }>> = {}): ImageRef => ({
  kind: 'oci',
  path: path.join(dir!, 'oci', name),
  name: `oci:${name}`,
  ...extra,
});
const archive = (file: string, tag?: string): ImageRef => ({
  kind: 'docker-archive',
  path: path.join(dir!, file),
  name: `docker-archive:${file}`,
  ...(tag ? { tag } : {}),
});

/** Tar listing count, as facts.sh counts it: entries plus whiteout markers. */
const tarCount = (l: LayerIndex) => l.entries.length + l.whiteouts.length + l.opaqueDirs.length;
/** Whiteout markers as paths in the tar (`app/.wh..env`), as the facts list them. */
const markers = (l: LayerIndex) => [
  ...l.whiteouts.map((p) => `${path.posix.dirname(p).slice(1)}${path.posix.dirname(p) === '/' ? '' : '/'}.wh.${path.posix.basename(p)}`),
  ...l.opaqueDirs.map((d) => `${d.slice(1)}/.wh..wh..opq`),
];

async function walkAll(img: ImageSource): Promise<LayerIndex[]> {
  return Promise.all(img.layers.map((l) => walkLayer(l, () => false)));
}

describe.skipIf(!dir)('shared fixture images', () => {
  describe.each(single.map((f) => [f.name, f] as const))('%s', (name, f) => {
    it('opens as an OCI layout with the recorded digests, diff_ids, entry counts and whiteouts', async () => {
      const img = await openImage(oci(name, { tag: 'latest' }), {});
      expect(img.digest).toBe(f.manifestDigest);
      expect(img.configDigest).toBe(f.configDigest);
      expect(img.layers.map((l) => l.digest)).toEqual(f.layers!.map((l) => l.digest));
      expect(img.layers.map((l) => l.diffId)).toEqual(f.layers!.map((l) => l.diffId));
      const walked = await walkAll(img);
      expect(walked.map(tarCount)).toEqual(f.layers!.map((l) => l.entries));
      expect(walked.map((l) => markers(l).sort())).toEqual(f.layers!.map((l) => [...l.whiteouts].sort()));
    });

    it('opens as a docker archive with the same layers', async () => {
      const img = await openImage(archive(f.dockerArchive.file), {});
      expect(img.layers.map((l) => l.diffId)).toEqual(f.layers!.map((l) => l.diffId));
      // gzip members are named by their blob digest; uncompressed ones are known by their diff_id.
      const expected = f.layers!.map((l) => (f.dockerArchive.layerFormat === 'gzip' ? l.digest : l.diffId));
      expect(img.layers.map((l) => l.digest)).toEqual(expected);
      const walked = await walkAll(img);
      expect(walked.map(tarCount)).toEqual(f.layers!.map((l) => l.entries));
      expect(walked.map((l) => markers(l).sort())).toEqual(f.layers!.map((l) => [...l.whiteouts].sort()));
    });

    it('is found in its docker archive by each RepoTag', async () => {
      for (const tag of f.dockerArchive.repoTags) {
        const img = await openImage(archive(f.dockerArchive.file, tag), {});
        expect(img.config.rootfs.diff_ids).toEqual(f.layers!.map((l) => l.diffId));
      }
    });
  });

  it('squashes debian-app: /app/.env deleted, /var/log holds only app/', async () => {
    for (const ref of [oci('debian-app'), archive('docker-archive/debian-app.tar')]) {
      const img = await openImage(ref, {});
      const layers = await Promise.all(img.layers.map((l) => walkLayer(l, (p) => p === '/app/.env' || p.endsWith('/os-release'))));
      expect(layers[2]!.files.has('/app/.env')).toBe(true); // the secret is in layer 3...
      const { view } = squash(layers);
      expect(view.stat('/app/.env')).toBeUndefined(); // ...and gone from the final filesystem
      expect(view.read('/app/.env')).toBeUndefined();
      expect(view.list('/var/log')).toEqual(['app']);
      expect(view.stat('/var/log/app')?.type).toBe('dir');
      expect(view.read('/etc/os-release')?.toString()).toContain('bookworm');
    }
  });

  const multi = facts.find((f) => f.manifests);
  describe.skipIf(!multi)('alpine-3.20-multiarch', () => {
    it.each([
      ['amd64', 0],
      ['arm64', 1],
    ] as const)('selects %s from the nested OCI index and from the archive', async (arch, i) => {
      const want = multi!.manifests![i]!;
      const img = await openImage(oci('alpine-3.20-multiarch', { tag: 'latest' }), { platform: { os: 'linux', architecture: arch } });
      expect(img.digest).toBe(want.manifestDigest);
      expect(img.configDigest).toBe(want.configDigest);
      expect(img.layers.map((l) => l.digest)).toEqual(want.layers.map((l) => l.digest));

      const byTag = await openImage(archive(multi!.dockerArchive.file, `alpine-3.20-multiarch:${arch}`), {});
      expect(byTag.layers.map((l) => l.digest)).toEqual(want.layers.map((l) => l.digest));
      expect(byTag.config.architecture).toBe(arch);
      const byPlatform = await openImage(archive(multi!.dockerArchive.file), { platform: { os: 'linux', architecture: arch } });
      expect(byPlatform.configDigest).toBe(want.configDigest);
      const walked = await walkLayer(byPlatform.layers[0]!, () => false);
      expect(tarCount(walked)).toBe(want.layers[0]!.entries);
    });

    it('refuses a platform the index does not hold', async () => {
      await expect(openImage(oci('alpine-3.20-multiarch'), { platform: { os: 'linux', architecture: 's390x' } })).rejects.toMatchObject({
        code: 'not-found',
      });
    });
  });
});
