/** How reports show a severity NVD gave (its source, the CVSS score) beside one the advisory's own feed gave. */
import { describe, expect, it } from 'vitest';
import type { ScanReport } from '../model/index.js';
import { cyclonedxReporter } from './cyclonedx/index.js';
import { mixedReport } from './reports.case.js';
import { sarifReporter } from './sarif/index.js';
import { tableReporter } from './table/index.js';

const CRIT = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const HIGH = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N';

/** CVE-2020-28500 rated by NVD (9.8 critical); CVE-2024-0727 rated low by Debian although NVD scores it 7.5. */
function scored(): ScanReport {
  const r = mixedReport();
  r.findings = r.findings.map((f) => {
    if (f.id === 'CVE-2020-28500') return { ...f, severity: 'critical', severitySource: 'nvd', cvss: { vector: CRIT, score: 9.8, version: '3.1', source: 'nvd@nist.gov' } };
    if (f.id === 'CVE-2024-0727') return { ...f, severitySource: 'debian-tracker', cvss: { vector: HIGH, score: 7.5, version: '3.1', source: 'nvd@nist.gov' } };
    return f;
  });
  return r;
}

describe('severity from NVD in reports', () => {
  it('table: the severity names NVD when NVD gave it, and a CVSS column shows the score', () => {
    const lines = tableReporter.render(scored()).split('\n');
    expect(lines.find((l) => l.startsWith('PACKAGE'))!.split(/\s{2,}/)).toEqual(['PACKAGE', 'VERSION', 'TYPE', 'ID', 'SEVERITY', 'CVSS', 'FIXED IN']);
    expect(lines.find((l) => l.includes('CVE-2020-28500'))!.trim().split(/\s{2,}/).slice(-4)).toEqual(['CVE-2020-28500', 'critical (nvd)', '9.8', '4.17.21']);
    expect(lines.find((l) => l.includes('CVE-2024-0727'))!.trim().split(/\s{2,}/).slice(-4)).toEqual(['CVE-2024-0727', 'low', '7.5', '(no fix)']);
    expect(lines.find((l) => l.includes('CVE-2023-5678'))!.trim().split(/\s{2,}/).slice(-4)).toEqual(['CVE-2023-5678', 'medium', '-', '3.0.13-1~deb12u1']);
  });

  it('sarif: security-severity is the CVSS score where it rates the severity shown, else the band score; results carry the CVSS', () => {
    const log = JSON.parse(sarifReporter.render(scored())) as {
      runs: { tool: { driver: { rules: { id: string; properties: Record<string, unknown> }[] } }; results: { ruleId: string; level: string; properties: Record<string, unknown> }[] }[];
    };
    const rule = (id: string) => log.runs[0]!.tool.driver.rules.find((r) => r.id === id)!;
    expect(rule('CVE-2020-28500').properties['security-severity']).toBe('9.8');
    // Debian says low: GitHub must show low, not NVD's high.
    expect(rule('CVE-2024-0727').properties['security-severity']).toBe('2.0');
    const res = log.runs[0]!.results.find((r) => r.ruleId === 'CVE-2020-28500')!;
    expect(res.level).toBe('error');
    expect(res.properties).toMatchObject({ severity: 'critical', severitySource: 'nvd', cvssScore: 9.8, cvssVector: CRIT, cvssVersion: '3.1', cvssSource: 'nvd@nist.gov' });
  });

  it('cyclonedx: a rating by whoever gave the severity, and a CVSSv31 rating with score and vector', () => {
    const bom = JSON.parse(cyclonedxReporter.render(scored())) as { vulnerabilities: { id: string; ratings: object[] }[] };
    expect(bom.vulnerabilities.find((v) => v.id === 'CVE-2020-28500')!.ratings).toEqual(
      expect.arrayContaining([
        { source: { name: 'NVD', url: 'https://nvd.nist.gov/' }, severity: 'critical' },
        { source: { name: 'NVD', url: 'https://nvd.nist.gov/' }, score: 9.8, severity: 'critical', method: 'CVSSv31', vector: CRIT },
      ]),
    );
    expect(bom.vulnerabilities.find((v) => v.id === 'CVE-2024-0727')!.ratings).toEqual(
      expect.arrayContaining([{ source: { name: 'Debian Security Tracker', url: 'https://security-tracker.debian.org/tracker/' }, severity: 'low' }]),
    );
  });
});
