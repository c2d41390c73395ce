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

/** The pragma that silences a finding of this rule on this line, if any. */
export function pragmaFor(pragmas: readonly Pragma[], ruleIds: readonly string[], line: number): Pragma | undefined {
  const ids = ruleIds.map((r) => r.toLowerCase());
  return pragmas.find(
    (p) => p.ids.some((x) => ids.includes(x)) && (p.global || (p.range !== undefined && line >= p.range[0] && line <= p.range[1])),
  );
}
