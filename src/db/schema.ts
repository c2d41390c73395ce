/** The advisory database schema: portable SQL (SQLite now, PostgreSQL later) and the row ↔ Advisory mapping. */
import { SEVERITIES, type AffectedRange, type Advisory, type CveScore, type Severity, type VersionRequirements } from '../model/index.js';

/** Bump on any change of tables or of the meaning of a column; openDb refuses other versions. */
export const SCHEMA_VERSION = 3;

/*
 * Only TEXT and INTEGER columns, JSON kept as TEXT, no AUTOINCREMENT, no WITHOUT ROWID: the same
 * statements run on PostgreSQL. The primary key's index is the (namespace, package) lookup index:
 * its leading columns are exactly those.
 */
export const SCHEMA_SQL = [
  `CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  )`,
  `CREATE TABLE feeds (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    records INTEGER NOT NULL,
    namespaces TEXT NOT NULL
  )`,
  `CREATE TABLE advisories (
    namespace TEXT NOT NULL,
    package TEXT NOT NULL,
    id TEXT NOT NULL,
    aliases TEXT NOT NULL,
    feed TEXT NOT NULL,
    scheme TEXT NOT NULL,
    severity TEXT NOT NULL,
    ranges TEXT NOT NULL,
    versions TEXT,
    requirements TEXT,
    status TEXT,
    title TEXT,
    url TEXT,
    PRIMARY KEY (namespace, package, id)
  )`,
  // One CVSS score per CVE from a score feed (NVD); the score is decimal text ('9.8'), exact and portable.
  `CREATE TABLE cvss (
    id TEXT PRIMARY KEY,
    feed TEXT NOT NULL,
    vector TEXT NOT NULL,
    score TEXT NOT NULL,
    version TEXT NOT NULL,
    source TEXT NOT NULL,
    severity TEXT NOT NULL
  )`,
];

export const ADVISORY_COLUMNS = [
  'namespace',
  'package',
  'id',
  'aliases',
  'feed',
  'scheme',
  'severity',
  'ranges',
  'versions',
  'requirements',
  'status',
  'title',
  'url',
] as const;

export type AdvisoryRow = {
  namespace: string;
  package: string;
  id: string;
  aliases: string;
  feed: string;
  scheme: string;
  severity: string;
  ranges: string;
  versions: string | null;
  requirements: string | null;
  status: string | null;
  title: string | null;
  url: string | null;
};

export const INSERT_ADVISORY = `INSERT INTO advisories (${ADVISORY_COLUMNS.join(', ')}) VALUES (${ADVISORY_COLUMNS.map(() => '?').join(', ')})`;
export const SELECT_ADVISORIES = `SELECT ${ADVISORY_COLUMNS.join(', ')} FROM advisories`;

/** Ranges with their keys in one fixed order, so equal data gives equal JSON (and an equal digest). */
function canonicalRanges(ranges: AffectedRange[]): AffectedRange[] {
  return ranges.map((r) => {
    const out: AffectedRange = {};
    if (r.introduced !== undefined) out.introduced = r.introduced;
    if (r.fixed !== undefined) out.fixed = r.fixed;
    if (r.lastAffected !== undefined) out.lastAffected = r.lastAffected;
    return out;
  });
}

function canonicalRequirements(r: VersionRequirements): VersionRequirements {
  const out: VersionRequirements = {};
  if (r.vulnerable !== undefined) out.vulnerable = r.vulnerable;
  if (r.patched !== undefined) out.patched = r.patched;
  if (r.unaffected !== undefined) out.unaffected = r.unaffected;
  return out;
}

export function toRow(a: Advisory): AdvisoryRow {
  return {
    namespace: a.namespace,
    package: a.package,
    id: a.id,
    aliases: JSON.stringify(a.aliases),
    feed: a.feed,
    scheme: a.scheme,
    severity: a.severity,
    ranges: JSON.stringify(canonicalRanges(a.ranges)),
    versions: a.versions && a.versions.length > 0 ? JSON.stringify(a.versions) : null,
    requirements: a.requirements ? JSON.stringify(canonicalRequirements(a.requirements)) : null,
    status: a.status ?? null,
    title: a.title ?? null,
    url: a.url ?? null,
  };
}

export function rowValues(r: AdvisoryRow): (string | null)[] {
  return ADVISORY_COLUMNS.map((c) => r[c]);
}

export function fromRow(r: AdvisoryRow): Advisory {
  const a: Advisory = {
    id: r.id,
    aliases: JSON.parse(r.aliases) as string[],
    feed: r.feed,
    namespace: r.namespace,
    package: r.package,
    scheme: r.scheme,
    severity: (SEVERITIES as readonly string[]).includes(r.severity) ? (r.severity as Severity) : 'unknown',
    ranges: JSON.parse(r.ranges) as AffectedRange[],
  };
  if (r.versions !== null) a.versions = JSON.parse(r.versions) as string[];
  if (r.requirements !== null) a.requirements = JSON.parse(r.requirements) as VersionRequirements;
  if (r.status !== null) a.status = r.status;
  if (r.title !== null) a.title = r.title;
  if (r.url !== null) a.url = r.url;
  return a;
}

export const CVSS_COLUMNS = ['id', 'feed', 'vector', 'score', 'version', 'source', 'severity'] as const;

export type CvssRow = { id: string; feed: string; vector: string; score: string; version: string; source: string; severity: string };

export const INSERT_CVSS = `INSERT INTO cvss (${CVSS_COLUMNS.join(', ')}) VALUES (${CVSS_COLUMNS.map(() => '?').join(', ')})`;
export const SELECT_CVSS = `SELECT ${CVSS_COLUMNS.join(', ')} FROM cvss WHERE id = ?`;

export function toCvssRow(s: CveScore): CvssRow {
  return { id: s.id, feed: s.feed, vector: s.cvss.vector, score: String(s.cvss.score), version: s.cvss.version, source: s.cvss.source, severity: s.severity };
}

export function cvssRowValues(r: CvssRow): string[] {
  return CVSS_COLUMNS.map((c) => r[c]);
}

export function fromCvssRow(r: CvssRow): CveScore {
  return {
    id: r.id,
    cvss: { vector: r.vector, score: Number(r.score), version: r.version, source: r.source },
    severity: (SEVERITIES as readonly string[]).includes(r.severity) ? (r.severity as Severity) : 'unknown',
    feed: r.feed,
  };
}
