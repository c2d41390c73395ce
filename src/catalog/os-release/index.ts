/** Detects the distribution of an image from os-release, alpine-release or debian_version. */
import type { FileView } from '../../image/types.js';
import type { OsInfo } from '../../model/index.js';

// In the order they are consulted: os-release(5) says /etc first, then /usr/lib.
export const OS_RELEASE_PATHS = ['/etc/os-release', '/usr/lib/os-release', '/etc/alpine-release', '/etc/debian_version'] as const;

const WANTED = new Set<string>(OS_RELEASE_PATHS);

/** The path filter for the layer walker: keep the contents of these files. */
export function wantsOsFile(path: string): boolean {
  return WANTED.has(path);
}

const MAX_OS_FILE = 64 * 1024; // real ones are < 1 KiB; anything larger is not an os-release file

/**
 * Parses os-release(5): `KEY=value` lines, values with shell-like quoting (single quotes literal;
 * double quotes with `\"`, `\\`, `\$`, `` \` `` escapes; a backslash outside quotes escapes the next
 * character), `#` comments, blank lines. Malformed lines are skipped.
 */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+/, '');
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(line);
    if (!m) continue;
    const value = shellWord(line.slice(m[0].length));
    if (value !== undefined) out[m[1]!] = value;
  }
  return out;
}

/** One shell word (quotes may be concatenated: a"b"'c'); undefined when a quote is left open. */
function shellWord(s: string): string | undefined {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) return undefined;
      out += s.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      let closed = false;
      while (i < s.length) {
        const d = s[i]!;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < s.length && '"\\$`'.includes(s[i + 1]!)) {
          out += s[i + 1];
          i += 2;
        } else {
          out += d;
          i++;
        }
      }
      if (!closed) return undefined;
    } else if (c === '\\') {
      if (i + 1 < s.length) out += s[i + 1];
      i += 2;
    } else if (c === ' ' || c === '\t' || c === '#') {
      break; // end of the word; the rest is white space or a comment
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function readText(files: FileView, path: string): string | undefined {
  const buf = files.read(path);
  if (!buf || buf.length > MAX_OS_FILE || buf.includes(0)) return undefined;
  return buf.toString('utf8');
}

function fromOsRelease(kv: Record<string, string>): OsInfo | null {
  const id = kv.ID?.trim().toLowerCase();
  if (!id) return null;
  const info: OsInfo = { id, version: kv.VERSION_ID?.trim() ?? '' };
  const name = kv.PRETTY_NAME || kv.NAME;
  if (name) info.name = name;
  if (kv.VERSION_CODENAME) info.codename = kv.VERSION_CODENAME;
  return info;
}

/** `12.7` → version 12; `bookworm/sid` (testing, unstable) → codename bookworm, no version. */
function fromDebianVersion(text: string): OsInfo | null {
  const v = text.split('\n')[0]!.trim();
  if (!v) return null;
  const m = /^(\d+)(\.|$)/.exec(v);
  if (m) return { id: 'debian', version: m[1]!, name: `Debian GNU/Linux ${m[1]}` };
  const codename = /^([a-z]+)(\/sid)?$/.exec(v)?.[1];
  return codename ? { id: 'debian', version: '', codename } : null;
}

/**
 * The image's distribution, or null when none of the files says. Symlinks (the usual
 * /etc/os-release → ../usr/lib/os-release) are followed by FileView.read.
 */
export function detectOs(files: FileView): OsInfo | null {
  for (const path of ['/etc/os-release', '/usr/lib/os-release']) {
    const text = readText(files, path);
    if (text === undefined) continue;
    const info = fromOsRelease(parseOsRelease(text));
    if (!info) continue;
    // Debian testing/unstable ship no VERSION_ID; debian_version still names the release.
    if (!info.version && info.id === 'debian') {
      const dv = readText(files, '/etc/debian_version');
      const fromDv = dv === undefined ? null : fromDebianVersion(dv);
      if (fromDv?.version) info.version = fromDv.version;
      if (!info.codename && fromDv?.codename) info.codename = fromDv.codename;
    }
    return info;
  }
  const alpine = readText(files, '/etc/alpine-release');
  if (alpine !== undefined) {
    const v = alpine.split('\n')[0]!.trim();
    if (v) {
      const mm = /^(\d+\.\d+)/.exec(v)?.[1];
      return mm ? { id: 'alpine', version: v, name: `Alpine Linux v${mm}` } : { id: 'alpine', version: v };
    }
  }
  const debian = readText(files, '/etc/debian_version');
  return debian === undefined ? null : fromDebianVersion(debian);
}
