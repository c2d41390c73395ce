/** The Cataloger interface: one implementation per package ecosystem. */
import type { EntryMeta, FileView } from '../image/types.js';
import type { OsInfo, Package, Warning } from '../model/index.js';

export interface CatalogResult {
  packages: Package[];
  warnings: Warning[];
  /** Paths an OS package manager says it installed (apk, dpkg): language catalogers may skip them. */
  ownedFiles?: Set<string>;
}

export interface Cataloger {
  /** kebab-case id, shown in output: apk-db, dpkg-db */
  id: string;
  /**
   * Bumped whenever what the cataloger keeps or reports changes: part of the layer cache key, so
   * a changed cataloger never reads stale cached layers.
   */
  version: number;
  /** Cheap filter, called for every tar entry: should this file's content be kept? */
  wants(path: string, entry: EntryMeta): boolean;
  /**
   * Optional second look, once a wanted file has been read during the layer pass: keep it? Lets a
   * cataloger that must ask for every executable (the ELF header is not in the path) keep only the
   * Go or Rust binaries, so the cache and memory hold no other programs. `content` may be a view
   * into the layer's decompressed bytes, valid only during the call: do not keep a reference to it
   * (the walker stores its own copy of what is kept).
   */
  keeps?(path: string, content: Buffer): boolean;
  /** Reads the kept files from the squashed filesystem. Never throws for one bad record: warns. */
  catalog(files: FileView, os: OsInfo | null): Promise<CatalogResult> | CatalogResult;
}
