/** DL4006: `a | b` fails only when b fails; without `-o pipefail` a failed download piped on still builds. */
import { basename } from '../shell.js';
import type { Rule, RuleHit, RunInfo } from '../types.js';

type ShellState = 'plain' | 'pipefail' | 'non-posix';

/** Shells that know `-o pipefail` (dash, BuildKit's default /bin/sh on Debian, does not). */
const PIPEFAIL_SHELLS = new Set(['bash', 'zsh', 'ash', 'ksh', 'mksh']);
const NON_POSIX = new Set(['pwsh', 'pwsh.exe', 'powershell', 'powershell.exe', 'cmd', 'cmd.exe']);

/** `-o pipefail`, `-eo pipefail`, `-euxo pipefail` among the words. */
function setsPipefail(words: readonly string[]): boolean {
  return words.some((w, k) => w === 'pipefail' && k > 0 && /^-[a-z]*o$/.test(words[k - 1]!));
}

/** What a SHELL (or an exec-form RUN's argv) makes of pipes. */
function shellState(argv: readonly string[]): ShellState {
  const prog = basename(argv[0] ?? '').toLowerCase();
  if (NON_POSIX.has(prog)) return 'non-posix';
  return PIPEFAIL_SHELLS.has(prog) && setsPipefail(argv) ? 'pipefail' : 'plain';
}

/** The first piped command of the RUN, unless a `set -o pipefail` comes before it in the same script. */
function unguardedPipe(run: RunInfo): number | undefined {
  for (const cmd of run.commands) {
    if (cmd.words[0] === 'set' && setsPipefail(cmd.words)) return undefined;
    if (cmd.pipePos > 0) return cmd.line;
  }
  return undefined;
}

export const pipefailMissing: Rule = {
  id: 'pipefail-missing',
  hadolint: 'DL4006',
  severity: 'low',
  title: 'RUN with a pipe but no pipefail',
  remediation: 'Add SHELL ["/bin/bash", "-o", "pipefail", "-c"] before the RUN (on Alpine: /bin/ash), or start the RUN with set -o pipefail.',
  url: 'https://github.com/hadolint/hadolint/wiki/DL4006',
  check(ctx) {
    const hits: RuleHit[] = [];
    const runOf = new Map(ctx.runs.filter((r) => !r.onbuild).map((r) => [r.instruction, r]));
    // SHELL is part of the image config: a stage built FROM another one starts with that one's SHELL.
    const endState: ShellState[] = [];
    for (const stage of ctx.parse.stages) {
      let state: ShellState = stage.base.kind === 'stage' ? (endState[stage.base.stage] ?? 'plain') : 'plain';
      for (const ins of stage.instructions) {
        if (ins.keyword === 'SHELL' && ins.json) state = shellState(ins.json);
        if (ins.keyword !== 'RUN') continue;
        const run = runOf.get(ins);
        if (!run) continue;
        // An exec-form RUN names its own shell (or none): the SHELL instruction does not apply.
        const effective = ins.json ? shellState(ins.json) : state;
        if (effective !== 'plain') continue;
        const line = unguardedPipe(run);
        if (line !== undefined) hits.push({ line, message: 'RUN pipes commands without pipefail: a failure before the last | does not fail the build' });
      }
      endState[stage.index] = state;
    }
    return hits;
  },
};
