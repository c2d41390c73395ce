/** The registry ImageSource: an image pulled over the OCI distribution API, layers streamed and verified. */
import { ShipshapeError } from '../../errors.js';
import { RegistryClient, resolveManifest } from '../../registry/index.js';
import { namedBy } from '../../registry/credentials.js';
import type { RegistryOptions } from '../../registry/index.js';
import { parseConfig } from '../schema.js';
import type { ImageRef, ImageSource, LayerBlob, OpenOptions } from '../types.js';

/** Configs are small JSON documents; a bigger one is refused rather than buffered. */
export const MAX_CONFIG_BYTES = 16 << 20;

/**
 * Opens `ref` on its registry: resolves the tag (or digest) to one platform's manifest, fetches
 * and verifies the config, and describes the layers; layer bytes are fetched when opened.
 * `extra` passes registry-only knobs (environment, retries, warnings) through.
 */
export async function openRegistryImage(
  ref: Extract<ImageRef, { kind: 'registry' }>,
  opts: OpenOptions = {},
  extra: Pick<RegistryOptions, 'env' | 'retry' | 'onWarning'> = {},
): Promise<ImageSource> {
  const client = new RegistryClient(ref.registry, namedBy(ref.registry, { ...opts, ...extra }));
  try {
    const reference = ref.digest ?? ref.tag ?? 'latest';
    const resolved = await resolveManifest(client, ref.repository, reference, opts.platform);
    const { manifest } = resolved;
    const configBytes = await client.fetchBlobBytes(ref.repository, manifest.config, MAX_CONFIG_BYTES);
    const what = `image ${ref.name}`;
    const config = parseConfig(configBytes, `config of ${what}`);
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== manifest.layers.length) {
      throw new ShipshapeError(
        'bad-image',
        `${what}: manifest lists ${manifest.layers.length} layers but the config has ${diffIds.length} diff_ids`,
      );
    }
    const layers: LayerBlob[] = manifest.layers.map((desc, i) => ({
      digest: desc.digest,
      diffId: diffIds[i]!,
      mediaType: desc.mediaType,
      size: desc.size,
      open: () => client.fetchBlob(ref.repository, desc),
    }));
    return {
      // Pinned: what was scanned is this digest, whatever the tag points at later.
      ref: { ...ref, digest: ref.digest ?? resolved.indexDigest ?? resolved.digest },
      digest: resolved.digest,
      manifest,
      configDigest: manifest.config.digest,
      config,
      layers,
      close: () => client.close(),
    };
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
}
