/** Markdown reporter: verdict, counts, a capped table whose cells cannot break out of the table or inject HTML. */
import { describe, expect, it } from 'vitest';
import type { Finding, ScanReport } from '../../model/index.js';
import { emptyReport, mixedReport, oddReport } from '../reports.case.js';
import { markdownReporter, MAX_ROWS } from './index.js';

/** Rows of the tables of open findings; with `all`, of the suppressed findings' table too. */
function tableRows(md: string, all = false): string[] {
  return (all ? md : md.split('<details>')[0]!)
    .split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---') && !l.startsWith('| Severity') && !l.startsWith('| critical | high'));
}

/** Cells of a table row, splitting on pipes that are not escaped. */
function cells(row: string): string[] {
  return row
    .slice(2, -2)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

describe('markdown reporter', () => {
  it('says the verdict, its reasons, counts by severity and warnings', () => {
    const md = markdownReporter.render(mixedReport());
    expect(md.split('\n')[0]).toBe('### shipshape: ❌ FAIL');
    expect(md).toContain('- 4 finding(s) at or above medium');
    expect(md).toContain('| critical | high | medium | low | negligible | unknown | total |');
    expect(md).toContain('| 2 | 1 | 2 | 1 | 1 | 1 | 8 |');
    expect(md).toContain('**Warnings**');
    expect(md).toContain('- /app/package-lock.json: malformed lock file');
  });

  it('lists findings worst first with links, fixes and places', () => {
    const rows = tableRows(markdownReporter.render(mixedReport())).map(cells);
    // The severity-count row is a table row too; the findings table follows it.
    const findings = rows.slice(1);
    expect(findings.map((c) => c[0])).toEqual(['critical', 'critical', 'high', 'medium', 'medium', 'low', 'negligible', 'unknown']);
    expect(findings[0]).toEqual(['critical', '[GHSA-35jh-r3h4-6jhm](<https://github.com/advisories/GHSA-35jh-r3h4-6jhm>)', 'lodash 4.17.20', '4.17.21']);
    expect(findings.find((c) => c[1]!.includes('CVE-2024-0727'))![3]).toBe('no fix yet (no-dsa)');
    expect(findings.find((c) => c[1]!.includes('latest-tag'))![2]).toBe('docker/Dockerfile:3');
  });

  it('counts suppressed findings on one line and lists them, collapsed, with who suppressed them and why', () => {
    const md = markdownReporter.render(mixedReport());
    const lines = md.split('\n');
    const at = lines.indexOf('<details><summary>2 suppressed findings (1 by an ignore entry, 1 by VEX)</summary>');
    expect(at).toBeGreaterThan(0);
    // A blank line after the summary, or GitHub shows the table as plain text.
    expect(lines[at + 1]).toBe('');
    expect(lines[at + 2]).toBe('| Severity | ID | Package or place | Suppressed by |');
    const end = lines.indexOf('</details>');
    const rows = lines.slice(at + 4, end - 1).map(cells);
    expect(rows).toEqual([
      [
        'high',
        '[CVE-2023-2650](<https://nvd.nist.gov/vuln/detail/CVE-2023-2650>)',
        'openssl 3.0.11-1\\~deb12u1',
        'ignore (owner platform-team, until 2026-12-31): we never translate untrusted OIDs to text',
      ],
      [
        'high',
        '[GHSA-p6mc-m468-83gw](<https://github.com/advisories/GHSA-p6mc-m468-83gw>)',
        'lodash 4.17.20',
        'VEX: not\\_affected (vulnerable\\_code\\_not\\_in\\_execute\\_path): zipObjectDeep is never called',
      ],
    ]);
    // Suppressed findings are neither counted nor listed with the open ones.
    expect(lines.slice(0, at).join('\n')).not.toContain('CVE-2023-2650');
    expect(markdownReporter.render({ ...mixedReport(), suppressed: undefined })).not.toContain('<details>');
  });

  it("says how to fix each check shown, once per check", () => {
    const base = mixedReport();
    const root = base.findings.find((f) => f.id === 'root-user')!;
    const md = markdownReporter.render({ ...base, findings: [...base.findings, { ...root, message: 'again' }] });
    expect(md).toContain('**How to fix**\n\n- **root-user**: Set USER to a non-root user or uid in the image (e.g. USER 65532:65532).\n\n');
    expect(md.match(/\*\*root-user\*\*/g)).toHaveLength(1);
    expect(markdownReporter.render({ ...base, findings: base.findings.filter((f) => f !== root) })).not.toContain('How to fix');
    const coded = markdownReporter.render({ ...base, findings: [{ ...root, remediation: 'Add `USER <uid>` to the <b>final</b> stage' }] });
    expect(coded).toContain('- **root-user**: Add `USER <uid>` to the &lt;b&gt;final&lt;/b&gt; stage');
  });

  it('an empty report passes and says there is nothing', () => {
    const md = markdownReporter.render(emptyReport());
    expect(md).toContain('✅ PASS');
    expect(md).toContain('No findings.');
    expect(md).not.toContain('Warnings');
  });

  it(`caps the table at ${MAX_ROWS} rows and says how many more there are`, () => {
    const base = mixedReport();
    const many: Finding[] = Array.from({ length: MAX_ROWS + 7 }, (_, i) => ({ ...base.findings[0]!, id: `CVE-2024-${String(10000 + i)}` }));
    const md = markdownReporter.render({ ...base, findings: many } as ScanReport);
    expect(tableRows(md).length - 1).toBe(MAX_ROWS);
    expect(md).toContain('… and 7 more findings (see the full report).');
  });

  it('keeps odd names inside their cells and out of HTML', () => {
    const md = markdownReporter.render(oddReport());
    // Code spans show text literally, so only text outside them must be escaped.
    expect(md.replace(/`[^`\n]*`/g, '')).not.toMatch(/<&"'>/);
    for (const row of tableRows(md, true)) expect(cells(row)).toHaveLength(row.startsWith('| 0 ') || /^\| \d+ \|/.test(row) ? 7 : 4);
    expect(md).not.toContain('\u0001');
    expect(md).not.toMatch(/\*bold\*/);
    expect(md).not.toContain('<b>');
    // No line ends in two spaces (a hard line break smuggled in from a control character).
    expect(md).not.toMatch(/ {2}$/m);
  });
});
