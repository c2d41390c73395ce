/** Reads package URLs (https://github.com/package-url/purl-spec) back into shipshape packages. */
import type { Package, PackageType } from '../model/index.js';

export interface ParsedPurl {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  qualifiers: Record<string, string>;
  subpath?: string;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // a stray % is kept as written rather than losing the package
  }
}

/** Parses `pkg:type/namespace/name@version?qualifiers#subpath`; undefined when it is not a purl. */
export function parsePurl(input: string): ParsedPurl | undefined {
  let s = input.trim();
  if (!/^pkg:/i.test(s)) return undefined;
  s = s.slice(4).replace(/^\/+/, '');
  let subpath: string | undefined;
  const hash = s.indexOf('#');
  if (hash >= 0) {
    subpath = decode(s.slice(hash + 1)) || undefined;
    s = s.slice(0, hash);
  }
  const qualifiers: Record<string, string> = {};
  const q = s.indexOf('?');
  if (q >= 0) {
    for (const pair of s.slice(q + 1).split('&')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const value = decode(pair.slice(eq + 1));
      if (value) qualifiers[pair.slice(0, eq).toLowerCase()] = value;
    }
    s = s.slice(0, q);
  }
  const slash = s.indexOf('/');
  if (slash <= 0) return undefined;
  const type = s.slice(0, slash).toLowerCase();
  let rest = s.slice(slash + 1).replace(/\/+$/, '');
  let version: string | undefined;
  // The version follows the last '@' after the last '/': an unencoded npm scope (`@babel/core`) is not one.
  const at = rest.lastIndexOf('@');
  if (at > rest.lastIndexOf('/')) {
    version = decode(rest.slice(at + 1)) || undefined;
    rest = rest.slice(0, at);
  }
  const segments = rest.split('/').filter(Boolean).map(decode);
  const name = segments.pop();
  if (!name) return undefined;
  const namespace = segments.length ? segments.join('/') : undefined;
  return { type, ...(namespace ? { namespace } : {}), name, ...(version ? { version } : {}), qualifiers, ...(subpath ? { subpath } : {}) };
}

const TYPES: Record<string, PackageType> = {
  apk: 'apk',
  deb: 'deb',
  rpm: 'rpm',
  npm: 'npm',
  pypi: 'python',
  golang: 'go-module',
  maven: 'maven',
  cargo: 'cargo',
  gem: 'gem',
  composer: 'composer',
  nuget: 'nuget',
};

/** The shipshape package type of a purl type, or undefined for types we do not match (generic, oci, github...). */
export function packageTypeOf(purlType: string): PackageType | undefined {
  return TYPES[purlType.toLowerCase()];
}

/** The package name as our catalogers spell it: npm `@scope/name`, Maven `group:artifact`, Go and Composer full paths. */
function nameOf(p: ParsedPurl, type: PackageType): string {
  const ns = p.namespace;
  switch (type) {
    case 'npm':
      return ns ? `${ns.startsWith('@') ? ns : `@${ns}`}/${p.name}` : p.name;
    case 'go-module':
    case 'composer':
      return ns ? `${ns}/${p.name}` : p.name;
    case 'maven':
      return ns ? `${ns}:${p.name}` : p.name;
    default:
      return p.name;
  }
}

/**
 * Syft writes a distro package's source as the `upstream` qualifier: `glibc` or `glibc@2.36-9`
 * (the source version only when it differs from the binary's).
 */
export function splitUpstream(upstream: string): { name: string; version?: string } {
  const at = upstream.indexOf('@');
  if (at <= 0) return { name: upstream };
  const version = upstream.slice(at + 1);
  return { name: upstream.slice(0, at), ...(version ? { version } : {}) };
}

/**
 * A package from a purl, or undefined when the purl's type is not one we match. `version` is the
 * SBOM's own version field, used when the purl has none.
 */
export function packageFromPurl(p: ParsedPurl, version?: string): Package | undefined {
  const type = packageTypeOf(p.type);
  if (!type) return undefined;
  let v = p.version ?? version;
  if (!v) return undefined;
  const name = nameOf(p, type);
  // Some tools write Go's toolchain as `pkg:golang/stdlib@go1.21.0`; the Go feeds say `1.21.0`.
  if (type === 'go-module' && name === 'stdlib' && /^go\d/.test(v)) v = v.slice(2);
  const pkg: Package = { name, version: v, type, purl: formatPurlBack(p), locations: [] };
  if (p.qualifiers.arch) pkg.arch = p.qualifiers.arch;
  if ((type === 'deb' || type === 'apk' || type === 'rpm') && p.qualifiers.upstream) {
    const up = splitUpstream(p.qualifiers.upstream);
    pkg.sourceName = up.name;
    if (up.version) pkg.sourceVersion = up.version;
  }
  return pkg;
}

/** The purl as given, normalised only by our parse: kept so reports can show it. */
function formatPurlBack(p: ParsedPurl): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  let s = `pkg:${p.type}/`;
  if (p.namespace) s += `${p.namespace.split('/').map(enc).join('/')}/`;
  s += enc(p.name);
  if (p.version) s += `@${enc(p.version)}`;
  const q = Object.keys(p.qualifiers)
    .sort()
    .map((k) => `${k}=${enc(p.qualifiers[k]!)}`);
  if (q.length) s += `?${q.join('&')}`;
  if (p.subpath) s += `#${p.subpath}`;
  return s;
}

/**
 * The OS a purl's `distro` qualifier names: `debian-12`, `alpine-3.10.9` (Syft, shipshape), or a
 * bare `3.18.4` (Trivy), whose distro is then the purl namespace.
 */
export function osFromDistro(p: ParsedPurl): { id: string; version: string } | undefined {
  const d = p.qualifiers.distro;
  if (!d) return undefined;
  const m = /^([a-z][a-z0-9._]*?)-(\d[\w.+~-]*)$/i.exec(d);
  if (m) return { id: m[1]!.toLowerCase(), version: m[2]! };
  if (/^\d/.test(d) && p.namespace) return { id: p.namespace.toLowerCase(), version: d };
  return undefined;
}
