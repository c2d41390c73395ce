/** The dpkg-db cataloger: Debian/Ubuntu packages from /var/lib/dpkg/status and distroless' status.d/. */
// Format: deb-control(5) stanzas (https://manpages.debian.org/bookworm/dpkg-dev/deb-control.5.en.html),
// installed state in `Status: want eflag state` (https://manpages.debian.org/bookworm/dpkg/dpkg.1.en.html).
import type { EntryMeta, FileView } from '../../image/types.js';
import type { OsInfo, Package, Warning } from '../../model/index.js';
import { purl } from '../purl.js';
import type { CatalogResult, Cataloger } from '../types.js';

export const DPKG_STATUS = '/var/lib/dpkg/status';
export const DPKG_STATUS_D = '/var/lib/dpkg/status.d';
const DPKG_INFO = '/var/lib/dpkg/info';
/** Copyright files bigger than this are not kept (they are licence texts, not worth the memory). */
export const MAX_COPYRIGHT = 128 * 1024;

/** One stanza: field names as written (case kept), values with continuation lines joined by `\n`. */
export interface Stanza {
  fields: Map<string, string>;
  /** 1-based line of the stanza's first line, for warnings. */
  line: number;
}

/** Parses RFC822-like control stanzas separated by blank lines. Never throws; odd lines are skipped. */
export function parseStanzas(text: string): Stanza[] {
  const out: Stanza[] = [];
  let cur: Stanza | undefined;
  let last: string | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') {
      cur = undefined;
      last = undefined;
      continue;
    }
    if (line.startsWith('#')) continue;
    if (line[0] === ' ' || line[0] === '\t') {
      if (cur && last !== undefined) cur.fields.set(last, `${cur.fields.get(last)}\n${line.slice(1)}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    if (!cur) {
      cur = { fields: new Map(), line: i + 1 };
      out.push(cur);
    }
    last = line.slice(0, colon).trim().toLowerCase();
    cur.fields.set(last, line.slice(colon + 1).trim());
  }
  return out;
}

/** `src` or `src (srcver)` → name and version (the binary version when none is given). */
export function parseSource(source: string | undefined, name: string, version: string): { name: string; version: string } {
  const m = /^(\S+)(?:\s+\((.+)\))?/.exec(source?.trim() ?? '');
  return { name: m?.[1] ?? name, version: m?.[2]?.trim() || version };
}

// Installed enough to have its files on disk and be configured; config-files, half-installed and
// not-installed are not (dpkg(1) "package states").
const INSTALLED_STATES = new Set(['installed', 'triggers-awaited', 'triggers-pending']);

/** Whether a `Status:` value means installed; a stanza without one (distroless status.d) is. */
export function isInstalled(status: string | undefined): boolean {
  if (status === undefined) return true;
  const state = status.trim().split(/\s+/)[2];
  return state !== undefined && INSTALLED_STATES.has(state);
}

/**
 * Licences named by a copyright file: DEP-5 `License:` short names, else references to
 * /usr/share/common-licenses/NAME (the usual non-machine-readable form).
 */
export function copyrightLicenses(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/^License:[ \t]*(\S[^\n]*)$/gm)) found.add(m[1]!.trim());
  if (found.size === 0) {
    for (const m of text.matchAll(/\/usr\/share\/common-licenses\/([A-Za-z0-9][A-Za-z0-9.+-]*[A-Za-z0-9+])/g)) found.add(m[1]!);
  }
  return [...found].sort();
}

export function debPurl(name: string, version: string, arch: string | undefined, os: OsInfo | null): string {
  const distro = os?.version ? `${os.id}-${os.version}` : undefined;
  return purl('deb', os?.id ?? 'debian', name, version, { arch, distro });
}

interface DbFile {
  path: string;
  stanzas: Stanza[];
  /** status.d files carry no Status field: everything they list is installed. */
  distroless: boolean;
}

function readDbFiles(files: FileView): DbFile[] {
  const out: DbFile[] = [];
  const status = files.read(DPKG_STATUS);
  if (status) out.push({ path: DPKG_STATUS, stanzas: parseStanzas(status.toString('utf8')), distroless: false });
  for (const name of files.list(DPKG_STATUS_D)) {
    if (name.endsWith('.md5sums') || name.startsWith('.')) continue;
    const path = `${DPKG_STATUS_D}/${name}`;
    const buf = files.read(path);
    if (buf) out.push({ path, stanzas: parseStanzas(buf.toString('utf8')), distroless: true });
  }
  return out;
}

function catalogDpkg(files: FileView, os: OsInfo | null): CatalogResult {
  const packages: Package[] = [];
  const warnings: Warning[] = [];
  const ownedFiles = new Set<string>();
  for (const db of readDbFiles(files)) {
    const layer = files.stat(files.resolve(db.path) ?? db.path)?.layer ?? '';
    for (const st of db.stanzas) {
      const f = st.fields;
      const name = f.get('package');
      const version = f.get('version');
      if (!name) {
        if (!db.distroless) warnings.push({ message: `dpkg-db: stanza at line ${st.line} has no Package field; skipped`, path: db.path });
        continue;
      }
      if (!isInstalled(db.distroless ? f.get('status') : (f.get('status') ?? ''))) continue;
      if (!version) {
        warnings.push({ message: `dpkg-db: package ${name} has no Version field; skipped`, path: db.path });
        continue;
      }
      const arch = f.get('architecture') || undefined;
      const src = parseSource(f.get('source'), name, version);
      const p: Package = {
        name,
        version,
        type: 'deb',
        sourceName: src.name,
        sourceVersion: src.version,
        purl: debPurl(name, version, arch, os),
        locations: [{ layer, path: db.path }],
      };
      if (arch) p.arch = arch;
      const copyright = files.read(`/usr/share/doc/${name}/copyright`);
      if (copyright && copyright.length <= MAX_COPYRIGHT) {
        const licenses = copyrightLicenses(copyright.toString('utf8'));
        if (licenses.length) p.licenses = licenses;
      }
      packages.push(p);
      addOwned(files, name, arch, ownedFiles);
    }
  }
  packages.sort((a, b) => cmp(a.name, b.name) || cmp(a.arch ?? '', b.arch ?? '') || cmp(a.version, b.version));
  return { packages, warnings, ownedFiles };
}

/** Paths from info/<pkg>.list or info/<pkg>:<arch>.list, also under their symlink-resolved name (usrmerge). */
function addOwned(files: FileView, name: string, arch: string | undefined, out: Set<string>): void {
  const buf = files.read(`${DPKG_INFO}/${name}.list`) ?? (arch ? files.read(`${DPKG_INFO}/${name}:${arch}.list`) : undefined);
  if (!buf) return;
  for (const raw of buf.toString('utf8').split('\n')) {
    const p = raw.trim();
    if (!p.startsWith('/') || p === '/.') continue;
    // Directories are listed by most packages: a path seen before had its real path added then
    // (and a real path, having no links in it, resolves to itself).
    if (out.has(p)) continue;
    out.add(p);
    const real = files.resolve(p);
    if (real && real !== p) out.add(real);
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The files the cataloger reads: the databases, the file lists, and small copyright files. */
export function wantsDpkgFile(path: string, entry?: EntryMeta): boolean {
  if (path === DPKG_STATUS) return true;
  if (path.startsWith(`${DPKG_STATUS_D}/`)) return !path.endsWith('.md5sums');
  if (path.startsWith(`${DPKG_INFO}/`)) return path.endsWith('.list') && !path.slice(DPKG_INFO.length + 1).includes('/');
  if (path.startsWith('/usr/share/doc/') && path.endsWith('/copyright')) {
    return path.split('/').length === 6 && (entry === undefined || entry.size <= MAX_COPYRIGHT);
  }
  return false;
}

export function dpkgCataloger(): Cataloger {
  return {
    id: 'dpkg-db',
    version: 1,
    wants: (path, entry) => wantsDpkgFile(path, entry),
    catalog: catalogDpkg,
  };
}
