/** Table reporter: the suppressed section and its count, kept short and on one line per finding. */
import { describe, expect, it } from 'vitest';
import { emptyReport, mixedReport, oddReport } from '../reports.case.js';
import { tableReporter } from './index.js';

describe('table reporter', () => {
  it('counts suppressed findings in the summary line and lists them after the findings', () => {
    const out = tableReporter.render(mixedReport());
    if (process.env.SHOW) console.log(out);
    const lines = out.split('\n');
    expect(lines.find((l) => l.startsWith('Findings:'))).toBe('Findings: 8 (2 critical, 1 high, 2 medium, 1 low, 1 negligible, 1 unknown); 2 suppressed');
    const at = lines.indexOf('Suppressed:');
    expect(at).toBeGreaterThan(lines.findIndex((l) => l.startsWith('LINE')));
    expect(at).toBeLessThan(lines.findIndex((l) => l.startsWith('WARNING')));
    expect(lines[at + 1]).toMatch(/^ID\s+PACKAGE\s+BY\s+EXPIRES\s+REASON$/);
    expect(lines[at + 2]!.split(/\s{2,}/)).toEqual(['CVE-2023-2650', 'openssl 3.0.11-1~deb12u1', 'ignore', '2026-12-31', 'we never translate untrusted OIDs to text']);
    expect(lines[at + 3]!.split(/\s{2,}/)).toEqual([
      'GHSA-p6mc-m468-83gw',
      'lodash 4.17.20',
      'VEX',
      '-',
      'not_affected (vulnerable_code_not_in_execute_path): zipObjectDeep is never called',
    ]);
    // Suppressed findings are not in the findings table above.
    expect(lines.slice(0, at).join('\n')).not.toContain('CVE-2023-2650');
  });

  it('says nothing about suppression when nothing was suppressed', () => {
    const out = tableReporter.render({ ...mixedReport(), suppressed: undefined });
    expect(out).not.toMatch(/suppressed/i);
    expect(tableReporter.render(emptyReport())).not.toMatch(/suppressed/i);
  });

  it('keeps a multi-line reason on one row, and a check without a package shows a dash', () => {
    const out = tableReporter.render(oddReport());
    const row = out.split('\n').find((l) => l.startsWith('shell-present'))!;
    expect(row.split(/\s{2,}/).slice(1, 4)).toEqual(['-', 'ignore', '2027-01-01']);
    expect(row).toContain(`debug <&"'> ünï©ødé 🚢 *image* | [x](y)`);
  });
});
