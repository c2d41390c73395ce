/**
 * .NET cataloger: the `libraries` of type `package` in `*.deps.json` files written by the .NET SDK,
 * and of type `runtimepack` (the runtime a self-contained app ships, named as its NuGet package).
 */
import type { EntryMeta, FileView } from '../../image/types.js';
import type { Package, Warning } from '../../model/index.js';
import { isRecord, locationOf, matchingFiles, parseJson, sortPackages, sortWarnings } from '../lang-support.js';
import { purl } from '../purl.js';
import type { CatalogResult, Cataloger } from '../types.js';

const isDepsJson = (p: string) => p.endsWith('.deps.json');

export function dotnetCataloger(): Cataloger {
  return {
    id: 'dotnet',
    version: 2,
    wants: (path: string, _e: EntryMeta) => isDepsJson(path),
    catalog(files: FileView): CatalogResult {
      const packages: Package[] = [];
      const warnings: Warning[] = [];
      for (const path of matchingFiles(files, isDepsJson)) {
        const buf = files.read(path);
        if (!buf) continue;
        const parsed = parseJson(buf);
        if ('error' in parsed) {
          warnings.push({ path, message: `deps.json: ${parsed.error}` });
          continue;
        }
        const doc = parsed.value;
        if (!isRecord(doc) || !isRecord(doc.libraries)) {
          warnings.push({ path, message: 'deps.json: no `libraries` object' });
          continue;
        }
        for (const [key, lib] of Object.entries(doc.libraries)) {
          // "project" libraries are the application itself; "reference" ones are framework assemblies.
          // A self-contained app carries the runtime as `runtimepack.<NuGet id>/<version>`
          // (runtimepack.Microsoft.NETCore.App.Runtime.linux-x64/8.0.0): advisories name that package.
          if (!isRecord(lib) || (lib.type !== 'package' && lib.type !== 'runtimepack')) continue;
          const slash = key.lastIndexOf('/');
          if (slash <= 0 || slash === key.length - 1) {
            warnings.push({ path, message: `deps.json: library key ${JSON.stringify(key)} is not Name/Version` });
            continue;
          }
          const name = lib.type === 'runtimepack' ? key.slice(0, slash).replace(/^runtimepack\./, '') : key.slice(0, slash);
          const version = key.slice(slash + 1);
          packages.push({ name, version, type: 'nuget', purl: purl('nuget', undefined, name, version), locations: [locationOf(files, path)] });
        }
      }
      return { packages: sortPackages(packages), warnings: sortWarnings(warnings) };
    },
  };
}
