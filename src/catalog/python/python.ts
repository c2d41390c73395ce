/**
 * Python cataloger: installed distributions (`*.dist-info/METADATA`, `*.egg-info/PKG-INFO`,
 * `*.egg-info` files) under site-packages and dist-packages, and poetry.lock, Pipfile.lock and
 * pinned (`==`) requirements*.txt files.
 */
import type { EntryMeta, FileView } from '../../image/types.js';
import type { Package, Warning } from '../../model/index.js';
import {
  basename,
  decodeText,
  decodeTextBom,
  dedupe,
  isRecord,
  locationOf,
  matchingFiles,
  parseJson,
  sortPackages,
  sortWarnings,
  str,
} from '../lang-support.js';
import { purl } from '../purl.js';
import type { CatalogResult, Cataloger } from '../types.js';
import { arrayTables } from './toml-tables.js';

/** PEP 503 normalised name: lower case, runs of `-_.` become one `-`. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/**
 * METADATA in `*.dist-info`, PKG-INFO in `*.egg-info`, or an `*.egg-info` file. The suffix is
 * matched in any case, as Python's importlib.metadata does (it lower-cases names before
 * comparing): `Pygments-2.6.1.DIST-INFO` is found by Python, so it is a package.
 */
export function isInstalledMetadata(path: string): boolean {
  if (!/\/(site|dist)-packages\//.test(path)) return false;
  if (path.endsWith('/METADATA')) return /\.dist-info$/i.test(path.slice(0, -'/METADATA'.length));
  if (path.endsWith('/PKG-INFO')) return /\.egg-info$/i.test(path.slice(0, -'/PKG-INFO'.length));
  return /\.egg-info$/i.test(path);
}

/** A project's lockfile; those inside installed packages (site-packages) describe nothing installed. */
export function isPythonLockfile(path: string): boolean {
  if (/\/(site|dist)-packages\//.test(path)) return false;
  const b = basename(path);
  return b === 'poetry.lock' || b === 'Pipfile.lock' || /^requirements[^/]*\.txt$/.test(b);
}

/** Core metadata headers (https://packaging.python.org/specifications/core-metadata/): RFC 822 style. */
export function parseMetadata(text: string): Map<string, string[]> | undefined {
  const headers = new Map<string, string[]>();
  let last: { key: string; idx: number } | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break; // the body (description) follows the first blank line
    if (/^[ \t]/.test(line)) {
      if (!last) return undefined;
      const vals = headers.get(last.key)!;
      vals[last.idx] += `\n${line.trim()}`;
      continue;
    }
    const m = /^([A-Za-z0-9][A-Za-z0-9-]*):[ \t]*(.*)$/.exec(line);
    if (!m) return undefined;
    const key = m[1]!.toLowerCase();
    const vals = headers.get(key) ?? [];
    vals.push(m[2]!.trim());
    headers.set(key, vals);
    last = { key, idx: vals.length - 1 };
  }
  return headers;
}

/** License-Expression, else a short License field, else the names in `License ::` classifiers. */
function licensesOf(h: Map<string, string[]>): string[] | undefined {
  const expr = h.get('license-expression')?.[0];
  if (expr) return [expr];
  const lic = h.get('license')?.[0];
  // Some projects paste the whole licence text into License: only a one-line value names a licence.
  if (lic && !lic.includes('\n') && lic.length <= 80 && lic.toUpperCase() !== 'UNKNOWN') return [lic];
  const fromClassifiers = (h.get('classifier') ?? [])
    .filter((c) => c.startsWith('License ::'))
    .map((c) => c.split('::').pop()!.trim())
    .filter((c) => c && c !== 'OSI Approved');
  return fromClassifiers.length ? fromClassifiers : undefined;
}

interface Ctx {
  files: FileView;
  packages: Package[];
  warnings: Warning[];
}

function add(ctx: Ctx, path: string, name: string, version: string, licenses?: string[], dev?: boolean): void {
  const norm = normalizeName(name);
  const p: Package = { name: norm, version, type: 'python', purl: purl('pypi', undefined, norm, version), locations: [locationOf(ctx.files, path)] };
  if (licenses) p.licenses = licenses;
  if (dev) p.dev = true;
  ctx.packages.push(p);
}

function catalogMetadata(ctx: Ctx, path: string, buf: Buffer): void {
  const text = decodeText(buf);
  const h = text === undefined ? undefined : parseMetadata(text);
  if (!h) return void ctx.warnings.push({ path, message: 'python metadata: not RFC 822 style headers' });
  const name = h.get('name')?.[0];
  const version = h.get('version')?.[0];
  if (!name || !version) return void ctx.warnings.push({ path, message: 'python metadata: no Name or Version' });
  add(ctx, path, name, version, licensesOf(h));
}

function catalogPoetry(ctx: Ctx, path: string, text: string): void {
  for (const t of arrayTables(text, 'package')) {
    const { name, version } = t.values;
    // Poetry < 2 writes `category = "dev"`; Poetry 2 lists the groups needing the package:
    // without "main", only development groups do.
    const groups = t.arrays.groups;
    const dev = t.values.category === 'dev' || (groups !== undefined && groups.length > 0 && !groups.includes('main'));
    if (name && version) add(ctx, path, name, version, undefined, dev);
    else ctx.warnings.push({ path, message: `poetry.lock: [[package]] at line ${t.line} has no name or version` });
  }
}

function catalogPipfileLock(ctx: Ctx, path: string, buf: Buffer): void {
  const parsed = parseJson(buf);
  if ('error' in parsed) return void ctx.warnings.push({ path, message: `Pipfile.lock: ${parsed.error}` });
  const doc = parsed.value;
  if (!isRecord(doc)) return void ctx.warnings.push({ path, message: 'Pipfile.lock: not a JSON object' });
  for (const section of ['default', 'develop']) {
    const deps = doc[section];
    if (!isRecord(deps)) continue;
    for (const [name, entry] of Object.entries(deps)) {
      const v = isRecord(entry) ? str(entry.version) : undefined;
      const m = v ? /^===?\s*(\S+)$/.exec(v) : null;
      if (m) add(ctx, path, name, m[1]!, undefined, section === 'develop');
    }
  }
}

/** Only exact pins (`name==1.2.3`, `name[extra]==1.2.3 ; marker`): ranges say nothing about what is installed. */
function catalogRequirements(ctx: Ctx, path: string, text: string): void {
  const joined = text.replace(/\\\r?\n/g, ' ');
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line || line.startsWith('-')) continue;
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([A-Za-z0-9][A-Za-z0-9.+!_-]*)\s*(?:[;\s].*)?$/.exec(line);
    if (m && !m[2]!.includes('*')) add(ctx, path, m[1]!, m[2]!);
  }
}

export function pythonCataloger(): Cataloger {
  const wanted = (p: string) => isInstalledMetadata(p) || isPythonLockfile(p);
  return {
    id: 'python',
    version: 2,
    wants: (path: string, _entry: EntryMeta) => wanted(path),
    catalog(files: FileView): CatalogResult {
      const ctx: Ctx = { files, packages: [], warnings: [] };
      for (const path of matchingFiles(files, wanted)) {
        const buf = files.read(path);
        if (!buf) continue;
        if (isInstalledMetadata(path)) {
          catalogMetadata(ctx, path, buf);
          continue;
        }
        const base = basename(path);
        if (base === 'Pipfile.lock') {
          catalogPipfileLock(ctx, path, buf);
          continue;
        }
        const text = base === 'poetry.lock' ? decodeText(buf) : decodeTextBom(buf);
        if (text === undefined) {
          ctx.warnings.push({ path, message: `${base}: not UTF-8 text` });
          continue;
        }
        if (base === 'poetry.lock') catalogPoetry(ctx, path, text);
        else catalogRequirements(ctx, path, text);
      }
      return { packages: sortPackages(dedupe(ctx.packages)), warnings: sortWarnings(ctx.warnings) };
    },
  };
}
