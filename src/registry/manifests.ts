/** From a tag or digest to one platform's image manifest: follows (nested) indexes and manifest lists. */
import { ShipshapeError } from '../errors.js';
import type { Manifest, Platform } from '../image/types.js';
import { documentKind, hostPlatform, parseIndex, parseManifest, selectPlatform } from '../image/schema.js';
import type { RegistryClient } from './client.js';

/** Indexes pointing at indexes: real images use one level; a loop or a deep chain is refused. */
const MAX_INDEX_DEPTH = 4;

export interface ResolvedManifest {
  /** Digest of the selected image manifest. */
  digest: string;
  mediaType: string;
  manifest: Manifest;
  bytes: Buffer;
  /** Digest of the index the reference named, when it named one. */
  indexDigest?: string;
  /** The platform chosen from an index (absent for a plain manifest). */
  platform?: Platform;
}

export async function resolveManifest(
  client: RegistryClient,
  repository: string,
  reference: string,
  platform: Platform = hostPlatform(),
): Promise<ResolvedManifest> {
  let ref = reference;
  let indexDigest: string | undefined;
  let chosen: Platform | undefined;
  for (let depth = 0; ; depth++) {
    const fetched = await client.getManifest(repository, ref);
    const what = `manifest ${client.registry}/${repository}@${fetched.digest}`;
    let doc: unknown;
    try {
      doc = JSON.parse(fetched.bytes.toString('utf8'));
    } catch (err) {
      throw new ShipshapeError('bad-image', `${what}: not valid JSON`, { cause: err });
    }
    const kind = documentKind(doc, fetched.mediaType || undefined);
    if (kind === 'manifest') {
      const manifest = parseManifest(fetched.bytes, what);
      return {
        digest: fetched.digest,
        mediaType: fetched.mediaType || manifest.mediaType || '',
        manifest,
        bytes: fetched.bytes,
        ...(indexDigest ? { indexDigest } : {}),
        ...(chosen ? { platform: chosen } : {}),
      };
    }
    if (kind !== 'index') {
      throw new ShipshapeError('unsupported-media-type', `${what}: unsupported media type ${fetched.mediaType || '(none)'}`);
    }
    if (depth >= MAX_INDEX_DEPTH) throw new ShipshapeError('bad-image', `${what}: indexes nested deeper than ${MAX_INDEX_DEPTH}`);
    const index = parseIndex(fetched.bytes, `image index ${client.registry}/${repository}@${fetched.digest}`);
    indexDigest ??= fetched.digest;
    // A nested index usually carries no platform itself: descend into it when it is the only choice.
    const nested = index.manifests.filter((d) => documentKind({ mediaType: d.mediaType }) === 'index' && !d.platform);
    const desc = nested.length === index.manifests.length && nested.length === 1 ? nested[0]! : selectPlatform(index, platform, `image ${client.registry}/${repository}:${reference}`);
    chosen = desc.platform ?? chosen;
    ref = desc.digest;
  }
}

