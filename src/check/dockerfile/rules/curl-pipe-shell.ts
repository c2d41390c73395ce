/** A script downloaded and executed in one go (`curl | sh`, `sh -c "$(curl ...)"`) cannot be reviewed or pinned. */
import { SHELLS } from '../runs.js';
import { invocation, type Invocation } from '../shell.js';
import type { Rule, RuleHit } from '../types.js';
import { uniqueByLine } from './helpers.js';

const DOWNLOADERS = new Set(['curl', 'wget']);
const SCRIPTING = new Set(['python', 'python2', 'python3', 'perl', 'ruby', 'node', 'php']);
const EVALUATORS = new Set([...SHELLS, ...SCRIPTING, 'eval', 'source', '.']);

/** The interpreter a pipeline feeds, unwrapping `busybox sh`. */
function interpreter(inv: Invocation | null): Invocation | null {
  if (!inv) return null;
  if (inv.name === 'busybox') {
    const [first, ...rest] = inv.args;
    return first !== undefined && SHELLS.has(first) ? { name: first, args: rest, wrappers: inv.wrappers } : null;
  }
  return SHELLS.has(inv.name) || SCRIPTING.has(inv.name) ? inv : null;
}

/** True when the interpreter runs its standard input: no inline code (-c/-e/-m) and no script file argument. */
function readsStdin(inv: Invocation): boolean {
  const inline = SHELLS.has(inv.name) ? ['-c'] : ['-c', '-m', '-e', '-E', '--eval', '-p', '-r'];
  for (const a of inv.args) {
    if (inline.includes(a)) return false;
    if (a === '-s' || a === '-' || a === '--') return true;
    if (a.startsWith('-')) continue;
    return false;
  }
  return true;
}

/** `$(curl`, `<(wget`, `` `curl``: a download substituted into a command line. */
function substitutesDownload(raw: string): boolean {
  for (const open of ['$(', '<(', '`']) {
    let at = raw.indexOf(open);
    while (at >= 0) {
      let k = at + open.length;
      while (raw[k] === ' ' || raw[k] === '\t') k++;
      for (const d of DOWNLOADERS) {
        if (raw.startsWith(d, k) && (raw[k + d.length] === ' ' || raw[k + d.length] === '\t')) return true;
      }
      at = raw.indexOf(open, at + 1);
    }
  }
  return false;
}

export const curlPipeShell: Rule = {
  id: 'curl-pipe-shell',
  severity: 'high',
  title: 'Remote script piped into a shell',
  remediation:
    'Download the script to a file, verify its checksum or signature (or use ADD --checksum), review it, then run it; better, install a pinned package.',
  url: 'https://docs.docker.com/reference/dockerfile/#add---checksum',
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const run of ctx.runs) {
      const downloads = new Map<number, number>(); // pipeline -> position of the first curl/wget
      for (const cmd of run.commands) {
        const inv = invocation(cmd.words);
        if (inv && DOWNLOADERS.has(inv.name) && !downloads.has(cmd.pipeline)) downloads.set(cmd.pipeline, cmd.pipePos);
        const interp = interpreter(inv);
        const from = downloads.get(cmd.pipeline);
        if (interp && from !== undefined && cmd.pipePos > from && readsStdin(interp)) {
          hits.push({ line: cmd.line, message: `a download is piped into ${interp.name}` });
        } else if (inv && EVALUATORS.has(inv.name) && substitutesDownload(cmd.raw)) {
          hits.push({ line: cmd.line, message: `${inv.name} runs the output of a download` });
        }
      }
    }
    return uniqueByLine(hits);
  },
};
