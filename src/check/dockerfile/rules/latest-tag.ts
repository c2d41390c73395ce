/** DL3007: the `latest` tag moves; builds are not reproducible and updates arrive unreviewed. */
import type { Rule } from '../types.js';
import { describeImage, externalImages } from './helpers.js';

export const latestTag: Rule = {
  id: 'latest-tag',
  hadolint: 'DL3007',
  severity: 'medium',
  title: 'Image uses the latest tag',
  remediation: 'Pin a release tag (and a digest) instead of latest.',
  url: 'https://github.com/hadolint/hadolint/wiki/DL3007',
  check(ctx) {
    // With a digest the tag is only a label: the digest decides what is pulled.
    return externalImages(ctx)
      .filter(({ image }) => image.tag === 'latest' && image.digest === undefined)
      .map(({ line, image, via }) => ({ line, message: `${via} ${describeImage(image)} uses the moving "latest" tag` }));
  },
};
