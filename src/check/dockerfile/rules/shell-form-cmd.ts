/** DL3025: CMD/ENTRYPOINT in shell form run under `/bin/sh -c`, which does not pass SIGTERM on to the program. */
import type { Rule, RuleHit } from '../types.js';

export const shellFormCmd: Rule = {
  id: 'shell-form-cmd',
  hadolint: 'DL3025',
  severity: 'low',
  title: 'CMD or ENTRYPOINT in shell form',
  remediation: 'Use the JSON (exec) form: CMD ["program", "arg"], so the program runs as PID 1 and receives signals.',
  url: 'https://github.com/hadolint/hadolint/wiki/DL3025',
  check(ctx) {
    const hits: RuleHit[] = [];
    // Every stage: any stage can be a published target (docker build --target).
    for (const ins of ctx.parse.instructions) {
      if ((ins.keyword === 'CMD' || ins.keyword === 'ENTRYPOINT') && ins.json === null && ins.args.trim() !== '') {
        hits.push({ line: ins.startLine, message: `${ins.keyword} is in shell form, so /bin/sh -c runs as PID 1 and the program does not get SIGTERM` });
      }
    }
    return hits;
  },
};
