/** Which advisory namespace, package name and version scheme a package is looked up by. */
import type { OsInfo, Package } from '../model/index.js';

export interface LookupKey {
  namespace: string;
  name: string;
  version: string;
  scheme: string;
}

/** The distro namespace of an OS release (`alpine:3.10`, `debian:12`), or null for a distro we have no feed for. */
export function osNamespace(os: OsInfo | null): string | null {
  if (!os) return null;
  const [major = '', minor] = os.versionId.split('.');
  switch (os.id) {
    case 'alpine':
      return minor === undefined ? null : `alpine:${major}.${minor}`;
    case 'debian':
      return major ? `debian:${major}` : null;
    default:
      return null;
  }
}

/** PEP 503 name normalisation: runs of -, _ and . become one -, lowercase. */
export function pep503(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/**
 * The key a package is matched by. OS packages are looked up by their source (dpkg) or origin (apk)
 * package, because distro feeds are keyed on those; language packages by their ecosystem.
 */
export function lookupKey(pkg: Package, os: OsInfo | null): LookupKey | null {
  switch (pkg.type) {
    case 'apk':
    case 'deb': {
      const ns = osNamespace(os);
      if (!ns) return null;
      return {
        namespace: ns,
        name: pkg.sourceName ?? pkg.name,
        version: pkg.sourceVersion ?? pkg.version,
        scheme: pkg.type,
      };
    }
    case 'npm':
      return { namespace: 'npm', name: pkg.name, version: pkg.version, scheme: 'semver' };
    case 'python':
      return { namespace: 'pypi', name: pep503(pkg.name), version: pkg.version, scheme: 'pep440' };
    case 'go-module':
      return { namespace: 'go', name: pkg.name, version: pkg.version, scheme: 'go' };
    case 'maven':
      return { namespace: 'maven', name: pkg.name, version: pkg.version, scheme: 'maven' };
    case 'cargo':
      return { namespace: 'crates.io', name: pkg.name, version: pkg.version, scheme: 'cargo' };
    case 'gem':
      return { namespace: 'rubygems', name: pkg.name, version: pkg.version, scheme: 'gem' };
    case 'composer':
      return { namespace: 'packagist', name: pkg.name.toLowerCase(), version: pkg.version, scheme: 'composer' };
    case 'nuget':
      return { namespace: 'nuget', name: pkg.name.toLowerCase(), version: pkg.version, scheme: 'nuget' };
    default:
      return null;
  }
}
