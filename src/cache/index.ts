/**
 * The layer cache: one file per walked layer (its LayerIndex), keyed by diff_id + the catalogers'
 * versions, so an unchanged layer is never decompressed twice; and one file per image inventory
 * (what the catalogers found), so an unchanged image is not cataloged twice. Entries are
 * checksummed and written atomically; a damaged entry is deleted and counts as a miss, never as data.
 * Decoded layer indexes are also kept in memory per process (a byte-bounded LRU, each tied to its
 * file's identity): images that share base layers, scanned in one process, decode each shared layer once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ShipshapeError } from '../errors.js';
import type { EntryMeta, LayerIndex } from '../image/types.js';

/**
 * File format (version 1):
 *   "SSLC" | u8 version | 32-byte sha256 of everything after it |
 *   u32be header length | header JSON | file contents, concatenated
 * The header holds the layer's digests, entries as compact tuples, whiteouts, opaque dirs, and for
 * each kept file [path, offset, length] into the contents (hardlinks share one copy).
 */
const MAGIC = Buffer.from('SSLC');
/** Inventory files: the same frame around the JSON of an image's cataloging result. */
const INVENTORY_MAGIC = Buffer.from('SSIC');
const VERSION = 1;
const PREFIX = MAGIC.length + 1 + 32;
const TYPES: EntryMeta['type'][] = ['file', 'dir', 'symlink', 'hardlink', 'other'];

/** Names temporary files: see tmpFor. */
let tmpTag: string | undefined;
let tmpCount = 0;

/** Entries up to this size are written on this thread (see writeAsync). */
const SMALL_WRITE = 64 * 1024;

type EntryTuple = [path: string, type: number, mode: number, size: number, uid: number, gid: number, linkname?: string];
interface Header {
  d: string;
  i: string;
  e: EntryTuple[];
  w: string[];
  o: string[];
  f: Array<[path: string, offset: number, length: number]>;
}

/** `$XDG_CACHE_HOME/shipshape/layers`, else `~/.cache/shipshape/layers`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'shipshape', 'layers');
}

/** The cache key of a layer for a given set of catalogers (their ids and versions as one string). */
export function layerCacheKey(diffId: string, wantedVersion: string): string {
  return createHash('sha256').update(`${diffId}\0${wantedVersion}`).digest('hex');
}

/**
 * The cache key of an image's inventory: the keys of its layers in order (each already names the
 * catalogers' and checks' versions) and `variant` (options that change the result, the tool version).
 */
export function inventoryCacheKey(layerKeys: readonly string[], variant: string): string {
  return createHash('sha256').update(`inventory\0${variant}\0${layerKeys.join('\0')}`).digest('hex');
}

const KEY_RE = /^[A-Za-z0-9_-]{1,128}$/;

export function encodeLayerIndex(idx: LayerIndex): Buffer {
  const blobs: Buffer[] = [];
  const offsets = new Map<Buffer, number>();
  let offset = 0;
  const f: Header['f'] = [];
  for (const [p, data] of idx.files) {
    let at = offsets.get(data);
    if (at === undefined) {
      at = offset;
      offsets.set(data, at);
      blobs.push(data);
      offset += data.length;
    }
    f.push([p, at, data.length]);
  }
  const header: Header = {
    d: idx.digest,
    i: idx.diffId,
    e: idx.entries.map((e) => {
      const t: EntryTuple = [e.path, TYPES.indexOf(e.type), e.mode, e.size, e.uid, e.gid];
      if (e.linkname !== undefined) t.push(e.linkname);
      return t;
    }),
    w: idx.whiteouts,
    o: idx.opaqueDirs,
    f,
  };
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  return framed(MAGIC, Buffer.concat([len, json, ...blobs]));
}

/** magic | version | sha256 of the payload | payload */
function framed(magic: Buffer, payload: Buffer): Buffer {
  const head = Buffer.alloc(PREFIX);
  magic.copy(head);
  head[magic.length] = VERSION;
  createHash('sha256').update(payload).digest().copy(head, magic.length + 1);
  return Buffer.concat([head, payload]);
}

/** The payload of a framed file, once its magic, version and checksum are right; throws otherwise. */
function checkedPayload(buf: Buffer, magic: Buffer): Buffer {
  if (buf.length < PREFIX || !buf.subarray(0, magic.length).equals(magic) || buf[magic.length] !== VERSION) {
    throw new Error('not a cache file of this version');
  }
  const payload = buf.subarray(PREFIX);
  const sum = createHash('sha256').update(payload).digest();
  if (!sum.equals(buf.subarray(magic.length + 1, PREFIX))) throw new Error('checksum mismatch');
  return payload;
}

/** Decodes a cache file; throws on anything wrong (the caller deletes the file). File contents are views into `buf`. */
export function decodeLayerIndex(buf: Buffer): LayerIndex {
  const payload = checkedPayload(buf, MAGIC);
  if (payload.length < 4) throw new Error('truncated header');
  const len = payload.readUInt32BE(0);
  if (4 + len > payload.length) throw new Error('truncated header');
  const h = JSON.parse(payload.toString('utf8', 4, 4 + len)) as Header;
  const data = payload.subarray(4 + len);
  const files = new Map<string, Buffer>();
  for (const [p, at, n] of h.f) {
    if (at + n > data.length) throw new Error('file contents out of range');
    files.set(p, data.subarray(at, at + n));
  }
  const entries: EntryMeta[] = h.e.map(([p, t, mode, size, uid, gid, linkname]) => {
    const type = TYPES[t];
    if (!type) throw new Error('bad entry type');
    const e: EntryMeta = { path: p, type, mode, size, uid, gid };
    if (linkname !== undefined) e.linkname = linkname;
    return e;
  });
  if (typeof h.d !== 'string' || typeof h.i !== 'string' || !Array.isArray(h.w) || !Array.isArray(h.o)) throw new Error('bad header');
  return { digest: h.d, diffId: h.i, entries, files, whiteouts: h.w, opaqueDirs: h.o };
}

/**
 * Bytes of decoded layer indexes kept in memory per process (env SHIPSHAPE_LAYER_MEMORY, MiB;
 * 0 turns it off). Only what one scan holds anyway is kept after it; the budget bounds what a
 * long-running process (monitor, admission, a batch of scans) keeps between scans.
 */
export const DEFAULT_LAYER_MEMORY_BYTES = 128 << 20;

function layerMemoryBudget(): number {
  const v = process.env.SHIPSHAPE_LAYER_MEMORY;
  if (v === undefined || v === '') return DEFAULT_LAYER_MEMORY_BYTES;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new ShipshapeError('usage', `SHIPSHAPE_LAYER_MEMORY="${v}": expected a size in MiB (0 turns the memory off)`);
  return Math.floor(n * 2 ** 20);
}

/**
 * What an index holds in memory, roughly: ~120 bytes an entry, and the memory behind its file
 * contents, each backing store counted once (a decoded index's contents are views into its
 * cache file, a walked one's into the reader's chunks).
 */
export function layerIndexBytes(idx: LayerIndex): number {
  let n = 0;
  for (const e of idx.entries) n += 120 + e.path.length;
  const backings = new Set<ArrayBufferLike>();
  for (const [p, b] of idx.files) {
    n += 64 + p.length;
    if (backings.has(b.buffer)) continue;
    backings.add(b.buffer);
    n += b.buffer.byteLength;
  }
  return n;
}

/**
 * Decoded layer indexes by cache file, least recently used first (a Map keeps insertion order).
 * Each is tied to the identity of the file it was read from or written to (`stamp`: inode, size,
 * change times): a file replaced, damaged, or removed (`cache clean`) is read again, as without
 * the memory.
 */
export class LayerMemory {
  private readonly items = new Map<string, { idx: LayerIndex; bytes: number; stamp: string }>();
  private used = 0;

  constructor(readonly budget: number) {}

  get(id: string, stamp: string): LayerIndex | undefined {
    const hit = this.items.get(id);
    if (!hit) return undefined;
    this.items.delete(id);
    if (hit.stamp !== stamp) {
      this.used -= hit.bytes;
      return undefined;
    }
    this.items.set(id, hit);
    return hit.idx;
  }

  set(id: string, stamp: string, idx: LayerIndex): void {
    const bytes = layerIndexBytes(idx);
    this.delete(id);
    if (bytes > this.budget) return;
    this.items.set(id, { idx, bytes, stamp });
    this.used += bytes;
    for (const [k, v] of this.items) {
      if (this.used <= this.budget) break;
      this.items.delete(k);
      this.used -= v.bytes;
    }
  }

  delete(id: string): void {
    const old = this.items.get(id);
    if (!old) return;
    this.items.delete(id);
    this.used -= old.bytes;
  }

  /** Bytes held now (at most the budget). */
  get size(): number {
    return this.used;
  }

  get count(): number {
    return this.items.size;
  }

  clear(): void {
    this.items.clear();
    this.used = 0;
  }
}

/** A file's identity (inode, size, modification and change times, in ns), or undefined when absent. */
function stampOf(file: string): string | undefined {
  try {
    const st = statSync(file, { bigint: true });
    return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    return undefined;
  }
}

let memory: LayerMemory | undefined;

/** The process's layer memory (made on first use, with the budget SHIPSHAPE_LAYER_MEMORY says). */
export function layerMemory(): LayerMemory {
  memory ??= new LayerMemory(layerMemoryBudget());
  return memory;
}

/** Per-layer results on disk. Never throws: an unreadable entry is a miss, an unwritable cache is skipped. */
export class LayerCache {
  readonly dir: string;

  constructor(dir: string = defaultCacheDir()) {
    this.dir = dir;
  }

  private file(key: string, ext = 'layer'): string {
    if (!KEY_RE.test(key)) throw new ShipshapeError('internal', `invalid layer cache key "${key}"`);
    return path.join(this.dir, `${key}.${ext}`);
  }

  /**
   * The cached index, or undefined. `digest`: the blob digest of the layer being scanned now; the
   * entry may have been written from the same content stored another way (gzip in a registry,
   * uncompressed in a docker archive), so the caller's digest replaces the stored one.
   */
  get(key: string, digest?: string): LayerIndex | undefined {
    const file = this.file(key);
    const mem = layerMemory();
    const before = stampOf(file);
    if (before === undefined) return undefined;
    let idx = mem.get(file, before);
    if (!idx) {
      idx = this.read(file, decodeLayerIndex);
      // Remembered only if the file did not change while it was read.
      if (idx && stampOf(file) === before) mem.set(file, before, idx);
    }
    // A copy of the record (the entries and contents are shared, never changed): callers own the digest.
    return idx ? { ...idx, digest: digest ?? idx.digest } : undefined;
  }

  /**
   * An image's cached inventory (what the catalogers found in the squashed layers), or undefined.
   * Its key names every layer's key in order (inventoryCacheKey): same layers, same catalogers,
   * same result, so a warm rescan skips cataloging as it skips decompression.
   */
  getInventory<T>(key: string): T | undefined {
    return this.read(this.file(key, 'inventory'), (buf) => JSON.parse(checkedPayload(buf, INVENTORY_MAGIC).toString('utf8')) as T);
  }

  putInventory(key: string, inventory: unknown): void {
    this.write(key, this.file(key, 'inventory'), () => framed(INVENTORY_MAGIC, Buffer.from(JSON.stringify(inventory))));
  }

  /** As putInventory, the file operations off the main thread: resolves once the file is in place (or skipped). */
  async storeInventory(key: string, inventory: unknown): Promise<void> {
    await this.writeAsync(key, this.file(key, 'inventory'), () => framed(INVENTORY_MAGIC, Buffer.from(JSON.stringify(inventory))));
  }

  /** Decodes a cache file; a damaged or foreign one is deleted and counts as a miss. */
  private read<T>(file: string, decode: (buf: Buffer) => T): T | undefined {
    let buf: Buffer;
    try {
      buf = readFileSync(file);
    } catch {
      return undefined;
    }
    try {
      return decode(buf);
    } catch {
      // Damaged or foreign: never trusted, removed so the next scan rewrites it.
      try {
        unlinkSync(file);
      } catch {
        // already gone, or not ours to delete: a miss either way
      }
      return undefined;
    }
  }

  put(key: string, index: LayerIndex): void {
    const file = this.file(key);
    if (!this.write(key, file, () => encodeLayerIndex(index))) return;
    const stamp = stampOf(file);
    if (stamp !== undefined) layerMemory().set(file, stamp, index);
  }

  /**
   * As put, the file operations (create, write, rename: slow on some filesystems) on libuv's
   * threads while the main thread goes on; resolves once the entry is in place (or skipped).
   */
  async store(key: string, index: LayerIndex): Promise<void> {
    const file = this.file(key);
    if (!(await this.writeAsync(key, file, () => encodeLayerIndex(index)))) return;
    const stamp = stampOf(file);
    if (stamp !== undefined) layerMemory().set(file, stamp, index);
  }

  /** True once the file is in place. */
  /** Same directory as the target, so the rename is atomic: readers see the old file or the whole new one. */
  private tmpFor(key: string): string {
    // A random tag per process (pids repeat across containers sharing a cache) and a counter:
    // randomBytes on every write cost ~0.15 ms of a small entry's write.
    tmpTag ??= `${process.pid}.${randomBytes(4).toString('hex')}`;
    return path.join(this.dir, `.${key}.${tmpTag}.${(tmpCount = (tmpCount + 1) % 0x100000000)}.tmp`);
  }

  /** The directory, made once per cache object for the writes off the main thread. */
  private made: Promise<unknown> | undefined;

  private async writeAsync(key: string, file: string, encode: () => Buffer): Promise<boolean> {
    let data: Buffer;
    try {
      data = encode();
    } catch {
      return false;
    }
    // A small entry (an image's inventory, a tiny layer's index) is written at once: open, write and
    // rename of a few KB cost ~0.06 ms here, against ~0.25 ms of CPU through fs/promises' machinery.
    if (data.length <= SMALL_WRITE) return this.write(key, file, () => data);
    const tmp = this.tmpFor(key);
    try {
      await (this.made ??= mkdir(this.dir, { recursive: true, mode: 0o700 }));
      // Private: entries hold file contents from images, which may include secrets.
      await writeFile(tmp, data, { mode: 0o600 }).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
        // The directory went away since (a cache clean): made again, once.
        await mkdir(this.dir, { recursive: true, mode: 0o700 });
        await writeFile(tmp, data, { mode: 0o600 });
      });
      await rename(tmp, file);
      return true;
    } catch {
      this.made = undefined;
      await rm(tmp, { force: true }).catch(() => undefined);
      return false;
    }
  }

  private write(key: string, file: string, encode: () => Buffer): boolean {
    const tmp = this.tmpFor(key);
    try {
      // Private: entries hold file contents from images, which may include secrets.
      const data = encode();
      try {
        writeFileSync(tmp, data, { mode: 0o600 });
      } catch (err) {
        // The directory is made on the first write (and again after a cache clean), not before each.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        writeFileSync(tmp, data, { mode: 0o600 });
      }
      renameSync(tmp, file);
      return true;
    } catch {
      try {
        rmSync(tmp, { force: true });
      } catch {
        // the directory itself is unusable: nothing was written
      }
      return false;
    }
  }
}
