/** Package cataloging: the public surface of src/catalog (registry, OS detection, run-them-all). */
import { describeError, ShipshapeError } from '../errors.js';
import type { EntryMeta, FileView } from '../image/types.js';
import type { OsInfo, Package, Warning } from '../model/index.js';
import { wantsOsFile } from './os-release/index.js';
import type { CatalogResult, Cataloger } from './types.js';

export type { CatalogResult, Cataloger } from './types.js';
export { CATALOGERS, CATALOGERS as catalogers } from './registry.js';
export { detectOs, parseOsRelease, wantsOsFile, OS_RELEASE_PATHS } from './os-release/index.js';
export { apkCataloger, parseApkDb, type ApkRecord } from './apk/index.js';
export { dpkgCataloger, parseStanzas, type Stanza } from './dpkg/index.js';

/** Bumped when OS detection changes what it reads: part of the cache key like a cataloger's version. */
export const OS_RELEASE_VERSION = 1;

/** One predicate for the layer walker: keep a file's content if OS detection or any cataloger wants it. */
export function wantedBy(catalogers: readonly Cataloger[]): (path: string, entry: EntryMeta) => boolean {
  return (path, entry) => wantsOsFile(path) || catalogers.some((c) => c.wants(path, entry));
}

/** After a wanted file is read: keep it if OS detection wants it or a cataloger that wants it keeps it. */
export function keptBy(catalogers: readonly Cataloger[]): (path: string, entry: EntryMeta, content: Buffer) => boolean {
  return (path, entry, content) =>
    wantsOsFile(path) || catalogers.some((c) => c.wants(path, entry) && (!c.keeps || c.keeps(path, content)));
}

/** `os-release@1,apk-db@1,dpkg-db@1`: changes whenever what gets kept or reported may change. */
export function catalogersVersion(catalogers: readonly Cataloger[]): string {
  const parts = catalogers.map((c) => `${c.id}@${c.version}`).sort();
  return [`os-release@${OS_RELEASE_VERSION}`, ...parts].join(',');
}

/**
 * Most packages one image may hold (env SHIPSHAPE_MAX_PACKAGES): the largest real images list tens
 * of thousands; each package costs ~1.7 KB of memory through matching and reporting, so this keeps
 * a scan under 1 GiB (docs/limits.md).
 */
export const DEFAULT_MAX_PACKAGES = 250_000;

function maxPackages(): number {
  const v = process.env.SHIPSHAPE_MAX_PACKAGES;
  if (v === undefined || v === '') return DEFAULT_MAX_PACKAGES;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new ShipshapeError('usage', `SHIPSHAPE_MAX_PACKAGES="${v}": expected a positive whole number`);
  return n;
}

/**
 * Runs every cataloger over the squashed filesystem and merges their results, in registry order.
 * A cataloger that throws (a bug, never bad input) becomes a warning: the others still report.
 * `ownedFiles` may be a cataloger's own set (when one cataloger gave any): read it, do not change it.
 */
export async function catalogAll(files: FileView, os: OsInfo | null, catalogers: readonly Cataloger[]): Promise<Required<CatalogResult>> {
  const packages: Package[] = [];
  const warnings: Warning[] = [];
  const owned: Array<Set<string>> = [];
  const limit = maxPackages();
  for (const c of catalogers) {
    let r: CatalogResult;
    try {
      r = await c.catalog(files, os);
    } catch (err) {
      warnings.push({ message: `${c.id}: cataloger failed: ${describeError(err)}` });
      continue;
    }
    // Loops, not push(...xs): spreading a million packages as arguments overflows the stack.
    for (const p of r.packages) packages.push(p);
    for (const w of r.warnings) warnings.push(w);
    if (packages.length > limit) {
      // Name the file that brought the most packages: that is where to look.
      const perFile = new Map<string, number>();
      for (const p of r.packages) for (const l of p.locations.slice(0, 1)) perFile.set(l.path, (perFile.get(l.path) ?? 0) + 1);
      const [file, n] = [...perFile].reduce((a, b) => (b[1] > a[1] ? b : a), ['?', 0]);
      throw new ShipshapeError('too-large', `${c.id}: ${file} lists ${n} packages; the image has more than ${limit} (limit; set SHIPSHAPE_MAX_PACKAGES to raise it)`);
    }
    if (r.ownedFiles?.size) owned.push(r.ownedFiles);
  }
  // One cataloger's set (the usual case: one package manager) is passed on as it is: read it, do not change it.
  let ownedFiles = owned[0] ?? new Set<string>();
  if (owned.length > 1) {
    ownedFiles = new Set(ownedFiles);
    for (const set of owned.slice(1)) for (const p of set) ownedFiles.add(p);
  }
  return { packages, warnings, ownedFiles };
}
