/** DL3004: sudo in a build has no purpose (RUN already runs as the USER) and leaves a setuid tool behind. */
import { invocation } from '../shell.js';
import type { Rule, RuleHit } from '../types.js';
import { uniqueByLine } from './helpers.js';

export const sudoUsage: Rule = {
  id: 'sudo-usage',
  hadolint: 'DL3004',
  severity: 'medium',
  title: 'sudo used in RUN',
  remediation: 'Drop sudo: switch users with USER, or use gosu/su-exec in an entrypoint when a root step is needed at run time.',
  url: 'https://github.com/hadolint/hadolint/wiki/DL3004',
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const run of ctx.runs) {
      for (const cmd of run.commands) {
        const inv = invocation(cmd.words);
        const bare = cmd.words.length === 1 && cmd.words[0] === 'sudo';
        if (bare || inv?.wrappers.includes('sudo')) hits.push({ line: cmd.line, message: 'RUN uses sudo' });
      }
    }
    return uniqueByLine(hits);
  },
};
