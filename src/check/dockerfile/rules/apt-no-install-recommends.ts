/** DL3015: apt-get install pulls "recommended" packages too unless told not to. */
import type { Rule, RuleHit } from '../types.js';
import { aptSubcommand, uniqueByLine } from './helpers.js';

function avoidsRecommends(tool: string, args: readonly string[]): boolean {
  return args.some((a, k) => {
    if (a === '--no-install-recommends') return true;
    // aptitude spells it its own way: -R / --without-recommends.
    if (tool === 'aptitude' && (a === '-R' || a === '--without-recommends')) return true;
    const opt = a === '-o' || a === '--option' ? (args[k + 1] ?? '') : a.startsWith('-o') ? a.slice(2) : '';
    const v = opt.replace(/["']/g, '').toLowerCase();
    return v === 'apt::install-recommends=false' || v === 'apt::install-recommends=0';
  });
}

export const aptNoInstallRecommends: Rule = {
  id: 'apt-no-install-recommends',
  hadolint: 'DL3015',
  severity: 'low',
  title: 'apt-get install without --no-install-recommends',
  remediation: 'Use apt-get install --no-install-recommends to keep optional packages (and their CVEs) out of the image.',
  url: 'https://github.com/hadolint/hadolint/wiki/DL3015',
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const run of ctx.runs) {
      for (const cmd of run.commands) {
        const apt = aptSubcommand(cmd);
        if (apt?.sub === 'install' && !avoidsRecommends(apt.tool, apt.args)) {
          hits.push({ line: cmd.line, message: `${apt.tool} install runs without ${apt.tool === 'aptitude' ? '--without-recommends' : '--no-install-recommends'}` });
        }
      }
    }
    return uniqueByLine(hits);
  },
};
