/** DL3002: the final image's last USER is root, so its processes run as uid 0. */
import type { Rule } from '../types.js';
import { effectiveUser, isRootUser } from './user.js';

export const rootUser: Rule = {
  id: 'root-user',
  hadolint: 'DL3002',
  severity: 'high',
  title: 'Final image runs as root',
  remediation: 'End the final stage with USER <non-root user or uid> (e.g. USER 65532:65532).',
  url: 'https://github.com/hadolint/hadolint/wiki/DL3002',
  check(ctx) {
    const user = effectiveUser(ctx);
    if (!user || !isRootUser(user.args)) return [];
    return [{ line: user.startLine, message: `the last USER of the final image is ${user.args.trim().slice(0, 40)}` }];
  },
};
