/** The image area's public surface: references, opening an image from any source, walking and squashing layers. */
import { ShipshapeError } from '../errors.js';
import { openDockerArchive } from './docker-archive/index.js';
import { openOciLayout } from './oci-layout/index.js';
import type { ImageRef, ImageSource, OpenOptions } from './types.js';

export type {
  Descriptor,
  EntryMeta,
  FileEntry,
  FileView,
  ImageConfig,
  ImageRef,
  ImageSource,
  LayerBlob,
  LayerIndex,
  Manifest,
  OpenOptions,
  Platform,
} from './types.js';
export { parseReference } from './reference.js';
export { formatPlatform, hostPlatform, parsePlatform } from './schema.js';
export { dirFileView, normalizePath, treeView } from './dir-view.js';
export { walkLayer, layerLimits, DEFAULT_LAYER_LIMITS, type LayerLimits } from './layer.js';
export { squash } from './squash.js';
export { openOciLayout } from './oci-layout/index.js';
export { openDockerArchive } from './docker-archive/index.js';

/** Opens an image from wherever its reference points; the registry client is loaded only when needed. */
export async function openImage(ref: ImageRef, opts: OpenOptions = {}): Promise<ImageSource> {
  switch (ref.kind) {
    case 'oci':
      return openOciLayout(ref, opts);
    case 'docker-archive':
      return openDockerArchive(ref, opts);
    case 'registry': {
      const { openRegistryImage } = await import('./registry/index.js');
      return openRegistryImage(ref, opts);
    }
    case 'sbom':
      // An SBOM has packages but no layers: src/scan reads it with src/sbom instead of opening it.
      throw new ShipshapeError('usage', `${ref.name} is an SBOM, not an image: only shipshape scan reads SBOMs`);
  }
}
