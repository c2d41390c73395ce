/** Matches packages against advisories, per ecosystem rules; every finding says how it was decided. */
import type { Advisory, AffectedRange, Finding, OsInfo, Package, Warning } from '../model/index.js';
import type { Comparator } from '../version/types.js';
import { lookupKey, osNamespace, type LookupKey } from './namespace.js';

export { lookupKey, osNamespace, pep503 } from './namespace.js';

/** What the matcher needs from the advisory database. */
export interface AdvisorySource {
  lookup(namespace: string, pkg: string): Advisory[];
  namespaces(): Set<string>;
}

export interface MatchOptions {
  /** Comparator for a scheme id, or undefined when the scheme is not supported. */
  comparator: (scheme: string) => Comparator | undefined;
}

export interface MatchResult {
  findings: Finding[];
  warnings: Warning[];
}

/** Why a version is affected by an advisory, or null when it is not. */
export function affects(adv: Advisory, version: string, cmp: Comparator): { rule: string; fixed: string | null } | null {
  const s = adv.scheme;
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
  const known = db.namespaces();
  const missingNamespaces = new Set<string>();
  const missingSchemes = new Set<string>();
  const hasOsPackages = packages.some((p) => p.type === 'apk' || p.type === 'deb');

  if (hasOsPackages) {
    const ns = osNamespace(os);
    const release = os ? `${os.name ?? os.id} (${os.id} ${os.versionId})` : 'an unknown OS';
    if (!ns) warnings.push({ code: 'no-data', message: `no advisory feed covers ${release}: its OS packages were not checked for vulnerabilities` });
    else if (!known.has(ns)) {
      missingNamespaces.add(ns);
      warnings.push({
        code: 'no-data',
        message: `the database has no advisories for ${release} (namespace ${ns}): its OS packages were not checked; zero findings does not mean clean`,
      });
    }
  }

  const seen = new Set<string>();
  for (const pkg of packages) {
    const key: LookupKey | null = lookupKey(pkg, os);
    if (!key || missingNamespaces.has(key.namespace)) continue;
    const cmp = opts.comparator(key.scheme);
    if (!cmp) {
      missingSchemes.add(key.scheme);
      continue;
    }
    for (const adv of db.lookup(key.namespace, key.name)) {
      const hit = affects(adv, key.version, cmp);
      if (!hit) continue;
      const dedupe = `${pkg.type}\0${pkg.name}\0${pkg.version}\0${pkg.locations[0]?.path ?? ''}\0${adv.id}`;
      if (seen.has(dedupe)) continue;
      seen.add(dedupe);
      findings.push({
        kind: 'vulnerability',
        id: adv.id,
        aliases: adv.aliases,
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
      });
    }
  }
  for (const s of missingSchemes) warnings.push({ message: `no version comparator for scheme ${s}: those packages were not matched` });
  return { findings, warnings };
}
