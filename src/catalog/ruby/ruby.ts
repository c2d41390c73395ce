/**
 * Ruby cataloger: installed gems (`specifications/*.gemspec`, the Ruby DSL RubyGems writes) and
 * Gemfile.lock files (GEM, GIT and PATH sections).
 */
import type { EntryMeta, FileView } from '../../image/types.js';
import type { Package, Warning } from '../../model/index.js';
import { basename, decodeText, locationOf, matchingFiles, sortPackages, sortWarnings } from '../lang-support.js';
import { purl } from '../purl.js';
import type { CatalogResult, Cataloger } from '../types.js';

export const isGemspec = (p: string) => /\/specifications\/[^/]+\.gemspec$/.test(p);
/** A project's Gemfile.lock; gems often ship theirs (gems/<name>-<version>/Gemfile.lock): not installed. */
const isGemfileLock = (p: string) => basename(p) === 'Gemfile.lock' && !/\/gems\/[^/]+-\d[^/]*\/Gemfile\.lock$/.test(p) && !/\/bundler\/gems\//.test(p);

interface Ctx {
  files: FileView;
  packages: Package[];
  warnings: Warning[];
}

function add(ctx: Ctx, path: string, name: string, version: string, opts: { licenses?: string[]; local?: boolean } = {}): void {
  const p: Package = { name, version, type: 'gem', purl: purl('gem', undefined, name, version), locations: [locationOf(ctx.files, path)] };
  if (opts.licenses?.length) p.licenses = opts.licenses;
  if (opts.local) p.local = true;
  ctx.packages.push(p);
}

// A quoted Ruby string, optionally frozen: "x", 'x', "x".freeze
const Q = String.raw`["']([^"']*)["'](?:\.freeze)?`;

/**
 * Name, version and licences from a gemspec written by RubyGems:
 *   s.name = "rack".freeze
 *   s.version = "2.2.4"          (or Gem::Version.new("2.2.4"))
 *   s.licenses = ["MIT".freeze]  (or s.license = "MIT")
 * The receiver is whatever the block names it (s, spec, gem).
 */
export function parseGemspec(text: string): { name?: string; version?: string; licenses: string[] } {
  const name = new RegExp(String.raw`^\s*\w+\.name\s*=\s*${Q}`, 'm').exec(text)?.[1];
  const version = new RegExp(String.raw`^\s*\w+\.version\s*=\s*(?:Gem::Version\.(?:new|create)\(\s*)?${Q}`, 'm').exec(text)?.[1];
  const licenses: string[] = [];
  const list = /^\s*\w+\.licenses\s*=\s*\[([^\]]*)\]/m.exec(text)?.[1];
  if (list) for (const m of list.matchAll(/["']([^"']+)["']/g)) licenses.push(m[1]!);
  const one = new RegExp(String.raw`^\s*\w+\.license\s*=\s*${Q}`, 'm').exec(text)?.[1];
  if (one && !licenses.length) licenses.push(one);
  return { name: name?.trim() || undefined, version: version?.trim() || undefined, licenses };
}

function catalogGemspec(ctx: Ctx, path: string, buf: Buffer): void {
  const text = decodeText(buf);
  if (text === undefined) return void ctx.warnings.push({ path, message: 'gemspec: not UTF-8 text' });
  const g = parseGemspec(text);
  if (!g.name || !g.version) return void ctx.warnings.push({ path, message: 'gemspec: no name or version assignment' });
  add(ctx, path, g.name, g.version, { licenses: g.licenses });
}

/** `1.13.10-x86_64-linux` → `1.13.10`: the platform is not part of the version advisories name. */
export function stripPlatform(v: string): string {
  return v.replace(/-(x86|x64|i[3-6]86|aarch64|arm|java|jruby|universal|mswin|mingw|x86_64|darwin|linux|freebsd|solaris|wasm)[\w.-]*$/, '');
}

/**
 * Gemfile.lock: in each GEM, GIT or PATH section, the gems are the `    name (version)` lines
 * (four spaces) under `  specs:`; six-space lines are their dependency constraints.
 */
function catalogGemfileLock(ctx: Ctx, path: string, buf: Buffer): void {
  const text = decodeText(buf);
  if (text === undefined) return void ctx.warnings.push({ path, message: 'Gemfile.lock: not UTF-8 text' });
  let section: string | undefined;
  let inSpecs = false;
  let sawSection = false;
  for (const line of text.split(/\r?\n/)) {
    // Any unindented line opens a section (`BUNDLED WITH`, `BAD-SECTION`): specs end with theirs.
    if (/^\S/.test(line)) {
      section = line.trim();
      inSpecs = false;
      if (section === 'GEM' || section === 'GIT' || section === 'PATH') sawSection = true;
      continue;
    }
    if (line === '  specs:') {
      inSpecs = true;
      continue;
    }
    if (!inSpecs || (section !== 'GEM' && section !== 'GIT' && section !== 'PATH')) continue;
    const m = /^ {4}([^\s(]+) \(([^)]+)\)$/.exec(line);
    if (m) add(ctx, path, m[1]!, stripPlatform(m[2]!), { local: section === 'PATH' });
  }
  if (!sawSection && text.trim() !== '') ctx.warnings.push({ path, message: 'Gemfile.lock: no GEM, GIT or PATH section' });
}

export function rubyCataloger(): Cataloger {
  const wanted = (p: string) => isGemspec(p) || isGemfileLock(p);
  return {
    id: 'ruby',
    version: 2,
    wants: (path: string, _e: EntryMeta) => wanted(path),
    catalog(files: FileView): CatalogResult {
      const ctx: Ctx = { files, packages: [], warnings: [] };
      for (const path of matchingFiles(files, wanted)) {
        const buf = files.read(path);
        if (!buf) continue;
        if (isGemspec(path)) catalogGemspec(ctx, path, buf);
        else catalogGemfileLock(ctx, path, buf);
      }
      return { packages: sortPackages(ctx.packages), warnings: sortWarnings(ctx.warnings) };
    },
  };
}
