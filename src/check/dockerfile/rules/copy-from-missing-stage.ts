/** DL3022: COPY --from (or RUN --mount from=) naming a stage that does not exist: the build fails or pulls an image instead. */
import { OUT_OF_RANGE } from '../parser.js';
import type { BaseImage, Rule, RuleHit } from '../types.js';

/** A bare word (no registry, path, tag or digest) that names no stage: almost always a stage name with a typo. */
function looksLikeStageName(raw: string): boolean {
  return !raw.includes('/') && !raw.includes(':') && !raw.includes('@') && !raw.includes('$');
}

function problem(source: BaseImage, current: number): string | undefined {
  if (source.kind === 'invalid' && source.reason === OUT_OF_RANGE) return `stage index ${source.resolved} does not exist`;
  if (source.kind === 'stage' && source.stage === current) return `it names its own stage ${source.resolved}`;
  if (source.kind === 'image' && looksLikeStageName(source.raw)) {
    return `"${source.raw.slice(0, 60)}" names no stage of this Dockerfile, so BuildKit pulls the image ${source.name}:latest instead`;
  }
  return undefined;
}

export const copyFromMissingStage: Rule = {
  id: 'copy-from-missing-stage',
  hadolint: 'DL3022',
  severity: 'medium',
  title: 'COPY --from names a missing stage',
  remediation: 'Name a stage defined by FROM ... AS <name> (or a valid stage index); to copy from an image, name it with a tag and digest.',
  url: 'https://github.com/hadolint/hadolint/wiki/DL3022',
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const stage of ctx.parse.stages) {
      for (const c of stage.copyFrom) {
        const why = problem(c.source, stage.index);
        if (why) hits.push({ line: c.line, message: `COPY --from: ${why}` });
      }
      for (const m of stage.mountFrom) {
        const why = problem(m.source, stage.index);
        if (why) hits.push({ line: m.line, message: `RUN --mount from: ${why}` });
      }
    }
    return hits;
  },
};
