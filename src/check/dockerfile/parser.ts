/** Dockerfile parser following BuildKit's frontend/dockerfile/parser; never throws, problems become warnings. */
// Covers parser directives, escape-char continuations, comments inside continuations, heredocs,
// exec/shell forms, flags, stages and ARG substitution in FROM.
import { parseImageRef } from './image-ref.js';
import type { BaseImage, Flag, Heredoc, Instruction, KeyValue, ParseResult, ParseWarning, Stage } from './types.js';
import { expand, parseArgs, parseNameValues, splitWords, unquote } from './words.js';

const KNOWN = new Set([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL',
  'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
]);
const HEREDOC_KEYWORDS = new Set(['RUN', 'COPY', 'ADD']);
const MAYBE_JSON = new Set(['RUN', 'CMD', 'ENTRYPOINT', 'SHELL']);
const MAYBE_JSON_LIST = new Set(['ADD', 'COPY', 'VOLUME']);
const VALID_DIRECTIVES = new Set(['escape', 'syntax', 'check']);

/** Go's unicode.IsSpace, which BuildKit uses to trim lines and split flags. */
function isSpace(ch: string | undefined): boolean {
  if (ch === undefined) return false;
  const c = ch.charCodeAt(0);
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

function trimLeft(s: string): string {
  let i = 0;
  while (i < s.length && isSpace(s[i])) i++;
  return i === 0 ? s : s.slice(i);
}

/** Strips trailing \r and \n (BuildKit's trimNewline). */
function trimNewline(s: string): string {
  let end = s.length;
  while (end > 0 && (s[end - 1] === '\r' || s[end - 1] === '\n')) end--;
  return end === s.length ? s : s.slice(0, end);
}

function isComment(line: string): boolean {
  return trimLeft(trimNewline(line)).startsWith('#');
}

/**
 * A line continues when its last non-blank character is the escape char, not itself escaped
 * (BuildKit's lineContinuationRegex). Returns the line without it and whether the instruction ends.
 */
function trimContinuation(line: string, escape: string): [string, boolean] {
  let end = line.length;
  while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t')) end--;
  if (end > 0 && line[end - 1] === escape) {
    if (end === 1) return ['', false];
    if (line[end - 2] !== escape) return [line.slice(0, end - 1), false];
  }
  return [line, true];
}

/** `# name = value` at the top of the file; parsed by hand to keep it linear on any input. */
function matchDirective(line: string): { name: string; value: string } | null {
  if (line[0] !== '#') return null;
  let i = 1;
  while (i < line.length && isSpace(line[i])) i++;
  const start = i;
  const c0 = line[i];
  if (!c0 || !/[a-zA-Z]/.test(c0)) return null;
  while (i < line.length && /[a-zA-Z0-9]/.test(line[i]!)) i++;
  const name = line.slice(start, i);
  while (i < line.length && isSpace(line[i])) i++;
  if (line[i] !== '=') return null;
  i++;
  const value = line.slice(i).trim();
  if (!value) return null;
  return { name, value };
}

/** Flags at the start of the arguments (BuildKit's extractBuilderFlags): `--a=b --c "--d=e f"`; `--` ends them. */
function extractFlags(text: string): { flags: Flag[]; rest: string } {
  const flags: Flag[] = [];
  let pos = 0;
  for (;;) {
    while (pos < text.length && isSpace(text[pos])) pos++;
    if (!(text[pos] === '-' && text[pos + 1] === '-')) break;
    let word = '';
    let quote = '';
    let i = pos;
    for (; i < text.length; i++) {
      const ch = text[i]!;
      if (quote) {
        if (ch === quote) quote = '';
        else if (ch === '\\' && i + 1 < text.length) word += text[++i]!;
        else word += ch;
        continue;
      }
      if (isSpace(ch)) break;
      if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '\\' && i + 1 < text.length) word += text[++i]!;
      else word += ch;
    }
    pos = i;
    if (word === '--') break;
    const body = word.slice(2);
    const eq = body.indexOf('=');
    flags.push(eq < 0 ? { name: body, value: undefined } : { name: body.slice(0, eq), value: body.slice(eq + 1) });
  }
  return { flags, rest: text.slice(pos).trim() };
}

/**
 * The end of a JSON array starting at `text[0] === '['`, string-aware; Go's json.Decoder reads one
 * value and ignores what follows, so BuildKit does too.
 */
function jsonArrayEnd(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') depth++;
    else if (ch === ']' || ch === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** Exec form: a JSON array of strings, or null (shell form). `notStrings` when the array holds non-strings. */
function parseJsonForm(rest: string): { json: string[] | null; notStrings: boolean } {
  const t = trimLeft(rest);
  if (!t.startsWith('[')) return { json: null, notStrings: false };
  const end = jsonArrayEnd(t);
  if (end < 0) return { json: null, notStrings: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(t.slice(0, end));
  } catch {
    return { json: null, notStrings: false };
  }
  if (!Array.isArray(parsed)) return { json: null, notStrings: false };
  if (!parsed.every((x) => typeof x === 'string')) return { json: null, notStrings: true };
  return { json: parsed as string[], notStrings: false };
}

function whitespaceWords(text: string): string[] {
  return text.split(/[\t\v\f\r ]+/).filter((w) => w.length > 0);
}

/** Splits like a shell with quotes and escapes kept raw (BuildKit's heredocsFromLine lexer). */
function rawShellWords(line: string): string[] {
  return splitWords(line, '\\');
}

/** `<<EOF`, `<<-EOF`, `3<<"EOF"`: returns the heredoc head, or null. */
function heredocHead(word: string): Pick<Heredoc, 'name' | 'chomp' | 'expand' | 'fd'> | null {
  let i = 0;
  while (i < word.length && word[i]! >= '0' && word[i]! <= '9') i++;
  const fdText = word.slice(0, i);
  if (word[i] !== '<' || word[i + 1] !== '<') return null;
  i += 2;
  const chomp = word[i] === '-';
  if (chomp) i++;
  const rest = word.slice(i);
  if (rest.length === 0 || rest.includes('<')) return null;
  const parts = splitWords(rest, '\\');
  if (parts.length !== 1) return null;
  const name = unquote(rest, '\\');
  if (!name) return null;
  const quoted = rest.includes('"') || rest.includes("'");
  return { name, chomp, expand: !quoted, fd: fdText ? Math.min(Number(fdText), 2 ** 31) : 0 };
}

interface Builder {
  escape: '\\' | '`';
  warnings: ParseWarning[];
}

/** Builds one instruction from its logical line (BuildKit's newNodeFromLine + the line parsers). */
function buildInstruction(b: Builder, logical: string, startLine: number, endLine: number, depth = 0): Instruction {
  const trimmed = logical.trim();
  let cut = 0;
  while (cut < trimmed.length && !isSpace(trimmed[cut])) cut++;
  const keyword = trimmed.slice(0, cut).toUpperCase();
  const { flags, rest } = extractFlags(trimmed.slice(cut));
  const ins: Instruction = {
    keyword, startLine, endLine, original: '', value: logical, flags, args: rest,
    json: null, words: [], pairs: [], heredocs: [], onbuild: null, stage: -1,
  };
  if (!KNOWN.has(keyword)) {
    b.warnings.push({ line: startLine, message: `unknown instruction: ${keyword.slice(0, 40)}` });
    return ins;
  }
  if (MAYBE_JSON.has(keyword) || MAYBE_JSON_LIST.has(keyword)) {
    const { json, notStrings } = parseJsonForm(rest);
    if (notStrings) b.warnings.push({ line: startLine, message: `${keyword}: when using JSON array syntax, arrays must be comprised of strings only` });
    ins.json = json;
    if (MAYBE_JSON_LIST.has(keyword)) ins.words = json ?? whitespaceWords(rest);
  } else if (keyword === 'HEALTHCHECK') {
    const words = whitespaceWords(rest);
    const after = rest.slice((words[0] ?? '').length);
    ins.words = words;
    ins.json = parseJsonForm(after).json;
  } else if (keyword === 'ENV' || keyword === 'LABEL') {
    const { pairs, error } = parseNameValues(rest, b.escape);
    ins.pairs = pairs;
    if (error) b.warnings.push({ line: startLine, message: `${keyword}: ${error}` });
    if (!rest) b.warnings.push({ line: startLine, message: `${keyword} requires at least one argument` });
  } else if (keyword === 'ARG') {
    ins.pairs = parseArgs(rest, b.escape);
    if (ins.pairs.length === 0) b.warnings.push({ line: startLine, message: 'ARG requires at least one argument' });
  } else if (keyword === 'ONBUILD') {
    if (!rest) b.warnings.push({ line: startLine, message: 'ONBUILD requires at least one argument' });
    else if (depth > 0) b.warnings.push({ line: startLine, message: 'chaining ONBUILD via ONBUILD ONBUILD is not allowed' });
    else {
      const sub = buildInstruction(b, rest, startLine, endLine, depth + 1);
      if (sub.keyword === 'FROM' || sub.keyword === 'MAINTAINER') {
        b.warnings.push({ line: startLine, message: `${sub.keyword} isn't allowed as an ONBUILD trigger` });
      }
      ins.onbuild = sub;
    }
  } else {
    ins.words = whitespaceWords(rest);
  }
  return ins;
}

/** The instruction that may carry heredocs: RUN/COPY/ADD in shell form, directly or under ONBUILD. */
function heredocCarrier(ins: Instruction): Instruction | null {
  const target = ins.keyword === 'ONBUILD' ? ins.onbuild : ins;
  if (!target || !HEREDOC_KEYWORDS.has(target.keyword) || target.json) return null;
  return target;
}

function stripLeadingTabs(s: string): string {
  let i = 0;
  while (i < s.length && s[i] === '\t') i++;
  return s.slice(i);
}

/** Parses a Dockerfile. Never throws: problems BuildKit would reject are returned as warnings. */
export function parseDockerfile(text: string): ParseResult {
  const b: Builder = { escape: '\\', warnings: [] };
  const directives: Record<string, string> = {};
  let directivesDone = false;
  const instructions: Instruction[] = [];

  let src = typeof text === 'string' ? text : String(text ?? '');
  if (src.charCodeAt(0) === 0xfeff) src = src.slice(1);
  const lines = src.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();

  /** BuildKit looks for directives on every line until the first one that is not a directive. */
  const seeDirective = (line: string, lineNo: number): void => {
    if (directivesDone) return;
    const m = matchDirective(line);
    if (!m || !VALID_DIRECTIVES.has(m.name.toLowerCase())) {
      directivesDone = true;
      return;
    }
    const name = m.name.toLowerCase();
    if (name in directives) {
      b.warnings.push({ line: lineNo, message: `only one ${name} parser directive can be used` });
      return;
    }
    directives[name] = m.value;
    if (name === 'escape') {
      if (m.value === '`' || m.value === '\\') b.escape = m.value;
      else b.warnings.push({ line: lineNo, message: `invalid escape token '${m.value.slice(0, 20)}' does not match \` or \\` });
    }
  };

  let i = 0;
  while (i < lines.length) {
    const first = trimLeft(trimNewline(lines[i]!));
    seeDirective(first, i + 1);
    const processed = first.startsWith('#') ? '' : first;
    i++;
    const startLine = i;
    let [logical, isEnd] = trimContinuation(processed, b.escape);
    if (isEnd && logical === '') continue;
    let hasEmptyContinuation = false;
    while (!isEnd && i < lines.length) {
      const raw = trimNewline(lines[i]!);
      seeDirective(raw, i + 1);
      i++;
      if (isComment(raw)) continue;
      if (trimLeft(raw).length === 0) {
        hasEmptyContinuation = true;
        continue;
      }
      const [part, end] = trimContinuation(raw, b.escape);
      logical += part;
      isEnd = end;
    }
    if (hasEmptyContinuation) b.warnings.push({ line: startLine, message: 'empty continuation line found (will become an error in a future BuildKit release)' });
    // e.g. a lone escape char followed by comment lines only
    if (logical.trim() === '') continue;
    const ins = buildInstruction(b, logical, startLine, i);
    const carrier = heredocCarrier(ins);
    if (carrier) {
      for (const word of rawShellWords(logical)) {
        const head = heredocHead(word);
        if (!head) continue;
        const doc: Heredoc = { ...head, content: '', startLine: i + 1, endLine: i, terminated: false };
        const parts: string[] = [];
        while (i < lines.length) {
          const raw = lines[i]!;
          i++;
          let candidate = trimNewline(raw);
          if (doc.chomp) candidate = stripLeadingTabs(candidate);
          if (candidate === doc.name) {
            doc.terminated = true;
            break;
          }
          parts.push((doc.chomp ? stripLeadingTabs(raw) : raw) + '\n');
        }
        doc.content = parts.join('');
        doc.endLine = Math.max(i, startLine);
        if (!doc.terminated) b.warnings.push({ line: startLine, message: `unterminated heredoc ${doc.name.slice(0, 40)}` });
        carrier.heredocs.push(doc);
      }
    }
    ins.endLine = i;
    if (ins.onbuild) ins.onbuild.endLine = i;
    ins.original = lines.slice(startLine - 1, i).map(trimNewline).join('\n');
    if (ins.onbuild) ins.onbuild.original = ins.original;
    instructions.push(ins);
  }
  if (instructions.length === 0) b.warnings.push({ line: 1, message: 'file with no instructions' });

  const { stages, globalArgs } = buildStages(b, instructions);
  return { directives, escape: b.escape, instructions, globalArgs, stages, warnings: b.warnings };
}

export const OUT_OF_RANGE = 'stage index out of range';

interface StageName {
  index: number;
  name: string;
}

/**
 * Resolves what a FROM or `--from` names: scratch, a stage, or an image reference. `indexNames`
 * (each stage's name by index) is set for `--from`, which may also name a stage by index.
 */
function resolveSource(
  raw: string,
  vars: ReadonlyMap<string, string | undefined>,
  escape: string,
  names: ReadonlyMap<string, StageName>,
  indexNames: ReadonlyArray<string | undefined> | null,
): BaseImage {
  const e = expand(raw, vars, escape);
  const resolved = e.value;
  if (e.unresolved.length > 0) return { kind: 'unresolved', raw, resolved, variables: [...new Set(e.unresolved)] };
  if (resolved === 'scratch') return { kind: 'scratch', raw, resolved };
  const named = names.get(resolved.toLowerCase());
  if (named) return { kind: 'stage', raw, resolved, stage: named.index, name: named.name };
  if (indexNames !== null && /^[0-9]{1,9}$/.test(resolved)) {
    const idx = Number(resolved);
    if (idx < indexNames.length) return { kind: 'stage', raw, resolved, stage: idx, name: indexNames[idx] };
    return { kind: 'invalid', raw, resolved, reason: OUT_OF_RANGE };
  }
  const ref = parseImageRef(resolved);
  if ('error' in ref) return { kind: 'invalid', raw, resolved, reason: ref.error };
  return { kind: 'image', raw, resolved, ...ref };
}

function flagValue(ins: Instruction, name: string): string | undefined {
  for (let k = ins.flags.length - 1; k >= 0; k--) if (ins.flags[k]!.name.toLowerCase() === name) return ins.flags[k]!.value;
  return undefined;
}

/** The `from=` of each `--mount` of a RUN (BuildKit's mount options are comma-separated key=value pairs). */
function mountSources(ins: Instruction): string[] {
  const out: string[] = [];
  for (const f of ins.flags) {
    if (f.name.toLowerCase() !== 'mount' || !f.value) continue;
    for (const field of f.value.split(',')) {
      const eq = field.indexOf('=');
      if (eq > 0 && field.slice(0, eq).trim().toLowerCase() === 'from' && field.slice(eq + 1).trim() !== '') out.push(field.slice(eq + 1).trim());
    }
  }
  return out;
}

const STAGE_NAME = /^[a-z][a-z0-9._-]*$/;

function buildStages(b: Builder, instructions: Instruction[]): { stages: Stage[]; globalArgs: Record<string, string | undefined> } {
  const stages: Stage[] = [];
  // FROM may only name an earlier stage; COPY --from may name any stage (BuildKit resolves it once
  // every stage is known). The first definition of a name wins: BuildKit refuses duplicates anyway.
  const byName = new Map<string, StageName>();
  const allNames = new Map<string, StageName>();
  const indexNames: Array<string | undefined> = [];
  for (const ins of instructions) {
    if (ins.keyword !== 'FROM') continue;
    const w = ins.words;
    const name = w.length === 3 && w[1]!.toLowerCase() === 'as' ? w[2]!.toLowerCase() : undefined;
    if (name !== undefined && !allNames.has(name)) allNames.set(name, { index: indexNames.length, name });
    indexNames.push(name);
  }
  const global = new Map<string, string | undefined>();
  let stageVars = new Map<string, string | undefined>();
  let current: Stage | null = null;
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const words = ins.words;
      let name: string | undefined;
      if (words.length === 0) b.warnings.push({ line: ins.startLine, message: 'FROM requires an image' });
      else if (words.length === 3 && words[1]!.toLowerCase() === 'as') {
        name = words[2]!.toLowerCase();
        if (!STAGE_NAME.test(name)) b.warnings.push({ line: ins.startLine, message: `invalid stage name "${words[2]!.slice(0, 40)}"` });
        if (byName.has(name)) b.warnings.push({ line: ins.startLine, message: `duplicate stage name "${name.slice(0, 40)}"` });
      } else if (words.length !== 1) b.warnings.push({ line: ins.startLine, message: 'FROM requires either one or three arguments (image [AS name])' });
      const raw = words[0] ?? '';
      const base: BaseImage = raw
        ? resolveSource(raw, global, b.escape, byName, null)
        : { kind: 'invalid', raw, resolved: raw, reason: 'missing image' };
      if (base.kind === 'invalid' && raw) b.warnings.push({ line: ins.startLine, message: `invalid image reference "${base.resolved.slice(0, 80)}": ${base.reason}` });
      const platform = flagValue(ins, 'platform');
      current = { index: stages.length, name, base, platform, line: ins.startLine, instructions: [], copyFrom: [], mountFrom: [] };
      stages.push(current);
      if (name !== undefined && !byName.has(name)) byName.set(name, { index: current.index, name });
      // Global ARGs are visible in a stage only once re-declared there; BuildKit's predefined ones always are.
      stageVars = new Map();
      ins.stage = current.index;
      current.instructions.push(ins);
      continue;
    }
    if (!current) {
      if (ins.keyword === 'ARG') {
        for (const p of ins.pairs) {
          // ARG defaults before FROM are themselves expanded against earlier global ARGs.
          if (p.rawValue === undefined) {
            global.set(p.key, global.get(p.key));
            continue;
          }
          const v = expand(p.rawValue, global, b.escape);
          global.set(p.key, v.unresolved.length > 0 ? undefined : v.value);
        }
      } else if (KNOWN.has(ins.keyword)) {
        b.warnings.push({ line: ins.startLine, message: `${ins.keyword} before the first FROM: only ARG may precede FROM` });
      }
      continue;
    }
    ins.stage = current.index;
    if (ins.onbuild) ins.onbuild.stage = current.index;
    current.instructions.push(ins);
    if (ins.keyword === 'ARG') {
      for (const p of ins.pairs) {
        if (p.rawValue !== undefined) {
          const v = expand(p.rawValue, stageVars, b.escape);
          stageVars.set(p.key, v.unresolved.length > 0 ? undefined : v.value);
        } else stageVars.set(p.key, global.get(p.key));
      }
    } else if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
      const from = flagValue(ins, 'from');
      if (from !== undefined && ins.keyword === 'COPY') {
        const source = resolveSource(from, stageVars, b.escape, allNames, indexNames);
        // A stage index out of range or the stage itself: reported by the copy-from-missing-stage rule.
        if (source.kind === 'invalid' && source.reason !== OUT_OF_RANGE) b.warnings.push({ line: ins.startLine, message: `invalid COPY --from reference "${source.resolved.slice(0, 80)}": ${source.reason}` });
        current.copyFrom.push({ line: ins.startLine, source });
      }
    } else if (ins.keyword === 'RUN') {
      // RUN --mount=type=bind|cache,from=<stage or image>: an image named there is pulled like a base.
      for (const from of mountSources(ins)) {
        const source = resolveSource(from, stageVars, b.escape, allNames, indexNames);
        if (source.kind === 'invalid' && source.reason !== OUT_OF_RANGE) b.warnings.push({ line: ins.startLine, message: `invalid RUN --mount from reference "${source.resolved.slice(0, 80)}": ${source.reason}` });
        current.mountFrom.push({ line: ins.startLine, source });
      }
    }
  }
  if (stages.length === 0 && instructions.length > 0) {
    b.warnings.push({ line: instructions[0]!.startLine, message: 'no FROM instruction: the Dockerfile has no build stage' });
  }
  const globalArgs: Record<string, string | undefined> = {};
  for (const [k, v] of global) globalArgs[k] = v;
  return { stages, globalArgs };
}

/** Convenience for rules: the instructions of a stage including ONBUILD-wrapped ones, flattened. */
export function stageKeyValues(stage: Stage, keyword: 'ENV' | 'ARG' | 'LABEL'): Array<{ line: number; pair: KeyValue }> {
  const out: Array<{ line: number; pair: KeyValue }> = [];
  for (const ins of stage.instructions) {
    if (ins.keyword === keyword) for (const pair of ins.pairs) out.push({ line: ins.startLine, pair });
  }
  return out;
}
