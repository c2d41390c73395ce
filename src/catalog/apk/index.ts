/** The apk-db cataloger: Alpine packages from apk's installed database (/lib/apk/db/installed). */
// Format: https://wiki.alpinelinux.org/wiki/Apk_spec#Installed_Database_V2
import type { FileView } from '../../image/types.js';
import type { OsInfo, Package, Warning } from '../../model/index.js';
import { purl } from '../purl.js';
import type { CatalogResult, Cataloger } from '../types.js';

/** Where apk keeps its database; newer Alpine releases move it under /usr (with a symlink back). */
export const APK_DB_PATHS = ['/lib/apk/db/installed', '/usr/lib/apk/db/installed'] as const;

export interface ApkRecord {
  name?: string;
  version?: string;
  arch?: string;
  origin?: string;
  license?: string;
  /** Absolute paths of the regular files the package installed (`R:` lines under their `F:` directory). */
  files: string[];
  /** 1-based line of the record's first line, for warnings. */
  line: number;
}

/** Splits the database into records (blank-line separated) of `X:value` lines. Never throws. */
export function parseApkDb(text: string): ApkRecord[] {
  const records: ApkRecord[] = [];
  let cur: ApkRecord | undefined;
  let dir = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line === '') {
      cur = undefined;
      continue;
    }
    if (line[1] !== ':') continue; // not a field line: ignore, as apk does with unknown fields
    if (!cur) {
      cur = { files: [], line: i + 1 };
      dir = '';
      records.push(cur);
    }
    const value = line.slice(2);
    switch (line[0]) {
      case 'P':
        cur.name = value;
        break;
      case 'V':
        cur.version = value;
        break;
      case 'A':
        cur.arch = value;
        break;
      case 'o':
        cur.origin = value;
        break;
      case 'L':
        cur.license = value;
        break;
      case 'F':
        dir = value.replace(/^\/+|\/+$/g, '');
        break;
      case 'R':
        if (value) cur.files.push(dir ? `/${dir}/${value}` : `/${value}`);
        break;
    }
  }
  return records;
}

/** `MIT BSD-2-Clause` lists licences; an SPDX expression (`MIT AND (GPL-2.0 OR BSD)`) stays whole. */
export function splitApkLicense(l: string | undefined): string[] | undefined {
  const s = l?.trim();
  if (!s) return undefined;
  if (/\b(AND|OR|WITH)\b|[()]/.test(s)) return [s];
  return s.split(/\s+/);
}

export function apkPurl(name: string, version: string, arch: string | undefined, os: OsInfo | null): string {
  const distro = os?.version ? `${os.id}-${os.version}` : undefined;
  return purl('apk', os?.id ?? 'alpine', name, version, { arch, distro });
}

function catalogApk(files: FileView, os: OsInfo | null): CatalogResult {
  const packages: Package[] = [];
  const warnings: Warning[] = [];
  const ownedFiles = new Set<string>();
  const seen = new Set<string>();
  for (const path of APK_DB_PATHS) {
    const real = files.resolve(path);
    if (!real || seen.has(real)) continue; // the /lib → /usr/lib symlink: one database, read once
    const buf = files.read(path);
    if (!buf) continue;
    seen.add(real);
    const layer = files.stat(real)?.layer ?? '';
    for (const r of parseApkDb(buf.toString('utf8'))) {
      if (!r.name || !r.version) {
        warnings.push({ message: `apk-db: record at line ${r.line} has no ${r.name ? 'V: version' : 'P: name'}; skipped`, path });
        continue;
      }
      for (const f of r.files) ownedFiles.add(f);
      const p: Package = {
        name: r.name,
        version: r.version,
        type: 'apk',
        sourceName: r.origin || r.name,
        sourceVersion: r.version,
        purl: apkPurl(r.name, r.version, r.arch, os),
        locations: [{ layer, path }],
      };
      if (r.arch) p.arch = r.arch;
      const licenses = splitApkLicense(r.license);
      if (licenses) p.licenses = licenses;
      packages.push(p);
    }
  }
  packages.sort((a, b) => cmp(a.name, b.name) || cmp(a.version, b.version) || cmp(a.arch ?? '', b.arch ?? ''));
  return { packages, warnings, ownedFiles };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const WANTED = new Set<string>(APK_DB_PATHS);

export function apkCataloger(): Cataloger {
  return {
    id: 'apk-db',
    version: 1,
    wants: (path) => WANTED.has(path),
    catalog: catalogApk,
  };
}
