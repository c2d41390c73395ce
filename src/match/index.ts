/** Matches packages against advisories, per ecosystem rules; every finding says how it was decided. */
import { severityRank, type Advisory, type CveScore, type AffectedRange, type Finding, type OsInfo, type Package, type Warning } from '../model/index.js';
import type { Comparator } from '../version/types.js';
import { lookupKey, osNamespace, type LookupKey } from './namespace.js';
import type { MatchMemo } from './memo.js';
import { rate } from './severity.js';

/** Longest package version compared: real ones (Debian epochs and backport suffixes included) stay under 100. */
export const MAX_VERSION_LENGTH = 256;

export { lookupKey, osNamespace } from './namespace.js';
export { rate, scoreFor, type ScoreLookup } from './severity.js';
export { MatchMemo, matchMemoFor } from './memo.js';

/** What the matcher needs from the advisory database. */
export interface AdvisorySource {
  lookup(namespace: string, pkg: string): Advisory[];
  namespaces(): Set<string>;
  /** The CVSS score of a CVE (NVD), to rate findings whose feed gives no severity. */
  cvss?(cve: string): CveScore | undefined;
}

export interface MatchOptions {
  /** Comparator for a scheme id, or undefined when the scheme is not supported. */
  comparator: (scheme: string) => Comparator | undefined;
  /** Match development dependencies of lockfiles too (`--include-dev-deps`); by default they are left out. */
  includeDev?: boolean;
  /** Findings remembered from earlier matches against the same database (src/match/memo.ts). */
  memo?: MatchMemo;
}

export interface MatchResult {
  findings: Finding[];
  warnings: Warning[];
}

/** Why a version is affected by an advisory, or null when it is not. */
export function affects(adv: Advisory, version: string, cmp: Comparator): { rule: string; fixed: string | null } | null {
  const s = adv.scheme;
  if (adv.requirements) {
    // Feeds that publish requirements (npm ranges, Gem requirements) instead of OSV events.
    const req = adv.requirements;
    if (!cmp.satisfies) return null;
    const sat = (r: string) => cmp.satisfies!(version, r);
    if (req.vulnerable !== undefined && !sat(req.vulnerable)) return null;
    if ([...(req.patched ?? []), ...(req.unaffected ?? [])].some(sat)) return null;
    const parts = [req.vulnerable !== undefined ? `${version} satisfies vulnerable "${req.vulnerable}"` : `${version}`];
    if (req.patched?.length) parts.push(`none of patched "${req.patched.join('", "')}"`);
    if (req.unaffected?.length) parts.push(`none of unaffected "${req.unaffected.join('", "')}"`);
    return { rule: `${parts.join(', ')} (${s})`, fixed: req.patched?.length ? req.patched.join(' || ') : null };
  }
  if (adv.versions?.includes(version)) {
    return { rule: `${version} is listed as affected (${s})`, fixed: firstFixed(adv.ranges) };
  }
  if (adv.ranges.length === 0) {
    return adv.versions?.length ? null : { rule: `every version is affected, no fix yet (${s})`, fixed: null };
  }
  for (const r of adv.ranges) {
    const lower = r.introduced && r.introduced !== '0' ? r.introduced : undefined;
    if (lower && cmp.compare(version, lower) < 0) continue;
    if (r.fixed !== undefined && cmp.compare(version, r.fixed) >= 0) continue;
    if (r.lastAffected !== undefined && cmp.compare(version, r.lastAffected) > 0) continue;
    const parts: string[] = [];
    if (lower) parts.push(`${version} >= introduced ${lower}`);
    if (r.fixed !== undefined) parts.push(`${version} < fixed ${r.fixed}`);
    else if (r.lastAffected !== undefined) parts.push(`${version} <= last affected ${r.lastAffected}`);
    else parts.push(`${version}: no fix yet`);
    return { rule: `${parts.join(', ')} (${s})`, fixed: r.fixed ?? null };
  }
  return null;
}

/**
 * The ids that name one flaw (CVE, GHSA, GO-, PYSEC-, …). A distro advisory id (DSA, DLA, USN,
 * RHSA…) names a batch of fixes for several CVEs: two findings sharing only that are not one flaw.
 */
function flawIds(id: string, aliases: readonly string[]): string[] {
  return [id, ...aliases].filter((x) => !DISTRO_ADVISORY.test(x));
}
const DISTRO_ADVISORY = /^(DSA|DLA|DTSA|USN|RHSA|RHBA|ALAS\d*|ELSA|SUSE-SU|openSUSE-SU)-/;

function firstFixed(ranges: AffectedRange[]): string | null {
  return ranges.find((r) => r.fixed !== undefined)?.fixed ?? null;
}

/**
 * Matches every package. OS packages are looked up in their release's namespace by source/origin
 * package; a release the database holds nothing for gives a warning, never a silent clean result.
 */
export function matchPackages(packages: Package[], os: OsInfo | null, db: AdvisorySource, opts: MatchOptions): MatchResult {
  const findings: Finding[] = [];
  const warnings: Warning[] = [];
  const memo = opts.memo;
  const known = memo ? (memo.namespaces ??= db.namespaces()) : db.namespaces();
  const missingNamespaces = new Set<string>();
  const missingSchemes = new Set<string>();
  const hasOsPackages = packages.some((p) => p.type === 'apk' || p.type === 'deb');
  const scores = db.cvss ? (id: string) => db.cvss!(id) : undefined;

  if (hasOsPackages) {
    const ns = osNamespace(os);
    const release = os ? `${os.name ?? os.id} (${os.id} ${os.version})` : 'an unknown OS';
    if (!ns) warnings.push({ code: 'no-data', message: `no advisory feed covers ${release}: its OS packages were not checked for vulnerabilities` });
    else if (!known.has(ns)) {
      missingNamespaces.add(ns);
      warnings.push({
        code: 'no-data',
        message: `the database has no advisories for ${release} (namespace ${ns}): its OS packages were not checked; zero findings does not mean clean`,
      });
    }
  }

  for (const pkg of packages) {
    if (pkg.dev && !opts.includeDev) continue;
    const key: LookupKey | null = lookupKey(pkg, os);
    if (!key || missingNamespaces.has(key.namespace)) continue;
    const cmp = opts.comparator(key.scheme);
    if (!cmp) {
      missingSchemes.add(key.scheme);
      continue;
    }
    // Comparators are written for real versions; a hostile 200,000-character one made Maven's
    // overflow the stack and Composer's run for minutes.
    if (key.version.length > MAX_VERSION_LENGTH) {
      warnings.push({ message: `${pkg.name}: version is ${key.version.length} characters, over the limit of ${MAX_VERSION_LENGTH}: not matched` });
      continue;
    }
    // A version the scheme cannot read (a Go main module's "(devel)") cannot be placed in a range.
    if (!cmp.valid(key.version)) continue;
    // Everything below reads only these of the package (and the database): its locations are placed as given.
    const memoKey = memo ? `${key.namespace}\0${key.name}\0${key.version}\0${key.scheme}\0${pkg.name}\0${pkg.version}\0${pkg.type}` : '';
    const remembered = memo?.get(memoKey, pkg.locations);
    if (remembered) {
      for (const f of remembered) findings.push(f);
      continue;
    }
    const mine: Finding[] = [];
    // The feed whose severity each finding carries (the worse one when feeds merged).
    const vendor = new Map<Finding, string>();
    for (const adv of db.lookup(key.namespace, key.name)) {
      const hit = affects(adv, key.version, cmp);
      if (!hit) continue;
      // Two feeds may describe one flaw (GHSA and the Node.js WG, Go vulndb and GHSA): one finding
      // per flaw, its aliases united, the worse severity kept.
      const ids = flawIds(adv.id, adv.aliases);
      const same = mine.find((f) => flawIds(f.id, f.aliases).some((x) => ids.includes(x)));
      if (same) {
        same.aliases = [...new Set([...same.aliases, adv.id, ...adv.aliases])].filter((a) => a !== same.id).sort();
        if (severityRank(adv.severity) > severityRank(same.severity)) {
          same.severity = adv.severity;
          vendor.set(same, adv.feed);
        }
        continue;
      }
      const finding: Finding = {
        kind: 'vulnerability',
        id: adv.id,
        aliases: [...adv.aliases],
        severity: adv.severity,
        ...(adv.title ? { title: adv.title } : {}),
        package: { name: pkg.name, version: pkg.version, type: pkg.type },
        fixedVersion: hit.fixed,
        ...(adv.status ? { status: adv.status } : {}),
        locations: pkg.locations,
        match: {
          feed: adv.feed,
          namespace: adv.namespace,
          searchedBy: key.name,
          installedVersion: key.version,
          scheme: key.scheme,
          rule: hit.rule,
        },
        ...(adv.url ? { url: adv.url } : {}),
      };
      vendor.set(finding, adv.feed);
      mine.push(finding);
    }
    for (const f of mine) {
      rate(f, vendor.get(f)!, scores);
      findings.push(f);
    }
    memo?.set(memoKey, mine);
  }
  for (const s of missingSchemes) warnings.push({ message: `no version comparator for scheme ${s}: those packages were not matched` });
  return { findings, warnings };
}
