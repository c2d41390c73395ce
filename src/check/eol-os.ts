/** `eol-os`: the image's OS release is past the end of its security support. */
import { checkFinding } from './finding.js';
import { lifecycleOf } from './os-lifecycle.js';
import type { Check } from './types.js';

export const eolOs: Check = {
  id: 'eol-os',
  severity: 'high',
  title: 'Operating system release is end of life',
  remediation: 'Rebuild on a supported release of the base image.',
  url: 'https://endoflife.date',
  run(img) {
    if (!img.os) return [];
    const life = lifecycleOf(img.os.id, img.os.version);
    if (!life || Date.parse(`${life.eol}T23:59:59Z`) >= img.now.getTime()) return [];
    return [checkFinding(this, `${img.os.name ?? img.os.id} ${img.os.version} reached end of life on ${life.eol}`)];
  },
};
