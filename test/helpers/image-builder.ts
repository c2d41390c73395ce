/** Builds small real container images in code (layers, config, manifest) and writes them as OCI layouts or docker archives, hostile ones included. */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { compress as zstdCompress } from 'zstd-napi';
import type { ImageConfig, LayerBlob, Manifest, Platform } from '../../src/image/types.js';
import { rawHeader } from './hostile-inputs.js';

export { paxRecord } from './hostile-inputs.js';

export type Compression = 'gzip' | 'zstd' | 'none';

/** One tar entry. Paths go into the tar exactly as given: `../x` and `/abs` make hostile layers. */
export interface EntrySpec {
  path: string;
  content?: string | Buffer;
  /** Without content: a file of this many zero bytes (decompression bombs). */
  zeros?: number;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink';
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface LayerSpec {
  entries: EntrySpec[];
  compression?: Compression;
  /** Media type written in the manifest (default: the OCI type for the compression). */
  mediaType?: string;
  /** Applied to the stored blob BEFORE its digest is computed: e.g. truncate a gzip stream. */
  mutate?: (blob: Buffer) => Buffer;
  /** Written into the config instead of the real diff_id. */
  diffId?: string;
}

export interface BuildOptions {
  layers: Array<EntrySpec[] | LayerSpec>;
  compression?: Compression;
  config?: Partial<ImageConfig>;
  platform?: Platform;
}

export interface Blob {
  digest: string;
  mediaType: string;
  data: Buffer;
}

export interface BuiltLayer extends Blob {
  /** The uncompressed tar. */
  tar: Buffer;
  diffId: string;
  compression: Compression;
}

export interface BuiltImage {
  layers: BuiltLayer[];
  config: Blob & { json: ImageConfig };
  manifest: Blob & { json: Manifest };
  platform: Platform;
}

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const hex = (digest: string) => digest.slice('sha256:'.length);

const MEDIA: Record<Compression, string> = {
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  none: 'application/vnd.oci.image.layer.v1.tar',
};

/** Packs entries into an uncompressed tar (PAX headers for long names, as tar-stream writes them). */
export async function packTar(entries: EntrySpec[]): Promise<Buffer> {
  const pack = tar.pack();
  const out: Buffer[] = [];
  pack.on('data', (c) => {
    out.push(c as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = {
      name: e.path,
      mode: e.mode ?? (type === 'dir' ? 0o755 : type === 'symlink' ? 0o777 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: new Date(0),
      type: type === 'dir' ? ('directory' as const) : type === 'hardlink' ? ('link' as const) : type,
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
    };
    if (type !== 'file') {
      pack.entry({ ...header, size: 0 });
      continue;
    }
    const data = e.content !== undefined ? Buffer.from(e.content) : Buffer.alloc(e.zeros ?? 0);
    await new Promise<void>((resolve, reject) => pack.entry({ ...header, size: data.length }, data, (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(out);
}

export function compressBytes(data: Buffer, c: Compression): Buffer {
  if (c === 'gzip') return zlib.gzipSync(data, { level: 1 });
  if (c === 'zstd') return zstdCompress(data);
  return data;
}

/** Builds layers, config and manifest in memory; digests are real unless a spec says otherwise. */
export async function buildImage(opts: BuildOptions): Promise<BuiltImage> {
  const platform = opts.platform ?? { os: 'linux', architecture: 'amd64' };
  const layers: BuiltLayer[] = [];
  for (const l of opts.layers) {
    const spec: LayerSpec = Array.isArray(l) ? { entries: l } : l;
    const compression = spec.compression ?? opts.compression ?? 'gzip';
    const tarBytes = await packTar(spec.entries);
    let data = compressBytes(tarBytes, compression);
    if (spec.mutate) data = spec.mutate(data);
    layers.push({
      digest: sha256(data),
      mediaType: spec.mediaType ?? MEDIA[compression],
      data,
      tar: tarBytes,
      diffId: spec.diffId ?? sha256(tarBytes),
      compression,
    });
  }
  const configJson: ImageConfig = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    created: '2024-01-01T00:00:00Z',
    config: { Env: ['PATH=/usr/bin:/bin'], Cmd: ['/bin/sh'] },
    ...opts.config,
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
  };
  const configData = Buffer.from(JSON.stringify(configJson));
  const config = { digest: sha256(configData), mediaType: 'application/vnd.oci.image.config.v1+json', data: configData, json: configJson };
  const manifestJson: Manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: config.mediaType, digest: config.digest, size: configData.length },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.data.length })),
  };
  const manifestData = Buffer.from(JSON.stringify(manifestJson));
  return {
    layers,
    config,
    manifest: { digest: sha256(manifestData), mediaType: manifestJson.mediaType!, data: manifestData, json: manifestJson },
    platform,
  };
}

function descriptor(b: Blob, extra: Record<string, unknown> = {}) {
  return { mediaType: b.mediaType, digest: b.digest, size: b.data.length, ...extra };
}

/** The files of an OCI layout (relative path → bytes); a list of images makes a nested index, as multi-arch layouts are. */
export function ociLayoutFiles(images: BuiltImage | BuiltImage[], opts: { tag?: string; annotations?: Record<string, string> } = {}): Map<string, Buffer> {
  const list = Array.isArray(images) ? images : [images];
  const files = new Map<string, Buffer>();
  const put = (b: Blob) => files.set(`blobs/sha256/${hex(b.digest)}`, b.data);
  for (const img of list) {
    put(img.manifest);
    put(img.config);
    img.layers.forEach(put);
  }
  const annotations = { ...(opts.tag ? { 'org.opencontainers.image.ref.name': opts.tag } : {}), ...opts.annotations };
  const ann = Object.keys(annotations).length ? { annotations } : {};
  let top: Record<string, unknown>;
  if (list.length === 1) {
    top = descriptor(list[0]!.manifest, { platform: list[0]!.platform, ...ann });
  } else {
    const nested = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: list.map((img) => descriptor(img.manifest, { platform: img.platform })),
    };
    const data = Buffer.from(JSON.stringify(nested));
    const blob = { digest: sha256(data), mediaType: nested.mediaType, data };
    put(blob);
    top = descriptor(blob, ann);
  }
  files.set('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  files.set('index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [top] })));
  return files;
}

export function writeOciLayout(dir: string, images: BuiltImage | BuiltImage[], opts: { tag?: string } = {}): string {
  for (const [rel, data] of ociLayoutFiles(images, opts)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), data);
  }
  return dir;
}

/** A member of a tar archive as written by writeDockerArchive; symlinks model docker's `<id>/layer.tar` links. */
export interface ArchiveMember {
  name: string;
  data?: Buffer;
  symlink?: string;
}

/**
 * Writes a `docker save` archive. `classic`: manifest.json + `<config-hex>.json` + layers named
 * `<diffid-hex>.tar` (uncompressed, with legacy `<id>/layer.tar` symlinks) or `<blob-hex>.tar.gz`
 * (gzip). `oci`: the OCI layout inside the tar plus manifest.json, as Docker 25+ writes it.
 * `tags[i]` tags images[i]; names like `app:1` or `docker.io/library/app:1`.
 */
export async function writeDockerArchive(
  file: string,
  images: BuiltImage | BuiltImage[],
  opts: { tag?: string; tags?: string[]; form?: 'classic' | 'oci'; mutate?: (members: ArchiveMember[]) => ArchiveMember[] } = {},
): Promise<string> {
  const list = Array.isArray(images) ? images : [images];
  const tags = opts.tags ?? (opts.tag ? [opts.tag] : []);
  let members: ArchiveMember[] = [];
  const manifest: Array<Record<string, unknown>> = [];
  if ((opts.form ?? 'classic') === 'oci') {
    const seen = new Set<string>();
    const index: Array<Record<string, unknown>> = [];
    list.forEach((img, i) => {
      for (const b of [img.manifest, img.config, ...img.layers]) {
        if (!seen.has(b.digest)) members.push({ name: `blobs/sha256/${hex(b.digest)}`, data: b.data });
        seen.add(b.digest);
      }
      const tag = tags[i];
      const ref = tag?.includes(':') ? tag.slice(tag.lastIndexOf(':') + 1) : undefined;
      index.push(
        descriptor(img.manifest, {
          platform: img.platform,
          ...(tag ? { annotations: { 'io.containerd.image.name': tag, ...(ref ? { 'org.opencontainers.image.ref.name': ref } : {}) } } : {}),
        }),
      );
      manifest.push({
        Config: `blobs/sha256/${hex(img.config.digest)}`,
        RepoTags: tag ? [tag] : null,
        Layers: img.layers.map((l) => `blobs/sha256/${hex(l.digest)}`),
      });
    });
    members.push({ name: 'oci-layout', data: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) });
    members.push({ name: 'index.json', data: Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: index })) });
  } else {
    list.forEach((img, i) => {
      const layerNames: string[] = [];
      img.layers.forEach((l, j) => {
        if (l.compression === 'none') {
          const name = `${hex(sha256(l.data))}.tar`;
          const id = hex(sha256(`${img.config.digest}/${j}`));
          members.push({ name, data: l.data });
          members.push({ name: `${id}/layer.tar`, symlink: `../${name}` });
          members.push({ name: `${id}/VERSION`, data: Buffer.from('1.0') });
          layerNames.push(`${id}/layer.tar`);
        } else {
          const name = `${hex(l.digest)}.tar.${l.compression === 'gzip' ? 'gz' : 'zst'}`;
          members.push({ name, data: l.data });
          layerNames.push(name);
        }
      });
      members.push({ name: `${hex(img.config.digest)}.json`, data: img.config.data });
      manifest.push({ Config: `${hex(img.config.digest)}.json`, RepoTags: tags[i] ? [tags[i]] : null, Layers: layerNames });
    });
  }
  members.push({ name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) });
  if (opts.mutate) members = opts.mutate(members);
  writeFileSync(file, await packArchive(members));
  return file;
}

export async function packArchive(members: ArchiveMember[]): Promise<Buffer> {
  const dirs = new Set<string>();
  const entries: EntrySpec[] = [];
  for (const m of members) {
    const parts = m.name.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) entries.push({ path: `${d}/`, type: 'dir' });
      dirs.add(d);
    }
    entries.push(m.symlink !== undefined ? { path: m.name, type: 'symlink', linkname: m.symlink } : { path: m.name, content: m.data ?? Buffer.alloc(0) });
  }
  return packTar(entries);
}

/** Rewrites one blob of an OCI layout in place (keeping its name): content no longer matches its digest. */
export function corruptOciBlob(dir: string, digest: string, change: (b: Buffer) => Buffer): void {
  const p = path.join(dir, 'blobs', 'sha256', hex(digest));
  writeFileSync(p, change(readFileSync(p)));
}

/** Writes a file as a symlink inside a layout, for tests of paths escaping it. */
export function linkInLayout(dir: string, rel: string, target: string): void {
  mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  symlinkSync(target, path.join(dir, rel));
}

/** One raw tar header + data, written byte for byte (no sanitising): GNU long names, odd type flags, hostile paths. */
export interface RawEntry {
  name: string;
  /** Tar type flag: '0' file, '1' hardlink, '2' symlink, '5' dir, 'L' GNU long name, 'x' PAX ... */
  typeflag?: string;
  data?: Buffer | string;
  linkname?: string;
  mode?: number;
}

/** A tar made of raw entries, with the two end-of-archive blocks. */
export function rawTar(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    parts.push(rawHeader(e, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** A LayerBlob over bytes in memory, served in chunks of `chunk` bytes. */
export function memoryBlob(
  data: Buffer,
  opts: { diffId?: string; digest?: string; chunk?: number; mediaType?: string } = {},
): LayerBlob {
  const chunk = opts.chunk ?? 64 * 1024;
  return {
    digest: opts.digest ?? sha256(data),
    diffId: opts.diffId ?? sha256(data),
    mediaType: opts.mediaType ?? 'application/vnd.oci.image.layer.v1.tar',
    size: data.length,
    open: async () => {
      const { Readable } = await import('node:stream');
      const pieces: Buffer[] = [];
      for (let i = 0; i < data.length; i += chunk) pieces.push(data.subarray(i, i + chunk));
      return Readable.from(pieces);
    },
  };
}

/** A LayerBlob for a built layer: stored bytes as blob, uncompressed tar's digest as diffId. */
export function builtBlob(layer: BuiltLayer, chunk?: number): LayerBlob {
  return memoryBlob(layer.data, { diffId: layer.diffId, digest: layer.digest, mediaType: layer.mediaType, ...(chunk ? { chunk } : {}) });
}
