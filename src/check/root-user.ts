/** `root-user`: the image runs as root when User is unset, `root`, `0`, or a root uid with any group. */
import { checkFinding } from './finding.js';
import type { Check } from './types.js';

export function runsAsRoot(user: string | undefined): boolean {
  const u = (user ?? '').trim();
  const name = u.split(':')[0]!;
  return name === '' || name === 'root' || name === '0';
}

export const rootUser: Check = {
  id: 'root-user',
  severity: 'high',
  title: 'Image runs as root',
  remediation: 'Add a non-root user and a `USER <uid>` instruction to the final stage.',
  url: 'https://docs.docker.com/build/building/best-practices/#user',
  run(img) {
    const user = img.config.config?.User ?? '';
    if (!runsAsRoot(user)) return [];
    return [checkFinding(this, user ? `User is "${user}"` : 'User is not set, so the container runs as root')];
  },
};
