/** `outdated-base`: a newer patch release of the same OS line exists (from the release table). */
import { compareVersions } from '../version/index.js';
import { checkFinding } from './finding.js';
import { lifecycleOf } from './os-lifecycle.js';
import type { Check } from './types.js';

export const outdatedBase: Check = {
  id: 'outdated-base',
  severity: 'low',
  title: 'Base image is not the latest patch release',
  remediation: 'Rebuild from the newest patch release of the base image line (and pin it by digest).',
  url: 'https://docs.docker.com/build/building/best-practices/#rebuild-your-images-often',
  run(img) {
    if (img.os?.id !== 'alpine') return [];
    const latest = lifecycleOf(img.os.id, img.os.versionId)?.latest;
    if (!latest || compareVersions('apk', img.os.versionId, latest) >= 0) return [];
    const base = img.config.config?.Labels?.['org.opencontainers.image.base.name'];
    return [checkFinding(this, `${base ? `${base}: ` : ''}Alpine ${img.os.versionId} is older than ${latest}, the newest patch release of its line`)];
  },
};
