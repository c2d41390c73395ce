/** PHP cataloger: Composer's vendor/composer/installed.json (Composer 1 and 2) and composer.lock files. */
import type { EntryMeta, FileView } from '../../image/types.js';
import type { Package, Warning } from '../../model/index.js';
import { basename, isRecord, locationOf, matchingFiles, parseJson, sortPackages, sortWarnings, str } from '../lang-support.js';
import { purl, splitLast } from '../purl.js';
import type { CatalogResult, Cataloger } from '../types.js';

const isInstalledJson = (p: string) => p.endsWith('/vendor/composer/installed.json');
/** A project's composer.lock; those inside vendor/ ship with installed packages and describe nothing installed. */
const isComposerLock = (p: string) => basename(p) === 'composer.lock' && !p.includes('/vendor/');

/** `v5.4.0` → `5.4.0`: Composer tags often carry a `v` that advisories (GHSA, FriendsOfPHP) leave out. */
export function composerVersion(v: string): string {
  return /^v\d/.test(v) ? v.slice(1) : v;
}

function add(files: FileView, out: Package[], path: string, entry: unknown, devNames?: Set<string>): void {
  if (!isRecord(entry)) return;
  const name = str(entry.name);
  const raw = str(entry.version);
  if (!name || !raw) return;
  const version = composerVersion(raw);
  const { namespace, name: n } = splitLast(name);
  const p: Package = { name, version, type: 'composer', purl: purl('composer', namespace, n, version), locations: [locationOf(files, path)] };
  const lic = Array.isArray(entry.license) ? entry.license.filter((l): l is string => typeof l === 'string') : str(entry.license) ? [str(entry.license)!] : [];
  if (lic.length) p.licenses = lic;
  if (devNames?.has(name)) p.dev = true;
  out.push(p);
}

export function phpCataloger(): Cataloger {
  const wanted = (p: string) => isInstalledJson(p) || isComposerLock(p);
  return {
    id: 'php',
    version: 2,
    wants: (path: string, _e: EntryMeta) => wanted(path),
    catalog(files: FileView): CatalogResult {
      const packages: Package[] = [];
      const warnings: Warning[] = [];
      for (const path of matchingFiles(files, wanted)) {
        const buf = files.read(path);
        if (!buf) continue;
        const what = basename(path);
        const parsed = parseJson(buf);
        if ('error' in parsed) {
          warnings.push({ path, message: `${what}: ${parsed.error}` });
          continue;
        }
        const doc = parsed.value;
        let entries: unknown[] | undefined;
        // composer.lock's `packages-dev`. Not installed.json's `dev-package-names`: those are
        // installed in vendor/, where the autoloader finds them, like an installed npm package.
        const devNames = new Set<string>();
        if (isInstalledJson(path)) {
          // Composer 1 wrote a bare array; Composer 2 wraps it in {packages: [...], dev: ...}.
          entries = Array.isArray(doc) ? doc : isRecord(doc) && Array.isArray(doc.packages) ? doc.packages : undefined;
        } else if (isRecord(doc) && (Array.isArray(doc.packages) || Array.isArray(doc['packages-dev']))) {
          const dev = Array.isArray(doc['packages-dev']) ? doc['packages-dev'] : [];
          for (const e of dev) if (isRecord(e) && str(e.name)) devNames.add(str(e.name)!);
          // A name in both lists is in the production tree.
          for (const e of Array.isArray(doc.packages) ? doc.packages : []) if (isRecord(e) && str(e.name)) devNames.delete(str(e.name)!);
          entries = [...(Array.isArray(doc.packages) ? doc.packages : []), ...dev];
        }
        if (!entries) {
          warnings.push({ path, message: `${what}: no packages list` });
          continue;
        }
        for (const e of entries) add(files, packages, path, e, devNames);
      }
      return { packages: sortPackages(packages), warnings: sortWarnings(warnings) };
    },
  };
}
