/** The table report for people: findings grouped by package, worst severity first, then what the policy suppressed. */
import { severityRank, type Finding, type ScanReport, type Severity } from '../../model/index.js';
import { sortedSuppressed, suppressedBy } from '../common.js';
import type { Reporter } from '../types.js';
import { collate } from '../../model/collate.js';

function pad(rows: string[][]): string {
  // reduce, not Math.max(...xs): a spread of every row overflows the stack on a huge report.
  const widths = rows[0]!.map((_, i) => rows.reduce((w, r) => Math.max(w, (r[i] ?? '').length), 0));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ');
}

/** The severity, and whose it is when not the advisory's own feed's: `critical (nvd)`. */
function severityCell(f: Finding): string {
  return f.severitySource && f.severitySource !== f.match?.feed ? `${f.severity} (${f.severitySource})` : f.severity;
}

function worst(findings: Finding[]): number {
  return findings.reduce((w, f) => Math.max(w, severityRank(f.severity)), -Infinity);
}

export const tableReporter: Reporter = {
  format: 'table',
  render(r: ScanReport): string {
    const lines: string[] = [];
    lines.push(r.image.digest ? `${r.image.reference} (${r.image.digest})` : r.image.reference);
    if (r.image.digest) lines.push(`OS: ${r.os ? `${r.os.name ?? r.os.id} (${r.os.id} ${r.os.version})` : 'unknown (no os-release)'}`);

    const byType = new Map<string, number>();
    for (const p of r.packages) byType.set(p.type, (byType.get(p.type) ?? 0) + 1);
    const types = [...byType].sort(([a], [b]) => collate(a, b)).map(([t, n]) => `${n} ${t}`);
    if (r.image.digest) lines.push(`Packages: ${r.packages.length}${types.length ? ` (${types.join(', ')})` : ''}`);

    const counts = new Map<Severity, number>();
    for (const f of r.findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
    const summary = [...counts].sort(([a], [b]) => severityRank(b) - severityRank(a)).map(([s, n]) => `${n} ${s}`);
    const suppressed = sortedSuppressed(r);
    lines.push(`Findings: ${r.findings.length}${summary.length ? ` (${summary.join(', ')})` : ''}${suppressed.length ? `; ${suppressed.length} suppressed` : ''}`);

    const vulns = r.findings.filter((f) => f.kind === 'vulnerability');
    const groups = new Map<string, Finding[]>();
    for (const f of vulns) {
      const key = `${f.package?.type}\0${f.package?.name}\0${f.package?.version}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = []));
      g.push(f);
    }
    const ordered = [...groups.values()].sort(
      (a, b) => worst(b) - worst(a) || collate(a[0]!.package?.name ?? '', b[0]!.package?.name ?? ''),
    );
    if (ordered.length) {
      const rows = [['PACKAGE', 'VERSION', 'TYPE', 'ID', 'SEVERITY', 'CVSS', 'FIXED IN']];
      for (const g of ordered) {
        g.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || collate(a.id, b.id));
        g.forEach((f, i) =>
          rows.push([
            i === 0 ? (f.package?.name ?? '') : '',
            i === 0 ? (f.package?.version ?? '') : '',
            i === 0 ? (f.package?.type ?? '') : '',
            f.id,
            severityCell(f),
            f.cvss ? f.cvss.score.toFixed(1) : '-',
            f.fixedVersion ?? '(no fix)',
          ]),
        );
      }
      lines.push('', pad(rows));
    }
    const bySeverity = (a: Finding, b: Finding) => severityRank(b.severity) - severityRank(a.severity) || collate(a.id, b.id);
    const checks = r.findings.filter((f) => f.kind === 'check').sort(bySeverity);
    if (checks.length) lines.push('', pad([['CHECK', 'SEVERITY', 'FOUND'], ...checks.map((f) => [f.id, f.severity, f.message ?? f.title ?? ''])]));
    const lint = r.findings.filter((f) => f.kind === 'lint').sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || collate(a.id, b.id));
    if (lint.length) lines.push('', pad([['LINE', 'RULE', 'SEVERITY', 'FOUND'], ...lint.map((f) => [String(f.line ?? ''), f.id, f.severity, f.message ?? f.title ?? ''])]));
    if (suppressed.length) {
      // Short on purpose: the reason is the one long cell, and it is last so nothing wraps after it.
      const rows = suppressed.map((f) => [
        f.id,
        f.package ? `${f.package.name} ${f.package.version}` : f.kind === 'lint' ? `${f.locations[0]?.path ?? 'Dockerfile'}:${f.line ?? 0}` : '-',
        suppressedBy(f.suppression),
        f.suppression.expires ?? '-',
        oneLine(f.suppression.reason),
      ]);
      lines.push('', 'Suppressed:', pad([['ID', 'PACKAGE', 'BY', 'EXPIRES', 'REASON'], ...rows]));
    }
    for (const w of r.warnings) lines.push(`WARNING: ${w.path ? `${w.path}: ` : ''}${w.message}`);
    const minimal = r.verdict.minimal === null ? '' : r.verdict.minimal ? ', minimal image' : ', not a minimal image';
    lines.push('', `Verdict: ${r.verdict.pass ? 'PASS' : 'FAIL'}${r.verdict.reasons.length ? ` (${r.verdict.reasons.join('; ')})` : ''}${minimal}`);
    return `${lines.join('\n')}\n`;
  },
};
