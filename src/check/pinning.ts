/** `not-pinned` and `latest-tag`: how the scanned reference names the image. */
import { checkFinding } from './finding.js';
import type { Check } from './types.js';

export const notPinned: Check = {
  id: 'not-pinned',
  severity: 'low',
  title: 'Image reference is not pinned by digest',
  remediation: 'Refer to the image by digest (name@sha256:…) so the same bytes run everywhere.',
  url: 'https://docs.docker.com/reference/cli/docker/image/pull/#pull-an-image-by-digest-immutable-identifier',
  run(img) {
    if (img.ref.kind !== 'registry' || img.ref.digest) return [];
    return [checkFinding(this, `${img.ref.name} names a tag, not a digest`)];
  },
};

export const latestTag: Check = {
  id: 'latest-tag',
  severity: 'low',
  title: 'Image reference uses the latest tag',
  remediation: 'Use a specific version tag (and a digest).',
  url: 'https://docs.docker.com/build/building/best-practices/#from',
  run(img) {
    if (img.ref.kind !== 'registry' || img.ref.digest) return [];
    if (img.ref.tag && img.ref.tag !== 'latest') return [];
    return [checkFinding(this, `${img.ref.name} uses the latest tag`)];
  },
};
