/** .NET cataloger: the `libraries` of type `package` in `*.deps.json` files written by the .NET SDK. */
import type { EntryMeta, FileView } from '../../image/types.js';
import type { Package, Warning } from '../../model/index.js';
import { isRecord, locationOf, matchingFiles, parseJson, sortPackages, sortWarnings } from '../lang-support.js';
import { purl } from '../purl.js';
import type { CatalogResult, Cataloger } from '../types.js';

const isDepsJson = (p: string) => p.endsWith('.deps.json');

export function dotnetCataloger(): Cataloger {
  return {
    id: 'dotnet',
    version: 1,
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
          if (!isRecord(lib) || lib.type !== 'package') continue;
          const slash = key.lastIndexOf('/');
          if (slash <= 0 || slash === key.length - 1) {
            warnings.push({ path, message: `deps.json: library key ${JSON.stringify(key)} is not Name/Version` });
            continue;
          }
          const name = key.slice(0, slash);
          const version = key.slice(slash + 1);
          packages.push({ name, version, type: 'nuget', purl: purl('nuget', undefined, name, version), locations: [locationOf(files, path)] });
        }
      }
      return { packages: sortPackages(packages), warnings: sortWarnings(warnings) };
    },
  };
}
