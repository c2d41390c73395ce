/** Go binary cataloger: the Go toolchain (`stdlib`), main module and dependencies recorded in ELF build info. */
import type { EntryMeta, FileView } from '../../image/types.js';
import type { Package, Warning } from '../../model/index.js';
import { locationOf, matchingEntries, sortPackages, sortWarnings } from '../lang-support.js';
import { purl, splitLast } from '../purl.js';
import type { CatalogResult, Cataloger } from '../types.js';
import { readBuildInfo, readRawBuildInfo, type GoBuildInfo, type GoModule } from './buildinfo.js';
import { ELF_MAGIC, isExecutableCandidate } from './elf.js';

/**
 * Executables larger than this are not read: every kept file is held in memory while a layer
 * is scanned. Go binaries of real services are 10-100 MB.
 */
export const MAX_GO_BINARY = 256 * 1024 * 1024;

export function goPurl(modulePath: string, version: string): string {
  const { namespace, name } = splitLast(modulePath);
  return purl('golang', namespace, name, version);
}

/** `go1.19.8` → `1.19.8`; `go1.21.0 X:boringcrypto` → `1.21.0`. */
export function stdlibVersion(goVersion: string): string {
  return goVersion.trim().split(/\s+/)[0]!.replace(/^go/, '');
}

function toPackages(info: GoBuildInfo, files: FileView, path: string): Package[] {
  const loc = () => [locationOf(files, path)];
  const pkg = (name: string, version: string, p: string): Package => ({ name, version, type: 'go-module', purl: p, locations: loc() });
  const out: Package[] = [];
  const sv = stdlibVersion(info.goVersion);
  if (sv) out.push(pkg('stdlib', sv, purl('golang', undefined, 'stdlib', sv)));
  // A replacement is what was actually built in; a local-path replacement has no version.
  const effective = (m: GoModule): GoModule => (m.replace ? { path: m.replace.path, version: m.replace.version || '(devel)' } : m);
  if (info.main?.path) {
    const m = effective(info.main);
    const v = m.version || '(devel)';
    out.push(pkg(m.path, v, goPurl(m.path, v)));
  }
  for (const d of info.deps) {
    const m = effective(d);
    if (m.path && m.version) out.push(pkg(m.path, m.version, goPurl(m.path, m.version)));
  }
  return out;
}

export function goBinaryCataloger(): Cataloger {
  return {
    id: 'go-binary',
    version: 2,
    wants: (_path: string, e: EntryMeta) => isExecutableCandidate(e.type, e.mode, e.size, MAX_GO_BINARY),
    // Only Go binaries (and ELF files too broken to tell, so catalog() can warn) are kept.
    keeps: (_path: string, content: Buffer) => {
      if (content.length < 4 || !content.subarray(0, 4).equals(ELF_MAGIC)) return false;
      try {
        return readRawBuildInfo(content) !== undefined;
      } catch {
        return true;
      }
    },
    catalog(files: FileView): CatalogResult {
      const packages: Package[] = [];
      const warnings: Warning[] = [];
      const candidates = matchingEntries(files, (_p, e) => isExecutableCandidate(e.type, e.mode, e.size, MAX_GO_BINARY));
      for (const path of candidates) {
        const buf = files.read(path);
        if (!buf || buf.length < 4 || !buf.subarray(0, 4).equals(ELF_MAGIC)) continue; // scripts, non-ELF
        let info: GoBuildInfo | undefined;
        try {
          info = readBuildInfo(buf);
        } catch (err) {
          warnings.push({ path, message: `go build info: ${(err as Error).message}` });
          continue;
        }
        if (info) for (const p of toPackages(info, files, path)) packages.push(p);
      }
      return { packages: sortPackages(packages), warnings: sortWarnings(warnings) };
    },
  };
}
