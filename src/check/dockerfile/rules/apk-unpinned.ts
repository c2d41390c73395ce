/** DL3018: apk add without `pkg=version` (or `~version`) installs whatever the repository has that day. */
import type { Rule, RuleHit } from '../types.js';
import { APK_VALUE_OPTIONS, apkSubcommand, names, operands, uniqueByLine } from './helpers.js';

/** Pinned: `pkg=1.2-r3`, `pkg~1.2` (also `>=`, `<=`); `.apk` files as Hadolint does. Variables cannot be judged. */
function pinned(pkg: string): boolean {
  return pkg.includes('=') || pkg.includes('~') || pkg.endsWith('.apk') || pkg.includes('$');
}

export const apkUnpinned: Rule = {
  id: 'apk-unpinned',
  hadolint: 'DL3018',
  severity: 'low',
  title: 'apk add without pinned versions',
  remediation: 'Pin each package: apk add <package>=<version> (or <package>~<major.minor> to follow fixes in one branch).',
  url: 'https://github.com/hadolint/hadolint/wiki/DL3018',
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const run of ctx.runs) {
      for (const cmd of run.commands) {
        const apk = apkSubcommand(cmd);
        if (apk?.sub !== 'add') continue;
        const loose = operands(apk.args, 'add', APK_VALUE_OPTIONS).filter((p) => !pinned(p));
        if (loose.length > 0) hits.push({ line: cmd.line, message: `apk add without a version for ${names(loose)}` });
      }
    }
    return uniqueByLine(hits);
  },
};
