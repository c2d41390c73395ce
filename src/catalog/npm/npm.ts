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

/** A project's own package.json (not an installed package's): yarn.lock's dev dependencies come from it. */
export function isProjectManifest(path: string): boolean {
  return path.endsWith('/package.json') && !path.includes('/node_modules/');
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

/** One yarn.lock entry: the descriptors (`name@range`) it resolves, what it reports, what it depends on. */
interface YarnEntry {
  descriptors: string[];
  /** Undefined for entries that are not registry packages (workspaces, links). */
  pkg?: { name: string; version: string };
  deps: Array<[name: string, range: string]>;
}

const unquote = (s: string) => s.trim().replace(/^"(.*)"$/, '$1');

/** Yarn classic (v1): unindented `"spec", "spec":` headers; indented fields; dependency blocks four deep. */
function parseYarnClassic(ctx: Ctx, path: string, text: string): YarnEntry[] | undefined {
  const entries: YarnEntry[] = [];
  let cur: (YarnEntry & { name?: string }) | undefined;
  let inDeps = false;
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      if (!line.endsWith(':')) {
        ctx.warnings.push({ path, message: `yarn.lock: unexpected line: ${line.slice(0, 80)}` });
        return undefined;
      }
      const descriptors = line.slice(0, -1).split(',').map(unquote);
      const name = nameFromSpecifier(descriptors[0]!);
      cur = { descriptors, deps: [], ...(name ? { name } : {}) };
      entries.push(cur);
      inDeps = false;
      continue;
    }
    if (!cur) continue;
    if (/^ {4}\S/.test(line)) {
      const d = inDeps ? /^ {4}(?:"([^"]+)"|(\S+))\s+(?:"([^"]*)"|(\S+))\s*$/.exec(line) : null;
      if (d) cur.deps.push([d[1] ?? d[2]!, d[3] ?? d[4]!]);
      continue;
    }
    inDeps = /^ {2}"?(dependencies|optionalDependencies)"?:?\s*$/.test(line);
    // Field names may be quoted too (`"version" "3.6.0"`, as npm-converted lockfiles write them).
    const m = /^\s{2}"?version"?:?\s+"?([^"\s]+)"?\s*$/.exec(line);
    if (m && cur.name) cur.pkg = { name: cur.name, version: m[1]! };
  }
  if (entries.length === 0 && text.trim() !== '') ctx.warnings.push({ path, message: 'yarn.lock: no entries' });
  return entries;
}

function parseYarnBerry(ctx: Ctx, path: string, text: string): YarnEntry[] | undefined {
  let doc: unknown;
  try {
    doc = yaml().parse(text, YAML_STRINGS);
  } catch (err) {
    return void ctx.warnings.push({ path, message: `yarn.lock: bad YAML: ${(err as Error).message}` });
  }
  if (!isRecord(doc)) return void ctx.warnings.push({ path, message: 'yarn.lock: not a YAML map' });
  const entries: YarnEntry[] = [];
  for (const [key, entry] of Object.entries(doc)) {
    if (key === '__metadata' || !isRecord(entry)) continue;
    const deps: YarnEntry['deps'] = [];
    for (const field of ['dependencies', 'optionalDependencies']) {
      const d = entry[field];
      if (isRecord(d)) for (const [n, r] of Object.entries(d)) if (typeof r === 'string') deps.push([n, r]);
    }
    const e: YarnEntry = { descriptors: key.split(',').map(unquote), deps };
    entries.push(e);
    const resolution = str(entry.resolution) ?? e.descriptors[0]!;
    const version = str(entry.version);
    // Workspaces, links and local folders are the project's own code, not registry packages.
    if (/@(workspace|link|portal|file):/.test(resolution) || !version || version === '0.0.0-use.local') continue;
    const at = resolution.indexOf('@', 1);
    if (at > 0) e.pkg = { name: resolution.slice(0, at), version };
  }
  return entries;
}

/** A project's package.json: its dependency lists, by kind. */
export interface ProjectManifest {
  prod: Array<[string, string]>;
  dev: Array<[string, string]>;
}

export function parseProjectManifest(buf: Buffer): ProjectManifest | undefined {
  const parsed = parseJson(buf);
  if ('error' in parsed || !isRecord(parsed.value)) return undefined;
  const m = parsed.value;
  const list = (...fields: string[]) =>
    fields.flatMap((f) => (isRecord(m[f]) ? Object.entries(m[f]).filter((e): e is [string, string] => typeof e[1] === 'string') : []));
  return { prod: list('dependencies', 'optionalDependencies'), dev: list('devDependencies') };
}

/**
 * yarn.lock says nothing of dev: as Trivy and Syft do, the project's package.json beside it gives
 * the roots. An entry only devDependencies reach (and no production dependency) is dev; one that
 * neither reaches (workspace members' dependencies) stays production. Walked without recursion.
 */
function yarnDevEntries(entries: YarnEntry[], manifest: ProjectManifest): Set<YarnEntry> {
  const byDescriptor = new Map<string, YarnEntry>();
  for (const e of entries) for (const d of e.descriptors) byDescriptor.set(d, e);
  // Berry keys carry the protocol (`ms@npm:2.1.2`) that package.json and dependency ranges leave out.
  const find = (name: string, range: string) => byDescriptor.get(`${name}@${range}`) ?? byDescriptor.get(`${name}@npm:${range}`);
  const reach = (roots: Array<[string, string]>) => {
    const seen = new Set<YarnEntry>();
    const stack = roots.map(([n, r]) => find(n, r)).filter((e): e is YarnEntry => e !== undefined);
    while (stack.length) {
      const e = stack.pop()!;
      if (seen.has(e)) continue;
      seen.add(e);
      for (const [n, r] of e.deps) {
        const next = find(n, r);
        if (next && !seen.has(next)) stack.push(next);
      }
    }
    return seen;
  };
  const prod = reach(manifest.prod);
  return new Set([...reach(manifest.dev)].filter((e) => !prod.has(e)));
}

function catalogYarnLock(ctx: Ctx, path: string, buf: Buffer, manifest: ProjectManifest | undefined): void {
  const text = decodeText(buf);
  if (text === undefined) return void ctx.warnings.push({ path, message: 'yarn.lock: not UTF-8 text' });
  const entries = /^__metadata:/m.test(text) ? parseYarnBerry(ctx, path, text) : parseYarnClassic(ctx, path, text);
  if (!entries) return;
  const dev = manifest ? yarnDevEntries(entries, manifest) : new Set<YarnEntry>();
  for (const e of entries) if (e.pkg) add(ctx, path, e.pkg.name, e.pkg.version, undefined, dev.has(e));
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
    const devOnly = pnpmV9DevOnly(doc);
    for (const [key, entry] of Object.entries(doc.packages)) {
      const fromKey = parsePnpmKey(key, Number.isNaN(major) ? 6 : major);
      const e = isRecord(entry) ? entry : {};
      const name = str(e.name) ?? fromKey?.name;
      const version = str(e.version) ?? fromKey?.version;
      // v5/v6 mark packages only the devDependencies need with `dev: true`; v9 leaves it to the graph.
      // A v9 key is `name@version` or, for tarballs and git, `name@<url>` with the version as a field.
      const dev = tooling || e.dev === 'true' || devOnly.has(key.replace(/\(.*$/, ''));
      if (name && version && /^\d/.test(version)) add(ctx, path, name, version, undefined, dev);
    }
  }
}

/**
 * pnpm v9 has no dev flag: the importers' dependency lists are the roots and `snapshots` the graph
 * (`name@version(peers)` → its dependencies). The `name@version` reached from devDependencies
 * only (no variant from a production root) are dev. Walked without recursion.
 */
function pnpmV9DevOnly(doc: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  if (!isRecord(doc.importers) || !isRecord(doc.snapshots)) return out;
  const snapshots = doc.snapshots;
  const roots = (fields: string[]) => {
    const keys: string[] = [];
    for (const imp of Object.values(doc.importers as Record<string, unknown>)) {
      if (!isRecord(imp)) continue;
      for (const f of fields) {
        const deps = imp[f];
        if (!isRecord(deps)) continue;
        for (const [n, d] of Object.entries(deps)) {
          const v = isRecord(d) ? str(d.version) : str(d);
          if (v) keys.push(`${n}@${v}`);
        }
      }
    }
    return keys;
  };
  const reach = (start: string[]) => {
    const seen = new Set<string>();
    const stack = [...start];
    while (stack.length) {
      const k = stack.pop()!;
      if (seen.has(k) || !isRecord(snapshots[k])) continue;
      seen.add(k);
      const s = snapshots[k] as Record<string, unknown>;
      for (const f of ['dependencies', 'optionalDependencies']) {
        const deps = s[f];
        if (isRecord(deps)) for (const [n, v] of Object.entries(deps)) if (typeof v === 'string') stack.push(`${n}@${v}`);
      }
    }
    return seen;
  };
  const plain = (k: string) => k.replace(/\(.*$/, '');
  const prod = new Set([...reach(roots(['dependencies', 'optionalDependencies']))].map(plain));
  for (const k of reach(roots(['devDependencies']))) if (!prod.has(plain(k))) out.add(plain(k));
  return out;
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

/** What the cataloger reads (one function, so a shared base's matches can be remembered by it). */
const installedOrLock = (p: string) => isInstalledManifest(p) || isLockfile(p);

export function npmCataloger(): Cataloger {
  return {
    id: 'npm',
    version: 2,
    wants: (path: string, _entry: EntryMeta) => isInstalledManifest(path) || isLockfile(path) || isProjectManifest(path),
    catalog(files: FileView): CatalogResult {
      const installed: Ctx = { files, packages: [], warnings: [] };
      const locked: Ctx = { files, packages: [], warnings: installed.warnings };
      const project = (lockPath: string) => {
        const dir = dirname(lockPath);
        const buf = files.read(`${dir === '/' ? '' : dir}/package.json`);
        return buf ? parseProjectManifest(buf) : undefined;
      };
      for (const path of matchingFiles(files, installedOrLock)) {
        const buf = files.read(path);
        if (!buf) continue;
        const base = basename(path);
        if (isInstalledManifest(path)) catalogManifest(installed, path, buf);
        else if (base === 'package-lock.json') catalogPackageLock(locked, path, buf);
        else if (base === 'yarn.lock') catalogYarnLock(locked, path, buf, project(path));
        else if (base === 'pnpm-lock.yaml') catalogPnpmLock(locked, path, buf);
      }
      const packages = sortPackages(dedupe([...installed.packages, ...dropInstalled(locked.packages, installed.packages)]));
      return { packages, warnings: sortWarnings(installed.warnings) };
    },
  };
}
