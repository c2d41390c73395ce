/** A tag can be re-pushed; only a digest names fixed content. Lower severity than an untagged image. */
import type { Rule } from '../types.js';
import { describeImage, externalImages } from './helpers.js';

export const imageNotPinnedByDigest: Rule = {
  id: 'image-not-pinned-by-digest',
  severity: 'low',
  title: 'Image not pinned by digest',
  remediation: 'Append the digest of the tested image (FROM image:tag@sha256:<digest>) and let a bot such as Renovate update it.',
  url: 'https://docs.docker.com/build/building/best-practices/#pin-base-image-versions',
  check(ctx) {
    // Untagged and latest images are already reported by the stronger rules.
    return externalImages(ctx)
      .filter(({ image }) => image.digest === undefined && image.tag !== undefined && image.tag !== 'latest')
      .map(({ line, image, via }) => ({ line, message: `${via} ${describeImage(image)} is pinned by tag only; the tag can be moved to other content` }));
  },
};
