/**
 * Java archive cataloger: .jar/.war/.ear/.jpi/.hpi files and the archives nested in them. Per
 * archive: every META-INF/maven/**\/pom.properties (a shaded jar reports each embedded artifact);
 * without any, META-INF/MANIFEST.MF; without a usable manifest, the file name (name-1.2.3.jar).
 */
import type yauzl from 'yauzl';
import type { EntryMeta, FileView } from '../../image/types.js';
import type { Package, Warning } from '../../model/index.js';
import { basename, decodeText, locationOf, matchingFiles, matchingLinks, sortPackages, sortWarnings } from '../lang-support.js';
import { purl } from '../purl.js';
import type { CatalogResult, Cataloger } from '../types.js';
import { openZip, type ZipBudget } from './zip.js';

export const JAVA_ARCHIVE = /\.(jar|war|ear|jpi|hpi)$/i;

/** Limits, documented in docs/language-packages.md. Archives are held in memory while scanned. */
export const JAVA_LIMITS = {
  /** Archives bigger than this on disk are not read at all. */
  maxArchiveFile: 256 * 1024 * 1024,
  /** Uncompressed bytes read per top-level archive, nested archives included. */
  maxArchiveBytes: 512 * 1024 * 1024,
  /** One nested archive. */
  maxNestedBytes: 128 * 1024 * 1024,
  /** One MANIFEST.MF or pom.properties. */
  maxTextBytes: 1024 * 1024,
  maxEntries: 100_000,
  /** Nesting depth: an ear holding a war holding jars is depth 2. */
  maxDepth: 4,
};

export interface MavenCoordinates {
  groupId?: string;
  artifactId: string;
  version: string;
  /** From a manifest or file name, not a pom.properties, for the outer archive itself. */
  guessed?: boolean;
}

function fileNameCoordinates(file: string): MavenCoordinates | undefined {
  const f = parseFileName(file);
  return f.version ? { artifactId: f.name, version: f.version } : undefined;
}

const MAVEN_REPO = '/usr/share/maven-repo/';

/**
 * Debian states the Maven coordinates of the jars it packages with links
 * /usr/share/maven-repo/<group path>/<artifact>/<version>/<artifact>-<version>.jar → /usr/share/java/x.jar
 * (https://wiki.debian.org/Java/MavenRepoSpec). Map: resolved jar path → the coordinates linked to it.
 */
export function debianMavenLinks(files: FileView): Map<string, MavenCoordinates[]> {
  const out = new Map<string, MavenCoordinates[]>();
  for (const p of matchingLinks(files, (q) => q.startsWith(MAVEN_REPO) && q.endsWith('.jar'))) {
    const parts = p.slice(MAVEN_REPO.length).split('/');
    if (parts.length < 4) continue;
    const [artifactId, version, file] = parts.slice(-3) as [string, string, string];
    if (file !== `${artifactId}-${version}.jar`) continue;
    const target = files.resolve(p);
    if (!target) continue;
    const c: MavenCoordinates = { groupId: parts.slice(0, -3).join('.'), artifactId, version };
    out.set(target, [...(out.get(target) ?? []), c]);
  }
  return out;
}

/** Java .properties as written by Maven: `key=value` lines, `#` comments. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!.trim());
  }
  return out;
}

/**
 * The version a pom.xml gives its project: the `<version>` child of `<project>`, else its
 * `<parent>`'s (Maven inherits it); undefined when neither is there or it is a `${property}`.
 * Not an XML parser: comments and the sections that hold other artifacts' versions are cut first.
 */
export function pomXmlVersion(xml: string): string | undefined {
  let s = cutBetween(xml, '<!--', '-->');
  const p0 = s.indexOf('<parent>');
  const p1 = p0 < 0 ? -1 : s.indexOf('</parent>', p0);
  const parent = p1 < 0 ? undefined : s.slice(p0, p1);
  for (const section of ['parent', 'dependencyManagement', 'dependencies', 'build', 'profiles', 'reporting', 'plugins', 'modules'])
    s = cutBetween(s, `<${section}>`, `</${section}>`);
  const version = (t: string) => /<version>\s*([^<\s]+)\s*<\/version>/.exec(t)?.[1];
  const v = version(s) ?? (parent ? version(parent) : undefined);
  return v && !v.includes('${') ? v : undefined;
}

/** `text` without every `open`…`close` span (an unclosed one runs to the end). One pass: linear in the text, whatever it holds. */
function cutBetween(text: string, open: string, close: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const i = text.indexOf(open, at);
    if (i < 0) return out + text.slice(at);
    out += text.slice(at, i);
    const j = text.indexOf(close, i + open.length);
    if (j < 0) return out;
    at = j + close.length;
  }
}

/** The main section of a JAR manifest: `Key: value` with 1-space continuation lines. */
export function parseManifest(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break; // per-entry sections follow
    if (line.startsWith(' ') && last) {
      out.set(last, out.get(last)! + line.slice(1));
      continue;
    }
    const i = line.indexOf(':');
    if (i <= 0) continue;
    last = line.slice(0, i).trim();
    out.set(last, line.slice(i + 1).trim());
  }
  return out;
}

/**
 * `commons-lang3-3.12.0.jar` → commons-lang3 / 3.12.0: the artifact is what precedes the first
 * `-<digit>`, Maven's own naming. Debian's `log4j-1.2-1.2.17.jar` → log4j-1.2 / 1.2.17 when the
 * version is known from elsewhere (see artifactFromFileName).
 */
export function parseFileName(file: string): { name: string; version?: string } {
  const base = basename(file).replace(JAVA_ARCHIVE, '');
  const m = /^(.+?)-(\d[\w.+~-]*)$/.exec(base);
  return m ? { name: m[1]!, version: m[2]! } : { name: base };
}

/**
 * The artifact name a file name gives when the version is known: the file name minus `-<version>`,
 * minus a Debian-style `-MAJOR.MINOR` API suffix that is a prefix of the version (log4j-1.2-1.2.17).
 */
export function artifactFromFileName(file: string, version: string): string | undefined {
  const base = basename(file).replace(JAVA_ARCHIVE, '');
  if (!base.endsWith(`-${version}`)) return undefined;
  let name = base.slice(0, -(version.length + 1));
  const api = /^(.+)-(\d+(?:\.\d+)*)$/.exec(name);
  if (api && version.startsWith(`${api[2]}.`)) name = api[1]!;
  return name || undefined;
}

export function fromManifest(mf: Map<string, string>, file: string): MavenCoordinates | undefined {
  // A Jenkins plugin (.hpi/.jpi) states its Maven coordinates: Group-Id, Short-Name (the
  // artifactId), Plugin-Version (https://www.jenkins.io/doc/developer/plugin-development/).
  const pluginVersion = mf.get('Plugin-Version');
  const shortName = mf.get('Short-Name') || mf.get('Extension-Name');
  if (pluginVersion && shortName) {
    const group = mf.get('Group-Id') || mf.get('Implementation-Vendor-Id');
    return { artifactId: shortName, version: pluginVersion, ...(group ? { groupId: group } : {}) };
  }
  const version = mf.get('Implementation-Version') || mf.get('Bundle-Version') || mf.get('Specification-Version');
  if (!version) return undefined;
  const symbolic = mf.get('Bundle-SymbolicName')?.split(';')[0]?.trim();
  // maven-jar-plugin writes the groupId as Implementation-Vendor-Id.
  const group = mf.get('Implementation-Vendor-Id');
  let artifactId =
    artifactFromFileName(file, version) ||
    (parseFileName(file).version ? parseFileName(file).name : undefined) ||
    mf.get('Implementation-Title') ||
    symbolic ||
    parseFileName(file).name;
  // OSGi bundle pools and flattened caches name jars `<group>.<artifact>-<version>.jar`
  // (com.fasterxml.jackson.core.jackson-core-2.15.2.jar): the manifest's group is not part of the artifact.
  if (group && artifactId.startsWith(`${group}.`) && artifactId.length > group.length + 1) artifactId = artifactId.slice(group.length + 1);
  const c: MavenCoordinates = { artifactId, version };
  if (group) c.groupId = group;
  return c;
}

export function mavenPackage(c: MavenCoordinates, location: Package['locations'][number]): Package {
  return {
    name: c.groupId ? `${c.groupId}:${c.artifactId}` : c.artifactId,
    version: c.version,
    type: 'maven',
    purl: purl('maven', c.groupId, c.artifactId, c.version),
    locations: [location],
  };
}

export type JavaLimits = typeof JAVA_LIMITS;

interface ArchiveCtx {
  limits: JavaLimits;
  /** The archive file in the image: every package found in it or in nested archives points here. */
  path: string;
  warnings: Warning[];
  budget: ZipBudget;
}

/** Message prefix naming the nested archive (`WEB-INF/lib/a.jar: `), empty for the file itself. */
function where(ctx: ArchiveCtx, name: string): string {
  return name === ctx.path ? '' : `${name.slice(ctx.path.length + 1)}: `;
}

/** Coordinates found in one archive (and, recursively, the archives inside it). `name` is its path for messages. */
async function scanArchive(ctx: ArchiveCtx, buf: Buffer, name: string, depth: number): Promise<MavenCoordinates[]> {
  let zip;
  try {
    zip = await openZip(buf, { maxEntries: ctx.limits.maxEntries, maxEntryBytes: ctx.limits.maxNestedBytes });
  } catch (err) {
    ctx.warnings.push({ path: ctx.path, message: `${where(ctx, name)}bad zip: ${(err as Error).message}` });
    return [];
  }
  const out: MavenCoordinates[] = [];
  try {
    const readText = async (e: yauzl.Entry): Promise<string | undefined> => {
      try {
        const t = decodeText(await zip.read(e, ctx.limits.maxTextBytes, ctx.budget));
        if (t === undefined) ctx.warnings.push({ path: ctx.path, message: `${where(ctx, name)}${e.fileName}: not UTF-8 text` });
        return t;
      } catch (err) {
        ctx.warnings.push({ path: ctx.path, message: `${where(ctx, name)}${e.fileName}: ${(err as Error).message}` });
        return undefined;
      }
    };
    const poms = zip.entries.filter((e) => /^META-INF\/maven\/.+\/pom\.properties$/.test(e.fileName)).sort(byName);
    for (const e of poms) {
      const text = await readText(e);
      if (text === undefined) continue;
      const p = parseProperties(text);
      const artifactId = p.get('artifactId');
      const version = p.get('version');
      if (!artifactId || !version) {
        ctx.warnings.push({ path: ctx.path, message: `${where(ctx, name)}${e.fileName}: no artifactId or version` });
        continue;
      }
      const c: MavenCoordinates = { artifactId, version };
      const g = p.get('groupId');
      if (g) c.groupId = g;
      out.push(c);
    }
    const mfEntry = out.length === 0 ? zip.entries.find((e) => e.fileName === 'META-INF/MANIFEST.MF') : undefined;
    const mfText = mfEntry && (await readText(mfEntry));
    if (out.length === 0) {
      // Without pom.properties (Gradle's maven-publish writes only the pom.xml), the pom.xml's path
      // names group and artifact as Maven lays them out; the version is the pom's, else the manifest's.
      const xmls = zip.entries.filter((e) => /^META-INF\/maven\/[^/]+\/[^/]+\/pom\.xml$/.test(e.fileName)).sort(byName);
      const mfVersion = mfText ? parseManifest(mfText).get('Implementation-Version') : undefined;
      for (const e of xmls) {
        const [, , groupId, artifactId] = e.fileName.split('/') as [string, string, string, string];
        const xml = await readText(e);
        const version = (xml && pomXmlVersion(xml)) || (xmls.length === 1 ? mfVersion : undefined);
        if (version) out.push({ groupId, artifactId, version });
      }
    }
    if (out.length === 0) {
      const text = mfText;
      const fromMf = text ? fromManifest(parseManifest(text), name) : undefined;
      const guessed = fromMf ?? fileNameCoordinates(name);
      // Only the outer archive's own guess can be corrected from Debian's maven-repo links.
      if (guessed) out.push(depth === 0 ? { ...guessed, guessed: true } : guessed);
    }
    const nested = zip.entries.filter((e) => JAVA_ARCHIVE.test(e.fileName) && !e.fileName.endsWith('/')).sort(byName);
    if (nested.length && depth >= ctx.limits.maxDepth) {
      ctx.warnings.push({ path: ctx.path, message: `${where(ctx, name)}archives nested deeper than ${ctx.limits.maxDepth} not read` });
    } else {
      for (const e of nested) {
        let inner: Buffer;
        try {
          inner = await zip.read(e, ctx.limits.maxNestedBytes, ctx.budget);
        } catch (err) {
          ctx.warnings.push({ path: ctx.path, message: `${where(ctx, name)}${e.fileName}: ${(err as Error).message}` });
          continue;
        }
        for (const p of await scanArchive(ctx, inner, `${name}!${e.fileName}`, depth + 1)) out.push(p);
      }
    }
  } finally {
    zip.close();
  }
  return out;
}

const byName = (a: yauzl.Entry, b: yauzl.Entry) => (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0);

/** `limits` overrides the defaults (tests use small ones). */
export function javaCataloger(limits: Partial<JavaLimits> = {}): Cataloger {
  const lim: JavaLimits = { ...JAVA_LIMITS, ...limits };
  return {
    id: 'java',
    version: 2,
    wants: (path: string, e: EntryMeta) => JAVA_ARCHIVE.test(path) && e.size <= lim.maxArchiveFile,
    async catalog(files: FileView): Promise<CatalogResult> {
      const packages: Package[] = [];
      const warnings: Warning[] = [];
      let linkMap: Map<string, MavenCoordinates[]> | undefined;
      const links = () => (linkMap ??= debianMavenLinks(files));
      for (const path of matchingFiles(files, (p) => JAVA_ARCHIVE.test(p))) {
        const buf = files.read(path);
        if (!buf) continue;
        const ctx: ArchiveCtx = { limits: lim, path, warnings, budget: { bytesLeft: lim.maxArchiveBytes } };
        const found = await scanArchive(ctx, buf, path, 0);
        const seen = new Set<string>();
        for (let c of found) {
          // A version-matching maven-repo link names the group and artifact the jar itself does not.
          const linked = c.guessed && !c.groupId ? links().get(path)?.find((l) => l.version === c.version) : undefined;
          if (linked) c = linked;
          const key = `${c.groupId ?? ''}:${c.artifactId}@${c.version}`;
          if (seen.has(key)) continue;
          seen.add(key);
          packages.push(mavenPackage(c, locationOf(files, path)));
        }
      }
      return { packages: sortPackages(packages), warnings: sortWarnings(warnings) };
    },
  };
}
