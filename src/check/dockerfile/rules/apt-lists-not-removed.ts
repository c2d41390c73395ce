/** DL3009: package lists fetched by apt-get update stay in the layer unless removed in the same RUN. */
import type { Rule, RuleContext, RuleHit, RunInfo } from '../types.js';
import { lineage } from '../runs.js';
import { aptSubcommand, mountsOver, removedPaths } from './helpers.js';

const DOCKER_CLEAN = '/etc/apt/apt.conf.d/docker-clean';

/**
 * Debian and Ubuntu images ship /etc/apt/apt.conf.d/docker-clean, which deletes downloaded .deb
 * files after each install. A RUN that removes it (the usual first step before cache mounts) keeps
 * them in /var/cache/apt: from then on that directory needs a mount (or `apt-get clean`) too.
 */
function disablesDockerClean(run: RunInfo): boolean {
  return removedPaths(run).includes(DOCKER_CLEAN) || run.text.includes('Keep-Downloaded-Packages "true"');
}

function cleansArchives(run: RunInfo): boolean {
  if (mountsOver(run, '/var/cache/apt/archives')) return true;
  if (removedPaths(run).some((p) => p.startsWith('/var/cache/apt'))) return true;
  return run.commands.some((c) => aptSubcommand(c)?.sub === 'clean');
}

/** The RUNs whose layers end up in an image: those of the final image's stages, and every ONBUILD RUN. */
function keptRuns(ctx: RuleContext): RunInfo[] {
  const inFinal = new Set(ctx.finalLineage);
  // An ONBUILD RUN runs in the build of whatever image is FROM this one: its layer stays there,
  // whichever stage declared it (Hadolint judges them the same way).
  return ctx.runs.filter((r) => r.onbuild || inFinal.has(r.stage));
}

export const aptListsNotRemoved: Rule = {
  id: 'apt-lists-not-removed',
  hadolint: 'DL3009',
  severity: 'low',
  title: 'apt lists not removed after apt-get',
  remediation: 'End the same RUN with rm -rf /var/lib/apt/lists/* (or use RUN --mount=type=cache,target=/var/lib/apt/lists).',
  url: 'https://github.com/hadolint/hadolint/wiki/DL3009',
  check(ctx) {
    const hits: RuleHit[] = [];
    // docker-clean removed by an earlier RUN stays removed in that stage and in the stages built
    // FROM it; among ONBUILD triggers, for the triggers declared after it in the same stage.
    const cleanOff = new Set<string>();
    const keep = new Set(keptRuns(ctx));
    const cleanDisabled = (run: RunInfo, own: string): boolean =>
      cleanOff.size > 0 && (run.onbuild ? cleanOff.has(own) : lineage(ctx.parse.stages, run.stage).some((s) => cleanOff.has(`stage:${s}`)));
    for (const run of ctx.runs) {
      const own = run.onbuild ? `onbuild:${run.instruction.stage}` : `stage:${run.stage}`;
      if (disablesDockerClean(run)) cleanOff.add(own);
      if (!keep.has(run)) continue;
      const apt = run.commands.find((c) => {
        const sub = aptSubcommand(c)?.sub;
        return sub === 'install' || sub === 'update';
      });
      if (!apt) continue;
      const tool = aptSubcommand(apt)!.tool;
      const listsGone = mountsOver(run, '/var/lib/apt/lists') || removedPaths(run).some((p) => p.startsWith('/var/lib/apt/lists'));
      if (!listsGone) {
        hits.push({ line: apt.line, message: `${tool} runs without removing /var/lib/apt/lists/* in the same RUN, leaving the package lists in the image` });
      } else if (cleanDisabled(run, own) && !cleansArchives(run)) {
        hits.push({ line: apt.line, message: `${tool} runs after ${DOCKER_CLEAN} was removed, and nothing mounts or cleans /var/cache/apt: the downloaded .deb files stay in the image` });
      }
    }
    return hits;
  },
};
