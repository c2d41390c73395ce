/** Small helpers shared by the language catalogers: locations, text decoding, stable order, dedupe. */
import type { FileEntry, FileView } from '../image/types.js';
import type { Location, Package, Warning } from '../model/index.js';

/** Where a file was found: the layer that last wrote it and its path. */
export function locationOf(files: FileView, path: string): Location {
  return { layer: files.stat(path)?.layer ?? '', path };
}

/**
 * Set on a FileView by a caller that records what a cataloger looked at (src/scan/catalog-memo.ts):
 * the helpers below tell it which paths they selected, by their predicate, instead of it seeing a
 * walk over every path.
 */
export const FILES_OBSERVER = Symbol('shipshape.filesObserver');

export interface FilesObserver {
  /**
   * The cataloger's answer depends on the paths whose entry passes `pred` (besides what it reads).
   * Returns those paths, sorted, when the observer has them at hand (made from a shared base's,
   * remembered by `key`, the caller's own predicate); else the caller walks the view.
   */
  select(pred: (path: string, entry: FileEntry) => boolean, key?: object): string[] | undefined;
  /** Runs `fn` without recording its lookups (the walk over every path that `select` stands for). */
  unobserved<T>(fn: () => T): T;
  /** The view's regular files, sorted, when the caller has them at hand (made from a shared base's). */
  regularFiles?(): { paths: string[]; entries: FileEntry[] };
}

function observerOf(files: FileView): FilesObserver | undefined {
  return (files as { [FILES_OBSERVER]?: FilesObserver })[FILES_OBSERVER];
}

const isRegular = (e: FileEntry) => e.type === 'file' || e.type === 'hardlink';

/** The regular files (or hardlinks) of the squashed filesystem whose path passes `pred`, sorted. */
export function matchingFiles(files: FileView, pred: (path: string) => boolean): string[] {
  const obs = observerOf(files);
  if (!obs) return regularFiles(files).paths.filter((p) => pred(p));
  return obs.select((p, e) => isRegular(e) && pred(p), pred) ?? obs.unobserved(() => regularFiles(files)).paths.filter((p) => pred(p));
}

/** As matchingFiles, for filters that look at the entry too (mode, size): no stat per path. */
export function matchingEntries(files: FileView, pred: (path: string, entry: FileEntry) => boolean): string[] {
  const obs = observerOf(files);
  const got = obs?.select((p, e) => isRegular(e) && pred(p, e), pred);
  if (got) return got;
  const { paths, entries } = obs ? obs.unobserved(() => regularFiles(files)) : regularFiles(files);
  return paths.filter((p, i) => pred(p, entries[i]!));
}

/**
 * The regular files whose entry passes `pred`, sorted, when the view's observer has them at hand
 * (a shared base's selection); undefined otherwise, for callers with a cheaper walk of their own.
 */
export function entriesAtHand(files: FileView, pred: (path: string, entry: FileEntry) => boolean): string[] | undefined {
  return observerOf(files)?.select((p, e) => isRegular(e) && pred(p, e), pred);
}

/** The symbolic links whose path passes `pred`, in the view's own order. */
export function matchingLinks(files: FileView, pred: (path: string) => boolean): string[] {
  const obs = observerOf(files);
  obs?.select((p, e) => e.type === 'symlink' && pred(p));
  const walk = () => {
    const out: string[] = [];
    for (const p of files.paths()) if (pred(p) && files.stat(p)?.type === 'symlink') out.push(p);
    return out;
  };
  return obs ? obs.unobserved(walk) : walk();
}

// Every language cataloger asks for its files out of the same view: the list of regular files,
// sorted, is made once per view rather than once per cataloger (a stat per path each time).
const regularFilesOf = new WeakMap<FileView, { paths: string[]; entries: FileEntry[] }>();

function regularFiles(files: FileView): { paths: string[]; entries: FileEntry[] } {
  let list = regularFilesOf.get(files) ?? observerOf(files)?.regularFiles?.();
  if (!list) {
    const found: Array<[string, FileEntry]> = [];
    for (const p of files.paths()) {
      const e = files.stat(p);
      if (e && (e.type === 'file' || e.type === 'hardlink')) found.push([p, e]);
    }
    found.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    list = { paths: found.map((f) => f[0]), entries: found.map((f) => f[1]) };
  }
  regularFilesOf.set(files, list);
  return list;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 text (dropping a BOM); undefined for binary garbage (invalid UTF-8 or NUL bytes). */
export function decodeText(buf: Buffer): string | undefined {
  if (buf.includes(0)) return undefined;
  try {
    return utf8.decode(buf).replace(/^\uFEFF/, '');
  } catch {
    return undefined;
  }
}

const utf16le = new TextDecoder('utf-16le', { fatal: true });
const utf16be = new TextDecoder('utf-16be', { fatal: true });

/**
 * As decodeText, and UTF-16 text that starts with a byte order mark, as pip reads requirement
 * files (pip's auto_decode: a BOM first, else UTF-8): Windows editors save them so.
 */
export function decodeTextBom(buf: Buffer): string | undefined {
  const le = buf[0] === 0xff && buf[1] === 0xfe;
  const be = buf[0] === 0xfe && buf[1] === 0xff;
  if (!le && !be) return decodeText(buf);
  try {
    const text = (le ? utf16le : utf16be).decode(buf.subarray(2));
    return text.includes('\0') ? undefined : text;
  } catch {
    return undefined;
  }
}

/** JSON.parse that returns an error message instead of throwing. */
export function parseJson(buf: Buffer): { value: unknown } | { error: string } {
  const text = decodeText(buf);
  if (text === undefined) return { error: 'not UTF-8 text' };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return { error: `bad JSON: ${(err as Error).message}` };
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/**
 * Drops exact repeats (same type, name, version and first location path), keeping the first; it
 * stays `dev` only if every repeat is (a lockfile may hold one release for both trees).
 */
export function dedupe(pkgs: Package[]): Package[] {
  const seen = new Map<string, Package>();
  return pkgs.filter((p) => {
    const k = `${p.type}\0${p.name}\0${p.version}\0${p.locations[0]?.path ?? ''}`;
    const first = seen.get(k);
    if (first) {
      if (first.dev && !p.dev) delete first.dev;
      return false;
    }
    seen.set(k, p);
    return true;
  });
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A stable output order independent of file-system walk order: by path, then name, then version. */
export function sortPackages(pkgs: Package[]): Package[] {
  return pkgs.sort(
    (a, b) =>
      cmp(a.locations[0]?.path ?? '', b.locations[0]?.path ?? '') || cmp(a.name, b.name) || cmp(a.version, b.version),
  );
}

export function sortWarnings(ws: Warning[]): Warning[] {
  return ws.sort((a, b) => cmp(a.path ?? '', b.path ?? '') || cmp(a.message, b.message));
}

// Every cataloger's wants() asks for the base name of the same path, entry after entry: the last
// answer is kept (strings compare by identity first, so a hit costs next to nothing).
let lastPath = '';
let lastBase = '';

export function basename(p: string): string {
  if (p !== lastPath) {
    lastBase = p.slice(p.lastIndexOf('/') + 1);
    lastPath = p;
  }
  return lastBase;
}

export function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}
