/** Public surface of the image checks: selection, the combined want filter, and running them. */
import type { EntryMeta } from '../image/types.js';
import { ShipshapeError } from '../errors.js';
import type { Finding } from '../model/index.js';
import { checks } from './registry.js';
import type { Check, ImageFacts } from './types.js';

export type { Check, CheckOptions, ImageFacts } from './types.js';
export { checks } from './registry.js';
export { runsAsRoot } from './root-user.js';

/** The checks that make the `minimal` verdict: all four must find nothing. */
export const MINIMAL_CHECKS = ['shell-present', 'package-manager-present', 'root-user', 'setuid-files'];

/** Parses `--checks all|none|ID,ID`. */
export function selectChecks(spec: string | undefined, all: readonly Check[] = checks): Check[] {
  if (!spec || spec === 'all') return [...all];
  if (spec === 'none') return [];
  const ids = spec.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !all.some((c) => c.id === id));
  if (unknown.length) throw new ShipshapeError('usage', `--checks: unknown check ${unknown.join(', ')} (known: ${all.map((c) => c.id).join(', ')})`);
  return all.filter((c) => ids.includes(c.id));
}

/** One predicate for the layer pass: does any check need this file's content? */
export function checksWant(selected: readonly Check[]): (path: string, e: EntryMeta) => boolean {
  const ws = selected.flatMap((c) => (c.wants ? [c.wants.bind(c)] : []));
  return (p, e) => ws.some((w) => w(p, e));
}

/** Version string of what checks keep from layers: part of the layer cache key. */
export const CHECKS_CACHE_VERSION = 'checks-1';

export interface CheckResult {
  findings: Finding[];
  /** No shell, no package manager, no root user, no setuid file (null when those checks did not run). */
  minimal: boolean | null;
}

export function runChecks(img: ImageFacts, selected: readonly Check[]): CheckResult {
  // Each check runs once, though `minimal` may need one that is also selected.
  const ran = new Map<Check, Finding[]>();
  const run = (c: Check): Finding[] => {
    let r = ran.get(c);
    if (!r) ran.set(c, (r = c.run(img)));
    return r;
  };
  const findings = selected.flatMap(run);
  // `minimal` is always judged on all four of its checks, whichever are selected for reporting.
  const minimal = !checks.filter((c) => MINIMAL_CHECKS.includes(c.id)).some((c) => run(c).length > 0);
  return { findings, minimal };
}
