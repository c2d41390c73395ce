/** Plain data types shared by every area: packages, advisories, findings, reports. */

export const SEVERITIES = ['unknown', 'negligible', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Orders severities: critical is highest; unknown sorts below negligible. */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export function parseSeverity(s: string): Severity | undefined {
  const v = s.trim().toLowerCase();
  return (SEVERITIES as readonly string[]).includes(v) ? (v as Severity) : undefined;
}

/** Where a package (or file) was found: the layer that last wrote it and its path in the image. */
export interface Location {
  layer: string; // layer blob digest (sha256:...)
  path: string; // absolute path inside the image, e.g. /var/lib/dpkg/status
}

/** Package types: one per cataloger family. Issue "Scan core" adds apk and deb. */
export type PackageType =
  | 'apk'
  | 'deb'
  | 'rpm'
  | 'npm'
  | 'python'
  | 'go-module'
  | 'maven'
  | 'cargo'
  | 'gem'
  | 'composer'
  | 'nuget';

export interface Package {
  name: string;
  version: string;
  type: PackageType;
  arch?: string;
  /** Source (dpkg) or origin (apk) package: what distro advisories are keyed on. */
  sourceName?: string;
  sourceVersion?: string;
  licenses?: string[];
  purl?: string;
  locations: Location[];
  /**
   * Built from local sources (a Cargo path dependency, a Bundler PATH gem), not from a public
   * registry: a registry advisory for the same name is most likely about another package.
   */
  local?: boolean;
  /**
   * A development dependency, as its lockfile says (package-lock `dev`, pnpm `dev`, Pipfile.lock
   * `develop`, composer.lock `packages-dev`, poetry `category = "dev"`): reported in the inventory,
   * left out of matching unless asked for (`--include-dev-deps`; docs/language-packages.md).
   */
  dev?: boolean;
}

export interface OsInfo {
  id: string; // os-release ID: alpine, debian, ubuntu, ...
  version: string; // os-release VERSION_ID: 3.10.9, 12
  name?: string; // PRETTY_NAME or NAME
  codename?: string; // VERSION_CODENAME
}

/** One affected range, OSV style. A range with only `introduced` means: every version since. */
export interface AffectedRange {
  introduced?: string; // '0' or absent = from the beginning
  fixed?: string;
  lastAffected?: string;
}

/** One advisory for one package in one namespace, normalised from any feed. */
export interface Advisory {
  id: string; // CVE-2019-14697, GHSA-..., DSA-... when no CVE
  aliases: string[]; // other ids naming the same flaw (DSA-5343-1, CVE-...)
  feed: string; // id of the feed it came from: alpine-secdb, debian-tracker
  namespace: string; // alpine:3.10, debian:11 (later npm, pypi, ...)
  package: string; // origin/source package name, as the feed names it
  scheme: string; // version comparator id: apk, deb, ...
  severity: Severity;
  ranges: AffectedRange[]; // empty + no versions = every version affected
  versions?: string[]; // explicit affected versions (OSV)
  /** Distro status when not simply fixed: e.g. 'unfixed', 'no-dsa', 'postponed'. */
  status?: string;
  title?: string;
  url?: string;
  /**
   * Version requirements in the scheme's own syntax, for feeds that publish requirements instead
   * of OSV events (nodejs-security-wg: npm ranges; rubysec: gem requirements). When present,
   * `ranges` is empty and `versions` absent, and the matcher uses this instead: a version is
   * affected when it satisfies `vulnerable` (if given) and none of `patched` and `unaffected`.
   * `patched` also names the fix for reports. See docs/osv.md.
   */
  requirements?: VersionRequirements;
}

export interface VersionRequirements {
  vulnerable?: string;
  patched?: string[];
  unaffected?: string[];
}

/** How a finding came about, in words and data a user can check. */
export interface MatchDetails {
  feed: string;
  namespace: string;
  /** The package name looked up in the feed (source/origin package for distros). */
  searchedBy: string;
  /** The version that was compared (source version for deb). */
  installedVersion: string;
  scheme: string;
  /** Human-readable rule, e.g. "1.1.22-r2 < 1.1.22-r3 (apk)". */
  rule: string;
}

export type FindingKind = 'vulnerability' | 'check' | 'lint';

/** A CVSS base score and the vector it was computed from, with whose score it is. */
export interface Cvss {
  /** `CVSS:3.1/AV:N/…`; v2 vectors have no prefix, as NVD writes them. */
  vector: string;
  score: number;
  /** 2.0 | 3.0 | 3.1 | 4.0 */
  version: string;
  /** Who scored it, as the feed names them: `nvd@nist.gov`, a CNA's address or id. */
  source: string;
}

/** The CVSS score of one CVE from a scoring feed (NVD), with the severity it implies. */
export interface CveScore {
  /** CVE-2019-14697 */
  id: string;
  cvss: Cvss;
  /** The qualitative rating of `cvss.score` (v2 has no critical band). */
  severity: Severity;
  /** The feed that gave it: `nvd`. */
  feed: string;
}

export interface Finding {
  kind: FindingKind;
  id: string;
  aliases: string[];
  severity: Severity;
  /**
   * Where the severity came from: the advisory's own feed (the vendor: `debian-tracker`,
   * `ghsa-npm`) first, else the scoring feed (`nvd`); absent when it is `unknown` or a check's.
   */
  severitySource?: string;
  /** The CVSS score of the flaw (from the scoring feed), when there is one. */
  cvss?: Cvss;
  title?: string;
  package?: { name: string; version: string; type: PackageType };
  fixedVersion: string | null;
  status?: string;
  locations: Location[];
  match?: MatchDetails;
  url?: string;
  /** For check and lint findings: what was found, in words. */
  message?: string;
  /** For lint findings: the line in the linted file. */
  line?: number;
  /** For check findings: what to do about it, in words (the check's remediation). */
  remediation?: string;
}

/** Why a finding was suppressed: a policy ignore entry or a VEX statement, and where it came from. */
export interface Suppression {
  kind: 'ignore' | 'vex';
  /** The ignore entry's reason, or the VEX statement in words (status, justification, impact). */
  reason: string;
  /** VEX: the status (not_affected, fixed) and the machine-readable justification, when given. */
  status?: string;
  justification?: string;
  /** The policy file or VEX document. */
  source: string;
  owner?: string;
  expires?: string;
}

export type SuppressedFinding = Finding & { suppression: Suppression };

export interface Warning {
  message: string;
  path?: string;
  /**
   * What kind of warning, for callers that act on it: 'no-data' = the database holds no advisories
   * for the image's OS release (policy `noData: fail` fails on it); 'ignore-expired' and
   * 'ignore-stale' = a policy ignore entry past its date, or matching nothing; 'unknown-severity' =
   * vulnerabilities with neither a vendor severity nor a CVSS score (policy `failOnUnknown`).
   */
  code?: 'no-data' | 'ignore-expired' | 'ignore-stale' | 'unknown-severity';
}

export interface ImageInfo {
  reference: string; // what the user typed, normalised
  digest: string; // manifest digest
  configDigest?: string;
  platform?: string; // os/arch[/variant]
  layers: string[]; // layer blob digests, in order
}

export interface DbInfo {
  builtAt: string;
  digest: string;
  schemaVersion: number;
}

export interface ScanReport {
  schemaVersion: 1;
  /** When the scan ran (ISO 8601): the one timestamp reporters use where a format requires one. */
  createdAt?: string;
  image: ImageInfo;
  os: OsInfo | null;
  packages: Package[];
  findings: Finding[];
  /** Findings a policy ignore entry or a VEX statement took out of `findings`, each with why. */
  suppressed?: SuppressedFinding[];
  warnings: Warning[];
  db: DbInfo | null;
  verdict: {
    pass: boolean;
    failOn: Severity | null;
    reasons: string[];
    /** No shell, no package manager, no root user, no setuid file: the distroless/scratch standard. */
    minimal: boolean | null;
  };
}
