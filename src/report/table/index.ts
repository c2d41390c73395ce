/** The table report for people: findings grouped by package, worst severity first. */
import { severityRank, type Finding, type ScanReport, type Severity } from '../../model/index.js';
import type { Reporter } from '../types.js';

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

function worst(findings: Finding[]): number {
  return Math.max(...findings.map((f) => severityRank(f.severity)));
}

export const tableReporter: Reporter = {
  format: 'table',
  render(r: ScanReport): string {
    const lines: string[] = [];
    const os = r.os ? `${r.os.name ?? r.os.id} (${r.os.id} ${r.os.versionId})` : 'unknown OS';
    lines.push(`${r.image.reference} (${r.image.digest})`, `OS: ${os}`);

    const byType = new Map<string, number>();
    for (const p of r.packages) byType.set(p.type, (byType.get(p.type) ?? 0) + 1);
    const types = [...byType].sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => `${n} ${t}`);
    lines.push(`Packages: ${r.packages.length}${types.length ? ` (${types.join(', ')})` : ''}`);

    const counts = new Map<Severity, number>();
    for (const f of r.findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
    const summary = [...counts].sort(([a], [b]) => severityRank(b) - severityRank(a)).map(([s, n]) => `${n} ${s}`);
    lines.push(`Findings: ${r.findings.length}${summary.length ? ` (${summary.join(', ')})` : ''}`);

    const groups = new Map<string, Finding[]>();
    for (const f of r.findings) {
      const key = f.package ? `${f.package.type}\0${f.package.name}\0${f.package.version}` : `${f.kind}\0${f.id}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = []));
      g.push(f);
    }
    const ordered = [...groups.values()].sort(
      (a, b) => worst(b) - worst(a) || (a[0]!.package?.name ?? a[0]!.id).localeCompare(b[0]!.package?.name ?? b[0]!.id),
    );
    if (ordered.length) {
      const rows = [['PACKAGE', 'VERSION', 'TYPE', 'ID', 'SEVERITY', 'FIXED IN']];
      for (const g of ordered) {
        g.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.id.localeCompare(b.id));
        g.forEach((f, i) =>
          rows.push([
            i === 0 ? (f.package?.name ?? f.kind) : '',
            i === 0 ? (f.package?.version ?? '') : '',
            i === 0 ? (f.package?.type ?? '') : '',
            f.id,
            f.severity,
            f.fixedVersion ?? (f.kind === 'vulnerability' ? '(no fix)' : ''),
          ]),
        );
      }
      lines.push('', pad(rows));
    }
    for (const w of r.warnings) lines.push(`WARNING: ${w.path ? `${w.path}: ` : ''}${w.message}`);
    lines.push('', `Verdict: ${r.verdict.pass ? 'PASS' : 'FAIL'}${r.verdict.reasons.length ? ` (${r.verdict.reasons.join('; ')})` : ''}`);
    return `${lines.join('\n')}\n`;
  },
};
