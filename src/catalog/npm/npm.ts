/**
 * npm cataloger: installed packages (`node_modules/**\/package.json`) and lockfiles
 * (package-lock.json v1-v3, yarn.lock classic and berry, pnpm-lock.yaml v5/v6/v9).
 */
import { createRequire } from 'node:module';
import type * as YamlLib from 'yaml';
import type { EntryMeta, FileView } from '../../image/types.js';
import type { Package, Warning } from '../../model/index.js';
import {
  basename,
  decodeText,
  dedupe,
  dirname,
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

// yaml (CommonJS) is loaded only when an image has a YAML lockfile: loading it costs a warm scan
// about as much as node's own start-up (docs/performance.md).
let yamlLib: typeof YamlLib | undefined;
function yaml(): typeof YamlLib {
  return (yamlLib ??= createRequire(import.meta.url)('yaml') as typeof YamlLib);
}

/**
 * Every document of a YAML stream (pnpm ≥ 10 writes its own environment lockfile as a first
 * document before the project's), each parsed whole; the first error is thrown.
 */
function parseYamlDocuments(text: string): unknown[] {
  return yaml()
    .parseAllDocuments(text, YAML_STRINGS)
    .map((d) => {
      if (d.errors.length) throw d.errors[0]!;
      return d.toJS() as unknown;
    });
}

const LOCKFILES = new Set(['package-lock.json', 'yarn.lock', 'pnpm-lock.yaml']);
/**
 * Every scalar a string: `version: 1.10` must stay "1.10", not become the number 1.1. Yarn berry
 * writes a key twice when two descriptors resolve alike (Syft's yarn-berry fixture): the entries
 * are equal, so a repeated key is allowed rather than rejecting the whole file.
 */
const YAML_STRINGS = { schema: 'failsafe', uniqueKeys: false } as const;

/**
 * The package.json of an installed package: its directory is node_modules/<name> or
 * node_modules/@scope/<name>. This leaves out test fixtures nested inside packages
 * (node_modules/x/test/fixtures/package.json) and the project's own package.json.
 */
export function isInstalledManifest(path: string): boolean {
  if (!path.endsWith('/package.json')) return false; // cheap test first: called for every tar entry
  const parts = path.split('/');
  const n = parts.length;
  if (parts[n - 1] !== 'package.json' || n < 3) return false;
  if (parts[n - 3] === 'node_modules') return !parts[n - 2]!.startsWith('.') && !parts[n - 2]!.startsWith('@');
  return n >= 4 && parts[n - 4] === 'node_modules' && parts[n - 3]!.startsWith('@');
}

/** A project lockfile; lockfiles shipped inside installed packages describe nothing installed. */
export function isLockfile(path: string): boolean {
  return LOCKFILES.has(basename(path)) && !path.includes('/node_modules/');
}

export function npmPurl(name: string, version: string): string {
  if (name.startsWith('@') && name.includes('/')) {
    const i = name.indexOf('/');
    return purl('npm', name.slice(0, i), name.slice(i + 1), version);
  }
  return purl('npm', undefined, name, version);
}

function licensesOf(pkg: Record<string, unknown>): string[] | undefined {
  const out: string[] = [];
  const one = (l: unknown) => {
    const s = str(l) ?? (isRecord(l) ? str(l.type) : undefined);
    if (s) out.push(s);
  };
  one(pkg.license);
  if (Array.isArray(pkg.licenses)) pkg.licenses.forEach(one);
  else one(pkg.licenses);
  return out.length ? out : undefined;
}

interface Ctx {
  files: FileView;
  packages: Package[];
  warnings: Warning[];
}

function add(ctx: Ctx, path: string, name: string, version: string, licenses?: string[], dev?: boolean): void {
  const p: Package = { name, version, type: 'npm', purl: npmPurl(name, version), locations: [locationOf(ctx.files, path)] };
  if (licenses) p.licenses = licenses;
  if (dev) p.dev = true;
  ctx.packages.push(p);
}

/** `npm:case@1.6.3` (an alias's version in a v1 package-lock) → the real name and version. */
export function npmAlias(version: string): { name: string; version: string } | undefined {
  if (!version.startsWith('npm:')) return undefined;
  const real = version.slice(4);
  const at = real.lastIndexOf('@');
  return at > 0 ? { name: real.slice(0, at), version: real.slice(at + 1) } : undefined;
}

function catalogManifest(ctx: Ctx, path: string, buf: Buffer): void {
  const parsed = parseJson(buf);
  if ('error' in parsed) return void ctx.warnings.push({ path, message: `package.json: ${parsed.error}` });
  const pkg = parsed.value;
  if (!isRecord(pkg)) return void ctx.warnings.push({ path, message: 'package.json: not a JSON object' });
  const name = str(pkg.name);
  const version = str(pkg.version);
  // A package.json without name or version is legal (private packages): nothing to match on.
  if (!name || !version) return;
  add(ctx, path, name, version, licensesOf(pkg));
}

/** Name of a package from a package-lock `packages` key: the part after the last node_modules/. */
function nameFromLockPath(key: string): string | undefined {
  const i = key.lastIndexOf('node_modules/');
  return i < 0 ? undefined : key.slice(i + 'node_modules/'.length);
}

function catalogPackageLock(ctx: Ctx, path: string, buf: Buffer): void {
  const parsed = parseJson(buf);
  if ('error' in parsed) return void ctx.warnings.push({ path, message: `package-lock.json: ${parsed.error}` });
  const lock = parsed.value;
  if (!isRecord(lock)) return void ctx.warnings.push({ path, message: 'package-lock.json: not a JSON object' });
  if (isRecord(lock.packages)) {
    // v2/v3: a flat map keyed by install path; "" is the project itself, links point at workspaces.
    for (const [key, entry] of Object.entries(lock.packages)) {
      if (key === '' || !isRecord(entry) || entry.link === true) continue;
      const name = str(entry.name) ?? nameFromLockPath(key);
      const version = str(entry.version);
      // git and file versions name no registry release. `dev` only: `devOptional` packages are
      // also optional dependencies of the production tree, so a production install has them.
      if (name && version && /^\d/.test(version)) add(ctx, path, name, version, licensesOf(entry), entry.dev === true);
    }
    return;
  }
  if (isRecord(lock.dependencies)) {
    // v1: a tree of nested `dependencies`.
    // A package nested under a dev package is installed inside it: dev too, flagged or not.
    const walk = (deps: Record<string, unknown>, depth: number, parentDev: boolean) => {
      if (depth > 64) return;
      for (const [name, entry] of Object.entries(deps)) {
        if (!isRecord(entry)) continue;
        const raw = str(entry.version);
        // An alias names the real package in its version ("npm:case@1.6.3"); git deps carry a URL: skipped.
        const alias = raw ? npmAlias(raw) : undefined;
        const version = alias?.version ?? raw;
        const dev = parentDev || entry.dev === true;
        if (version && /^\d/.test(version)) add(ctx, path, alias?.name ?? name, version, undefined, dev);
        if (isRecord(entry.dependencies)) walk(entry.dependencies, depth + 1, dev);
      }
    };
    walk(lock.dependencies, 0, false);
    return;
  }
  if (lock.lockfileVersion === undefined)
    ctx.warnings.push({ path, message: 'package-lock.json: neither `packages` nor `dependencies` nor `lockfileVersion`' });
}

/** `name@range` → name, handling scopes and aliases `alias@npm:real@range` and `alias@npm:real` (no range). */
export function nameFromSpecifier(spec: string): string | undefined {
  const s = spec.trim().replace(/^["']|["']$/g, '');
  const at = s.indexOf('@', 1);
  if (at < 0) return undefined;
  const rest = s.slice(at + 1);
  if (rest.startsWith('npm:')) {
    const real = rest.slice(4);
    const at2 = real.indexOf('@', 1);
    return at2 > 0 ? real.slice(0, at2) : real || undefined;
  }
  return s.slice(0, at);
}

function catalogYarnLock(ctx: Ctx, path: string, buf: Buffer): void {
  const text = decodeText(buf);
  if (text === undefined) return void ctx.warnings.push({ path, message: 'yarn.lock: not UTF-8 text' });
  if (/^__metadata:/m.test(text)) return catalogYarnBerry(ctx, path, text);
  // Classic (v1): unindented "spec, spec:" headers, then indented `version "x"` lines.
  let current: string | undefined;
  let sawHeader = false;
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      if (!line.endsWith(':')) {
        ctx.warnings.push({ path, message: `yarn.lock: unexpected line: ${line.slice(0, 80)}` });
        return;
      }
      sawHeader = true;
      current = nameFromSpecifier(line.slice(0, -1).split(',')[0]!);
      continue;
    }
    // Field names may be quoted too (`"version" "3.6.0"`, as npm-converted lockfiles write them).
    const m = /^\s{2}"?version"?:?\s+"?([^"\s]+)"?\s*$/.exec(line);
    if (m && current) {
      add(ctx, path, current, m[1]!);
      current = undefined;
    }
  }
  if (!sawHeader && text.trim() !== '') ctx.warnings.push({ path, message: 'yarn.lock: no entries' });
}

function catalogYarnBerry(ctx: Ctx, path: string, text: string): void {
  let doc: unknown;
  try {
    doc = yaml().parse(text, YAML_STRINGS);
  } catch (err) {
    return void ctx.warnings.push({ path, message: `yarn.lock: bad YAML: ${(err as Error).message}` });
  }
  if (!isRecord(doc)) return void ctx.warnings.push({ path, message: 'yarn.lock: not a YAML map' });
  for (const [key, entry] of Object.entries(doc)) {
    if (key === '__metadata' || !isRecord(entry)) continue;
    const resolution = str(entry.resolution) ?? key.split(',')[0]!.trim();
    const version = str(entry.version);
    // Workspaces, links and local folders are the project's own code, not registry packages.
    if (/@(workspace|link|portal|file):/.test(resolution) || !version || version === '0.0.0-use.local') continue;
    const at = resolution.indexOf('@', 1);
    if (at < 0) continue;
    add(ctx, path, resolution.slice(0, at), version);
  }
}

/** A pnpm `packages` key → name and version, for lockfile v5 (/name/1.0.0_peer) and v6+ (/name@1.0.0(peer)). */
export function parsePnpmKey(key: string, major: number): { name: string; version: string } | undefined {
  let k = key.startsWith('/') ? key.slice(1) : key;
  k = k.replace(/\(.*$/, ''); // v6+ peer suffixes
  if (major >= 6) {
    const at = k.lastIndexOf('@');
    if (at <= 0) return undefined;
    return { name: k.slice(0, at), version: k.slice(at + 1) };
  }
  const slash = k.lastIndexOf('/');
  if (slash <= 0) return undefined;
  return { name: k.slice(0, slash), version: k.slice(slash + 1).replace(/_.*$/, '') };
}

function catalogPnpmLock(ctx: Ctx, path: string, buf: Buffer): void {
  const text = decodeText(buf);
  if (text === undefined) return void ctx.warnings.push({ path, message: 'pnpm-lock.yaml: not UTF-8 text' });
  let docs: unknown[];
  try {
    docs = parseYamlDocuments(text);
  } catch (err) {
    return void ctx.warnings.push({ path, message: `pnpm-lock.yaml: bad YAML: ${(err as Error).message}` });
  }
  const locks = docs.filter((d): d is Record<string, unknown> => isRecord(d) && d.lockfileVersion !== undefined);
  if (locks.length === 0) return void ctx.warnings.push({ path, message: 'pnpm-lock.yaml: no lockfileVersion' });
  for (const doc of locks) {
    const major = Number.parseInt(String(doc.lockfileVersion), 10);
    if (!isRecord(doc.packages)) continue;
    // pnpm ≥ 10 writes the lockfile of its own environment (the pnpm version the project pins,
    // config dependencies) as a document of its own: build tooling, so marked dev like devDependencies.
    const tooling = isEnvLockfile(doc);
    for (const [key, entry] of Object.entries(doc.packages)) {
      const fromKey = parsePnpmKey(key, Number.isNaN(major) ? 6 : major);
      const e = isRecord(entry) ? entry : {};
      const name = str(e.name) ?? fromKey?.name;
      const version = str(e.version) ?? fromKey?.version;
      // v5/v6 mark packages only the devDependencies need with `dev: true`.
      if (name && version && /^\d/.test(version)) add(ctx, path, name, version, undefined, tooling || e.dev === 'true');
    }
  }
}

/** pnpm's environment lockfile: importers with nothing but `configDependencies` and `packageManagerDependencies`. */
function isEnvLockfile(doc: Record<string, unknown>): boolean {
  if (!isRecord(doc.importers)) return false;
  const importers = Object.values(doc.importers);
  return (
    importers.length > 0 &&
    importers.every((i) => isRecord(i) && Object.keys(i).every((k) => k === 'configDependencies' || k === 'packageManagerDependencies'))
  );
}

/**
 * Dedupe rule: node_modules wins. A lockfile entry is dropped when the same name@version was found
 * installed under the lockfile's directory (its node_modules, at any depth): the lockfile only
 * describes that installed tree. Entries the tree lacks (not installed, or installed elsewhere) stay.
 */
function dropInstalled(lockPkgs: Package[], installed: Package[]): Package[] {
  const where = new Map<string, string[]>(); // name@version → package.json paths
  for (const ip of installed) {
    const k = `${ip.name}@${ip.version}`;
    where.set(k, [...(where.get(k) ?? []), ip.locations[0]!.path]);
  }
  return lockPkgs.filter((lp) => {
    const root = dirname(lp.locations[0]!.path);
    const prefix = `${root === '/' ? '' : root}/node_modules/`;
    return !(where.get(`${lp.name}@${lp.version}`) ?? []).some((p) => p.startsWith(prefix));
  });
}

export function npmCataloger(): Cataloger {
  return {
    id: 'npm',
    version: 2,
    wants: (path: string, _entry: EntryMeta) => isInstalledManifest(path) || isLockfile(path),
    catalog(files: FileView): CatalogResult {
      const installed: Ctx = { files, packages: [], warnings: [] };
      const locked: Ctx = { files, packages: [], warnings: installed.warnings };
      for (const path of matchingFiles(files, (p) => isInstalledManifest(p) || isLockfile(p))) {
        const buf = files.read(path);
        if (!buf) continue;
        const base = basename(path);
        if (isInstalledManifest(path)) catalogManifest(installed, path, buf);
        else if (base === 'package-lock.json') catalogPackageLock(locked, path, buf);
        else if (base === 'yarn.lock') catalogYarnLock(locked, path, buf);
        else if (base === 'pnpm-lock.yaml') catalogPnpmLock(locked, path, buf);
      }
      const packages = sortPackages(dedupe([...installed.packages, ...dropInstalled(locked.packages, installed.packages)]));
      return { packages, warnings: sortWarnings(installed.warnings) };
    },
  };
}
