/** DL3000: a relative WORKDIR depends on every WORKDIR before it (and on the base image's): say where you mean. */
import type { Instruction, Rule, RuleHit } from '../types.js';

function absolute(dir: string): boolean {
  const d = dir.trim().replace(/^["']|["']$/g, '');
  // A variable may hold an absolute path; C:\app is absolute on Windows images.
  return d.startsWith('/') || d.startsWith('$') || /^[A-Za-z]:/.test(d);
}

export const relativeWorkdir: Rule = {
  id: 'relative-workdir',
  hadolint: 'DL3000',
  severity: 'low',
  title: 'Relative WORKDIR',
  remediation: 'Give WORKDIR an absolute path (WORKDIR /app).',
  url: 'https://github.com/hadolint/hadolint/wiki/DL3000',
  check(ctx) {
    const hits: RuleHit[] = [];
    const visit = (ins: Instruction | null): void => {
      if (ins?.keyword === 'WORKDIR' && ins.args.trim() !== '' && !absolute(ins.args)) {
        hits.push({ line: ins.startLine, message: `WORKDIR ${ins.args.trim().slice(0, 60)} is relative to the WORKDIR before it` });
      }
    };
    for (const ins of ctx.parse.instructions) visit(ins.keyword === 'ONBUILD' ? ins.onbuild : ins);
    return hits;
  },
};
