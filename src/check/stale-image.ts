/** `stale-image`: the image was created longer ago than the policy allows (default 90 days). */
import { checkFinding } from './finding.js';
import type { Check } from './types.js';

const DAY_MS = 86_400_000;

export const staleImage: Check = {
  id: 'stale-image',
  severity: 'low',
  title: 'Image is old',
  remediation: 'Rebuild the image regularly so it picks up base image and package fixes.',
  url: 'https://docs.docker.com/build/building/best-practices/#rebuild-your-images-often',
  run(img) {
    const created = img.config.created ? Date.parse(img.config.created) : NaN;
    if (Number.isNaN(created)) return [];
    const days = Math.floor((img.now.getTime() - created) / DAY_MS);
    if (days <= img.options.maxImageAgeDays) return [];
    return [checkFinding(this, `created ${img.config.created}, ${days} days ago (limit ${img.options.maxImageAgeDays})`)];
  },
};
