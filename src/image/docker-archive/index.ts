/**
 * Opens a `docker save` archive without extracting it: the classic form (manifest.json + config +
 * layer tars, possibly gzip, possibly behind `<id>/layer.tar` symlinks) and the OCI layout Docker 25+
 * writes inside the tar. Format: https://github.com/moby/moby/blob/master/image/spec/v1.2.md
 */
import path from 'node:path';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { ShipshapeError } from '../../errors.js';
import { digestOf, verifyBuffer } from '../digest.js';
import { detectCompression } from '../layer.js';
import { CONTAINERD_NAME, MAX_DOCUMENT_BYTES, openLayout, REF_NAME, verifiedStream, type LayoutStore } from '../oci-layout/index.js';
import { hostPlatform, MediaType, parseConfig, parseIndex, selectPlatform } from '../schema.js';
import type { ImageConfig, ImageRef, ImageSource, LayerBlob, Manifest, OpenOptions } from '../types.js';
import { TarIndex, type TarMember } from './tar-index.js';

type ArchiveRef = Extract<ImageRef, { kind: 'docker-archive' }>;

const manifestJsonSchema = z
  .array(
    z
      .object({
        Config: z.string(),
        RepoTags: z.array(z.string()).nullable().optional(),
        Layers: z.array(z.string()),
      })
      .passthrough(),
  )
  .min(1, 'lists no images');
type ArchiveEntry = z.infer<typeof manifestJsonSchema>[number];

/** Docker's normalisation of a name, enough to compare tags: `alpine` → `docker.io/library/alpine:latest`. */
export function normalizeTag(name: string): string {
  const at = name.indexOf('@');
  let n = at === -1 ? name : name.slice(0, at);
  if (!/:[^/]+$/.test(n)) n += ':latest';
  const first = n.split('/')[0]!;
  const hasDomain = n.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasDomain) n = n.includes('/') ? `docker.io/${n}` : `docker.io/library/${n}`;
  return n;
}

/** Does `want` (what the user typed after the file name) name `have` (a RepoTag)? A bare word also matches the tag part. */
export function tagMatches(want: string, have: string): boolean {
  if (want === have) return true;
  if (!want.includes(':') && !want.includes('/') && have.endsWith(`:${want}`)) return true;
  return normalizeTag(want) === normalizeTag(have);
}

function parseArchiveManifest(bytes: Buffer, what: string): ArchiveEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ShipshapeError('bad-image', `${what}: manifest.json is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const r = manifestJsonSchema.safeParse(doc);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ShipshapeError('bad-image', `${what}: manifest.json: ${issue.message}${issue.path.length ? ` at ${issue.path.join('.')}` : ''}`);
  }
  return r.data;
}

/** The archive's members seen as an OCI layout store. */
function tarStore(idx: TarIndex, where: string): LayoutStore {
  const must = (rel: string) => {
    const m = idx.find(rel);
    if (!m) throw new ShipshapeError('not-found', `${where}: ${rel} is missing`);
    return m;
  };
  return {
    where,
    size: (rel) => idx.find(rel)?.size,
    async read(rel, max) {
      const m = must(rel);
      if (m.size > max) throw new ShipshapeError('too-large', `${where}: ${rel} is ${m.size} bytes, over the limit of ${max}`);
      return idx.read(m);
    },
    open: async (rel) => idx.stream(must(rel)),
  };
}

const HEX_NAME = /(?:^|\/)([a-f0-9]{64})(?:\.json|\.tar|\.tar\.gz|\.tgz|\.tar\.zst)?$/;

function chooseEntry(entries: ArchiveEntry[], tag: string | undefined, where: string): ArchiveEntry[] {
  if (!tag) return entries;
  const hits = entries.filter((e) => (e.RepoTags ?? []).some((t) => tagMatches(tag, t)));
  if (!hits.length) {
    const all = entries.flatMap((e) => e.RepoTags ?? []);
    throw new ShipshapeError('not-found', `${where}: no image tagged "${tag}" (tags: ${all.join(', ') || 'none'})`);
  }
  if (hits.length > 1) {
    throw new ShipshapeError('bad-reference', `${where}: "${tag}" names ${hits.length} images (${hits.flatMap((e) => e.RepoTags ?? []).join(', ')})`);
  }
  return hits;
}

async function readConfig(idx: TarIndex, entry: ArchiveEntry, where: string): Promise<{ bytes: Buffer; config: ImageConfig; digest: string }> {
  const m = idx.find(entry.Config);
  if (!m) throw new ShipshapeError('not-found', `${where}: config ${entry.Config} is missing`);
  if (m.size > MAX_DOCUMENT_BYTES) throw new ShipshapeError('too-large', `${where}: config ${entry.Config} is ${m.size} bytes`);
  const bytes = await idx.read(m);
  // Docker names the config by its digest; when the name says so, hold it to it.
  const named = HEX_NAME.exec(entry.Config);
  if (named) verifyBuffer(bytes, `sha256:${named[1]}`, `${where}: config ${entry.Config}`);
  return { bytes, config: parseConfig(bytes, `${where}: config ${entry.Config}`), digest: digestOf(bytes) };
}

async function openClassic(idx: TarIndex, ref: ArchiveRef, opts: OpenOptions, where: string): Promise<ImageSource> {
  const mj = idx.find('manifest.json');
  if (!mj) throw new ShipshapeError('bad-image', `${where}: not a docker archive (no manifest.json or index.json)`);
  if (mj.size > MAX_DOCUMENT_BYTES) throw new ShipshapeError('too-large', `${where}: manifest.json is ${mj.size} bytes`);
  const entries = chooseEntry(parseArchiveManifest(await idx.read(mj), where), ref.tag, where);

  let entry = entries[0]!;
  let cfg;
  if (entries.length === 1) cfg = await readConfig(idx, entry, where);
  else {
    // Several images and no tag: pick by the platform their configs declare, as for an index.
    const configs = await Promise.all(entries.map((e) => readConfig(idx, e, where)));
    const pseudo = {
      schemaVersion: 2 as const,
      manifests: configs.map((c) => ({
        mediaType: MediaType.dockerManifest,
        digest: c.digest,
        size: c.bytes.length,
        platform: { os: c.config.os ?? 'linux', architecture: c.config.architecture ?? 'unknown', ...(c.config.variant ? { variant: c.config.variant } : {}) },
      })),
    };
    const hit = selectPlatform(pseudo, opts.platform ?? hostPlatform(), where);
    const i = pseudo.manifests.findIndex((d) => d === hit);
    entry = entries[i]!;
    cfg = configs[i]!;
  }

  const diffIds = cfg.config.rootfs.diff_ids;
  if (diffIds.length !== entry.Layers.length) {
    throw new ShipshapeError('bad-image', `${where}: manifest.json lists ${entry.Layers.length} layers but the config has ${diffIds.length} diff_ids`);
  }
  const layers: LayerBlob[] = [];
  for (const [i, name] of entry.Layers.entries()) {
    const m: TarMember | undefined = idx.find(name);
    if (!m) throw new ShipshapeError('not-found', `${where}: layer ${name} is missing`);
    const diffId = diffIds[i]!;
    const compression = detectCompression(await idx.head(m, 4));
    // A compressed member named by its digest (`<hex>.tar.gz`, `blobs/sha256/<hex>`) is held to that digest
    // while streaming; otherwise the layer is known by its diff_id, which walkLayer checks.
    const named = HEX_NAME.exec(name) ?? HEX_NAME.exec(path.posix.basename(m.name));
    const digest = compression !== 'none' && named ? `sha256:${named[1]}` : diffId;
    const mediaType =
      compression === 'gzip' ? MediaType.dockerLayerGzip : compression === 'zstd' ? MediaType.ociLayerZstd : 'application/vnd.docker.image.rootfs.diff.tar';
    const what = `${where}: layer ${name}`;
    layers.push({
      digest,
      diffId,
      mediaType,
      size: m.size,
      open: async (): Promise<Readable> => (digest !== diffId ? verifiedStream(idx.stream(m), digest, m.size, what) : idx.stream(m)),
    });
  }
  // Classic archives carry no manifest: describe the image with the Docker schema 2 manifest it implies.
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaType.dockerManifest,
    config: { mediaType: MediaType.dockerConfig, digest: cfg.digest, size: cfg.bytes.length },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  return {
    ref,
    digest: digestOf(JSON.stringify(manifest)),
    manifest,
    configDigest: cfg.digest,
    config: cfg.config,
    layers,
    close: async () => {},
  };
}

/** The OCI form: pick the index entry by its name annotations (or manifest.json's RepoTags), then read it as a layout. */
async function openOciForm(idx: TarIndex, ref: ArchiveRef, opts: OpenOptions, where: string): Promise<ImageSource> {
  const store = tarStore(idx, where);
  if (!ref.tag) return openLayout(store, ref, {}, opts);
  const index = parseIndex(await store.read('index.json', MAX_DOCUMENT_BYTES), `${where}: index.json`);
  const names = (d: (typeof index.manifests)[number]) => [d.annotations?.[CONTAINERD_NAME], d.annotations?.[REF_NAME]].filter((x): x is string => !!x);
  let hits = index.manifests.filter((d) => names(d).some((n) => tagMatches(ref.tag!, n)));
  if (!hits.length) {
    // Older writers name images only in manifest.json: map the tag to its config, then to the manifest using it.
    const mj = idx.find('manifest.json');
    const entries = mj ? parseArchiveManifest(await idx.read(mj), where) : [];
    const tagged = entries.filter((e) => (e.RepoTags ?? []).some((t) => tagMatches(ref.tag!, t)));
    const configHex = new Set(tagged.map((e) => HEX_NAME.exec(e.Config)?.[1]).filter(Boolean));
    hits = [];
    for (const d of index.manifests) {
      const m = idx.find(`blobs/sha256/${d.digest.slice(7)}`);
      if (!m || m.size > MAX_DOCUMENT_BYTES) continue;
      try {
        const doc = JSON.parse((await idx.read(m)).toString('utf8')) as { config?: { digest?: string } };
        if (doc.config?.digest && configHex.has(doc.config.digest.slice(7))) hits.push(d);
      } catch {
        // not JSON: not the manifest we look for
      }
    }
  }
  if (!hits.length) {
    const all = index.manifests.flatMap(names);
    throw new ShipshapeError('not-found', `${where}: no image tagged "${ref.tag}" (tags: ${all.join(', ') || 'none'})`);
  }
  if (hits.length > 1 && !hits.every((d) => d.platform)) {
    throw new ShipshapeError('bad-reference', `${where}: "${ref.tag}" names ${hits.length} images`);
  }
  const chosen = hits.length === 1 ? hits[0]! : selectPlatform({ ...index, manifests: hits }, opts.platform ?? hostPlatform(), where);
  return openLayout(store, ref, { digest: chosen.digest }, opts);
}

/** Opens `docker-archive:FILE[:TAG]`. */
export async function openDockerArchive(ref: ArchiveRef, opts: OpenOptions): Promise<ImageSource> {
  const where = `docker archive ${ref.path}`;
  const idx = await TarIndex.load(ref.path, where);
  if (idx.find('index.json') && idx.find('oci-layout')) return openOciForm(idx, ref, opts, where);
  return openClassic(idx, ref, opts, where);
}
