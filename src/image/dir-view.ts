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
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (!part || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

const MAX_LINK_HOPS = 40; // as Linux's MAXSYMLINKS

/**
 * A FileView over a squashed map of entries: symlinks are followed in every path component
 * (relative targets against their directory, absolute ones against the image root, never above it).
 */
export function treeView(entries: Map<string, FileEntry>, content: (path: string) => Buffer | undefined): FileView {
  const children = new Map<string, string[]>();
  for (const p of entries.keys()) {
    const dir = path.posix.dirname(p);
    let list = children.get(dir);
    if (!list) children.set(dir, (list = []));
    list.push(path.posix.basename(p));
  }

  const resolve = (p: string): string | undefined => {
    let hops = 0;
    let pending = normalizePath(p).split('/').filter(Boolean);
    let cur = '';
    while (pending.length) {
      const next = `${cur}/${pending.shift()!}`;
      const e = entries.get(next);
      if (e?.type === 'symlink' && e.linkname !== undefined) {
        if (++hops > MAX_LINK_HOPS) return undefined;
        const target = e.linkname.startsWith('/') ? e.linkname : `${cur}/${e.linkname}`;
        pending = [...normalizePath(target).split('/').filter(Boolean), ...pending];
        cur = '';
        continue;
      }
      cur = next;
    }
    return entries.has(cur) || cur === '' ? cur || '/' : undefined;
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
    list: (dir) => [...(children.get(normalizePath(dir) === '/' ? '/' : normalizePath(dir)) ?? [])].sort(),
  };
}
