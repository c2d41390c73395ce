/** OSV ecosystem names → shipshape namespaces and version schemes, and each ecosystem's package-name normaliser. */

export interface EcosystemInfo {
  /** The ecosystem as OSV spells it: https://ossf.github.io/osv-schema/#affectedpackage-field */
  osv: string;
  /** Advisory namespace: the lowercase OSV name. */
  namespace: string;
  /** Comparator id (src/version) that orders this ecosystem's versions. */
  scheme: string;
}

/** The language ecosystems shipshape matches; anything else in a feed is skipped (and counted). */
export const ECOSYSTEMS: readonly EcosystemInfo[] = [
  { osv: 'npm', namespace: 'npm', scheme: 'semver' },
  { osv: 'PyPI', namespace: 'pypi', scheme: 'pep440' },
  { osv: 'Go', namespace: 'go', scheme: 'go' },
  { osv: 'Maven', namespace: 'maven', scheme: 'maven' },
  { osv: 'crates.io', namespace: 'crates.io', scheme: 'cargo' },
  { osv: 'RubyGems', namespace: 'rubygems', scheme: 'gem' },
  { osv: 'Packagist', namespace: 'packagist', scheme: 'composer' },
  { osv: 'NuGet', namespace: 'nuget', scheme: 'nuget' },
];

const byOsv = new Map(ECOSYSTEMS.map((e) => [e.osv, e]));
const byNamespace = new Map(ECOSYSTEMS.map((e) => [e.namespace, e]));

/**
 * The ecosystem of an OSV `package.ecosystem` value. OSV allows a suffix after a colon
 * (`Debian:11`, `Maven:https://repo...`); the part before it names the ecosystem.
 */
export function ecosystemFromOsv(ecosystem: string): EcosystemInfo | undefined {
  const base = ecosystem.split(':', 1)[0] ?? ecosystem;
  return byOsv.get(base);
}

export function ecosystemFromNamespace(namespace: string): EcosystemInfo | undefined {
  return byNamespace.get(namespace);
}

/**
 * The name advisories are keyed on, so that a feed and a cataloger spelling a name differently
 * still meet: PyPI per PEP 503 (`Foo_Bar.baz` → `foo-bar-baz`); Maven `group:artifact` with
 * whitespace removed; NuGet ids are case-insensitive (lowercased); Packagist `vendor/package` is
 * lowercase by rule; others are kept as they are (npm, Go module paths, crates and gems are
 * case-sensitive or already canonical). The matcher must call this on installed package names.
 */
export function normalizePackageName(namespace: string, name: string): string {
  const n = name.trim();
  switch (namespace) {
    case 'pypi':
      return n.replace(/[-_.]+/g, '-').toLowerCase();
    case 'maven':
      return n.replace(/\s+/g, '');
    case 'nuget':
    case 'packagist':
      return n.toLowerCase();
    default:
      return n;
  }
}
