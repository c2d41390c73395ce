/**
 * Applies a policy to a scan report, without I/O: switched-off checks and unfixed vulnerabilities
 * out, ignore entries and VEX statements move findings to `suppressed`, expired and stale entries
 * are warned about, `--severity` trims the report, and the verdict is judged on what remains.
 */
import type { Finding, Package, ScanReport, SuppressedFinding, Suppression, Warning } from '../model/index.js';
import { globToRegExp } from './glob.js';
import type { IgnoreRule, Policy, VexStatement } from './types.js';
import { unrated, verdictOf } from './verdict.js';
import { purlMatches } from './vex.js';

export interface ApplyOptions {
  /** The clock for ignore expiry (default: now). */
  now?: Date;
}

const SUPPRESSING = new Set(['not_affected', 'fixed']);

/** The instant an `expires: YYYY-MM-DD` entry stops applying: the end of that day, UTC. */
export function expiryInstant(expires: string): number {
  return Date.parse(`${expires}T23:59:59.999Z`);
}

/** A new report with the policy applied and the verdict recomputed; the input is not modified. */
export function applyPolicy(report: ScanReport, policy: Policy, opts: ApplyOptions = {}): ScanReport {
  const now = (opts.now ?? new Date()).getTime();
  const source = policy.source ?? 'policy';
  // A report judged again gets its unknown-severity warning afresh, for the findings then left.
  const warnings: Warning[] = report.warnings.filter((w) => w.code !== 'unknown-severity');

  let findings = report.findings.filter((f) => !(f.kind === 'check' && policy.checks.enabled[f.id] === false));
  if (policy.ignoreUnfixed) findings = findings.filter((f) => f.kind !== 'vulnerability' || f.fixedVersion !== null);

  const active: IgnoreRule[] = [];
  for (const r of policy.ignore) {
    if (r.expires !== undefined && now > expiryInstant(r.expires)) {
      warnings.push({
        code: 'ignore-expired',
        message: `ignore entry ${describeRule(r)} expired on ${r.expires}${r.owner ? ` (owner ${r.owner})` : ''}: it no longer suppresses anything${at(r)}`,
      });
    } else {
      active.push(r);
    }
  }
  const globs = new Map(active.filter((r) => r.path).map((r) => [r, globToRegExp(r.path!)]));
  const used = new Set<IgnoreRule>();
  const purls = purlIndex(report.packages);

  const kept: Finding[] = [];
  const suppressed: SuppressedFinding[] = [...(report.suppressed ?? [])];
  for (const f of findings) {
    const rule = active.find((r) => ruleMatches(r, f, globs.get(r)));
    if (rule) {
      used.add(rule);
      const s: Suppression = {
        kind: 'ignore',
        reason: rule.reason,
        source,
        ...(rule.owner ? { owner: rule.owner } : {}),
        ...(rule.expires ? { expires: rule.expires } : {}),
      };
      suppressed.push({ ...f, suppression: s });
      continue;
    }
    const vex = f.kind === 'vulnerability' ? decidingStatement(policy.vex, f, report.image.digest, purlsOf(purls, f)) : undefined;
    if (vex && SUPPRESSING.has(vex.status)) {
      suppressed.push({ ...f, suppression: vexSuppression(vex) });
      continue;
    }
    kept.push(f);
  }
  for (const r of active) {
    if (used.has(r)) continue;
    warnings.push({
      code: 'ignore-stale',
      message: `ignore entry ${describeRule(r)} matches no finding: remove it if the problem is gone${at(r)}`,
    });
  }

  // Counted before --severity trims the report: what nobody rated is a blind spot either way.
  const unknown = unrated(kept);
  if (unknown.length) warnings.push(unknownSeverityWarning(unknown));

  const only = policy.severities ? new Set(policy.severities) : null;
  const reported = only ? kept.filter((f) => only.has(f.severity)) : kept;
  const reportedSuppressed = only ? suppressed.filter((f) => only.has(f.severity)) : suppressed;
  return {
    ...report,
    findings: reported,
    ...(reportedSuppressed.length ? { suppressed: reportedSuppressed } : {}),
    warnings,
    verdict: verdictOf(reported, policy.failOn ?? null, report.verdict.minimal, policy.checks.requireMinimal ?? false, {
      warnings,
      noData: policy.noData ?? 'warn',
      failOnUnknown: policy.failOnUnknown ?? false,
      unknownSeverity: unknown,
    }),
  };
}

/** How many ids a warning names before it only counts the rest. */
const NAMED = 20;

/** One warning naming the vulnerabilities of unknown severity, each id with its packages. */
function unknownSeverityWarning(findings: readonly Finding[]): Warning {
  const byId = new Map<string, Set<string>>();
  for (const f of findings) {
    let pkgs = byId.get(f.id);
    if (!pkgs) byId.set(f.id, (pkgs = new Set()));
    if (f.package) pkgs.add(`${f.package.name} ${f.package.version}`);
  }
  const ids = [...byId.keys()].sort();
  const named = ids.slice(0, NAMED).map((id) => `${id} (${[...byId.get(id)!].sort().join(', ')})`);
  const more = ids.length > NAMED ? `, and ${ids.length - NAMED} more` : '';
  const n = findings.length;
  return {
    code: 'unknown-severity',
    message:
      `${n} vulnerabilit${n === 1 ? 'y has' : 'ies have'} no known severity (no vendor severity, no CVSS score in the database), ` +
      `so --fail-on cannot judge ${n === 1 ? 'it' : 'them'}: ${named.join('; ')}${more}`,
  };
}

function describeRule(r: IgnoreRule): string {
  return [r.id, r.package ? `package ${r.package}` : '', r.path ? `path ${r.path}` : ''].filter(Boolean).join(' ');
}

function at(r: IgnoreRule): string {
  return r.where ? ` (${r.where})` : '';
}

function ids(f: Finding): string[] {
  return [f.id, ...f.aliases].map((s) => s.toUpperCase());
}

/** An ignore entry matches when its id is the finding's id or an alias, and its package and path (if given) fit. */
export function ruleMatches(r: IgnoreRule, f: Finding, glob = r.path ? globToRegExp(r.path) : undefined): boolean {
  if (!ids(f).includes(r.id.toUpperCase())) return false;
  if (r.package !== undefined && f.package?.name !== r.package) return false;
  if (glob && !f.locations.some((l) => glob.test(l.path))) return false;
  return true;
}

type PurlIndex = Map<string, Package[]>;

function purlIndex(packages: readonly Package[]): PurlIndex {
  const m: PurlIndex = new Map();
  for (const p of packages) {
    if (!p.purl) continue;
    const k = `${p.type}\0${p.name}\0${p.version}`;
    m.set(k, [...(m.get(k) ?? []), p]);
  }
  return m;
}

/** The purls of the package a finding is about: the same name, version and type, found at the same place if several. */
function purlsOf(index: PurlIndex, f: Finding): string[] {
  if (!f.package) return [];
  const all = index.get(`${f.package.type}\0${f.package.name}\0${f.package.version}`) ?? [];
  const paths = new Set(f.locations.map((l) => l.path));
  const here = all.filter((p) => p.locations.some((l) => paths.has(l.path)));
  return (here.length ? here : all).map((p) => p.purl!);
}

/** Does the statement speak about this finding: its vulnerability, and this image or this package? */
export function statementMatches(s: VexStatement, f: Finding, imageDigest: string, packagePurls: readonly string[]): boolean {
  const names = new Set(ids(f));
  if (![s.vulnerability, ...s.aliases].some((v) => names.has(v.toUpperCase()))) return false;
  return s.products.some((p) => {
    if (p.digest !== undefined && p.digest === imageDigest) {
      return p.subcomponents.length === 0 || p.subcomponents.some((sc) => packagePurls.some((pp) => purlMatches(sc, pp)));
    }
    return p.purl !== undefined && packagePurls.some((pp) => purlMatches(p.purl!, pp));
  });
}

/** Of the statements about a finding, the one that decides: the latest (OpenVEX), the last written on a tie. */
function decidingStatement(statements: readonly VexStatement[], f: Finding, digest: string, purls: string[]): VexStatement | undefined {
  let best: VexStatement | undefined;
  let bestTime = -Infinity;
  for (const s of statements) {
    if (!statementMatches(s, f, digest, purls)) continue;
    const t = s.timestamp ? Date.parse(s.timestamp) : NaN;
    const time = Number.isNaN(t) ? -Infinity : t;
    if (!best || time >= bestTime) {
      best = s;
      bestTime = time;
    }
  }
  return best;
}

function vexSuppression(s: VexStatement): Suppression {
  const words = `${s.originalStatus}${s.justification ? ` (${s.justification})` : ''}${s.statement ? `: ${s.statement}` : ''}`;
  return {
    kind: 'vex',
    reason: words,
    status: s.originalStatus,
    ...(s.justification ? { justification: s.justification } : {}),
    source: s.source,
  };
}
