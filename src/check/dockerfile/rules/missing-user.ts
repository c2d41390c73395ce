/** No USER in the final image: it runs as the base image's user, root unless the base says otherwise. */
import type { Rule } from '../types.js';
import { finalRoot, isChainguard, isDistroless } from './helpers.js';
import { effectiveUser } from './user.js';

export const missingUser: Rule = {
  id: 'missing-user',
  severity: 'medium',
  title: 'Final stage sets no USER',
  remediation: 'Add USER <non-root user or uid> to the final stage, or use a base image that runs as non-root (e.g. distroless :nonroot).',
  url: 'https://docs.docker.com/build/building/best-practices/#user',
  check(ctx) {
    const stages = ctx.parse.stages;
    const last = stages[stages.length - 1];
    if (!last || effectiveUser(ctx)) return [];
    const root = finalRoot(ctx);
    const base = root?.base;
    if (base?.kind === 'image') {
      // Bases documented to run as a non-root user: distroless *nonroot* tags, Chainguard images but their -dev variants.
      if (isDistroless(base) && (base.tag ?? '').includes('nonroot')) return [];
      if (isChainguard(base) && !(base.tag ?? '').includes('dev')) return [];
    }
    if (base?.kind === 'unresolved') return [];
    return [{ line: last.line, message: 'the final stage sets no USER, so the container runs as root unless its base image sets another user' }];
  },
};
