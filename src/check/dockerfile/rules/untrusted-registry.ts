/** DL3026: images must come from the registries the policy allows (`allowedRegistries`). */
import { registryAllowed } from '../image-ref.js';
import type { Rule } from '../types.js';
import { describeImage, externalImages } from './helpers.js';

export const untrustedRegistry: Rule = {
  id: 'untrusted-registry',
  hadolint: 'DL3026',
  severity: 'high',
  title: 'Image from a registry outside the allowed list',
  remediation: 'Pull the image from an allowed registry (mirror or promote it there first).',
  url: 'https://github.com/hadolint/hadolint/wiki/DL3026',
  check(ctx) {
    const allowed = ctx.options.allowedRegistries ?? [];
    if (allowed.length === 0) return [];
    return externalImages(ctx)
      .filter(({ image }) => !registryAllowed(image.registry, allowed))
      .map(({ line, image, via }) => ({
        line,
        message: `${via} ${describeImage(image)} comes from ${image.registry}, which is not in the allowed registries (${allowed.join(', ')})`,
      }));
  },
};
