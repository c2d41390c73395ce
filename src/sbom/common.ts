/** Helpers shared by the CycloneDX and SPDX readers: schema errors as JSON paths, purl-based packages, OS guesses. */
import type { ZodError } from 'zod';
import { ShipshapeError } from '../errors.js';
import type { Location, OsInfo, Package, Warning } from '../model/index.js';
import { osFromDistro, packageFromPurl, packageTypeOf, parsePurl } from './purl.js';
import { collate } from '../model/collate.js';

/** `$.components[3].purl` from a zod issue path. */
export function jsonPath(path: ReadonlyArray<string | number>): string {
  let s = '$';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : /^[A-Za-z_$][\w$-]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`;
  return s;
}

/** One line naming the file and the first schema problem. */
export function schemaError(file: string, what: string, err: ZodError): ShipshapeError {
  const issue = err.issues[0]!;
  const msg = issue.message.replace(/\s+/g, ' ');
  return new ShipshapeError('bad-sbom', `${file}: not a valid ${what} document: ${jsonPath(issue.path)}: ${msg}`);
}

/** Collects the per-package problems of one SBOM as a few summary warnings rather than one per component. */
export class SkipCounter {
  private readonly noPurl: string[] = [];
  private readonly badPurl: string[] = [];
  private readonly unsupported = new Map<string, number>();

  noPurlFor(name: string): void {
    this.noPurl.push(name);
  }
  badPurlFor(purl: string): void {
    this.badPurl.push(purl);
  }
  unsupportedType(type: string): void {
    this.unsupported.set(type, (this.unsupported.get(type) ?? 0) + 1);
  }

  warnings(file: string): Warning[] {
    const out: Warning[] = [];
    const sample = (xs: string[]) => xs.slice(0, 3).join(', ') + (xs.length > 3 ? ', ...' : '');
    if (this.noPurl.length) out.push({ path: file, message: `${this.noPurl.length} package(s) without a purl were not matched (${sample(this.noPurl)})` });
    if (this.badPurl.length) out.push({ path: file, message: `${this.badPurl.length} package(s) with an unreadable purl were not matched (${sample(this.badPurl)})` });
    if (this.unsupported.size) {
      const list = [...this.unsupported].sort(([a], [b]) => collate(a, b)).map(([t, n]) => `${t}: ${n}`).join(', ');
      out.push({ path: file, message: `packages of purl types shipshape does not match were skipped (${list})` });
    }
    return out;
  }
}

export interface PackageFacts {
  name: string;
  purl?: string;
  version?: string;
  sourceName?: string;
  sourceVersion?: string;
  licenses?: string[];
  locations: Location[];
  /** A development dependency (shipshape's `shipshape:package:dev` property): matched only on request. */
  dev?: boolean;
}

/** A Package from what one SBOM entry says, or undefined (counted in `skips`) when it cannot be matched. */
export function toPackage(f: PackageFacts, skips: SkipCounter, distros: OsInfo[]): Package | undefined {
  if (!f.purl) {
    skips.noPurlFor(f.name);
    return undefined;
  }
  const p = parsePurl(f.purl);
  if (!p) {
    skips.badPurlFor(f.purl);
    return undefined;
  }
  if (!packageTypeOf(p.type)) {
    skips.unsupportedType(p.type);
    return undefined;
  }
  const pkg = packageFromPurl(p, f.version);
  if (!pkg) {
    skips.badPurlFor(f.purl);
    return undefined;
  }
  if (f.sourceName && !pkg.sourceName) pkg.sourceName = f.sourceName;
  if (f.sourceVersion && !pkg.sourceVersion) pkg.sourceVersion = f.sourceVersion;
  if (f.licenses?.length) pkg.licenses = f.licenses;
  if (f.dev) pkg.dev = true;
  pkg.locations = f.locations;
  const d = osFromDistro(p);
  if (d && (pkg.type === 'apk' || pkg.type === 'deb' || pkg.type === 'rpm')) distros.push(d);
  return pkg;
}

/**
 * The OS when the SBOM has no OS entry: the distro named by the OS packages' purls, when they all
 * agree; null (and a warning) when they disagree.
 */
export function osFromPackages(distros: OsInfo[], file: string, warnings: Warning[]): OsInfo | null {
  const seen = new Map<string, OsInfo>();
  for (const d of distros) seen.set(`${d.id} ${d.version}`, d);
  if (seen.size === 1) return [...seen.values()][0]!;
  if (seen.size > 1) warnings.push({ path: file, message: `the OS packages name several distros (${[...seen.keys()].join(', ')}): none is used` });
  return null;
}
