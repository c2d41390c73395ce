/**
 * Reads the `[[package]]` tables of the lockfiles TOML is used for (poetry.lock, Cargo.lock):
 * only string keys at the top of each table, which is all the catalogers need. Not a TOML parser.
 */

export interface TomlTable {
  /** 1-based line of the `[[package]]` header. */
  line: number;
  values: Record<string, string>;
  /** One-line arrays of strings (`groups = ["main", "dev"]`). */
  arrays: Record<string, string[]>;
}

/** Unescapes a TOML basic ("...") or literal ('...') string; undefined when it is neither. */
function tomlString(raw: string): string | undefined {
  const m = /^"((?:[^"\\]|\\.)*)"|^'([^']*)'/.exec(raw.trim());
  if (!m) return undefined;
  if (m[2] !== undefined) return m[2];
  return m[1]!.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, e: string) =>
    e.length === 5 ? String.fromCharCode(Number.parseInt(e.slice(1), 16)) : e === 'n' ? '\n' : e === 't' ? '\t' : e,
  );
}

/**
 * A multi-line string (`"""…"""` basic, `'''…'''` literal) starting at `lines[i]` after the key:
 * its value and the index of the line where it closes; undefined when `raw` opens none. A basic
 * one is unescaped, with TOML's line-ending backslash; the newline right after the opening
 * delimiter is dropped. An unclosed one runs to the end of the text.
 */
function multiLineString(raw: string, lines: string[], i: number): { value: string; end: number } | undefined {
  const delim = raw.startsWith('"""') ? '"""' : raw.startsWith("'''") ? "'''" : undefined;
  if (!delim) return undefined;
  // Each line is searched once (an unclosed string costs one pass over the text, not one per line).
  const parts = [raw.slice(3)];
  let end = i;
  let close = parts[0]!.indexOf(delim);
  while (close < 0 && end + 1 < lines.length) {
    end++;
    parts.push(lines[end]!);
    close = lines[end]!.indexOf(delim);
  }
  if (close >= 0) parts[parts.length - 1] = parts[parts.length - 1]!.slice(0, close);
  let body = parts.join('\n').replace(/^\n/, '');
  if (delim === "'''") return { value: body, end };
  const joined = body.replace(/\\[ \t]*\n\s*/g, '');
  return { value: tomlString(`"${joined.replace(/\n/g, '\\n').replace(/(?<!\\)"/g, '\\"')}"`) ?? joined, end };
}

/** `["main", "dev"]` on one line → its strings; undefined for anything else. */
function oneLineArray(raw: string): string[] | undefined {
  const m = /^\[(.*)\]\s*(?:#.*)?$/.exec(raw.trim());
  if (!m) return undefined;
  return [...m[1]!.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g)].map((x) => x[2] ?? tomlString(`"${x[1]}"`) ?? x[1]!);
}

/** The tables named `header` (e.g. `package` for `[[package]]`), with their top-level string keys. */
export function arrayTables(text: string, header: string): TomlTable[] {
  const out: TomlTable[] = [];
  let cur: TomlTable | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.trim();
    if (t.startsWith('[')) {
      cur = t === `[[${header}]]` ? { line: i + 1, values: {}, arrays: {} } : undefined;
      if (cur) out.push(cur);
      continue;
    }
    const m = /^([A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(t);
    if (!m) continue;
    // Read even outside the wanted tables: a multi-line string's lines are never headers.
    const multi = multiLineString(m[2]!, lines, i);
    if (multi) i = multi.end;
    if (!cur) continue;
    const v = multi?.value ?? tomlString(m[2]!);
    if (v !== undefined) cur.values[m[1]!] = v;
    const arr = v === undefined ? oneLineArray(m[2]!) : undefined;
    if (arr) cur.arrays[m[1]!] = arr;
  }
  return out;
}
