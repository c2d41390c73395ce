/** DL3019: apk add keeps its index in /var/cache/apk unless --no-cache is given. */
import type { Rule, RuleHit } from '../types.js';
import { apkSubcommand, mountsOver, uniqueByLine } from './helpers.js';

export const apkNoCache: Rule = {
  id: 'apk-no-cache',
  hadolint: 'DL3019',
  severity: 'low',
  title: 'apk add without --no-cache',
  remediation: 'Use apk add --no-cache (no need for apk update or removing /var/cache/apk/*).',
  url: 'https://github.com/hadolint/hadolint/wiki/DL3019',
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const run of ctx.runs) {
      if (mountsOver(run, '/var/cache/apk')) continue;
      for (const cmd of run.commands) {
        const apk = apkSubcommand(cmd);
        if (apk?.sub === 'add' && !apk.args.includes('--no-cache')) {
          hits.push({ line: cmd.line, message: 'apk add runs without --no-cache' });
        }
      }
    }
    return uniqueByLine(hits);
  },
};
