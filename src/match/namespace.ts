/** Which advisory namespace, package name and version scheme a package is looked up by. */
import { ecosystemFromNamespace, normalizePackageName } from '../feeds/osv/ecosystems.js';
import type { OsInfo, Package, PackageType } from '../model/index.js';

export interface LookupKey {
  namespace: string;
  name: string;
  version: string;
  scheme: string;
}

/** The distro namespace of an OS release (`alpine:3.10`, `debian:12`), or null for a distro we have no feed for. */
export function osNamespace(os: OsInfo | null): string | null {
  if (!os) return null;
  const [major = '', minor] = os.version.split('.');
  switch (os.id) {
    case 'alpine':
      return minor === undefined ? null : `alpine:${major}.${minor}`;
    case 'debian':
      return major ? `debian:${major}` : null;
    case 'wolfi':
      // A rolling release: VERSION_ID is a build date, and one feed covers every image. Wolfi is
      // apk-based like Alpine, but its packages are its own: never looked up in Alpine's secdb.
      return 'wolfi:rolling';
    default:
      return null;
  }
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
    default: {
      // Packages built from local sources (path dependencies) are not the registry's releases.
      const ns = LANGUAGE_NAMESPACE[pkg.type];
      const eco = ns ? ecosystemFromNamespace(ns) : undefined;
      if (!eco || pkg.local) return null;
      return { namespace: eco.namespace, name: normalizePackageName(eco.namespace, pkg.name), version: pkg.version, scheme: eco.scheme };
    }
  }
}

/** Language package types → advisory namespace; the namespace's version scheme comes from the OSV ecosystem table. */
const LANGUAGE_NAMESPACE: Partial<Record<PackageType, string>> = {
  npm: 'npm',
  python: 'pypi',
  'go-module': 'go',
  maven: 'maven',
  cargo: 'crates.io',
  gem: 'rubygems',
  composer: 'packagist',
  nuget: 'nuget',
};
