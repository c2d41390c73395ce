/** Word splitting, quote removal and ARG substitution as BuildKit's Dockerfile frontend does them. */
import type { KeyValue } from './types.js';

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\v' || ch === '\f';
}

/**
 * Splits on whitespace outside quotes, keeping quotes and escapes in the words
 * (BuildKit's parseWords): `a "b c" d\ e` gives [a, "b c", d\ e].
 */
export function splitWords(text: string, escape: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = '';
      else if (ch === escape && quote !== "'" && i + 1 < text.length) {
        word += ch;
        i++;
        word += text[i]!;
        continue;
      }
      word += ch;
      continue;
    }
    if (isSpace(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === escape) {
      if (i + 1 >= text.length) continue; // an escape at the very end is dropped
      word += ch;
      i++;
      word += text[i]!;
      continue;
    }
    word += ch;
  }
  if (inWord) words.push(word);
  return words;
}

/** Removes quotes and escapes from one word, without expanding variables. */
export function unquote(word: string, escape: string): string {
  let out = '';
  let quote = '';
  for (let i = 0; i < word.length; i++) {
    const ch = word[i]!;
    if (quote === "'") {
      if (ch === "'") quote = '';
      else out += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = '';
      else if (ch === escape && i + 1 < word.length) out += word[++i]!;
      else out += ch;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === escape && i + 1 < word.length) out += word[++i]!;
    else out += ch;
  }
  return out;
}

export interface Expansion {
  value: string;
  /** Variables that had no value and no default: the result depends on build arguments. */
  unresolved: string[];
}

function isNameChar(ch: string | undefined): boolean {
  return ch !== undefined && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch === '_');
}

/** Finds the `}` closing a `${` whose body starts at `from`, counting nested `${`. Returns -1 when missing. */
function closingBrace(text: string, from: number, escape: string): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === escape) {
      i++;
      continue;
    }
    if (ch === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (ch === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/**
 * Expands `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}`,
 * `${VAR:?msg}` and removes quotes, as BuildKit's shell lexer does for FROM and `--from`.
 * `vars` maps declared names to their value (undefined = declared without a default).
 * Depth-limited so nested defaults cannot recurse without bound.
 */
export function expand(text: string, vars: ReadonlyMap<string, string | undefined>, escape: string, depth = 0): Expansion {
  const unresolved: string[] = [];
  let out = '';
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote === "'") {
      if (ch === "'") quote = '';
      else out += ch;
      continue;
    }
    if (ch === escape && i + 1 < text.length) {
      out += text[++i]!;
      continue;
    }
    if (ch === '"') {
      quote = quote ? '' : '"';
      continue;
    }
    if (ch === "'" && !quote) {
      quote = "'";
      continue;
    }
    if (ch !== '$') {
      out += ch;
      continue;
    }
    const next = text[i + 1];
    if (next === '{') {
      const end = closingBrace(text, i + 2, escape);
      if (end < 0) {
        // BuildKit fails on a missing brace; keep the text and mark it unresolvable.
        unresolved.push(text.slice(i + 2));
        out += text.slice(i);
        break;
      }
      const body = text.slice(i + 2, end);
      i = end;
      let n = 0;
      while (n < body.length && isNameChar(body[n])) n++;
      const name = body.slice(0, n);
      const rest = body.slice(n);
      const has = vars.has(name) && vars.get(name) !== undefined;
      const val = has ? vars.get(name)! : '';
      if (!name) {
        unresolved.push(body);
        continue;
      }
      if (rest === '') {
        if (!has) unresolved.push(name);
        out += val;
        continue;
      }
      const colon = rest[0] === ':';
      const op = colon ? rest[1] : rest[0];
      const word = rest.slice(colon ? 2 : 1);
      const set = colon ? has && val !== '' : has;
      const sub = (): string => {
        if (depth > 8) {
          unresolved.push(word);
          return '';
        }
        const e = expand(word, vars, escape, depth + 1);
        for (const u of e.unresolved) unresolved.push(u);
        return e.value;
      };
      if (op === '-') out += set ? val : sub();
      else if (op === '+') out += set ? sub() : '';
      else if (op === '?') {
        if (set) out += val;
        else unresolved.push(name);
      } else {
        // Pattern operators (#, %, /) are newer BuildKit features: not evaluated here.
        unresolved.push(name);
        out += val;
      }
      continue;
    }
    if (isNameChar(next)) {
      let j = i + 1;
      while (j < text.length && isNameChar(text[j])) j++;
      const name = text.slice(i + 1, j);
      const v = vars.get(name);
      if (v === undefined) unresolved.push(name);
      out += v ?? '';
      i = j - 1;
      continue;
    }
    out += ch;
  }
  return { value: out, unresolved };
}

/**
 * ENV and LABEL pairs: `KEY value with spaces` (old form, when the first word has no `=`)
 * or `K1=v1 K2="v 2"`. Returns the pairs and an error message when a word lacks `=`.
 */
export function parseNameValues(rest: string, escape: string): { pairs: KeyValue[]; error?: string } {
  const words = splitWords(rest, escape);
  if (words.length === 0) return { pairs: [] };
  if (!words[0]!.includes('=')) {
    const trimmed = rest.trim();
    let cut = 0;
    while (cut < trimmed.length && !isSpace(trimmed[cut]!)) cut++;
    const key = trimmed.slice(0, cut);
    const raw = trimmed.slice(cut).trim();
    if (!raw) return { pairs: [], error: `"${key}" must have two arguments` };
    return { pairs: [{ key, value: unquote(raw, escape), rawValue: raw }] };
  }
  const pairs: KeyValue[] = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq < 0) return { pairs, error: `can't find = in ${JSON.stringify(w.slice(0, 40))}; must be of the form name=value` };
    const raw = w.slice(eq + 1);
    pairs.push({ key: unquote(w.slice(0, eq), escape), value: unquote(raw, escape), rawValue: raw });
  }
  return { pairs };
}

/** ARG words: `NAME`, `NAME=`, `NAME=value`, several per line. */
export function parseArgs(rest: string, escape: string): KeyValue[] {
  return splitWords(rest, escape).map((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) return { key: unquote(w, escape), value: undefined, rawValue: undefined };
    const raw = w.slice(eq + 1);
    return { key: unquote(w.slice(0, eq), escape), value: unquote(raw, escape), rawValue: raw };
  });
}
