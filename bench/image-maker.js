/** Makes OCI image layouts in code for the benchmarks: tar layers streamed through gzip to disk, with their digests. */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

/** A 512-byte ustar header (names up to 255 bytes through the prefix field). */
function tarHeader({ name, size = 0, type = '0', mode = 0o644, linkname = '' }) {
  const h = Buffer.alloc(512);
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  h.write(name, 0, 100);
  h.write(`${mode.toString(8).padStart(7, '0')}\0`, 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write(`${(1700000000).toString(8).padStart(11, '0')}\0`, 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write(linkname, 157, 100);
  h.write('ustar\x0000', 257);
  h.write(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

/**
 * Tar bytes of entries: { name, content?: Buffer, size?, fill?: (offset, n) => Buffer, type?, linkname? }.
 * Large contents come from `fill` in 1 MiB pieces, so a 200 MB file is never in memory at once.
 */
export async function* tarStream(entries) {
  for (const e of entries) {
    if (e.type === '5' || e.type === '2') {
      yield tarHeader({ name: e.name, type: e.type, mode: e.type === '5' ? 0o755 : 0o777, linkname: e.linkname ?? '' });
      continue;
    }
    const size = e.content ? e.content.length : e.size;
    yield tarHeader({ name: e.name, size, mode: e.mode ?? 0o644 });
    if (e.content) yield e.content;
    else for (let at = 0; at < size; at += 1 << 20) yield e.fill(at, Math.min(1 << 20, size - at));
    if (size % 512) yield Buffer.alloc(512 - (size % 512));
  }
  yield Buffer.alloc(1024);
}

const hashTap = (hash, counter) =>
  new Transform({
    transform(chunk, _enc, cb) {
      hash.update(chunk);
      counter.n += chunk.length;
      cb(null, chunk);
    },
  });

/** Writes one gzip layer blob into `layout`/blobs from tar entries; returns its descriptor and diff_id. */
export async function writeLayer(layout, entries, level = 1) {
  const blobs = path.join(layout, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const tmp = path.join(blobs, `.tmp-${process.pid}-${Math.random().toString(16).slice(2)}`);
  const diff = createHash('sha256');
  const blob = createHash('sha256');
  const tarBytes = { n: 0 };
  const gzBytes = { n: 0 };
  await pipeline(Readable.from(tarStream(entries)), hashTap(diff, tarBytes), zlib.createGzip({ level }), hashTap(blob, gzBytes), createWriteStream(tmp));
  const digest = `sha256:${blob.digest('hex')}`;
  renameSync(tmp, path.join(blobs, digest.slice(7)));
  return { digest, size: gzBytes.n, diffId: `sha256:${diff.digest('hex')}`, tarSize: tarBytes.n };
}

function writeBlob(layout, data) {
  const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
  const dir = path.join(layout, 'blobs', 'sha256');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, digest.slice(7)), data);
  return { digest, size: data.length };
}

/** Copies a blob from another layout (or any file) into `layout` under its digest. */
export async function copyBlob(file, layout, digest) {
  const dir = path.join(layout, 'blobs', 'sha256');
  mkdirSync(dir, { recursive: true });
  await pipeline(createReadStream(file), createWriteStream(path.join(dir, digest.slice(7))));
}

/**
 * Writes config, manifest and index.json for layers already in `layout`/blobs (several images may
 * share one layout: each gets its own tag). Returns the manifest digest.
 */
export function writeImage(layout, layers, { tag = 'latest', index = [], config: extra = {} } = {}) {
  const config = {
    architecture: 'amd64',
    os: 'linux',
    created: '2026-11-01T00:00:00Z',
    config: { User: '1000', ...extra },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created: '2026-11-01T00:00:00Z', created_by: 'bench/image-maker.js' })),
  };
  const c = writeBlob(layout, Buffer.from(JSON.stringify(config)));
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...c },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
  };
  const m = writeBlob(layout, Buffer.from(JSON.stringify(manifest)));
  index.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, annotations: { 'org.opencontainers.image.ref.name': tag } });
  writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(path.join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: index }));
  return m.digest;
}

/** Deterministic pseudo-random numbers (xorshift32), so every run makes the same image. */
export function prng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** 1 MiB of word-like text to cut file contents from: compresses about as well as real files do. */
export function textPool(rand) {
  const words = Array.from({ length: 4096 }, () => Array.from({ length: 2 + Math.floor(rand() * 9) }, () => String.fromCharCode(97 + Math.floor(rand() * 26))).join(''));
  const parts = [];
  let n = 0;
  while (n < 1 << 20) {
    const w = words[Math.floor(rand() * words.length)];
    parts.push(w, rand() < 0.1 ? '\n' : ' ');
    n += w.length + 1;
  }
  return Buffer.from(parts.join('')).subarray(0, 1 << 20);
}
