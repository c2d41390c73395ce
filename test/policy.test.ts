/** The policy file through the real CLI: one-line file:line:column errors, ignore expiry, stale entries, VEX, --severity and --exit-code. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanReport } from '../src/model/index.js';
import { expectOneLineError, runCli } from './helpers/cli.js';
import { sharedPath } from './helpers/shared.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-policy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** Writes a policy (and any VEX files beside it) into a fresh directory; returns the policy path. */
function policyFile(yaml: string, extra: Record<string, string> = {}): string {
  const dir = path.join(tmp, `p${++n}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(extra)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  const file = path.join(dir, 'shipshape.yaml');
  writeFileSync(file, yaml);
  return file;
}

/** YYYY-MM-DD of today (UTC) plus `days`. */
function utcDate(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

describe('a bad policy file ends in one line naming file:line:column, exit 2', () => {
  // The policy is read before the image or the database: these need neither.
  const scan = (file: string) => runCli(['scan', 'oci:/nonexistent', '--db', path.join(tmp, 'no.db'), '--policy', file, '--no-cache']);

  it.each([
    ['unknown key', 'failOn: high\nignoreUnfix: true\n', ':2:1: unknown key "ignoreUnfix"'],
    ['unknown check id', 'checks:\n  root-usr: false\n', ':2:3: unknown key "root-usr" in checks'],
    ['wrong type', 'failOn: high\nignoreUnfixed: maybe\n', ':2:16: ignoreUnfixed must be a boolean, not the string "maybe"'],
    ['invalid date', 'ignore:\n  - id: CVE-2019-14697\n    reason: r\n    expires: 2026-13-01\n', ':4:14: ignore[0].expires: invalid date "2026-13-01"'],
    ['bad severity', '\nfailOn: severe\n', ':2:9: failOn: unknown severity "severe"'],
    ['bad YAML', 'failOn: high\nignore:\n  - id: [CVE-1\n', ': invalid YAML: '],
    ['missing reason', 'ignore:\n  - id: CVE-2019-14697\n', ':2:5: ignore[0]: missing "reason"'],
  ])('%s', async (_name, yaml, expected) => {
    const file = policyFile(yaml);
    const line = expectOneLineError(await scan(file));
    expect(line).toContain(`shipshape: ${file}:`);
    expect(line).toContain(expected);
    // `policy check` says the same.
    expect(expectOneLineError(await runCli(['policy', 'check', file]))).toBe(line);
  });

  it('an unparseable VEX document', async () => {
    const file = policyFile('vex:\n  - vex/app.openvex.json\n', { 'vex/app.openvex.json': '{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [' });
    expect(expectOneLineError(await scan(file))).toMatch(new RegExp(`^shipshape: ${file}:2:5: vex/app\\.openvex\\.json: not valid JSON \\(`));
  });

  it('a VEX document of an unknown format', async () => {
    const file = policyFile('failOn: high\nvex: [sbom.spdx.json]\n', { 'sbom.spdx.json': '{"spdxVersion": "SPDX-2.3", "packages": []}' });
    expect(expectOneLineError(await scan(file))).toMatch(new RegExp(`^shipshape: ${file}:2:7: sbom\\.spdx\\.json: not a VEX document this version reads`));
  });

  it('a missing policy file, and bad --severity and --exit-code values', async () => {
    expect(expectOneLineError(await scan(path.join(tmp, 'absent.yaml')))).toMatch(/cannot read policy file .*absent\.yaml: ENOENT/);
    const file = policyFile('failOn: high\n');
    expect(expectOneLineError(await runCli(['scan', 'oci:/x', '--policy', file, '--severity', 'HIGH,SEVERE']))).toMatch(/--severity: unknown severity "SEVERE"/);
    expect(expectOneLineError(await runCli(['scan', 'oci:/x', '--policy', file, '--exit-code', 'x']))).toMatch(/--exit-code: "x" is not an exit code/);
  });

  it('policy schema prints a JSON Schema whose check switches are the known checks', async () => {
    const r = await runCli(['policy', 'schema']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout) as { $schema: string; properties: { checks: { properties: Record<string, unknown> } } };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(Object.keys(schema.properties.checks.properties)).toEqual(expect.arrayContaining(['root-user', 'shell-present', 'requireMinimal', 'maxImageAge']));
  });
});

const vulndata = sharedPath('vulndata/alpine-secdb');
const alpine37 = sharedPath('images/oci/alpine-3.7');

describe.skipIf(!vulndata || !alpine37)('policies applied to a real scan (alpine 3.7: CVE-2019-14697 on musl and musl-utils)', () => {
  const db = path.join(tmp, 'db.sqlite');
  const cache = path.join(tmp, 'cache');
  const image = `oci:${alpine37}:latest`;
  let digest = '';

  const scan = async (...args: string[]) => {
    const r = await runCli(['scan', image, '--db', db, '--cache-dir', cache, '--format', 'json', '--checks', 'none', ...args]);
    if (r.code === 2) throw new Error(r.stderr);
    return { ...r, report: JSON.parse(r.stdout) as ScanReport };
  };
  const found = (r: ScanReport) => r.findings.map((f) => `${f.id}/${f.package?.name}`);

  beforeAll(async () => {
    // The Alpine part of ../shared/vulndata is all this image needs: a quicker build than every feed.
    const feeds = path.join(tmp, 'feeds');
    mkdirSync(feeds);
    symlinkSync(vulndata!, path.join(feeds, 'alpine-secdb'));
    const built = await runCli(['db', 'build', '--from', feeds, '--db', db, '--quiet'], { timeoutMs: 120_000 });
    expect(built.code, built.stderr).toBe(0);
    const base = await scan('--no-policy', '--fail-on', 'unknown');
    expect(base.code).toBe(1);
    expect(found(base.report)).toEqual(['CVE-2019-14697/musl', 'CVE-2019-14697/musl-utils']);
    digest = base.report.image.digest;
  });

  const ignoring = (expires: string) =>
    policyFile(`failOn: unknown\nignore:\n  - id: CVE-2019-14697\n    reason: musl's iconv is not used\n    owner: platform-team\n    expires: ${expires}\n`);

  it('an ignore entry that expired yesterday no longer suppresses: the gate fails, and says why', async () => {
    const yesterday = utcDate(-1);
    const r = await scan('--policy', ignoring(yesterday));
    expect(r.code).toBe(1);
    expect(found(r.report)).toEqual(['CVE-2019-14697/musl', 'CVE-2019-14697/musl-utils']);
    expect(r.report.suppressed).toBeUndefined();
    expect(r.report.warnings.filter((w) => w.code === 'ignore-expired').map((w) => w.message)).toEqual([
      expect.stringContaining(`ignore entry CVE-2019-14697 expired on ${yesterday}`),
    ]);
    expect(r.stderr).toContain(`warning: ignore entry CVE-2019-14697 expired on ${yesterday}`);
  });

  it('the same entry expiring tomorrow suppresses both findings: the gate passes', async () => {
    const tomorrow = utcDate(1);
    const r = await scan('--policy', ignoring(tomorrow));
    expect(r.code).toBe(0);
    expect(r.report.findings).toEqual([]);
    expect(r.report.suppressed?.map((f) => [f.package?.name, f.suppression])).toEqual([
      ['musl', { kind: 'ignore', reason: "musl's iconv is not used", source: expect.stringMatching(/shipshape\.yaml$/), owner: 'platform-team', expires: tomorrow }],
      ['musl-utils', { kind: 'ignore', reason: "musl's iconv is not used", source: expect.stringMatching(/shipshape\.yaml$/), owner: 'platform-team', expires: tomorrow }],
    ]);
    expect(r.report.warnings.filter((w) => w.code)).toEqual([]);
  });

  it('is found in the working directory as shipshape.yaml, and --no-policy ignores it', async () => {
    const file = ignoring(utcDate(1));
    const inDir = await runCli(['scan', image, '--db', path.relative(path.dirname(file), db), '--cache-dir', cache, '-f', 'json', '--checks', 'none'], {
      cwd: path.dirname(file),
    });
    expect(inDir.code, inDir.stderr).toBe(0);
    const off = await runCli(['scan', image, '--db', db, '--cache-dir', cache, '-f', 'json', '--checks', 'none', '--no-policy', '--fail-on', 'unknown'], {
      cwd: path.dirname(file),
    });
    expect(off.code).toBe(1);
  });

  it('an OpenVEX not_affected statement for the image digest and musl suppresses exactly that finding, with its justification', async () => {
    const vex = {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': 'https://example.com/vex/alpine-3.7',
      author: 'security@example.com',
      timestamp: '2026-01-01T00:00:00Z',
      version: 1,
      statements: [
        {
          vulnerability: { name: 'CVE-2019-14697' },
          products: [{ '@id': `pkg:oci/alpine@${encodeURIComponent(digest)}`, subcomponents: [{ '@id': 'pkg:apk/alpine/musl@1.1.18-r3' }] }],
          status: 'not_affected',
          justification: 'vulnerable_code_not_in_execute_path',
          impact_statement: 'no x87 code calls iconv here',
        },
      ],
    };
    const file = policyFile('failOn: unknown\nvex:\n  - vex/alpine.openvex.json\n', { 'vex/alpine.openvex.json': JSON.stringify(vex) });
    const r = await scan('--policy', file);
    expect(found(r.report)).toEqual(['CVE-2019-14697/musl-utils']);
    expect(r.report.suppressed?.map((f) => [`${f.id}/${f.package?.name}`, f.suppression])).toEqual([
      [
        'CVE-2019-14697/musl',
        {
          kind: 'vex',
          reason: 'not_affected (vulnerable_code_not_in_execute_path): no x87 code calls iconv here',
          status: 'not_affected',
          justification: 'vulnerable_code_not_in_execute_path',
          source: 'vex/alpine.openvex.json',
        },
      ],
    ]);
    expect(r.code).toBe(1);
  });

  it('a statement about another image digest suppresses nothing', async () => {
    const other = `sha256:${'0'.repeat(64)}`;
    const vex = { '@context': 'https://openvex.dev/ns/v0.2.0', statements: [{ vulnerability: 'CVE-2019-14697', products: [other], status: 'not_affected' }] };
    const r = await scan('--policy', policyFile('vex: [v.json]\n', { 'v.json': JSON.stringify(vex) }));
    expect(found(r.report)).toEqual(['CVE-2019-14697/musl', 'CVE-2019-14697/musl-utils']);
  });

  it('a CycloneDX VEX naming musl-utils by purl suppresses that finding', async () => {
    const bom = {
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      version: 1,
      components: [{ type: 'library', 'bom-ref': 'mu', name: 'musl-utils', purl: 'pkg:apk/alpine/musl-utils@1.1.18-r3?arch=x86_64' }],
      vulnerabilities: [{ id: 'CVE-2019-14697', analysis: { state: 'false_positive', detail: 'ldd only' }, affects: [{ ref: 'mu' }] }],
    };
    const r = await scan('--policy', policyFile('vex: [app.cdx.json]\n', { 'app.cdx.json': JSON.stringify(bom) }));
    expect(found(r.report)).toEqual(['CVE-2019-14697/musl']);
    expect(r.report.suppressed?.[0]?.suppression).toMatchObject({ kind: 'vex', status: 'false_positive', reason: 'false_positive: ldd only' });
  });

  it('an ignore entry matching nothing is warned about as stale', async () => {
    const file = policyFile('ignore:\n  - id: CVE-2019-14697\n    reason: r\n  - id: CVE-2014-0160\n    package: openssl\n    reason: fixed long ago\n');
    const r = await scan('--policy', file);
    expect(r.code).toBe(0);
    const stale = r.report.warnings.filter((w) => w.code === 'ignore-stale');
    expect(stale.map((w) => w.message)).toEqual([`ignore entry CVE-2014-0160 package openssl matches no finding: remove it if the problem is gone (${file}:4:5)`]);
    expect(r.stderr).toContain('warning: ignore entry CVE-2014-0160 package openssl matches no finding');
  });

  it('noData: fail fails a scan whose OS release the database has no advisories for; the default only warns', async () => {
    // A database with Alpine 3.20 only: the 3.7 image's packages cannot be checked.
    const feeds = path.join(tmp, 'feeds-320');
    mkdirSync(path.join(feeds, 'alpine-secdb', 'v3.20'), { recursive: true });
    writeFileSync(
      path.join(feeds, 'alpine-secdb', 'v3.20', 'main.yaml'),
      'distroversion: v3.20\nreponame: main\npackages:\n  - pkg:\n      name: musl\n      secfixes:\n        1.2.5-r1:\n          - CVE-2025-26519\n',
    );
    const otherDb = path.join(tmp, 'db-320.sqlite');
    const built = await runCli(['db', 'build', '--from', feeds, '--db', otherDb, '--quiet']);
    expect(built.code, built.stderr).toBe(0);
    const run = (yaml: string) =>
      runCli(['scan', image, '--db', otherDb, '--cache-dir', cache, '-f', 'json', '--checks', 'none', '--policy', policyFile(yaml)]);
    const warned = await run('failOn: unknown\n');
    expect(warned.code).toBe(0);
    const report = JSON.parse(warned.stdout) as ScanReport;
    expect(report.warnings.filter((w) => w.code === 'no-data')).toHaveLength(1);
    const failed = await run('failOn: unknown\nnoData: fail\n');
    expect(failed.code).toBe(1);
    expect((JSON.parse(failed.stdout) as ScanReport).verdict.reasons).toEqual([expect.stringContaining('noData: fail')]);
  });

  it('flags override the file: --fail-on replaces failOn; --severity trims the report; --exit-code sets the code', async () => {
    const file = policyFile('failOn: unknown\n');
    expect((await scan('--policy', file)).code).toBe(1);
    expect((await scan('--policy', file, '--fail-on', 'critical')).code).toBe(0);
    // Trivy's gate: --exit-code with --severity fails only on the listed severities.
    const high = await scan('--no-policy', '--exit-code', '1', '--severity', 'HIGH,CRITICAL');
    expect(high.code).toBe(0);
    expect(high.report.findings).toEqual([]);
    const unknown = await scan('--no-policy', '--exit-code', '7', '--severity', 'UNKNOWN');
    expect(unknown.code).toBe(7);
    expect(found(unknown.report)).toEqual(['CVE-2019-14697/musl', 'CVE-2019-14697/musl-utils']);
    expect((await scan('--no-policy', '--exit-code', '0')).code).toBe(0);
  });
});
