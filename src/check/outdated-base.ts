/**
 * `outdated-base`: a newer patch release of the base image's line exists. From the registry's tag
 * list when the image names its base (`org.opencontainers.image.base.name`) and --check-registry
 * is on, else from the dated OS release table (Alpine).
 */
import { compareVersions } from '../version/index.js';
import { checkFinding } from './finding.js';
import { lifecycleOf } from './os-lifecycle.js';
import type { Check, ImageFacts } from './types.js';

/** The base image's name, from the config label or the manifest annotation the OCI spec defines. */
export function baseImageName(labels: Record<string, string> | null | undefined, annotations?: Record<string, string>): string | undefined {
  return annotations?.['org.opencontainers.image.base.name'] ?? labels?.['org.opencontainers.image.base.name'] ?? undefined;
}

const PATCH = /^v?(\d+)\.(\d+)\.(\d+)$/;

/** The newest `x.y.z` tag of the same `x.y` line as `tag`, when newer than it. */
export function newerPatchTag(tag: string, tags: string[]): string | undefined {
  const m = PATCH.exec(tag);
  if (!m) return undefined;
  let best: string | undefined;
  for (const t of tags) {
    const n = PATCH.exec(t);
    if (!n || n[1] !== m[1] || n[2] !== m[2]) continue;
    if (Number(n[3]) > Number((best ? PATCH.exec(best)! : m)[3])) best = t;
  }
  return best;
}

function fromRegistry(img: ImageFacts): string | undefined {
  if (!img.baseTags) return undefined;
  const tag = img.baseTags.base.split('@')[0]!.split('/').pop()!.split(':')[1];
  const newer = tag ? newerPatchTag(tag, img.baseTags.tags) : undefined;
  return newer ? `base ${img.baseTags.base} has a newer patch release in its registry: ${newer}` : undefined;
}

function fromTable(img: ImageFacts): string | undefined {
  if (img.os?.id !== 'alpine') return undefined;
  const latest = lifecycleOf(img.os.id, img.os.version)?.latest;
  if (!latest || compareVersions('apk', img.os.version, latest) >= 0) return undefined;
  const base = baseImageName(img.config.config?.Labels);
  return `${base ? `${base}: ` : ''}Alpine ${img.os.version} is older than ${latest}, the newest patch release of its line`;
}

export const outdatedBase: Check = {
  id: 'outdated-base',
  severity: 'low',
  title: 'Base image is not the latest patch release',
  remediation: 'Rebuild from the newest patch release of the base image line (and pin it by digest).',
  url: 'https://docs.docker.com/build/building/best-practices/#rebuild-your-images-often',
  run(img) {
    const message = img.baseTags ? fromRegistry(img) : fromTable(img);
    return message ? [checkFinding(this, message)] : [];
  },
};
