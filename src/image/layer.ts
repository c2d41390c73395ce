/** The layer walker: one streaming pass over a layer blob → its entries, whiteouts and the file contents consumers want. */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import type zstdBinding from 'zstd-napi/binding.js';
import { ShipshapeError } from '../errors.js';
import { digestOf, parseDigest } from './digest.js';
import { OffThreadHash } from './hash-thread.js';
import { TarLimitError, TarParser, type TarHeader, type TarSink } from './tar.js';
import type { EntryMeta, LayerBlob, LayerIndex } from './types.js';

/**
 * Size limits applied while walking one layer; they keep a hostile image (decompression bomb,
 * millions of entries, one huge file a cataloger asked for) from exhausting memory or time.
 * Documented for users in docs/limits.md.
 */
export interface LayerLimits {
  /** Uncompressed bytes of one layer (default 16 GiB; env SHIPSHAPE_MAX_LAYER_BYTES). */
  maxLayerBytes: number;
  /** Size of one binary or archive (ELF, zip/jar) whose content is kept in memory (default 256 MiB; env SHIPSHAPE_MAX_FILE_BYTES). */
  maxFileBytes: number;
  /** Size of one other kept file: lockfile, package database, manifest (default 32 MiB; env SHIPSHAPE_MAX_DOCUMENT_BYTES). */
  maxDocumentBytes: number;
  /** Tar entries in one layer, whiteouts included (default 2,000,000; env SHIPSHAPE_MAX_LAYER_ENTRIES). */
  maxEntries: number;
  /** Pax/GNU extension headers plus entry paths and link names of one layer (default 256 MiB; env SHIPSHAPE_MAX_HEADER_BYTES). */
  maxHeaderBytes: number;
}

export const DEFAULT_LAYER_LIMITS: Readonly<LayerLimits> = {
  maxLayerBytes: 16 * 1024 ** 3,
  maxFileBytes: 256 * 1024 ** 2,
  maxDocumentBytes: 32 * 1024 ** 2,
  maxEntries: 2_000_000,
  maxHeaderBytes: 256 * 1024 ** 2,
};

function envLimit(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new ShipshapeError('usage', `${name}="${v}": expected a positive whole number`);
  return n;
}

/** The limits in force: explicit overrides, else the environment, else the defaults. */
export function layerLimits(overrides: Partial<LayerLimits> = {}): LayerLimits {
  return {
    maxLayerBytes: overrides.maxLayerBytes ?? envLimit('SHIPSHAPE_MAX_LAYER_BYTES') ?? DEFAULT_LAYER_LIMITS.maxLayerBytes,
    maxFileBytes: overrides.maxFileBytes ?? envLimit('SHIPSHAPE_MAX_FILE_BYTES') ?? DEFAULT_LAYER_LIMITS.maxFileBytes,
    maxDocumentBytes: overrides.maxDocumentBytes ?? envLimit('SHIPSHAPE_MAX_DOCUMENT_BYTES') ?? DEFAULT_LAYER_LIMITS.maxDocumentBytes,
    maxEntries: overrides.maxEntries ?? envLimit('SHIPSHAPE_MAX_LAYER_ENTRIES') ?? DEFAULT_LAYER_LIMITS.maxEntries,
    maxHeaderBytes: overrides.maxHeaderBytes ?? envLimit('SHIPSHAPE_MAX_HEADER_BYTES') ?? DEFAULT_LAYER_LIMITS.maxHeaderBytes,
  };
}

export type Compression = 'gzip' | 'zstd' | 'none';

/** Compression by magic bytes: media types lie (docker-archive layers, foreign tools), magic bytes do not. */
export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/**
 * Normalises a tar path to absolute form ("./etc/x" → "/etc/x"); undefined when it climbs above
 * the root. `a/../b` is accepted (it stays inside), `../x` and `a/../../x` are not.
 */
export function normalizeEntryPath(name: string): string | undefined {
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (!part || part === '.') continue;
    if (part === '..') {
      if (!out.length) return undefined;
      out.pop();
    } else out.push(part);
  }
  return `/${out.join('/')}`;
}

// The native zstd addon is loaded with the first zstd layer: most layers are gzip, and a warm
// scan reads none at all.
let zstd: { binding: typeof zstdBinding; outSize: number } | undefined;
function zstdLib(): { binding: typeof zstdBinding; outSize: number } {
  if (!zstd) {
    const binding = createRequire(import.meta.url)('zstd-napi/binding.js') as typeof zstdBinding;
    zstd = { binding, outSize: binding.dStreamOutSize() };
  }
  return zstd;
}

/** zstd decompression as a pull-based stage: output is produced only as fast as it is consumed, so a bomb cannot flood memory. */
function zstdStage(what: string, fail: (err: unknown) => void) {
  return async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    try {
      yield* zstdChunks(source, what);
    } catch (err) {
      fail(err);
      throw err;
    }
  };
}

async function* zstdChunks(source: AsyncIterable<Buffer>, what: string): AsyncGenerator<Buffer> {
  const { binding, outSize } = zstdLib();
  const dctx = new binding.DCtx();
  let inFrame = false;
  for await (const chunk of source) {
    let src = chunk;
    for (;;) {
      const dst = Buffer.allocUnsafe(outSize);
      let ret: number, produced: number, consumed: number;
      try {
        [ret, produced, consumed] = dctx.decompressStream(dst, src);
      } catch (err) {
        throw new ShipshapeError('corrupt-layer', `${what}: corrupt zstd stream (${(err as Error).message})`, { cause: err });
      }
      if (produced > 0) yield dst.subarray(0, produced);
      src = src.subarray(consumed);
      if (src.length === 0 && (produced < dst.length || ret === 0)) {
        inFrame = ret !== 0;
        break;
      }
    }
  }
  if (inFrame) throw new ShipshapeError('corrupt-layer', `${what}: zstd stream ends in the middle of a frame (truncated?)`);
}

/** Reads at least `n` bytes (or to the end) and puts them back, so the stream is unchanged. */
async function peek(src: Readable, n: number): Promise<Buffer> {
  const got: Buffer[] = [];
  let len = 0;
  while (len < n) {
    if (src.errored) throw src.errored;
    const c = src.read() as Buffer | null;
    if (c !== null) {
      got.push(c);
      len += c.length;
      continue;
    }
    if (src.readableEnded || src.destroyed) break;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        src.off('readable', ok).off('end', ok).off('close', ok).off('error', done);
        if (err) reject(err);
        else resolve();
      };
      const ok = () => done();
      src.on('readable', ok).on('end', ok).on('close', ok).on('error', done);
    });
  }
  const head = Buffer.concat(got);
  if (head.length) src.unshift(head);
  return head;
}

/** ELF or zip (jar, war, whl...) magic at the start of a file's first chunk. */
function isBinaryMagic(c: Buffer): boolean {
  return c.length >= 4 && ((c[0] === 0x7f && c[1] === 0x45 && c[2] === 0x4c && c[3] === 0x46) || (c[0] === 0x50 && c[1] === 0x4b && c[2] === 0x03 && c[3] === 0x04));
}

function entryType(t: string | null | undefined): EntryMeta['type'] {
  switch (t) {
    case 'file':
    case 'contiguous-file':
    case undefined:
      return 'file';
    case 'directory':
      return 'dir';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    default:
      return 'other';
  }
}

/** Compressed layers up to this size may take the light path; their tar up to LIGHT_TAR_BYTES. */
const LIGHT_BLOB_BYTES = 64 * 1024;
const LIGHT_TAR_BYTES = 4 * 1024 * 1024;

/**
 * The uncompressed tar of a small blob read whole (blob.readSmall: digest and size checked), or
 * undefined to take the stream path: no readSmall, a zstd blob, an empty or not-so-small blob, or a
 * tar past LIGHT_TAR_BYTES (a decompression bomb gets the stream path's limits and errors).
 */
async function smallLayer(blob: LayerBlob, what: string, lim: LayerLimits): Promise<Buffer | undefined> {
  if (!blob.readSmall || blob.size <= 0 || blob.size > LIGHT_BLOB_BYTES) return undefined;
  let raw: Buffer | undefined;
  try {
    raw = await blob.readSmall();
  } catch (err) {
    throw classify(err, what);
  }
  if (!raw?.length) return undefined;
  const compression = detectCompression(raw.subarray(0, 4));
  let tar: Buffer;
  if (compression === 'zstd') return undefined;
  if (compression === 'gzip') {
    try {
      tar = zlib.gunzipSync(raw, { maxOutputLength: LIGHT_TAR_BYTES });
    } catch (err) {
      if ((err as NodeJS.ErrnoException)?.code === 'ERR_BUFFER_TOO_LARGE') return undefined;
      throw classify(err, what);
    }
  } else tar = raw;
  if (tar.length > lim.maxLayerBytes) {
    throw new ShipshapeError('too-large', `${what} decompresses past the limit of ${lim.maxLayerBytes} bytes (decompression bomb?)`);
  }
  return tar;
}

/** Turns any failure inside the pipeline into one ShipshapeError naming the layer. */
function classify(err: unknown, what: string): ShipshapeError {
  if (err instanceof ShipshapeError) return err;
  if (err instanceof TarLimitError) return new ShipshapeError('too-large', `${what}: ${err.message}`, { cause: err });
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : '';
  const msg = e instanceof Error ? e.message : String(err);
  if (code.startsWith('Z_') || code === 'ERR_ZLIB_INITIALIZATION_FAILED') {
    return new ShipshapeError('corrupt-layer', `${what}: corrupt gzip stream (${msg})`, { cause: err });
  }
  if (code.startsWith('UND_ERR') || ['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED'].includes(code)) {
    return new ShipshapeError('network', `${what}: ${msg}`, { cause: err });
  }
  if (e?.syscall) return new ShipshapeError('io', `${what}: ${msg} (${code})`, { cause: err });
  return new ShipshapeError('corrupt-layer', `${what}: corrupt layer (${msg})`, { cause: err });
}

/**
 * Walks one layer in a single pass: opens the blob (whose own stream verifies the blob digest),
 * decompresses by magic bytes, checks the uncompressed bytes against `blob.diffId`, and parses the
 * tar. Keeps every entry's metadata, the whiteouts, and the contents of the regular files (and
 * hardlinks to kept files) for which `want` says yes. Any failure — open, read, decompress, digest,
 * tar, limit — rejects the one returned promise with a ShipshapeError, after every stream is
 * destroyed. Safe to call concurrently (no shared state).
 */
export async function walkLayer(
  blob: LayerBlob,
  want: (path: string, e: EntryMeta) => boolean,
  limits?: Partial<LayerLimits>,
  /** A second look at a wanted file once read: false drops its content (the entry stays). `content` may be a view, valid during the call only. */
  keep?: (path: string, e: EntryMeta, content: Buffer) => boolean,
): Promise<LayerIndex> {
  const lim = layerLimits(limits);
  const what = `layer ${blob.digest}`;
  const index: LayerIndex = { digest: blob.digest, diffId: blob.diffId, entries: [], files: new Map(), whiteouts: [], opaqueDirs: [] };
  const { algorithm } = parseDigest(blob.diffId);

  // The first failure wins; later ones (streams torn down because of it) are noise.
  let failure: ShipshapeError | undefined;
  const fail = (err: unknown) => {
    if (!failure) failure = classify(err, what);
  };
  let entryCount = 0;
  const wants = (path: string, meta: EntryMeta): boolean => {
    try {
      return want(path, meta);
    } catch (err) {
      // A consumer's bug, not the layer's fault: say so rather than blame the image.
      throw new ShipshapeError('internal', `${what}: the path filter failed on ${path} (${(err as Error)?.message ?? err})`, { cause: err });
    }
  };

  // Called synchronously by the parser for each entry; what it throws comes out of parser.write().
  const onEntry = (h: TarHeader): TarSink | undefined => {
    if (++entryCount > lim.maxEntries) {
      throw new ShipshapeError('too-large', `${what} has more than ${lim.maxEntries} entries (limit; set SHIPSHAPE_MAX_LAYER_ENTRIES to raise it)`);
    }
    const path = normalizeEntryPath(h.name);
    if (path === undefined) throw new ShipshapeError('unsafe-path', `${what}: entry "${h.name}" escapes the image root`);
    const slash = path.lastIndexOf('/');
    const base = path.slice(slash + 1);
    const dir = path.slice(0, slash) || '/';
    if (base.startsWith('.wh.')) {
      // Whiteouts are markers, not files: https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts
      if (base === '.wh..wh..opq') index.opaqueDirs.push(dir);
      else if (!base.startsWith('.wh..wh.')) index.whiteouts.push(`${dir === '/' ? '' : dir}/${base.slice(4)}`);
      return undefined;
    }
    const type = entryType(h.type);
    const meta: EntryMeta = { path, type, mode: h.mode ?? 0, size: type === 'file' ? (h.size ?? 0) : 0, uid: h.uid ?? 0, gid: h.gid ?? 0 };
    if (type === 'symlink') meta.linkname = h.linkname ?? '';
    else if (type === 'hardlink') {
      const target = normalizeEntryPath(h.linkname ?? '');
      if (target === undefined || target === '/') {
        throw new ShipshapeError('unsafe-path', `${what}: hardlink "${h.name}" points outside the image root ("${h.linkname}")`);
      }
      meta.linkname = target;
    }
    index.entries.push(meta);

    if (type === 'hardlink' && wants(path, meta)) {
      const kept = index.files.get(meta.linkname!);
      if (kept) index.files.set(path, kept);
      return undefined;
    }
    if (type !== 'file' || !wants(path, meta)) return undefined;
    const chunks: Buffer[] = [];
    // Only binaries and archives (ELF, zip) may pass the document limit: told apart by their magic bytes.
    // Past the document limit, the first bytes decide which limit applies, before anything more is
    // kept: binaries and archives have their own (larger) one. Executables are asked for as possible
    // Go/Rust binaries: a big one that is not ELF (a shell installer) is skipped, as keep() would
    // drop it; any other big non-binary is refused.
    let sniff = meta.size > Math.min(lim.maxDocumentBytes, lim.maxFileBytes);
    let skip = false;
    let got = 0;
    return {
      data: (c) => {
        if (skip) return;
        chunks.push(c);
        got += c.length;
        if (sniff && got >= 4) {
          sniff = false;
          const binary = isBinaryMagic(chunks.length === 1 ? c : Buffer.concat(chunks));
          if (binary && meta.size > lim.maxFileBytes) {
            throw new ShipshapeError('too-large', `${what}: ${path} is ${meta.size} bytes, over the limit of ${lim.maxFileBytes} for a binary or archive read into memory (set SHIPSHAPE_MAX_FILE_BYTES to raise it)`);
          }
          if (!binary && meta.size > lim.maxDocumentBytes) {
            if (meta.mode & 0o111) {
              skip = true;
              chunks.length = 0;
              return;
            }
            throw new ShipshapeError('too-large', `${what}: ${path} is ${meta.size} bytes, over the limit of ${lim.maxDocumentBytes} for a lockfile, package database or manifest (set SHIPSHAPE_MAX_DOCUMENT_BYTES to raise it)`);
          }
        }
      },
      end: () => {
        if (skip) return;
        // A file within one chunk is shown to keep() as a view into it, and copied only when kept:
        // most wanted files are executables the Go and Rust catalogers drop after a look (~40 MB
        // of debian-app's 122). Kept files are copies: they must not pin the large decompressed
        // chunks they were sliced from.
        const view = chunks.length === 1 && chunks[0]!.length === meta.size;
        const content = view ? chunks[0]! : Buffer.concat(chunks, meta.size);
        chunks.length = 0;
        let kept: boolean;
        try {
          kept = !keep || keep(path, meta, content);
        } catch (err) {
          throw new ShipshapeError('internal', `${what}: the keep filter failed on ${path} (${(err as Error)?.message ?? err})`, { cause: err });
        }
        if (kept) index.files.set(path, view ? Buffer.from(content) : content);
      },
    };
  };
  // Our own parser rather than a tar stream library: no stream per entry, content skipped in place
  // (tar-stream took ~150 ms CPU of a debian-app cold scan; docs/performance.md).
  const parser = new TarParser(onEntry, lim.maxHeaderBytes);

  // A small blob (an image's own few-KB layer) is read, inflated and parsed at once: no streams.
  const whole = await smallLayer(blob, what, lim);
  if (whole) {
    try {
      parser.write(whole);
      parser.end();
    } catch (err) {
      throw classify(err, what);
    }
    const actual = digestOf(whole, algorithm);
    if (actual !== blob.diffId) {
      throw new ShipshapeError('digest-mismatch', `${what}: uncompressed content has digest ${actual}, expected diff_id ${blob.diffId}`);
    }
    return index;
  }

  let src: Readable;
  try {
    src = await blob.open();
  } catch (err) {
    throw classify(err, what);
  }

  // The diff_id check hashes on the shared hashing thread: this thread parses meanwhile.
  const hash = new OffThreadHash(algorithm, blob.size >= 0 ? blob.size : Infinity);
  let total = 0;
  const feedTar = async (source: AsyncIterable<Buffer>) => {
    try {
      await feed(source);
    } catch (err) {
      fail(err); // recorded before the pipeline's teardown errors (AbortError ...) can claim first place
      throw err;
    }
  };
  const feed = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      total += chunk.length;
      if (total > lim.maxLayerBytes) {
        throw new ShipshapeError('too-large', `${what} decompresses past the limit of ${lim.maxLayerBytes} bytes (decompression bomb?)`);
      }
      hash.update(chunk);
      if (failure) throw failure;
      parser.write(chunk);
      const wait = hash.ready();
      if (wait) await wait;
    }
    if (failure) throw failure;
    parser.end();
  };

  try {
    const head = await peek(src, 4);
    if (head.length === 0) throw new ShipshapeError('corrupt-layer', `${what}: the blob is empty`);
    const compression = detectCompression(head);
    src.on('error', fail);
    // Not destroyed by the pipeline when a later stage fails: see settle() below.
    const input = src.iterator({ destroyOnReturn: false });
    if (compression === 'gzip') {
      // Large output chunks: fewer round trips to the zlib thread, fewer buffers for hashing and parsing.
      // Room for four of them: zlib inflates the next chunk only while its output is below the
      // high-water mark, so with the default (16 KiB) it waited for this thread after every chunk.
      const gunzip = zlib.createGunzip({ chunkSize: 1024 * 1024, readableHighWaterMark: 4 * 1024 * 1024 } as zlib.ZlibOptions); // stream options pass through (not in @types/node)
      gunzip.on('error', fail);
      await pipeline(input, gunzip, feedTar);
    } else if (compression === 'zstd') await pipeline(input, zstdStage(what, fail), feedTar);
    else await pipeline(input, feedTar);
    const actual = await hash.digest();
    if (actual !== blob.diffId) {
      throw new ShipshapeError('digest-mismatch', `${what}: uncompressed content has digest ${actual}, expected diff_id ${blob.diffId}`);
    }
  } catch (err) {
    fail(err);
    hash.dispose();
    if (failure!.code === 'corrupt-layer') failure = (await settle(src)) ?? failure;
    src.destroy();
    throw failure!;
  }
  return index;
}

/**
 * A blob that does not decompress or parse may simply not be the blob the image names: bytes
 * changed in storage or transit. The blob stream checks its digest only at its end, so it is read
 * to the end (bounded by its size check) and its digest-mismatch, if any, wins over the
 * corruption it caused, whichever of the two was noticed first.
 */
async function settle(src: Readable): Promise<ShipshapeError | undefined> {
  const blobError = (err: unknown) => (err instanceof ShipshapeError && err.code === 'digest-mismatch' ? err : undefined);
  if (src.errored) return blobError(src.errored);
  if (src.destroyed) return undefined;
  try {
    for await (const chunk of src.iterator({ destroyOnReturn: false })) void chunk;
  } catch (err) {
    return blobError(err);
  }
  return undefined;
}
