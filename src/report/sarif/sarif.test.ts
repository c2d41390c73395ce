/** SARIF reporter: the mapping GitHub relies on, and Microsoft's SARIF multitool finding no error in our output. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../test/helpers/shared.js';
import { mixedReport, SAMPLE_REPORTS } from '../reports.case.js';
import { sarifReporter } from './index.js';

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId: string }; region?: { startLine: number } } }[];
  partialFingerprints: Record<string, string>;
  suppressions?: { kind: string; status: string; justification: string; properties: Record<string, string> }[];
}
interface SarifLog {
  version: string;
  runs: {
    tool: { driver: { name: string; rules: { id: string; helpUri?: string; help: { text: string; markdown: string }; properties: { 'security-severity'?: string; tags: string[] } }[] } };
    results: SarifResult[];
  }[];
}

const parse = (s: string) => JSON.parse(s) as SarifLog;

describe('sarif reporter', () => {
  const log = parse(sarifReporter.render(mixedReport()));
  const run = log.runs[0]!;

  it('has one rule per id, sorted, each result pointing at its rule', () => {
    expect(log.version).toBe('2.1.0');
    expect(run.tool.driver.name).toBe('shipshape');
    const ids = run.tool.driver.rules.map((r) => r.id);
    expect(ids).toEqual([
      'CVE-2020-28500',
      'CVE-2023-2650',
      'CVE-2023-5678',
      'CVE-2024-0727',
      'GHSA-35jh-r3h4-6jhm',
      'GHSA-p6mc-m468-83gw',
      'latest-tag',
      'root-user',
      'setuid-files',
    ]);
    for (const res of run.results) expect(run.tool.driver.rules[res.ruleIndex]!.id).toBe(res.ruleId);
    expect(run.results).toHaveLength(mixedReport().findings.length + mixedReport().suppressed!.length);
  });

  it('maps severities to levels and security-severity scores', () => {
    const rule = (id: string) => run.tool.driver.rules.find((r) => r.id === id)!;
    const level = (id: string) => run.results.find((r) => r.ruleId === id)!.level;
    expect([level('GHSA-35jh-r3h4-6jhm'), level('root-user'), level('CVE-2023-5678'), level('CVE-2024-0727'), level('CVE-2020-28500')]).toEqual([
      'error',
      'error',
      'warning',
      'note',
      'note',
    ]);
    expect(rule('GHSA-35jh-r3h4-6jhm').properties['security-severity']).toBe('9.5');
    expect(rule('root-user').properties['security-severity']).toBe('8.0');
    expect(rule('CVE-2023-5678').properties['security-severity']).toBe('5.5');
    expect(rule('CVE-2024-0727').properties['security-severity']).toBe('2.0');
    expect(rule('CVE-2020-28500').properties['security-severity']).toBeUndefined();
    expect(rule('CVE-2023-5678').properties.tags).toEqual(['security', 'vulnerability', 'medium']);
  });

  it('says which package, installed and fixed version, with links in the help', () => {
    const res = run.results.find((r) => r.ruleId === 'CVE-2023-5678')!;
    expect(res.message.text).toContain('openssl 3.0.11-1~deb12u1');
    expect(res.message.text).toContain('fixed in 3.0.13-1~deb12u1');
    const rule = run.tool.driver.rules.find((r) => r.id === 'CVE-2023-5678')!;
    expect(rule.helpUri).toBe('https://nvd.nist.gov/vuln/detail/CVE-2023-5678');
    expect(rule.help.text).toContain('upgrade to 3.0.13-1~deb12u1');
    expect(rule.help.markdown).toContain('| openssl (deb) | 3.0.11-1~deb12u1 | 3.0.13-1~deb12u1 |');
    expect(run.results.find((r) => r.ruleId === 'CVE-2024-0727')!.message.text).toContain('no fix yet (no-dsa)');
  });

  it('locates package files inside the image and lint findings on their Dockerfile line', () => {
    const vuln = run.results.find((r) => r.ruleId === 'CVE-2023-5678')!;
    expect(vuln.locations[0]!.physicalLocation).toEqual({ artifactLocation: { uri: 'var/lib/dpkg/status', uriBaseId: 'IMAGE' }, region: { startLine: 1 } });
    const lint = run.results.find((r) => r.ruleId === 'latest-tag')!;
    expect(lint.locations[0]!.physicalLocation).toEqual({ artifactLocation: { uri: 'docker/Dockerfile', uriBaseId: '%SRCROOT%' }, region: { startLine: 3 } });
    const root = run.results.find((r) => r.ruleId === 'root-user')!;
    expect(root.locations).toHaveLength(1);
    // GitHub code scanning wants a region on every result: line 1 where no line is known.
    for (const r of run.results) for (const l of r.locations) expect(l.physicalLocation.region?.startLine, r.ruleId).toBeGreaterThanOrEqual(1);
  });

  it('keeps suppressed findings as results with an accepted external suppression saying why', () => {
    const suppressed = run.results.filter((r) => r.suppressions);
    expect(suppressed.map((r) => r.ruleId)).toEqual(['CVE-2023-2650', 'GHSA-p6mc-m468-83gw']);
    expect(suppressed[0]!.suppressions).toEqual([
      {
        kind: 'external',
        status: 'accepted',
        justification: 'ignore entry (shipshape.yaml, owner platform-team, until 2026-12-31): we never translate untrusted OIDs to text',
        properties: { by: 'ignore', source: 'shipshape.yaml', owner: 'platform-team', expires: '2026-12-31' },
      },
    ]);
    expect(suppressed[1]!.suppressions).toEqual([
      {
        kind: 'external',
        status: 'accepted',
        justification: 'VEX statement (vex/app.openvex.json): not_affected (vulnerable_code_not_in_execute_path): zipObjectDeep is never called',
        properties: { by: 'vex', source: 'vex/app.openvex.json', vexStatus: 'not_affected', vexJustification: 'vulnerable_code_not_in_execute_path' },
      },
    ]);
    expect(suppressed[1]!.message.text).toContain('lodash 4.17.20');
    // Active results carry no suppressions at all (an empty array would mean "not suppressed" too, but says less).
    expect(run.results.filter((r) => !r.suppressions)).toHaveLength(mixedReport().findings.length);
    // A finding keeps its fingerprint when it becomes suppressed, so the alert it made is the one dismissed.
    const { suppression: _s, ...asFinding } = mixedReport().suppressed![0]!;
    const active = parse(sarifReporter.render({ ...mixedReport(), findings: [asFinding], suppressed: undefined })).runs[0]!.results[0]!;
    expect(active.suppressions).toBeUndefined();
    expect(active.partialFingerprints).toEqual(suppressed[0]!.partialFingerprints);
  });

  it("puts a check's remediation in its rule's help", () => {
    const rule = run.tool.driver.rules.find((r) => r.id === 'root-user')!;
    expect(rule.help.text).toContain('How to fix: Set USER to a non-root user or uid in the image (e.g. USER 65532:65532).');
    expect(rule.help.markdown).toContain('**How to fix:** Set USER to a non-root user or uid in the image (e.g. USER 65532:65532).');
    expect(run.tool.driver.rules.find((r) => r.id === 'setuid-files')!.help.text).not.toContain('How to fix');
  });

  it('fingerprints tell two installs of one package apart and survive a rescan with another database', () => {
    const fps = run.results.filter((r) => r.ruleId === 'GHSA-35jh-r3h4-6jhm').map((r) => r.partialFingerprints['shipshape/v1']);
    expect(fps).toHaveLength(2);
    expect(fps[0]).not.toBe(fps[1]);
    const other = mixedReport();
    other.db = { builtAt: '2027-01-01T00:00:00.000Z', digest: `sha256:${'9'.repeat(64)}`, schemaVersion: 1 };
    other.createdAt = '2027-01-01T00:00:00.000Z';
    const again = parse(sarifReporter.render(other)).runs[0]!.results.map((r) => r.partialFingerprints['shipshape/v1']);
    expect(again).toEqual(run.results.map((r) => r.partialFingerprints['shipshape/v1']));
  });
});

const multitool = path.join(repoRoot, 'node_modules/.bin/sarif-multitool');

describe.skipIf(!existsSync(multitool))('sarif output passes the SARIF multitool', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shipshape-sarif-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports no error for any sample report', () => {
    const files = SAMPLE_REPORTS.map((s, i) => {
      const f = path.join(dir, `sample-${i}.sarif`);
      writeFileSync(f, sarifReporter.render(s.report()));
      return f;
    });
    // A known-bad file proves the validator runs and that we read its verdicts right.
    const bad = path.join(dir, 'bad.sarif');
    writeFileSync(bad, JSON.stringify({ version: '2.1.0', runs: [{ tool: { driver: {} }, results: [{ level: 'error' }] }] }));
    const out = path.join(dir, 'validation.sarif');
    // The multitool exits 0 even when files are invalid: its findings are in the output log.
    execFileSync(multitool, ['validate', ...files, bad, '-o', out, '--log', 'ForceOverwrite', '--quiet'], { stdio: 'pipe', timeout: 120_000 });
    const results = parse(readFileSync(out, 'utf8')).runs.flatMap((r) => r.results) as unknown as {
      ruleId: string;
      level?: string;
      message: { id?: string; arguments?: string[] };
      locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
    }[];
    const errors = results.filter((r) => r.level === 'error');
    const fileOf = (r: (typeof results)[number]) => decodeURIComponent(r.locations[0]!.physicalLocation.artifactLocation.uri);
    expect(errors.filter((e) => fileOf(e).endsWith('bad.sarif')).length).toBeGreaterThan(0);
    const ours = errors.filter((e) => !fileOf(e).endsWith('bad.sarif'));
    expect(ours.map((e) => `${path.basename(fileOf(e))}: ${e.ruleId} ${JSON.stringify(e.message.arguments)}`)).toEqual([]);
    // Every result has a region now (the Dockerfile line, else line 1): no SARIF2017 warnings either.
    const warnings = results.filter((r) => r.level !== 'error' && !fileOf(r).endsWith('bad.sarif'));
    expect([...new Set(warnings.map((w) => w.ruleId))].sort()).toEqual([]);
  });
});
