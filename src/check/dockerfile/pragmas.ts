/** Inline ignore pragmas: `# hadolint ignore=DL3008,DL3015` and `# shipshape ignore=<rule id>`, for the next instruction or (with `global`) the file. */
import type { Instruction } from './types.js';

export interface Pragma {
  /** 1-based line of the comment. */
  line: number;
  /** The comment as written (trimmed), for the suppression's reason. */
  text: string;
  /** Lower-cased rule ids or Hadolint codes. */
  ids: string[];
  global: boolean;
  /** Lines of the instruction it applies to; undefined for a global pragma (or one with no instruction after it). */
  range?: [number, number];
}

/**
 * `hadolint` / `shipshape`, optionally `global`, then `ignore=` and a comma list, as Hadolint reads
 * them (https://github.com/hadolint/hadolint#inline-ignores). Plain string work: no regex on user text.
 */
function readPragma(comment: string): { ids: string[]; global: boolean } | undefined {
  const words = comment.slice(1).trim().split(/[ \t]+/);
  const tool = (words[0] ?? '').toLowerCase();
  if (tool !== 'hadolint' && tool !== 'shipshape') return undefined;
  let k = 1;
  const global = (words[k] ?? '').toLowerCase() === 'global';
  if (global) k++;
  const rest = words.slice(k).join(' ');
  if (!rest.toLowerCase().startsWith('ignore=')) return undefined;
  const ids = rest
    .slice('ignore='.length)
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0 && !s.includes(' '));
  return ids.length > 0 ? { ids, global } : undefined;
}

/** Every pragma of the file, each bound to the instruction that follows it. */
export function findPragmas(text: string, instructions: readonly Instruction[]): Pragma[] {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const sorted = [...instructions].sort((a, b) => a.startLine - b.startLine);
  const out: Pragma[] = [];
  let next = 0; // index of the first instruction starting after the current line
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    while (next < sorted.length && sorted[next]!.startLine <= lineNo) next++;
    const inside = next > 0 && sorted[next - 1]!.endLine >= lineNo;
    // Comment lines inside an instruction (continuations, heredoc bodies) are not pragmas.
    if (inside) continue;
    const trimmed = lines[i]!.trim();
    if (!trimmed.startsWith('#')) continue;
    const p = readPragma(trimmed);
    if (!p) continue;
    const target = sorted[next];
    out.push({
      line: lineNo,
      text: trimmed.slice(0, 200),
      ids: p.ids,
      global: p.global,
      ...(!p.global && target ? { range: [target.startLine, target.endLine] as [number, number] } : {}),
    });
  }
  return out;
}

/** Pragmas looked up by line: global ones apply everywhere, the others over their instruction's lines. */
export interface PragmaIndex {
  /** Lower-cased rule id or code → the first global pragma naming it. */
  global: Map<string, Pragma>;
  byLine: Map<number, Pragma[]>;
}

/** Indexes the pragmas once, so each finding's lookup costs only the pragmas of its own instruction. */
export function indexPragmas(pragmas: readonly Pragma[]): PragmaIndex {
  const global = new Map<string, Pragma>();
  for (const p of pragmas) if (p.global) for (const id of p.ids) if (!global.has(id)) global.set(id, p);
  const byStart = new Map<number, Pragma[]>();
  for (const p of pragmas) {
    if (p.global || !p.range) continue;
    const list = byStart.get(p.range[0]);
    if (list) list.push(p);
    else byStart.set(p.range[0], [p]);
  }
  // Instructions do not overlap, so the lines covered add up to at most the file's length.
  const byLine = new Map<number, Pragma[]>();
  for (const list of byStart.values()) {
    const [start, end] = list[0]!.range!;
    for (let line = start; line <= end; line++) byLine.set(line, list);
  }
  return { global, byLine };
}

/** The pragma that silences a finding of this rule on this line, if any. */
export function pragmaFor(index: PragmaIndex, ruleIds: readonly string[], line: number): Pragma | undefined {
  const ids = ruleIds.map((r) => r.toLowerCase());
  const hit = (p: Pragma): boolean => p.ids.some((x) => ids.includes(x));
  const local = index.byLine.get(line)?.find(hit);
  if (local) return local;
  for (const id of ids) {
    const p = index.global.get(id);
    if (p) return p;
  }
  return undefined;
}
