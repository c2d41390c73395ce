/** The final image should start from a minimal base: scratch, distroless, Chainguard, or one the policy allows. */
import { matchesAnyImage } from '../image-ref.js';
import type { Rule } from '../types.js';
import { describeImage, finalRoot, isChainguard, isDistroless } from './helpers.js';

export const nonMinimalBase: Rule = {
  id: 'non-minimal-base',
  severity: 'medium',
  title: 'Final stage not built on a minimal base image',
  remediation:
    'Build in an earlier stage and copy the result into scratch, gcr.io/distroless/*, cgr.dev/chainguard/*, or a base listed in allowedBaseImages.',
  url: 'https://github.com/GoogleContainerTools/distroless#why-should-i-use-distroless-images',
  check(ctx) {
    const root = finalRoot(ctx);
    if (!root || root.base.kind !== 'image') return []; // scratch is minimal; unresolved/invalid cannot be judged
    const base = root.base;
    if (isDistroless(base) || isChainguard(base)) return [];
    if (matchesAnyImage(base, ctx.options.allowedBaseImages ?? [])) return [];
    const via = root.index === ctx.parse.stages.length - 1 ? 'the final stage' : `the final stage (through stage ${root.name ?? root.index})`;
    return [{ line: root.line, message: `${via} is built on ${describeImage(base)}, which is not a minimal base image` }];
  },
};
