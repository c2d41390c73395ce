/**
 * The image to promote, as stored at SRC: its top digest, every manifest and index of it (exact
 * bytes, children before parents), the blobs they name, and a verified stream of each blob.
 * Registry, OCI layout and docker archive alike; the digest is fixed once, here.
 */
import { Readable } from 'node:stream';
import { ShipshapeError } from '../errors.js';
import { digestOf, verifyBuffer } from '../image/digest.js';
import { TarIndex } from '../image/docker-archive/tar-index.js';
import { openImage, parseReference } from '../image/index.js';
import { blobPath, dirStore, MAX_DOCUMENT_BYTES, REF_NAME, verifiedStream, type LayoutStore } from '../image/oci-layout/index.js';
import { documentKind, formatPlatform, MediaType, parseIndex, parseManifest } from '../image/schema.js';
import type { Descriptor, ImageRef, Manifest, OpenOptions, Platform } from '../image/types.js';
import { RegistryClient } from '../registry/client.js';
import { namedBy } from '../registry/credentials.js';

const MAX_INDEX_DEPTH = 4;

export interface SourceNode {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  kind: 'index' | 'manifest';
  manifest?: Manifest;
  /** From the index entry that named it. */
  platform?: Platform;
}

export interface CopySource {
  ref: ImageRef;
  /** The top manifest or index: what DEST's tag will name. */
  top: SourceNode;
  /** Every manifest and index, children before the indexes naming them; the top last. */
  nodes: SourceNode[];
  /** The image manifests to scan (attestation manifests of buildx, platform unknown/unknown, are copied but not scanned). */
  images: SourceNode[];
  /** Configs and layers, each once. */
  blobs: Descriptor[];
  /** A reference scanImage opens to read exactly this image manifest. */
  scanReference(node: SourceNode): string;
  openBlob(d: Descriptor): Promise<Readable>;
  /** Set for a registry source: same-registry copies mount blobs from here. */
  registry?: { host: string; repository: string };
  close(): Promise<void>;
}

/** Layers a registry must not be asked to store (Windows foreign layers). */
function nonDistributable(d: Descriptor): boolean {
  return /foreign|nondistributable/.test(d.mediaType);
}

type ReadDoc = (d: Pick<Descriptor, 'digest' | 'size' | 'mediaType'>) => Promise<Buffer>;

/** Reads the graph under `top`, verifying every document against its digest. */
async function walk(top: SourceNode, read: ReadDoc, where: string): Promise<Pick<CopySource, 'nodes' | 'images' | 'blobs'>> {
  const nodes: SourceNode[] = [];
  const seen = new Set<string>();
  const visit = async (node: SourceNode, depth: number): Promise<void> => {
    if (seen.has(node.digest)) return;
    seen.add(node.digest);
    if (node.kind === 'index') {
      if (depth >= MAX_INDEX_DEPTH) throw new ShipshapeError('bad-image', `${where}: indexes nested deeper than ${MAX_INDEX_DEPTH}`);
      const index = parseIndex(node.bytes, `${where}: image index ${node.digest}`);
      for (const d of index.manifests) {
        const bytes = await read(d);
        let doc: unknown;
        try {
          doc = JSON.parse(bytes.toString('utf8'));
        } catch {
          throw new ShipshapeError('bad-image', `${where}: manifest ${d.digest} is not JSON`);
        }
        const kind = documentKind(doc, d.mediaType);
        if (kind === 'unknown') throw new ShipshapeError('unsupported-media-type', `${where}: ${d.digest} has unsupported media type ${d.mediaType}`);
        const child: SourceNode = { digest: d.digest, mediaType: d.mediaType, bytes, kind, ...(d.platform ? { platform: d.platform } : {}) };
        if (kind === 'manifest') child.manifest = parseManifest(bytes, `${where}: manifest ${d.digest}`);
        await visit(child, depth + 1);
      }
    }
    nodes.push(node);
  };
  if (top.kind === 'manifest') top.manifest ??= parseManifest(top.bytes, `${where}: manifest ${top.digest}`);
  await visit(top, 0);
  const images = nodes.filter((n) => n.kind === 'manifest' && !(n.platform && formatPlatform(n.platform) === 'unknown/unknown'));
  const blobs = new Map<string, Descriptor>();
  for (const n of nodes) {
    if (!n.manifest) continue;
    for (const d of [n.manifest.config, ...n.manifest.layers]) if (!nonDistributable(d) && !blobs.has(d.digest)) blobs.set(d.digest, d);
  }
  return { nodes, images, blobs: [...blobs.values()] };
}

function kindOf(bytes: Buffer, mediaType: string | undefined, what: string): 'index' | 'manifest' {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ShipshapeError('bad-image', `${what}: not valid JSON`);
  }
  const kind = documentKind(doc, mediaType || undefined);
  if (kind === 'unknown') throw new ShipshapeError('unsupported-media-type', `${what}: unsupported media type ${mediaType || '(none)'}`);
  return kind;
}

function mediaTypeOf(bytes: Buffer, fallback: string): string {
  try {
    return (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ?? fallback;
  } catch {
    return fallback;
  }
}

async function registrySource(ref: Extract<ImageRef, { kind: 'registry' }>, open: OpenOptions): Promise<CopySource> {
  const client = new RegistryClient(ref.registry, namedBy(ref.registry, open));
  try {
    const top = await client.getManifest(ref.repository, ref.digest ?? ref.tag ?? 'latest');
    const where = `${ref.registry}/${ref.repository}@${top.digest}`;
    const topNode: SourceNode = { digest: top.digest, mediaType: top.mediaType, bytes: top.bytes, kind: kindOf(top.bytes, top.mediaType, where) };
    const graph = await walk(topNode, async (d) => (await client.getManifest(ref.repository, d.digest)).bytes, where);
    return {
      ref: { ...ref, digest: top.digest },
      top: topNode,
      ...graph,
      scanReference: (n) => `${ref.registry}/${ref.repository}@${n.digest}`,
      openBlob: (d) => client.fetchBlob(ref.repository, d),
      registry: { host: ref.registry, repository: ref.repository },
      close: () => client.close(),
    };
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
}

async function readStoreDoc(store: LayoutStore, d: Pick<Descriptor, 'digest' | 'size'>): Promise<Buffer> {
  const rel = blobPath(d.digest);
  if (store.size(rel) === undefined) throw new ShipshapeError('not-found', `${store.where}: blob ${d.digest} is missing`);
  const bytes = await store.read(rel, MAX_DOCUMENT_BYTES);
  verifyBuffer(bytes, d.digest, `${store.where}: ${d.digest}`);
  if (d.size >= 0 && bytes.length !== d.size) throw new ShipshapeError('bad-image', `${store.where}: ${d.digest} is ${bytes.length} bytes, its descriptor says ${d.size}`);
  return bytes;
}

async function layoutSource(ref: Extract<ImageRef, { kind: 'oci' }>): Promise<CopySource> {
  const store = dirStore(ref.path);
  const where = store.where;
  if (store.size('oci-layout') === undefined) throw new ShipshapeError('bad-image', `${where}: not an OCI image layout (no oci-layout file)`);
  const index = parseIndex(await store.read('index.json', MAX_DOCUMENT_BYTES), `${where}: index.json`);
  let desc: Pick<Descriptor, 'digest' | 'size' | 'mediaType'> | undefined;
  if (ref.digest) desc = index.manifests.find((d) => d.digest === ref.digest) ?? { digest: ref.digest, size: -1, mediaType: '' };
  else {
    const hits = ref.tag ? index.manifests.filter((d) => d.annotations?.[REF_NAME] === ref.tag) : index.manifests;
    if (hits.length !== 1) {
      const tags = index.manifests.map((d) => d.annotations?.[REF_NAME] ?? d.digest).join(', ');
      throw new ShipshapeError(hits.length ? 'bad-reference' : 'not-found', `${where}: ${ref.tag ? `"${ref.tag}" names ${hits.length} images` : `holds ${hits.length} images; name one with :TAG or @DIGEST`} (${tags || 'none'})`);
    }
    desc = hits[0]!;
  }
  const bytes = await readStoreDoc(store, desc);
  const top: SourceNode = { digest: desc.digest, mediaType: desc.mediaType || mediaTypeOf(bytes, ''), bytes, kind: kindOf(bytes, desc.mediaType, `${where}: ${desc.digest}`) };
  const graph = await walk(top, (d) => readStoreDoc(store, d), where);
  const dir = ref.path;
  return {
    ref: { ...ref, digest: top.digest },
    top,
    ...graph,
    scanReference: (n) => `oci:${dir}@${n.digest}`,
    openBlob: async (d) => {
      const rel = blobPath(d.digest);
      if (store.size(rel) === undefined) throw new ShipshapeError('not-found', `${where}: blob ${d.digest} is missing`);
      return verifiedStream(await store.open(rel), d.digest, d.size, `${where}: blob ${d.digest}`);
    },
    close: async () => {},
  };
}

/**
 * A docker archive holds images, not indexes: the one image the reference selects. Classic archives
 * carry no manifest, so the image is pushed with the Docker schema 2 manifest they imply (whose
 * digest `scan` reports too); the Docker 25+ OCI form is pushed with its own manifest.
 */
async function archiveSource(ref: Extract<ImageRef, { kind: 'docker-archive' }>, open: OpenOptions): Promise<CopySource> {
  const image = await openImage(ref, open);
  const where = `docker archive ${ref.path}`;
  const idx = await TarIndex.load(ref.path, where);
  const member = async (digest: string): Promise<Buffer | undefined> => {
    const m = idx.find(`blobs/sha256/${digest.slice(7)}`) ?? idx.find(`${digest.slice(7)}.json`);
    return m && m.size <= MAX_DOCUMENT_BYTES ? idx.read(m) : undefined;
  };
  let manifestBytes = await member(image.digest);
  if (!manifestBytes || digestOf(manifestBytes) !== image.digest) manifestBytes = Buffer.from(JSON.stringify(image.manifest));
  verifyBuffer(manifestBytes, image.digest, `${where}: manifest`);
  let configBytes = await member(image.configDigest);
  if (!configBytes) {
    // Classic archives name the config file freely in manifest.json: find it by its digest.
    for (const m of idx.members.values()) {
      if (m.name.endsWith('.json') && m.size <= MAX_DOCUMENT_BYTES && m.name !== 'manifest.json') {
        const b = await idx.read(m);
        if (digestOf(b) === image.configDigest) configBytes = b;
      }
    }
  }
  if (!configBytes) throw new ShipshapeError('bad-image', `${where}: config ${image.configDigest} not found`);
  const top: SourceNode = { digest: image.digest, mediaType: image.manifest.mediaType ?? MediaType.dockerManifest, bytes: manifestBytes, kind: 'manifest', manifest: image.manifest };
  const layers = new Map(image.layers.map((l) => [l.digest, l]));
  const cfg = configBytes;
  return {
    ref,
    top,
    nodes: [top],
    images: [top],
    blobs: [image.manifest.config, ...image.manifest.layers],
    scanReference: () => ref.name,
    openBlob: async (d) => {
      if (d.digest === image.configDigest) return Readable.from([cfg]);
      const l = layers.get(d.digest);
      if (!l) throw new ShipshapeError('not-found', `${where}: blob ${d.digest} is missing`);
      return l.open();
    },
    close: () => image.close(),
  };
}

/**
 * Opens SRC and reads its whole graph; the digest it reports is the digest DEST will hold. `open`
 * may still be in the making (a promise, or a function asked only when needed): an OCI layout is
 * read without it.
 */
export async function openCopySource(reference: string, open: OpenOptions | Promise<OpenOptions> | (() => Promise<OpenOptions>)): Promise<CopySource> {
  const ref = parseReference(reference);
  const options = async () => (typeof open === 'function' ? open() : open);
  switch (ref.kind) {
    case 'registry':
      return registrySource(ref, await options());
    case 'oci':
      return layoutSource(ref);
    case 'docker-archive':
      return archiveSource(ref, await options());
    case 'sbom':
      throw new ShipshapeError('usage', `${ref.name} is an SBOM, not an image: promote copies images`);
  }
}
