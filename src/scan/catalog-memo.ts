/** Images on a shared base, scanned in one process: the base squashed once, and what each cataloger found reused where exact. */
import { FILES_OBSERVER, type FilesObserver } from '../catalog/lang-support.js';
import type { CatalogResult, Cataloger } from '../catalog/types.js';
import { normalizePath, treeView, type EntryLookup } from '../image/dir-view.js';
import { squash, squashOnto } from '../image/squash.js';
import type { EntryMeta, FileEntry, FileView, LayerIndex } from '../image/types.js';
import type { OsInfo } from '../model/index.js';

/**
 * How it stays exact: a cataloger's result is a function of what it looked at in the squashed
 * filesystem. While it runs, its view records every path looked up (stat, read, the links followed,
 * contents), every directory listed, and every predicate it selected paths with (lang-support's
 * matchingFiles and friends); a walk over all paths counts as looking at everything. Image Y = base
 * B + top layer Ty may take the result found for X = B + Tx when the two filesystems differ only
 * at the paths Tx and Ty write (D) and the cataloger looked at none of them:
 * - Tx and Ty hold only files and directories: no links, whiteouts or opaque directories, so no
 *   path outside D and no link that any lookup follows differs between X and Y;
 * - at each path of D, neither image has a link, and a directory is not replaced by a file in one
 *   image only (that takes what B holds below it away);
 * - no path of D was looked up, is directly inside a listed directory, or passes a predicate.
 * Anything else runs the cataloger again (and remembers that run instead).
 */

/** Squashed bases remembered (least recently used dropped first). */
export const MAX_SQUASHED_BASES = 16;

interface Squashed {
  view: FileView;
  entries: EntryLookup;
  content: Pick<ReadonlyMap<string, Buffer>, 'get'>;
}

interface Base {
  entries: Map<string, FileEntry>;
  content: Map<string, Buffer>;
  /** Its regular files, sorted (what lang-support's matchingFiles selects from), made on first use. */
  regular?: { paths: string[]; entries: FileEntry[] };
  /** Its regular files that pass a cataloger's predicate, by the predicate. */
  selected: WeakMap<object, string[]>;
  /** Images squashed onto it: its lists are made once a second image shares it (a lone scan walks its own view). */
  uses: number;
}

const bases = new Map<string, Base>();

/** An image's squash, plus the base it was made from when its top layer could be laid onto a shared one. */
export interface ImageSquash extends Squashed {
  base?: Base;
}

/**
 * squash(layers), made from the remembered squash of every layer but the top one when the top is
 * plain (squashOnto); the base is squashed and remembered on first use. `keys`: the layers' cache keys.
 */
export function squashImage(layers: readonly LayerIndex[], keys: readonly string[]): ImageSquash {
  const top = layers[layers.length - 1];
  if (layers.length < 2 || !top || top.entries.length > MAX_TOP_ENTRIES || top.whiteouts.length || top.opaqueDirs.length) return squash([...layers]);
  const id = keys.slice(0, -1).join('\0');
  let base = bases.get(id);
  if (base) {
    bases.delete(id);
  } else {
    const { entries, content } = squash(layers.slice(0, -1));
    base = { entries, content, selected: new WeakMap(), uses: 0 };
  }
  base.uses++;
  bases.set(id, base);
  for (const k of bases.keys()) {
    if (bases.size <= MAX_SQUASHED_BASES) break;
    bases.delete(k);
  }
  const onto = squashOnto(base, top);
  return onto ? { ...onto, base } : squash([...layers]);
}

const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function isRegular(e: FileEntry | undefined): e is FileEntry {
  return e?.type === 'file' || e?.type === 'hardlink';
}

function baseRegularFiles(base: Base): { paths: string[]; entries: FileEntry[] } {
  if (!base.regular) {
    const found: Array<[string, FileEntry]> = [];
    for (const p of base.entries.keys()) {
      const e = base.entries.get(normalizePath(p));
      if (isRegular(e)) found.push([p, e]);
    }
    found.sort((a, b) => byPath(a[0], b[0]));
    base.regular = { paths: found.map((f) => f[0]), entries: found.map((f) => f[1]) };
  }
  return base.regular;
}

/** The base's regular files that pass `pred` with what the top writes put in (the same list a walk over the image's paths gives). */
function selectOnto(base: Base, top: Map<string, EntryMeta>, entries: EntryLookup, pred: (p: string, e: FileEntry) => boolean, key: object): string[] {
  let mine = base.selected.get(key);
  if (!mine) {
    const all = baseRegularFiles(base);
    mine = all.paths.filter((p, i) => pred(p, all.entries[i]!));
    base.selected.set(key, mine);
  }
  const adds = [...top.keys()].filter((p) => isRegular(entries.get(p)) && pred(p, entries.get(p)!)).sort(byPath);
  const out: string[] = [];
  let j = 0;
  for (const p of mine) {
    while (j < adds.length && byPath(adds[j]!, p) < 0) out.push(adds[j++]!);
    if (!top.has(p)) out.push(p);
  }
  while (j < adds.length) out.push(adds[j++]!);
  return out;
}

/** The base's sorted regular files with what the top writes put in: the same list a walk over the image's paths gives. */
function regularFilesOnto(base: Base, top: Map<string, EntryMeta>, entries: EntryLookup): { paths: string[]; entries: FileEntry[] } {
  baseRegularFiles(base);
  const adds = [...top.keys()].filter((p) => isRegular(entries.get(p))).sort(byPath);
  const paths: string[] = [];
  const out: FileEntry[] = [];
  let j = 0;
  const { paths: bp, entries: be } = base.regular!;
  for (let i = 0; i < bp.length; i++) {
    const p = bp[i]!;
    while (j < adds.length && byPath(adds[j]!, p) < 0) {
      paths.push(adds[j]!);
      out.push(entries.get(adds[j++]!)!);
    }
    if (top.has(p)) continue; // written by the top: added from `adds` if still a regular file
    paths.push(p);
    out.push(be[i]!);
  }
  for (; j < adds.length; j++) {
    paths.push(adds[j]!);
    out.push(entries.get(adds[j]!)!);
  }
  return { paths, entries: out };
}

/** Top layers with more entries than this are not compared (the check would cost as much as cataloging). */
export const MAX_TOP_ENTRIES = 2000;
/** Bases remembered per cataloger (least recently used dropped first), and images per base. */
export const MAX_BASES = 16;
const PER_BASE = 1;

interface Seen {
  paths: Set<string>;
  lists: Set<string>;
  preds: Array<(path: string, entry: FileEntry) => boolean>;
  everything: boolean;
}

interface Remembered {
  top: string;
  /** What the top layer writes, by path (the last entry wins, as in squash). */
  topEntries: Map<string, EntryMeta>;
  seen: Seen;
  result: CatalogResult;
}

// By the cataloger object: a caller that makes its catalogers anew for every scan lets the old
// ones' results go with them (nothing here holds a cataloger).
let memo = new WeakMap<Cataloger, Map<string, Remembered[]>>();
/** Each cataloger's bases, held weakly: only for catalogMemoStats. */
let tables: Array<WeakRef<Map<string, Remembered[]>>> = [];
let counters = { hits: 0, misses: 0 };

/** Forgets everything (tests; a process that wants the memory back). */
export function clearCatalogMemo(): void {
  bases.clear();
  memo = new WeakMap();
  tables = [];
  counters = { hits: 0, misses: 0 };
}

/** Results reused and catalogers run since the process started (or the last clear), and how many bases are remembered. */
export function catalogMemoStats(): { hits: number; misses: number; bases: number } {
  tables = tables.filter((t) => t.deref() !== undefined);
  let n = 0;
  for (const t of tables) n += t.deref()?.size ?? 0;
  return { ...counters, bases: n };
}

/** What a layer writes, by path; undefined when it removes anything or writes anything but files and directories. */
function plainEntries(layer: LayerIndex): Map<string, EntryMeta> | undefined {
  if (layer.whiteouts.length || layer.opaqueDirs.length || layer.entries.length > MAX_TOP_ENTRIES) return undefined;
  const out = new Map<string, EntryMeta>();
  for (const e of layer.entries) {
    if (e.type !== 'file' && e.type !== 'dir') return undefined;
    if (e.path !== '/') out.set(e.path, e);
  }
  return out;
}

// By the entries array: the records the layer cache hands out are copies, their entries shared.
const layerMaps = new WeakMap<readonly EntryMeta[], Map<string, EntryMeta>>();

function entriesOf(layer: LayerIndex): Map<string, EntryMeta> {
  let m = layerMaps.get(layer.entries);
  if (!m) {
    m = new Map();
    for (const e of layer.entries) m.set(e.path, e);
    layerMaps.set(layer.entries, m);
  }
  return m;
}

const UNKNOWN = Symbol('unknown');

/**
 * The entry at `p` in the squash of `base` (null when absent); UNKNOWN when a whiteout, an opaque
 * directory or a non-directory above `p` is in the way (the caller then does not compare).
 */
function baseEntry(base: readonly LayerIndex[], p: string): EntryMeta | null | typeof UNKNOWN {
  const prefixes: string[] = [];
  for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) prefixes.push(p.slice(0, i));
  for (let j = base.length - 1; j >= 0; j--) {
    const layer = base[j]!;
    const own = entriesOf(layer);
    for (const q of prefixes) if (own.get(q)?.type !== undefined && own.get(q)!.type !== 'dir') return UNKNOWN;
    const e = own.get(p);
    if (e) return e;
    if (layer.whiteouts.length || layer.opaqueDirs.length) {
      const hides = (q: string) => q === p || p.startsWith(q.endsWith('/') ? q : `${q}/`);
      if (layer.whiteouts.some(hides) || layer.opaqueDirs.some(hides)) return UNKNOWN;
    }
  }
  return null;
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

/** Whether Y (base + top `yTop`, its squash `yEntries`) may take what was found for X. */
function reusable(x: Remembered, base: readonly LayerIndex[], yTop: Map<string, EntryMeta>, yEntries: EntryLookup): boolean {
  if (x.seen.everything) return false;
  const check = (d: string): boolean => {
    const xe = x.topEntries.get(d) ?? baseEntry(base, d);
    const ye = yTop.get(d) ?? yEntries.get(d) ?? null;
    if (xe === UNKNOWN) return false;
    for (const e of [xe, ye]) if (e && e.type !== 'file' && e.type !== 'dir') return false;
    if (xe && ye && xe.type !== ye.type) return false;
    if (x.seen.paths.has(d) || x.seen.lists.has(parentOf(d))) return false;
    for (const pred of x.seen.preds) {
      for (const e of [xe, ye]) if (e && pred(d, { ...e, layer: '' })) return false;
    }
    return true;
  };
  for (const d of x.topEntries.keys()) if (!check(d)) return false;
  for (const d of yTop.keys()) if (!x.topEntries.has(d) && !check(d)) return false;
  return true;
}

/** A copy of JSON-like data (plain objects, arrays, primitives): what packages and warnings are. */
function copyJson<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(copyJson) as T;
  const out: Record<string, unknown> = {};
  for (const k in v) out[k] = copyJson((v as Record<string, unknown>)[k]);
  return out as T;
}

/** A set that refuses changes: one cataloger's owned paths, shared by every image that reuses its result. */
class ReadonlySet<T> extends Set<T> {
  private sealed = false;

  constructor(items: Iterable<T>) {
    super(items);
    this.sealed = true;
  }

  override add(v: T): this {
    if (this.sealed) throw new TypeError('a remembered cataloger result cannot change');
    return super.add(v);
  }

  override delete(): boolean {
    throw new TypeError('a remembered cataloger result cannot change');
  }

  override clear(): void {
    throw new TypeError('a remembered cataloger result cannot change');
  }
}

/**
 * A copy callers own (a report's packages may be changed after); the owned paths, only read by
 * catalogAll as it merges them, are shared as a set that cannot change.
 */
function copyResult(r: CatalogResult): CatalogResult {
  return {
    packages: copyJson(r.packages),
    warnings: copyJson(r.warnings),
    ...(r.ownedFiles ? { ownedFiles: r.ownedFiles instanceof ReadonlySet ? r.ownedFiles : new ReadonlySet(r.ownedFiles) } : {}),
  };
}

/**
 * The catalogers of one image, each answering from what was found for an image on the same base
 * when that is exact (see above), else running and remembering what it looked at. `layers`: the
 * image's layer indexes; `keys`: their cache keys (which name the catalogers' versions);
 * `squashed`: their squash (squashImage). Undefined when the top layer is not one the memo compares
 * (links, whiteouts, too many entries, a single layer): catalog the squashed view as usual.
 */
export function memoizedCatalogers(
  catalogers: readonly Cataloger[],
  layers: readonly LayerIndex[],
  keys: readonly string[],
  squashed: ImageSquash,
): { catalogers: Cataloger[]; view: FileView } | undefined {
  const top = layers.length >= 2 ? plainEntries(layers[layers.length - 1]!) : undefined;
  if (!top) return undefined;
  const { entries, content, base } = squashed;
  const shared = base && base.uses > 1 ? base : undefined;
  let seen: Seen | undefined;
  let paused = 0;
  const note = (p: string) => {
    if (seen && !paused) seen.paths.add(p);
  };
  const lookup = {
    get: (p: string) => (note(p), entries.get(p)),
    has: (p: string) => (note(p), entries.has(p)),
    keys: () => {
      if (seen && !paused) seen.everything = true;
      return entries.keys();
    },
  };
  const inner = treeView(lookup, (p) => (note(p), content.get(p)));
  const unobserved = <T>(fn: () => T): T => {
    paused++;
    try {
      return fn();
    } finally {
      paused--;
    }
  };
  const observer: FilesObserver = {
    select: (pred, key) => {
      if (seen && !paused) seen.preds.push(pred);
      return shared && key ? selectOnto(shared, top, entries, pred, key) : undefined;
    },
    unobserved,
    ...(shared ? { regularFiles: () => regularFilesOnto(shared, top, entries) } : {}),
  };
  const view: FileView & { [FILES_OBSERVER]: FilesObserver } = {
    stat: (p) => inner.stat(p),
    resolve: (p) => inner.resolve(p),
    read: (p) => inner.read(p),
    paths: () => lookup.keys(),
    list: (dir) => {
      if (seen && !paused) seen.lists.add(normalizePath(dir));
      return unobserved(() => inner.list(dir));
    },
    [FILES_OBSERVER]: observer,
  };

  const baseLayers = layers.slice(0, -1);
  const topKey = keys[keys.length - 1]!;
  const wrap = (c: Cataloger): Cataloger => ({
    id: c.id,
    version: c.version,
    wants: c.wants,
    ...(c.keeps ? { keeps: c.keeps } : {}),
    catalog: async (files, os: OsInfo | null) => {
      let bases = memo.get(c);
      if (!bases) {
        memo.set(c, (bases = new Map()));
        tables.push(new WeakRef(bases));
      }
      const baseKey = `${JSON.stringify(os)}\0${keys.slice(0, -1).join('\0')}`;
      const list = bases.get(baseKey) ?? [];
      for (const x of list) {
        if (x.top === topKey || reusable(x, baseLayers, top, entries)) {
          counters.hits++;
          bases.delete(baseKey);
          bases.set(baseKey, list);
          return copyResult(x.result);
        }
      }
      counters.misses++;
      const mine: Seen = { paths: new Set(), lists: new Set(), preds: [], everything: false };
      seen = mine;
      let result: CatalogResult;
      try {
        result = await c.catalog(files, os);
      } finally {
        seen = undefined;
      }
      bases.delete(baseKey);
      bases.set(baseKey, [{ top: topKey, topEntries: top, seen: mine, result: copyResult(result) }, ...list].slice(0, PER_BASE));
      for (const k of bases.keys()) {
        if (bases.size <= MAX_BASES) break;
        bases.delete(k);
      }
      return result;
    },
  });
  return { catalogers: catalogers.map(wrap), view };
}
