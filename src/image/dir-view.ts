/** A FileView over a directory on disk: scanning an unpacked root filesystem, and fixtures in tests. */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import type { EntryMeta, FileEntry, FileView } from './types.js';

/** Reads the whole tree under `root` eagerly (metadata only); contents are read on demand. */
export function dirFileView(root: string, layer = 'dir'): FileView {
  const entries = new Map<string, FileEntry>();
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(root, rel))) {
      const relPath = rel ? `${rel}/${name}` : name;
      const st = lstatSync(path.join(root, relPath));
      const type: EntryMeta['type'] = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
      const e: FileEntry = { path: `/${relPath}`, type, mode: st.mode & 0o7777, size: st.size, uid: st.uid, gid: st.gid, layer };
      if (type === 'symlink') e.linkname = readlinkSync(path.join(root, relPath));
      entries.set(e.path, e);
      if (type === 'dir') walk(relPath);
    }
  };
  walk('');
  return treeView(entries, (p) => readFileSync(path.join(root, p)));
}

/** Normalises a path to absolute form with no `.`/`..`/duplicate slashes; `..` stops at the root. */
export function normalizePath(p: string): string {
  // Most paths asked for are already clean (tar paths, catalogers' constants): no split, no join.
  if (isCleanPath(p)) return p;
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (!part || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

/** An empty, `.` or `..` component. */
const UNCLEAN_PART = /\/\/|\/\.\.?(?:\/|$)/;

/** True when `normalizePath(p) === p`: absolute, no empty, `.` or `..` component, no trailing slash. */
function isCleanPath(p: string): boolean {
  // A regular expression rather than a loop over characters: it runs as native code from the
  // first call, while a short-lived CLI spends most of its time in not-yet-optimised JS.
  return p.charCodeAt(0) === 47 && (p.length === 1 || p.charCodeAt(p.length - 1) !== 47) && !UNCLEAN_PART.test(p);
}

const MAX_LINK_HOPS = 40; // as Linux's MAXSYMLINKS

/** Where following a clean path from the root ends: the real path ('' for the root) and the links it followed. */
interface Walk {
  cur: string;
  hops: number;
  /** No link on the way: `cur` is the path asked for (saves building the same string again). */
  same: boolean;
}

const ROOT_WALK: Walk = { cur: '', hops: 0, same: true };
/** A walk abandoned because more links were being followed at once than the limit allows. */
const TOO_DEEP = Symbol('too deep');

/** What a tree view asks of its entries: a Map, or a wrapper that watches the lookups. */
export interface EntryLookup {
  get(path: string): FileEntry | undefined;
  has(path: string): boolean;
  keys(): Iterable<string>;
}

/**
 * A FileView over a squashed map of entries: symlinks are followed in every path component
 * (relative targets against their directory, absolute ones against the image root, never above it).
 * `entries` must not change after the view is made: directory resolutions are memoized.
 */
export function treeView(entries: EntryLookup, content: (path: string) => Buffer | undefined): FileView {
  let children: Map<string, string[]> | undefined;
  let listCalls = 0;
  const childrenOf = (dir: string): string[] | undefined => {
    if (!children) {
      children = new Map();
      for (const p of entries.keys()) {
        const i = p.lastIndexOf('/');
        const clean = i >= 0 && isCleanPath(p);
        const parent = clean ? (i === 0 ? '/' : p.slice(0, i)) : path.posix.dirname(p);
        let list = children.get(parent);
        if (!list) children.set(parent, (list = []));
        list.push(clean ? p.slice(i + 1) : path.posix.basename(p));
      }
    }
    return children.get(dir);
  };

  // Symlinks are followed component by component, as the kernel does. Every directory prefix is
  // resolved once and remembered (with the hops it took, so the MAX_LINK_HOPS limit stays exact):
  // usrmerge links (/lib -> usr/lib, /bin -> usr/bin) put a link in front of thousands of paths.
  // null: the walk never ends within the limit (a loop, or too long a chain).
  const walks = new Map<string, Walk | null>();
  // Walks a clean path's prefixes from the deepest one known, shallow to deep, without recursing
  // per component (a hostile path may have thousands). `depth`: links being followed around this
  // walk; past MAX_LINK_HOPS the outermost walk cannot succeed, so it stops, remembering nothing
  // for the prefixes it was in the middle of (their own answer may well be fine).
  const walkTo = (clean: string, depth: number): Walk | null | typeof TOO_DEEP => {
    if (clean === '/') return ROOT_WALK;
    const known = walks.get(clean);
    if (known !== undefined) return known;
    if (depth > MAX_LINK_HOPS) return TOO_DEEP;
    const todo: string[] = [clean];
    let w: Walk | null = ROOT_WALK;
    for (let p = clean; ; ) {
      const i = p.lastIndexOf('/');
      if (i === 0) break;
      p = p.slice(0, i);
      const k = walks.get(p);
      if (k !== undefined) {
        w = k;
        break;
      }
      todo.push(p);
    }
    for (let j = todo.length - 1; j >= 0; j--) {
      const p = todo[j]!;
      if (w === null) {
        walks.set(p, null);
        continue;
      }
      // Marked unfinished first: a walk that needs itself to finish is a loop, which the
      // component-by-component walk would follow until the hop limit.
      walks.set(p, null);
      const r = step(w, p, depth);
      if (r === TOO_DEEP) {
        walks.delete(p);
        return TOO_DEEP;
      }
      walks.set(p, r);
      w = r;
    }
    return w;
  };
  // The last component of a clean path, taken from where its parent directory leads.
  const step = (parent: Walk, clean: string, depth: number): Walk | null | typeof TOO_DEEP => {
    const i = clean.lastIndexOf('/');
    const next = parent.same ? clean : `${parent.cur}/${clean.slice(i + 1)}`;
    const e = entries.get(next);
    if (e?.type !== 'symlink' || e.linkname === undefined) return { cur: next, hops: parent.hops, same: parent.same };
    const target = walkTo(normalizePath(e.linkname.startsWith('/') ? e.linkname : `${parent.cur}/${e.linkname}`), depth + 1);
    if (!target || target === TOO_DEEP) return target;
    const hops = parent.hops + 1 + target.hops;
    return hops > MAX_LINK_HOPS ? null : { cur: target.cur, hops, same: false };
  };

  const resolve = (p: string): string | undefined => {
    const clean = normalizePath(p);
    if (clean === '/') return '/';
    // The final component is not remembered (only directories are asked for again and again),
    // and when it is no link, its answer is at hand without building a Walk.
    const i = clean.lastIndexOf('/');
    const parent = walkTo(i === 0 ? '/' : clean.slice(0, i), 0);
    if (!parent || parent === TOO_DEEP) return undefined;
    const next = parent.same ? clean : `${parent.cur}/${clean.slice(i + 1)}`;
    const e = entries.get(next);
    if (e?.type !== 'symlink' || e.linkname === undefined) return e ? next : undefined;
    const w = walks.get(clean) ?? step(parent, clean, 0);
    if (!w || w === TOO_DEEP) return undefined;
    return entries.has(w.cur) || w.cur === '' ? w.cur || '/' : undefined;
  };

  return {
    stat: (p) => entries.get(normalizePath(p)),
    resolve,
    read(p) {
      const r = resolve(p);
      if (!r) return undefined;
      let e = entries.get(r);
      if (e?.type === 'hardlink' && e.linkname) e = entries.get(e.linkname) ?? e;
      if (!e || (e.type !== 'file' && e.type !== 'hardlink')) return undefined;
      return content(r) ?? (e.path !== r ? content(e.path) : undefined);
    },
    paths: () => entries.keys(),
    list(dir) {
      const d = normalizePath(dir);
      // A few lookups (dpkg's status.d) are cheaper as one pass over the keys than building an
      // index of every directory; callers that list often get the index.
      if (children || ++listCalls > 4) return [...(childrenOf(d) ?? [])].sort();
      const prefix = d === '/' ? '/' : `${d}/`;
      const names: string[] = [];
      for (const p of entries.keys()) {
        if (!isCleanPath(p)) {
          if (path.posix.dirname(p) === d) names.push(path.posix.basename(p));
        } else if (p.length > prefix.length && p.startsWith(prefix) && p.indexOf('/', prefix.length) < 0) {
          names.push(p.slice(prefix.length));
        }
      }
      return names.sort();
    },
  };
}
