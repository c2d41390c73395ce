/** `shipshape lint`'s pipeline: a Dockerfile → lint findings → the same ScanReport every reporter reads. */
import { lintDockerfile, type LintOptions } from '../check/dockerfile/index.js';
import type { ScanReport, Severity } from '../model/index.js';
import { verdictOf } from './index.js';

export function lintReport(text: string, path: string, opts: LintOptions & { failOn?: Severity | null } = {}): ScanReport {
  const { findings, suppressed } = lintDockerfile(text, { ...opts, path });
  return {
    schemaVersion: 1,
    image: { reference: path, digest: '', layers: [] },
    os: null,
    packages: [],
    findings,
    ...(suppressed.length ? { suppressed } : {}),
    warnings: [],
    db: null,
    verdict: verdictOf(findings, opts.failOn ?? null, null),
  };
}
