/** The verdict: pass unless a finding reaches the threshold, a required minimal image is not, or (noData: fail) nothing was checked. */
import { severityRank, type Finding, type ScanReport, type Severity, type Warning } from '../model/index.js';
import type { NoDataAction } from './types.js';

export interface VerdictExtras {
  /** The report's warnings: `noData: fail` fails on a warning with code 'no-data'. */
  warnings?: readonly Warning[];
  noData?: NoDataAction;
  /** Fail on vulnerabilities of unknown severity (policy failOnUnknown). */
  failOnUnknown?: boolean;
  /** Those findings: by default the vulnerabilities among `findings` whose severity is unknown. */
  unknownSeverity?: readonly Finding[];
}

/** Vulnerabilities nobody rated: no vendor severity and no CVSS score, so a threshold cannot judge them. */
export function unrated(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.kind === 'vulnerability' && f.severity === 'unknown');
}

/** Pass unless a finding (vulnerability or check) reaches `failOn`, a minimal image is required and this is not one, or noData says fail. */
export function verdictOf(
  findings: readonly Finding[],
  failOn: Severity | null,
  minimal: boolean | null,
  requireMinimal = false,
  extras: VerdictExtras = {},
): ScanReport['verdict'] {
  const reasons: string[] = [];
  if (failOn) {
    const over = findings.filter((f) => severityRank(f.severity) >= severityRank(failOn));
    if (over.length) reasons.push(`${over.length} finding(s) at or above ${failOn}`);
  }
  if (requireMinimal && minimal === false) reasons.push('the image is not minimal (shell, package manager, root user or setuid files)');
  if (extras.failOnUnknown) {
    const n = (extras.unknownSeverity ?? unrated(findings)).length;
    if (n) reasons.push(`${n} vulnerabilit${n === 1 ? 'y' : 'ies'} of unknown severity (policy failOnUnknown)`);
  }
  if (extras.noData === 'fail' && extras.warnings?.some((w) => w.code === 'no-data')) {
    reasons.push('the database has no advisories for the image OS release, so its packages were not checked (policy noData: fail)');
  }
  return { pass: reasons.length === 0, failOn, reasons, minimal };
}
