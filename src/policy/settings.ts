/** Between a policy and a scan: flags laid over the file, and the scan options a policy implies. */
import { checks as allChecks, type Check } from '../check/index.js';
import type { Severity } from '../model/index.js';
import type { Policy } from './types.js';

/** Values given on the command line (or by a caller); each one present replaces the file's. */
export interface PolicyOverrides {
  failOn?: Severity;
  failOnUnknown?: boolean;
  ignoreUnfixed?: boolean;
  maxDbAgeMs?: number;
  requireMinimal?: boolean;
  maxImageAgeMs?: number;
  /** The checks to run, by id (--checks): replaces the file's per-check switches. */
  checks?: readonly string[];
  severities?: Severity[];
}

/** The policy with overrides applied; the input is not modified. */
export function withOverrides(policy: Policy, o: PolicyOverrides): Policy {
  const p: Policy = { ...policy, checks: { ...policy.checks, enabled: { ...policy.checks.enabled } } };
  if (o.failOn !== undefined) p.failOn = o.failOn;
  if (o.failOnUnknown !== undefined) p.failOnUnknown = o.failOnUnknown;
  if (o.ignoreUnfixed !== undefined) p.ignoreUnfixed = o.ignoreUnfixed;
  if (o.maxDbAgeMs !== undefined) p.maxDbAgeMs = o.maxDbAgeMs;
  if (o.requireMinimal !== undefined) p.checks.requireMinimal = o.requireMinimal;
  if (o.maxImageAgeMs !== undefined) p.checks.maxImageAgeMs = o.maxImageAgeMs;
  if (o.checks !== undefined) p.checks.enabled = Object.fromEntries(allChecks.map((c) => [c.id, o.checks!.includes(c.id)]));
  if (o.severities !== undefined) p.severities = o.severities;
  return p;
}

/** The checks a policy leaves on: every check not switched off. */
export function enabledChecks(policy: Policy, all: readonly Check[] = allChecks): Check[] {
  return all.filter((c) => policy.checks.enabled[c.id] !== false);
}

/** The scan options a policy implies (see ScanOptions in src/scan). */
export function scanSettings(policy: Policy): {
  failOn: Severity | null;
  ignoreUnfixed: boolean;
  requireMinimal: boolean;
  checks: Check[];
  checkOptions: { maxImageAgeDays: number };
  maxDbAgeMs?: number;
} {
  return {
    failOn: policy.failOn ?? null,
    ignoreUnfixed: policy.ignoreUnfixed ?? false,
    requireMinimal: policy.checks.requireMinimal ?? false,
    checks: enabledChecks(policy),
    checkOptions: { maxImageAgeDays: (policy.checks.maxImageAgeMs ?? 90 * 86_400_000) / 86_400_000 },
    ...(policy.maxDbAgeMs !== undefined ? { maxDbAgeMs: policy.maxDbAgeMs } : {}),
  };
}
