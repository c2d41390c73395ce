/** A small POSIX-shell reader for RUN commands: simple commands, pipelines, quotes, comments, heredoc bodies. */
// Enough for lint rules, and linear on any input.
import type { ShellCommand } from './types.js';

const SEPARATOR_AFTER_DELIM = new Set([' ', '\t', '\n', ';', '|', '&', '<', '>', '(', ')']);

/** Index just past the `)` closing a `(` at `open`, skipping quotes; text.length when unbalanced. */
function skipBalanced(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\') {
      i++;
    } else if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return text.length;
      i = end;
    } else if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      i = j;
    } else if (ch === '(') depth++;
    else if (ch === ')') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return text.length;
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to && i < text.length; i++) if (text[i] === '\n') n++;
  return n;
}

/**
 * Splits a shell script into simple commands. `baseLine` is the Dockerfile line of the script's
 * first line; each command gets the line it starts on.
 */
export function parseShell(text: string, baseLine: number): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  let line = baseLine;
  let cmdStart = -1;
  let cmdLine = baseLine;
  let pipeline = 0;
  let pipePos = 0;
  const pendingHeredocs: Array<{ delim: string; strip: boolean }> = [];

  const startCommandAt = (i: number): void => {
    if (cmdStart < 0) {
      cmdStart = i;
      cmdLine = line;
    }
  };
  const endWord = (): void => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = (i: number, newPipeline: boolean): void => {
    endWord();
    if (words.length > 0) {
      commands.push({ words, raw: text.slice(cmdStart, i).trim(), pipeline, pipePos, line: cmdLine });
    }
    words = [];
    cmdStart = -1;
    if (newPipeline) {
      pipeline++;
      pipePos = 0;
    } else pipePos++;
  };
  /** After a newline: skips the bodies of heredocs opened on the line just ended. */
  const skipHeredocs = (from: number): number => {
    let pos = from;
    while (pendingHeredocs.length > 0) {
      const doc = pendingHeredocs.shift()!;
      while (pos < text.length) {
        let nl = text.indexOf('\n', pos);
        if (nl < 0) nl = text.length;
        let body = text.slice(pos, nl);
        if (body.endsWith('\r')) body = body.slice(0, -1);
        if (doc.strip) body = body.replace(/^\t+/, '');
        pos = nl + 1;
        line++;
        if (body === doc.delim) break;
      }
    }
    return Math.min(pos, text.length);
  };

  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    const next = text[i + 1];
    if (ch === '\\') {
      if (next === '\n') {
        line++;
        i += 2;
        continue;
      }
      startCommandAt(i);
      inWord = true;
      if (next !== undefined) word += next;
      i += 2;
      continue;
    }
    if (ch === "'") {
      startCommandAt(i);
      inWord = true;
      let end = text.indexOf("'", i + 1);
      if (end < 0) end = text.length;
      word += text.slice(i + 1, end);
      line += countNewlines(text, i, end);
      i = end + 1;
      continue;
    }
    if (ch === '"') {
      startCommandAt(i);
      inWord = true;
      let j = i + 1;
      while (j < text.length && text[j] !== '"') {
        const c = text[j]!;
        if (c === '\\' && j + 1 < text.length) {
          const e = text[j + 1]!;
          if (e === '\n') line++;
          else if (e === '"' || e === '\\' || e === '$' || e === '`') word += e;
          else word += c + e;
          j += 2;
          continue;
        }
        if (c === '\n') line++;
        word += c;
        j++;
      }
      i = j + 1;
      continue;
    }
    if (ch === '`') {
      startCommandAt(i);
      inWord = true;
      let end = text.indexOf('`', i + 1);
      if (end < 0) end = text.length - 1;
      word += text.slice(i, end + 1);
      line += countNewlines(text, i, end);
      i = end + 1;
      continue;
    }
    if ((ch === '$' || ch === '<' || ch === '>') && next === '(') {
      // command or process substitution: kept whole inside the current word
      startCommandAt(i);
      inWord = true;
      const end = skipBalanced(text, i + 1);
      word += text.slice(i, end);
      line += countNewlines(text, i, end);
      i = end;
      continue;
    }
    if (ch === '$' && next === '{') {
      startCommandAt(i);
      inWord = true;
      let end = text.indexOf('}', i);
      if (end < 0) end = text.length - 1;
      word += text.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    if (ch === '#' && !inWord) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      endWord();
      i++;
      continue;
    }
    if (ch === '\n') {
      endCommand(i, true);
      line++;
      i = skipHeredocs(i + 1);
      continue;
    }
    if (ch === ';') {
      endCommand(i, true);
      i++;
      continue;
    }
    if (ch === '&') {
      if (next === '>') {
        startCommandAt(i);
        inWord = true;
        word += ch;
        i++;
        continue;
      }
      endCommand(i, true);
      i += next === '&' ? 2 : 1;
      continue;
    }
    if (ch === '|') {
      if (next === '|') {
        endCommand(i, true);
        i += 2;
        continue;
      }
      endCommand(i, false);
      i += next === '&' ? 2 : 1;
      continue;
    }
    if (ch === ')' || (ch === '(' && !inWord)) {
      endCommand(i, true);
      i++;
      continue;
    }
    if (ch === '<' && next === '<' && text[i + 2] !== '<') {
      // heredoc operator: remember the delimiter, the body starts after the current line
      startCommandAt(i);
      endWord();
      let j = i + 2;
      const strip = text[j] === '-';
      if (strip) j++;
      while (text[j] === ' ' || text[j] === '\t') j++;
      let delim = '';
      while (j < text.length && !SEPARATOR_AFTER_DELIM.has(text[j]!)) {
        const c = text[j]!;
        if (c !== '"' && c !== "'" && c !== '\\') delim += c;
        j++;
      }
      if (delim) pendingHeredocs.push({ delim, strip });
      i = j;
      continue;
    }
    startCommandAt(i);
    inWord = true;
    word += ch;
    i++;
  }
  endCommand(text.length, true);
  return commands;
}

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
const KEYWORDS = new Set(['then', 'do', 'else', 'elif', 'if', 'while', 'until', '!', '{', '}', 'time', 'exec', 'command', 'nohup', 'fi', 'done']);
const SUDO_ARG_OPTIONS = new Set(['-u', '-g', '-h', '-p', '-C', '-r', '-t', '-U', '-D']);

export function basename(p: string): string {
  const slash = p.lastIndexOf('/');
  return slash >= 0 ? p.slice(slash + 1) : p;
}

/** The program a simple command runs, looking through assignments, keywords, sudo and env. */
export interface Invocation {
  name: string;
  args: string[];
  /** Wrappers seen on the way: `sudo`, `env`. */
  wrappers: string[];
}

export function invocation(words: readonly string[]): Invocation | null {
  const wrappers: string[] = [];
  let i = 0;
  while (i < words.length) {
    const w = words[i]!;
    const b = basename(w);
    if (ASSIGNMENT.test(w) || KEYWORDS.has(w)) {
      i++;
      continue;
    }
    if (b === 'sudo' || b === 'doas') {
      wrappers.push(b);
      i++;
      while (i < words.length && words[i]!.startsWith('-')) {
        if (words[i] === '--') {
          i++;
          break;
        }
        i += SUDO_ARG_OPTIONS.has(words[i]!) ? 2 : 1;
      }
      continue;
    }
    if (b === 'env') {
      wrappers.push(b);
      i++;
      while (i < words.length && (words[i]!.startsWith('-') || ASSIGNMENT.test(words[i]!))) i++;
      continue;
    }
    return { name: b, args: words.slice(i + 1), wrappers };
  }
  return null;
}

/** The first argument that is not an option (skipping the values of options listed in `withValue`). */
export function subcommand(args: readonly string[], withValue: ReadonlySet<string>): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return args[i + 1];
    if (a.startsWith('-')) {
      if (withValue.has(a)) i++;
      continue;
    }
    return a;
  }
  return undefined;
}
