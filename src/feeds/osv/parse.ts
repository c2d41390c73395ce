/**
 * OSV record → Advisory[]: one advisory per (namespace, package, id), OSV range events turned
 * into introduced/fixed/lastAffected ranges, severity from the record or computed from CVSS.
 */
import { parse as parseYaml } from 'yaml';
import { severityRank, type AffectedRange, type Advisory, type Severity } from '../../model/index.js';
import { cvssScore, severityFromScore } from '../cvss/index.js';
import { ecosystemFromOsv, normalizePackageName } from './ecosystems.js';
import { OsvRecord, type OsvAffected, type OsvEvent, type OsvSeverity } from './schema.js';

/** What a feed run saw, reported once at the end rather than per record. */
export interface OsvStats {
  files: number;
  records: number;
  advisories: number;
  withdrawn: number;
  malformed: number;
  /** GIT ranges (commit hashes, which a scanner of built artifacts cannot compare). */
  gitRangesSkipped: number;
  /** Affected entries whose every range was GIT (or unknown) and that list no versions. */
  affectedWithoutVersions: number;
  /** Affected entries of ecosystems shipshape does not match (Debian, Linux, ...). */
  otherEcosystems: number;
}

export function emptyStats(): OsvStats {
  return {
    files: 0,
    records: 0,
    advisories: 0,
    withdrawn: 0,
    malformed: 0,
    gitRangesSkipped: 0,
    affectedWithoutVersions: 0,
    otherEcosystems: 0,
  };
}

/** One line for the end of a feed run, or undefined when there is nothing to say. */
export function describeStats(feed: string, s: OsvStats): string | undefined {
  const parts: string[] = [];
  if (s.malformed) parts.push(`${s.malformed} malformed record(s) skipped`);
  if (s.gitRangesSkipped) parts.push(`${s.gitRangesSkipped} GIT range(s) skipped (commit ranges are not matched)`);
  if (s.affectedWithoutVersions) parts.push(`${s.affectedWithoutVersions} affected package(s) with only GIT ranges skipped`);
  if (s.otherEcosystems) parts.push(`${s.otherEcosystems} affected package(s) of other ecosystems skipped`);
  return parts.length ? `${feed}: ${parts.join('; ')}` : undefined;
}

/**
 * YAML with numbers kept as text: an unquoted version like `1.10` must not become the number
 * 1.1. Booleans and nulls still parse.
 */
export function parseYamlKeepingNumbers(text: string): unknown {
  return parseYaml(text, {
    customTags: (tags) =>
      tags.filter((t) => typeof t === 'string' || (t.tag !== 'tag:yaml.org,2002:int' && t.tag !== 'tag:yaml.org,2002:float')),
    maxAliasCount: 100, // billion-laughs guard
  });
}

export interface ConvertOptions {
  /** Feed id stored on each advisory. */
  feed: string;
  /** Keep only records whose id starts with one of these (OSV.dev zips mix sources). */
  idPrefixes?: readonly string[];
  onWarning?: (message: string) => void;
  stats: OsvStats;
}

/**
 * Parses one file's text (JSON or YAML) and converts it. A malformed record is a warning
 * naming the file and is skipped; it never throws.
 */
export function convertOsvText(text: string, format: 'json' | 'yaml', source: string, opts: ConvertOptions): Advisory[] {
  opts.stats.files++;
  let raw: unknown;
  try {
    raw = format === 'json' ? JSON.parse(text) : parseYamlKeepingNumbers(text);
  } catch (err) {
    opts.stats.malformed++;
    opts.onWarning?.(`${opts.feed}: ${source}: not valid ${format.toUpperCase()}: ${(err as Error).message.split('\n')[0]}`);
    return [];
  }
  const parsed = OsvRecord.safeParse(raw);
  if (!parsed.success) {
    opts.stats.malformed++;
    const issue = parsed.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'does not match the OSV schema';
    opts.onWarning?.(`${opts.feed}: ${source}: not an OSV record: ${where}`);
    return [];
  }
  return convertOsvRecord(parsed.data, opts);
}

/** Converts a validated OSV record; empty when it is withdrawn, filtered out or affects nothing we match. */
export function convertOsvRecord(rec: OsvRecord, opts: ConvertOptions): Advisory[] {
  if (opts.idPrefixes && !opts.idPrefixes.some((p) => rec.id.startsWith(p))) return [];
  opts.stats.records++;
  if (rec.withdrawn) {
    opts.stats.withdrawn++;
    return [];
  }
  const aliases = [...new Set((rec.aliases ?? []).filter((a) => a && a !== rec.id))];
  const title = titleOf(rec);
  const url = urlOf(rec);
  const recordSeverity = severityFromLabel(rec.database_specific?.['severity']);

  // Several affected entries may name the same package (GHSA writes one per range): merge them.
  const byKey = new Map<string, Advisory>();
  for (const aff of rec.affected ?? []) {
    if (!aff.package) continue; // OSV allows affected entries without a package (e.g. GIT-only): nothing to match
    const eco = ecosystemFromOsv(aff.package.ecosystem);
    if (!eco) {
      opts.stats.otherEcosystems++;
      continue;
    }
    const { ranges, versions, usable } = affectedVersions(aff, opts.stats);
    if (!usable) {
      opts.stats.affectedWithoutVersions++;
      continue;
    }
    const pkg = normalizePackageName(eco.namespace, aff.package.name);
    const severity = recordSeverity ?? affectedSeverity(aff) ?? cvssSeverity(aff.severity) ?? cvssSeverity(rec.severity) ?? 'unknown';
    const key = `${eco.namespace}\u0000${pkg}`;
    const prev = byKey.get(key);
    if (prev) {
      for (const r of ranges) prev.ranges.push(r);
      if (versions.length) prev.versions = [...new Set([...(prev.versions ?? []), ...versions])];
      if (severityRank(severity) > severityRank(prev.severity)) prev.severity = severity;
      continue;
    }
    const adv: Advisory = {
      id: rec.id,
      aliases,
      feed: opts.feed,
      namespace: eco.namespace,
      package: pkg,
      scheme: eco.scheme,
      severity,
      ranges,
    };
    if (versions.length) adv.versions = versions;
    if (title) adv.title = title;
    if (url) adv.url = url;
    byKey.set(key, adv);
  }
  const out = [...byKey.values()];
  opts.stats.advisories += out.length;
  return out;
}



/**
 * The affected versions of one entry: SEMVER and ECOSYSTEM ranges plus the explicit list.
 * `usable` is false when the entry only had ranges we cannot compare (GIT) and no list: such an
 * entry must be dropped, not read as "every version".
 */
function affectedVersions(aff: OsvAffected, stats: OsvStats): { ranges: AffectedRange[]; versions: string[]; usable: boolean } {
  const ranges: AffectedRange[] = [];
  let skipped = 0;
  for (const r of aff.ranges ?? []) {
    if (r.type !== 'SEMVER' && r.type !== 'ECOSYSTEM') {
      if (r.type === 'GIT') stats.gitRangesSkipped++;
      skipped++;
      continue;
    }
    const got = eventsToRanges(r.events);
    if (got.length === 0) skipped++; // e.g. only `limit`: says nothing, and must not read as "every version"
    for (const g of got) ranges.push(g);
  }
  const versions = [...new Set(aff.versions ?? [])];
  if (ranges.length === 0 && versions.length === 0) {
    // No ranges and no versions at all: OSV reads that as every version of the package.
    if (skipped === 0) return { ranges: [{ introduced: '0' }], versions, usable: true };
    return { ranges, versions, usable: false };
  }
  return { ranges, versions, usable: true };
}

/**
 * One OSV events list → ranges. The list is sorted (OSV requires it for SEMVER and ECOSYSTEM
 * ranges) and may hold several introduced/fixed pairs: `introduced 0, fixed 1.19.8, introduced
 * 1.20.0-0, fixed 1.20.3` is two ranges. A version is affected when the last event at or below
 * it is an `introduced`; so a second `introduced` inside an open range changes nothing, and an
 * end event with no open range is ignored unless it comes first (then the range starts at 0).
 * `limit` bounds the open range like a fix that is not one: it becomes `fixed`, since the model
 * has no other exclusive upper bound.
 */
export function eventsToRanges(events: readonly OsvEvent[]): AffectedRange[] {
  const out: AffectedRange[] = [];
  let open: AffectedRange | undefined;
  let first = true;
  for (const e of events) {
    if (e.introduced !== undefined) {
      if (!open) open = { introduced: e.introduced };
    } else {
      const end: AffectedRange =
        e.fixed !== undefined
          ? { fixed: e.fixed }
          : e.last_affected !== undefined
            ? { lastAffected: e.last_affected }
            : e.limit !== undefined && e.limit !== '*'
              ? { fixed: e.limit }
              : {};
      if (Object.keys(end).length) {
        if (open) out.push({ ...open, ...end });
        else if (first) out.push({ introduced: '0', ...end });
        open = undefined;
      }
    }
    first = false;
  }
  if (open) out.push(open);
  return out;
}

/** The title: the summary, else the first line of the details, cut at a readable length. */
function titleOf(rec: OsvRecord): string | undefined {
  const s = rec.summary?.trim();
  if (s) return s;
  const line = rec.details?.trim().split('\n', 1)[0]?.trim();
  if (!line) return undefined;
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/**
 * The page a user should open: a reference naming the record's own id (rustsec.org/advisories/
 * RUSTSEC-..., pkg.go.dev/vuln/GO-...), else the database's own URL, else GitHub's page for a
 * GHSA id, else the first ADVISORY, then WEB, then any reference.
 */
function urlOf(rec: OsvRecord): string | undefined {
  const refs = rec.references ?? [];
  const own = refs.find((r) => r.url.includes(rec.id));
  if (own) return own.url;
  const dbUrl = rec.database_specific?.['url'];
  if (typeof dbUrl === 'string' && /^https?:\/\//.test(dbUrl)) return dbUrl;
  if (/^GHSA(-[0-9a-z]{4}){3}$/.test(rec.id)) return `https://github.com/advisories/${rec.id}`;
  return (refs.find((r) => r.type === 'ADVISORY') ?? refs.find((r) => r.type === 'WEB') ?? refs[0])?.url;
}

/** GHSA's labels (LOW, MODERATE, HIGH, CRITICAL) and the usual words; undefined for anything else. */
export function severityFromLabel(v: unknown): Severity | undefined {
  if (typeof v !== 'string') return undefined;
  switch (v.trim().toUpperCase()) {
    case 'CRITICAL':
      return 'critical';
    case 'HIGH':
    case 'IMPORTANT':
      return 'high';
    case 'MODERATE':
    case 'MEDIUM':
      return 'medium';
    case 'LOW':
      return 'low';
    case 'NEGLIGIBLE':
      return 'negligible';
    default:
      return undefined;
  }
}

function affectedSeverity(aff: OsvAffected): Severity | undefined {
  return severityFromLabel(aff.ecosystem_specific?.['severity']) ?? severityFromLabel(aff.database_specific?.['severity']);
}

/** Severity from the newest CVSS version present (v4, then v3, then v2); undefined if none scores. */
export function cvssSeverity(list: readonly OsvSeverity[] | undefined): Severity | undefined {
  if (!list?.length) return undefined;
  for (const type of ['CVSS_V4', 'CVSS_V3', 'CVSS_V2']) {
    for (const s of list) {
      if (s.type !== type) continue;
      const scored = cvssScore(s.score);
      if (scored) return severityFromScore(scored.score, scored.version);
    }
  }
  return undefined;
}
