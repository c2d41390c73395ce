/** DL3009: package lists fetched by apt-get update stay in the layer unless removed in the same RUN. */
import type { Rule, RuleHit } from '../types.js';
import { aptSubcommand, mountsOver, removedPaths } from './helpers.js';

export const aptListsNotRemoved: Rule = {
  id: 'apt-lists-not-removed',
  hadolint: 'DL3009',
  severity: 'low',
  title: 'apt lists not removed after apt-get',
  remediation: 'End the same RUN with rm -rf /var/lib/apt/lists/* (or use RUN --mount=type=cache,target=/var/lib/apt/lists).',
  url: 'https://github.com/hadolint/hadolint/wiki/DL3009',
  check(ctx) {
    const hits: RuleHit[] = [];
    const inFinal = new Set(ctx.finalLineage);
    for (const run of ctx.runs) {
      // Only layers that end up in the final image matter; build stages are thrown away.
      if (run.onbuild || !inFinal.has(run.stage)) continue;
      const apt = run.commands.find((c) => {
        const sub = aptSubcommand(c)?.sub;
        return sub === 'install' || sub === 'update';
      });
      if (!apt) continue;
      if (mountsOver(run, '/var/lib/apt/lists')) continue;
      if (removedPaths(run).some((p) => p.startsWith('/var/lib/apt/lists'))) continue;
      hits.push({ line: apt.line, message: 'apt-get runs without removing /var/lib/apt/lists/* in the same RUN, leaving the package lists in the image' });
    }
    return hits;
  },
};
