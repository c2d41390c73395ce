/** DL3006: an image with neither tag nor digest floats to whatever `latest` is at build time. */
import type { Rule } from '../types.js';
import { describeImage, externalImages } from './helpers.js';

export const untaggedImage: Rule = {
  id: 'untagged-image',
  hadolint: 'DL3006',
  severity: 'medium',
  title: 'Image without a tag or digest',
  remediation: 'Name an explicit version tag, better a digest: FROM image:1.2.3@sha256:<digest>.',
  url: 'https://github.com/hadolint/hadolint/wiki/DL3006',
  check(ctx) {
    return externalImages(ctx)
      .filter(({ image }) => image.tag === undefined && image.digest === undefined)
      .map(({ line, image, via }) => ({
        line,
        message: `${via} ${describeImage(image)} has no tag or digest, so it builds from whatever "latest" is at the time`,
      }));
  },
};
