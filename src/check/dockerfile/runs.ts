/** Turns RUN instructions (shell form, exec form, heredoc scripts, ONBUILD RUN) into shell commands for the rules. */
import { basename, invocation, parseShell } from './shell.js';
import type { Heredoc, Instruction, ParseResult, RunInfo, ShellCommand, Stage } from './types.js';

export const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'busybox']);

/** True when a heredoc script's shebang (if any) names a shell, so its body is shell code. */
function shebangIsShell(content: string): boolean {
  if (!content.startsWith('#!')) return true;
  const nl = content.indexOf('\n');
  const words = content.slice(2, nl < 0 ? content.length : nl).trim().split(/[ \t]+/);
  const prog = basename(words[0] ?? '');
  const target = prog === 'env' ? basename(words.find((w, k) => k > 0 && !w.startsWith('-')) ?? '') : prog;
  return SHELLS.has(target);
}

function isHeredocWord(w: string): boolean {
  let i = 0;
  while (i < w.length && w[i]! >= '0' && w[i]! <= '9') i++;
  return w.startsWith('<<', i) && !w.startsWith('<<<', i);
}

/** Which heredocs of a RUN are shell scripts: the body of a bare `RUN <<EOF`, or stdin of `sh`/`bash`. */
function scriptHeredocs(ins: Instruction, commands: ShellCommand[]): Heredoc[] {
  if (ins.heredocs.length === 0) return [];
  const onlyHeredocs = ins.args.trim().split(/[ \t]+/).every((w) => w === '' || isHeredocWord(w));
  if (onlyHeredocs) {
    const first = ins.heredocs[0]!;
    return shebangIsShell(first.content) ? [first] : [];
  }
  const shellReadsStdin = commands.some((c) => {
    const inv = invocation(c.words);
    return inv !== null && SHELLS.has(inv.name) && !inv.args.includes('-c');
  });
  return shellReadsStdin ? ins.heredocs : [];
}

function runInfo(ins: Instruction, stage: number, onbuild: boolean): RunInfo {
  let commands: ShellCommand[];
  let text = ins.args;
  if (ins.json) {
    const argv = ins.json;
    // sh -c, bash -ec, bash -o pipefail -c ...: the word after the option holding `c` is the script
    const c = argv.findIndex((a, k) => k > 0 && a.length > 1 && a[0] === '-' && a[1] !== '-' && a.includes('c'));
    if (argv.length > 0 && SHELLS.has(basename(argv[0]!)) && c >= 0 && c + 1 < argv.length) {
      text = argv[c + 1]!;
      commands = parseShell(text, ins.startLine).map((cmd) => ({ ...cmd, line: ins.startLine }));
    } else {
      text = argv.join(' ');
      commands = argv.length > 0 ? [{ words: [...argv], raw: text, pipeline: 0, pipePos: 0, line: ins.startLine }] : [];
    }
  } else {
    // continuations are already joined: every command of the logical line is reported on its first line
    commands = parseShell(ins.args, ins.startLine).map((cmd) => ({ ...cmd, line: ins.startLine }));
    for (const doc of scriptHeredocs(ins, commands)) {
      const base = commands.length === 0 ? 0 : commands[commands.length - 1]!.pipeline + 1;
      for (const cmd of parseShell(doc.content, doc.startLine)) commands.push({ ...cmd, pipeline: cmd.pipeline + base });
      text += '\n' + doc.content;
    }
  }
  return { instruction: ins, stage, onbuild, commands, text };
}

/** Every RUN of the Dockerfile, including ONBUILD RUN triggers (stage -1: they run in a child build). */
export function collectRuns(parse: ParseResult): RunInfo[] {
  const runs: RunInfo[] = [];
  for (const stage of parse.stages) {
    for (const ins of stage.instructions) {
      if (ins.keyword === 'RUN') runs.push(runInfo(ins, stage.index, false));
      else if (ins.keyword === 'ONBUILD' && ins.onbuild?.keyword === 'RUN') runs.push(runInfo(ins.onbuild, -1, true));
    }
  }
  return runs;
}

/** A stage and the stages it is built on through `FROM <stage>`, that stage first. */
export function lineage(stages: readonly Stage[], index: number): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  let s = stages[index];
  while (s && !seen.has(s.index)) {
    out.push(s.index);
    seen.add(s.index);
    s = s.base.kind === 'stage' ? stages[s.base.stage] : undefined;
  }
  return out;
}

/** The final stage and the stages it is built on through `FROM <stage>`, final first. */
export function finalLineage(stages: readonly Stage[]): number[] {
  return lineage(stages, stages.length - 1);
}
