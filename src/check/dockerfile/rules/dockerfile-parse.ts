/** Parse problems: what BuildKit would reject or warn about, reported instead of thrown. */
import type { Rule } from '../types.js';

export const dockerfileParse: Rule = {
  id: 'dockerfile-parse',
  severity: 'low',
  title: 'Dockerfile parse problem',
  remediation: 'Fix the instruction so that BuildKit accepts it; the linter skipped what it could not read.',
  url: 'https://docs.docker.com/reference/dockerfile/',
  check(ctx) {
    return ctx.parse.warnings.map((w) => ({ line: w.line, message: w.message }));
  },
};
