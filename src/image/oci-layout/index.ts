/**
 * Opens an OCI image layout (a directory, or the same layout inside a docker archive): index.json →
 * manifest (by tag, digest or platform, through nested indexes) → config → layer blobs, every
 * document verified against its digest. Spec: https://github.com/opencontainers/image-spec/blob/main/image-layout.md
 */
import { createReadStream, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { ShipshapeError } from '../../errors.js';
import { DigestVerifier, parseDigest, verifyBuffer } from '../digest.js';
import { documentKind, hostPlatform, parseConfig, parseIndex, parseManifest, selectPlatform, type Index } from '../schema.js';
import type { Descriptor, ImageRef, ImageSource, LayerBlob, OpenOptions, Platform } from '../types.js';

/** Largest manifest, index or config we read into memory. */
export const MAX_DOCUMENT_BYTES = 8 << 20;
const MAX_INDEX_DEPTH = 4;
export const REF_NAME = 'org.opencontainers.image.ref.name';
/** Docker 25+ names images in the index.json of `docker save` with this annotation. */
export const CONTAINERD_NAME = 'io.containerd.image.name';

/** Files of a layout, wherever they live (directory or tar), by path relative to the layout root. */
export interface LayoutStore {
  /** Human-readable location, for messages. */
  where: string;
  /** Size of a file, or undefined when absent. */
  size(rel: string): number | undefined;
  /** Whole file; not-found when absent, too-large past `max`. */
  read(rel: string, max: number): Promise<Buffer>;
  /** Streams a file (checked to exist first). */
  open(rel: string): Promise<Readable>;
}

/** A layout in a directory; files reached through symlinks must stay inside it. */
export function dirStore(dir: string): LayoutStore {
  let root: string;
  try {
    root = realpathSync(dir);
  } catch (err) {
    throw new ShipshapeError('not-found', `OCI layout ${dir}: no such directory`, { cause: err });
  }
  const locate = (rel: string): string | undefined => {
    const p = path.join(root, rel);
    let real: string;
    try {
      // The C library's realpath: one call, where fs.realpathSync lstats each component in JS.
      real = realpathSync.native(p);
    } catch {
      return undefined;
    }
    if (real !== root && !real.startsWith(root + path.sep)) {
      throw new ShipshapeError('unsafe-path', `OCI layout ${dir}: ${rel} points outside the layout (${real})`);
    }
    return real;
  };
  const must = (rel: string) => {
    const p = locate(rel);
    if (!p) throw new ShipshapeError('not-found', `OCI layout ${dir}: ${rel} is missing`);
    return p;
  };
  return {
    where: `OCI layout ${dir}`,
    size(rel) {
      const p = locate(rel);
      return p ? statSync(p).size : undefined;
    },
    async read(rel, max) {
      const p = must(rel);
      const size = statSync(p).size;
      if (size > max) throw new ShipshapeError('too-large', `OCI layout ${dir}: ${rel} is ${size} bytes, over the limit of ${max}`);
      // Documents are small (at most `max`): read at once rather than queued behind the layer
      // reads that keep libuv's thread pool busy (zlib), which made opening an image wait for them.
      return readFileSync(p);
    },
    async open(rel) {
      return createReadStream(must(rel), { highWaterMark: 1 << 20 });
    },
  };
}

export function blobPath(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `blobs/${algorithm}/${hex}`;
}

/** Wraps a raw blob stream so it fails at its end unless the bytes match `digest` (and `size` when known). */
export function verifiedStream(raw: Readable, digest: string, size: number, what: string): Readable {
  return pipeline(raw, new DigestVerifier(digest, size, what), () => {
    // errors surface on the returned stream; nothing to do here
  });
}

async function readVerified(store: LayoutStore, d: Pick<Descriptor, 'digest' | 'size'>, what: string): Promise<Buffer> {
  const rel = blobPath(d.digest);
  let data: Buffer;
  try {
    data = await store.read(rel, MAX_DOCUMENT_BYTES);
  } catch (err) {
    if (err instanceof ShipshapeError && err.code === 'not-found') throw new ShipshapeError('not-found', `${store.where}: ${what} blob ${d.digest} is missing`, { cause: err });
    throw err;
  }
  verifyBuffer(data, d.digest, `${store.where}: ${what} ${d.digest}`);
  if (d.size >= 0 && data.length !== d.size) {
    throw new ShipshapeError('bad-image', `${store.where}: ${what} ${d.digest} is ${data.length} bytes, its descriptor says ${d.size}`);
  }
  return data;
}

/** Which of the top-level descriptors a ref names: by digest, by tag, else the only one (or by platform). */
function chooseTop(index: Index, ref: { tag?: string; digest?: string }, platform: Platform, where: string): Descriptor {
  const all = index.manifests;
  if (ref.digest) {
    const hit = all.find((d) => d.digest === ref.digest);
    // A digest not listed in index.json may still name a manifest blob in the layout.
    return hit ?? { mediaType: '', digest: ref.digest, size: -1 };
  }
  let candidates = all;
  if (ref.tag) {
    candidates = all.filter((d) => d.annotations?.[REF_NAME] === ref.tag || d.annotations?.[CONTAINERD_NAME] === ref.tag);
    if (!candidates.length) {
      const tags = all.map((d) => d.annotations?.[REF_NAME]).filter(Boolean);
      throw new ShipshapeError('not-found', `${where}: no image tagged "${ref.tag}" (tags: ${tags.join(', ') || 'none'})`);
    }
  }
  if (candidates.length === 1) return candidates[0]!;
  if (!candidates.length) throw new ShipshapeError('bad-image', `${where}: index.json lists no images`);
  if (candidates.every((d) => d.platform)) return selectPlatform({ ...index, manifests: candidates }, platform, where);
  const tags = candidates.map((d) => d.annotations?.[REF_NAME] ?? d.digest);
  throw new ShipshapeError('bad-reference', `${where}: holds ${candidates.length} images; name one with :TAG or @DIGEST (${tags.join(', ')})`);
}

/** Manifests and configs validated in this process, by digest (their bytes were checked against it). */
const documents = new Map<string, unknown>();
const MAX_DOCUMENTS = 512;

/**
 * A manifest or config validated once per digest per process: a layout of many images on a few
 * bases opens the same documents again and again (zod's check was ~0.4 ms of each). Each caller
 * gets its own copy; only documents that passed validation are kept.
 */
function parsedOnce<T>(kind: 'manifest' | 'config', digest: string, parse: () => T): T {
  const key = `${kind} ${digest}`;
  let doc = documents.get(key) as T | undefined;
  if (doc === undefined) {
    doc = parse();
    if (documents.size >= MAX_DOCUMENTS) documents.delete(documents.keys().next().value!);
    documents.set(key, doc);
  } else {
    // Most recently used last: the oldest goes first.
    documents.delete(key);
    documents.set(key, doc);
  }
  return structuredClone(doc);
}

let lastIndex: { bytes: Buffer; index: Index } | undefined;

/**
 * parseIndex, remembering the last index.json read: a layout holding many images (a tag each) is
 * opened once per image, and its index validated once while its bytes stay the same. The parsed
 * index is only read here, never handed out.
 */
function parsedIndex(bytes: Buffer, what: string): Index {
  if (lastIndex?.bytes.equals(bytes)) return lastIndex.index;
  const index = parseIndex(bytes, what);
  lastIndex = { bytes, index };
  return index;
}

/** Opens the image a ref names inside any layout store. */
export async function openLayout(
  store: LayoutStore,
  ref: ImageRef,
  sel: { tag?: string; digest?: string },
  opts: OpenOptions,
): Promise<ImageSource> {
  const where = store.where;
  if (store.size('oci-layout') === undefined) throw new ShipshapeError('bad-image', `${where}: not an OCI image layout (no oci-layout file)`);
  const layoutDoc = (await store.read('oci-layout', 1 << 16)).toString('utf8');
  try {
    const v = (JSON.parse(layoutDoc) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
    if (typeof v !== 'string') throw new Error('no imageLayoutVersion');
  } catch (err) {
    throw new ShipshapeError('bad-image', `${where}: invalid oci-layout file (${(err as Error).message})`, { cause: err });
  }
  const index = parsedIndex(await store.read('index.json', MAX_DOCUMENT_BYTES), `${where}: index.json`);
  const platform = opts.platform ?? hostPlatform();

  let desc = chooseTop(index, sel, platform, where);
  let manifestBytes: Buffer | undefined;
  for (let depth = 0; ; depth++) {
    const bytes = await readVerified(store, desc, 'manifest');
    if (documents.has(`manifest ${desc.digest}`)) {
      manifestBytes = bytes;
      break;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      throw new ShipshapeError('bad-image', `${where}: manifest ${desc.digest}: not valid JSON`, { cause: err });
    }
    const kind = documentKind(doc, desc.mediaType || undefined);
    if (kind === 'manifest') {
      manifestBytes = bytes;
      break;
    }
    if (kind !== 'index') {
      throw new ShipshapeError('unsupported-media-type', `${where}: ${desc.digest} has unsupported media type ${(doc as { mediaType?: string })?.mediaType ?? desc.mediaType}`);
    }
    if (depth >= MAX_INDEX_DEPTH) throw new ShipshapeError('bad-image', `${where}: image indexes nested more than ${MAX_INDEX_DEPTH} deep`);
    const nested = parseIndex(bytes, `${where}: image index ${desc.digest}`);
    desc = nested.manifests.length === 1 && !nested.manifests[0]!.platform ? nested.manifests[0]! : selectPlatform(nested, platform, `${where}: image index ${desc.digest}`);
  }
  const manifest = parsedOnce('manifest', desc.digest, () => parseManifest(manifestBytes, `${where}: manifest ${desc.digest}`));
  const configBytes = await readVerified(store, manifest.config, 'config');
  const config = parsedOnce('config', manifest.config.digest, () => parseConfig(configBytes, `${where}: config ${manifest.config.digest}`));
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== manifest.layers.length) {
    throw new ShipshapeError('bad-image', `${where}: manifest lists ${manifest.layers.length} layers but the config has ${diffIds.length} diff_ids`);
  }
  const layers: LayerBlob[] = manifest.layers.map((l, i) => {
    const rel = blobPath(l.digest);
    // Fail at open time, not halfway through a scan.
    if (store.size(rel) === undefined) throw new ShipshapeError('not-found', `${where}: layer blob ${l.digest} is missing`);
    return {
      digest: l.digest,
      diffId: diffIds[i]!,
      mediaType: l.mediaType,
      size: l.size,
      open: async () => verifiedStream(await store.open(rel), l.digest, l.size, `${where}: layer ${l.digest}`),
      readSmall: async () => {
        // Only a file of exactly the descriptor's size: anything else takes open()'s stream and its errors.
        if (store.size(rel) !== l.size) return undefined;
        let data: Buffer;
        try {
          data = await store.read(rel, l.size);
        } catch {
          return undefined;
        }
        if (data.length !== l.size) return undefined;
        verifyBuffer(data, l.digest, `${where}: layer ${l.digest}`);
        return data;
      },
    };
  });
  return {
    ref,
    digest: desc.digest,
    manifest,
    configDigest: manifest.config.digest,
    config,
    layers,
    close: async () => {},
  };
}

/** Opens `oci:DIR[:TAG|@DIGEST]`. */
export async function openOciLayout(ref: Extract<ImageRef, { kind: 'oci' }>, opts: OpenOptions): Promise<ImageSource> {
  return openLayout(dirStore(ref.path), ref, { ...(ref.tag ? { tag: ref.tag } : {}), ...(ref.digest ? { digest: ref.digest } : {}) }, opts);
}
