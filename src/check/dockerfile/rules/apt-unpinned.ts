/** DL3008: apt-get install without `pkg=version` installs whatever the mirror has that day. */
import type { Rule, RuleHit } from '../types.js';
import { APT_VALUE_OPTIONS, aptSubcommand, names, operands, uniqueByLine } from './helpers.js';

/** Pinned: `pkg=1.2-3`; also left alone, as Hadolint does: `pkg/release` and paths or `.deb` files. Variables cannot be judged. */
function pinned(pkg: string): boolean {
  return pkg.includes('=') || pkg.includes('/') || pkg.endsWith('.deb') || pkg.includes('$');
}

export const aptUnpinned: Rule = {
  id: 'apt-unpinned',
  hadolint: 'DL3008',
  severity: 'low',
  title: 'apt-get install without pinned versions',
  remediation: 'Pin each package: apt-get install <package>=<version> (Renovate can keep the pins current).',
  url: 'https://github.com/hadolint/hadolint/wiki/DL3008',
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const run of ctx.runs) {
      for (const cmd of run.commands) {
        const apt = aptSubcommand(cmd);
        if (apt?.sub !== 'install') continue;
        const loose = operands(apt.args, 'install', APT_VALUE_OPTIONS).filter((p) => !pinned(p));
        if (loose.length > 0) hits.push({ line: cmd.line, message: `${apt.tool} install without a version for ${names(loose)}` });
      }
    }
    return uniqueByLine(hits);
  },
};
