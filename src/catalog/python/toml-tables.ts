/**
 * Reads the `[[package]]` tables of the lockfiles TOML is used for (poetry.lock, Cargo.lock):
 * only string keys at the top of each table, which is all the catalogers need. Not a TOML parser.
 */

export interface TomlTable {
  /** 1-based line of the `[[package]]` header. */
  line: number;
  values: Record<string, string>;
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

/** The tables named `header` (e.g. `package` for `[[package]]`), with their top-level string keys. */
export function arrayTables(text: string, header: string): TomlTable[] {
  const out: TomlTable[] = [];
  let cur: TomlTable | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    const t = line.trim();
    if (t.startsWith('[')) {
      cur = t === `[[${header}]]` ? { line: i + 1, values: {} } : undefined;
      if (cur) out.push(cur);
      return;
    }
    if (!cur) return;
    const m = /^([A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(t);
    if (!m) return;
    const v = tomlString(m[2]!);
    if (v !== undefined) cur.values[m[1]!] = v;
  });
  return out;
}
