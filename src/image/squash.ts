/** Squashes layer indexes into the image's final filesystem, applying whiteouts and opaque directories as overlayfs does. */
import path from 'node:path';
import { treeView, type EntryLookup } from './dir-view.js';
import type { EntryMeta, FileEntry, FileView, LayerIndex } from './types.js';

/**
 * Applies `layers` in order (base first). In each layer, its whiteouts and opaque dirs act on the
 * lower layers only (https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts):
 * `.wh.NAME` removes NAME and everything below it; an opaque dir keeps the dir but hides what lower
 * layers put below it; then the layer's own entries replace earlier ones at the same path. A
 * non-directory replacing a directory takes the directory's lower content away with it.
 * Contents come from the LayerIndex of the layer that last wrote each path.
 */
export function squash(layers: LayerIndex[]): { view: FileView; entries: Map<string, FileEntry>; content: Map<string, Buffer> } {
  const entries = new Map<string, FileEntry>();
  const content = new Map<string, Buffer>();
  // Paths directly below each directory path, whether or not the directory has an entry itself:
  // a layer may write app/sub/x without entries for /app and /app/sub, and a whiteout of /app
  // must still take x away.
  const children = new Map<string, Set<string>>();

  /** Links `p` under its parent, and each new parent under its own, up to the first one already linked. */
  const link = (p: string) => {
    let child = p;
    for (;;) {
      const dir = parentOf(child);
      let set = children.get(dir);
      const fresh = !set;
      if (!set) children.set(dir, (set = new Set()));
      set.add(child);
      if (!fresh || dir === '/') return;
      child = dir;
    }
  };
  /** Removes everything below `p` (not `p`): a worklist, so a 10,000-deep tree cannot overflow the stack. */
  const removeBelow = (p: string) => {
    const todo = [p];
    while (todo.length) {
      const dir = todo.pop()!;
      const kids = children.get(dir);
      if (!kids) continue;
      children.delete(dir);
      for (const k of kids) {
        entries.delete(k);
        content.delete(k);
        todo.push(k);
      }
    }
  };
  const remove = (p: string) => {
    removeBelow(p);
    entries.delete(p);
    content.delete(p);
    children.get(parentOf(p))?.delete(p);
  };

  for (const layer of layers) {
    for (const dir of layer.opaqueDirs) removeBelow(dir);
    for (const p of layer.whiteouts) remove(p);
    for (const e of layer.entries) {
      if (e.path === '/') continue; // the root itself is not a path inside the image
      const prev = entries.get(e.path);
      if (prev?.type === 'dir' && e.type !== 'dir') removeBelow(e.path);
      if (!prev) link(e.path);
      entries.set(e.path, withLayer(e, layer.diffId));
      const data = layer.files.get(e.path);
      if (data) content.set(e.path, data);
      else content.delete(e.path);
    }
  }
  return { view: treeView(entries, (p) => content.get(p)), entries, content };
}

/**
 * squash([...base, top]) over squash(base)'s maps, for a top layer that only writes files and
 * directories (no whiteouts, opaque dirs or links) and puts no file where a directory was: then
 * nothing is removed, so the top's entries laid over the base's (nothing copied) give the same
 * entries, contents and order. Undefined for any other top layer (squash the whole list then).
 * Images on a shared base pay for their own top layer only.
 */
export function squashOnto(
  base: { entries: ReadonlyMap<string, FileEntry>; content: ReadonlyMap<string, Buffer> },
  top: LayerIndex,
): { view: FileView; entries: EntryLookup; content: Pick<ReadonlyMap<string, Buffer>, 'get'> } | undefined {
  if (top.whiteouts.length || top.opaqueDirs.length) return undefined;
  const mine = new Map<string, FileEntry>();
  for (const e of top.entries) {
    if (e.path === '/') continue;
    if (e.type !== 'file' && e.type !== 'dir') return undefined;
    if (e.type !== 'dir' && (mine.get(e.path) ?? base.entries.get(e.path))?.type === 'dir') return undefined;
    mine.set(e.path, withLayer(e, top.diffId));
  }
  const entries: EntryLookup = {
    get: (p) => mine.get(p) ?? base.entries.get(p),
    has: (p) => mine.has(p) || base.entries.has(p),
    // The base's order, then the paths the top adds in the order it adds them: a Map's order after squash.
    *keys() {
      yield* base.entries.keys();
      for (const p of mine.keys()) if (!base.entries.has(p)) yield p;
    },
  };
  // A path the top writes has the top's content, or none (a directory, a file not kept).
  const content = { get: (p: string) => (mine.has(p) ? top.files.get(p) : base.content.get(p)) };
  return { view: treeView(entries, (p) => content.get(p)), entries, content };
}

/** path.posix.dirname for the absolute, normalised paths of layer entries, without its general-case work. */
function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  if (i > 0 && p.charCodeAt(p.length - 1) !== 47) return p.slice(0, i);
  return i === 0 && p.length > 1 ? '/' : path.posix.dirname(p);
}

/**
 * `{ ...e, layer }`, written out: a spread over entries of two shapes (with and without linkname)
 * is a third slower on a cold start, and squash copies every entry of every layer. Same fields in
 * the same order; a new field of EntryMeta must be added here (the literal types make TypeScript
 * ask for required ones).
 */
function withLayer(e: EntryMeta, layer: string): FileEntry {
  if (e.linkname === undefined) {
    const f: Required<Omit<FileEntry, 'linkname'>> = { path: e.path, type: e.type, mode: e.mode, size: e.size, uid: e.uid, gid: e.gid, layer };
    return f;
  }
  const f: Required<FileEntry> = { path: e.path, type: e.type, mode: e.mode, size: e.size, uid: e.uid, gid: e.gid, linkname: e.linkname, layer };
  return f;
}
