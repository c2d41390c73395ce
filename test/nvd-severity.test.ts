/**
 * User-level: NVD scores rate the Alpine findings the secdb leaves unknown. The real alpine-3.7
 * image with the shared NVD sample: musl's CVE-2019-14697 is critical (9.8, from nvd) and
 * `--fail-on high` fails; without its NVD record the finding stays unknown, is named in a warning,
 * and fails only with --fail-on-unknown / failOnUnknown. Bad NVD files, an old database schema,
 * and `db update` of the NVD feed from a local API server (full, then incremental).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from './helpers/cli.js';
import { sampleRecords, startFakeNvd, type FakeNvd } from './helpers/nvd-api.js';
import { sharedPath } from './helpers/shared.js';

const secdb = sharedPath('vulndata/alpine-secdb');
const nvdSample = sharedPath('vulndata/nvd/nvd-0001.json.gz');
const images = sharedPath('images/oci');

interface Report {
  findings: Array<{ kind: string; id: string; severity: string; severitySource?: string; cvss?: { vector: string; score: number; version: string; source: string }; package?: { name: string } }>;
  warnings: Array<{ message: string; code?: string }>;
  verdict: { pass: boolean; reasons: string[] };
}

describe.skipIf(!secdb || !nvdSample || !images)('severity of OS findings from NVD', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-nvd-'));
  const env = { XDG_CACHE_HOME: path.join(tmp, 'cache') };
  const image = `oci:${images}/alpine-3.7:latest`;
  /** A vulndata directory: the shared secdb (linked, not copied) and an NVD folder of our choosing. */
  const vulndata = (name: string, nvdPage?: Buffer) => {
    const dir = path.join(tmp, name);
    mkdirSync(dir);
    symlinkSync(secdb!, path.join(dir, 'alpine-secdb'));
    if (nvdPage) {
      mkdirSync(path.join(dir, 'nvd'));
      writeFileSync(path.join(dir, 'nvd', 'nvd-0001.json.gz'), nvdPage);
    }
    return dir;
  };
  const sample = () => readFileSync(nvdSample!);
  /** The sample without musl's CVE: a finding NVD knows nothing about. */
  const withoutMusl = () => {
    const doc = JSON.parse(gunzipSync(sample()).toString('utf8')) as { vulnerabilities: Array<{ cve: { id: string } }>; totalResults: number; resultsPerPage: number };
    doc.vulnerabilities = doc.vulnerabilities.filter((v) => v.cve.id !== 'CVE-2019-14697');
    doc.totalResults = doc.resultsPerPage = doc.vulnerabilities.length;
    return gzipSync(JSON.stringify(doc));
  };
  const build = (from: string, db: string) => runCli(['db', 'build', '--from', from, '--db', db, '--quiet'], { env, timeoutMs: 120_000 });
  const scan = async (db: string, ...extra: string[]) => {
    const r = await runCli(['scan', image, '--db', db, '--no-cache', '--checks', 'none', '--no-policy', '--format', 'json', ...extra], { env, cwd: tmp });
    return { ...r, report: r.stdout ? (JSON.parse(r.stdout) as Report) : undefined };
  };
  let withNvd = '';
  let noMusl = '';

  beforeAll(async () => {
    withNvd = path.join(tmp, 'with-nvd.db');
    noMusl = path.join(tmp, 'no-musl.db');
    for (const [from, db] of [[vulndata('v-nvd', sample()), withNvd], [vulndata('v-no-musl', withoutMusl()), noMusl]] as const) {
      const r = await build(from, db);
      expect(r.code, r.stderr).toBe(0);
    }
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('alpine-3.7 with the NVD sample: musl CVE-2019-14697 is critical (9.8, source nvd) and --fail-on high exits 1', async () => {
    const r = await scan(withNvd, '--fail-on', 'high');
    expect(r.code, r.stderr).toBe(1);
    const musl = r.report!.findings.filter((f) => f.id === 'CVE-2019-14697');
    expect(musl.map((f) => f.package?.name).sort()).toEqual(['musl', 'musl-utils']);
    for (const f of musl) {
      expect(f).toMatchObject({
        severity: 'critical',
        severitySource: 'nvd',
        cvss: { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8, version: '3.1', source: 'nvd@nist.gov' },
      });
    }
    expect(r.report!.verdict.reasons).toEqual(['2 finding(s) at or above high']);
    expect(r.report!.warnings.filter((w) => w.code === 'unknown-severity')).toEqual([]);
    const table = await runCli(['scan', image, '--db', withNvd, '--no-cache', '--checks', 'none', '--no-policy'], { env, cwd: tmp });
    expect(table.stdout).toMatch(/^musl\s+1\.1\.18-r3\s+apk\s+CVE-2019-14697\s+critical \(nvd\)\s+9\.8\s+1\.1\.18-r4$/m);
  });

  it('a finding NVD does not know stays unknown, is named in the warning, and passes --fail-on high', async () => {
    const r = await scan(noMusl, '--fail-on', 'high');
    expect(r.code, r.stderr).toBe(0);
    expect(r.report!.findings.filter((f) => f.id === 'CVE-2019-14697').map((f) => [f.severity, f.severitySource, f.cvss])).toEqual([
      ['unknown', undefined, undefined],
      ['unknown', undefined, undefined],
    ]);
    const w = r.report!.warnings.find((x) => x.code === 'unknown-severity')!;
    expect(w.message).toMatch(/^2 vulnerabilities have no known severity .*: CVE-2019-14697 \(musl 1\.1\.18-r3, musl-utils 1\.1\.18-r3\)$/);
    expect(r.stderr).toContain(`shipshape: warning: ${w.message}`);
  });

  it('--fail-on-unknown, or failOnUnknown: true in shipshape.yaml, fails the gate on it', async () => {
    const flag = await scan(noMusl, '--fail-on-unknown');
    expect(flag.code, flag.stderr).toBe(1);
    expect(flag.report!.verdict.reasons).toEqual(['2 vulnerabilities of unknown severity (policy failOnUnknown)']);
    const dir = path.join(tmp, 'project');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'shipshape.yaml'), 'failOn: high\nfailOnUnknown: true\n');
    const file = await runCli(['scan', image, '--db', noMusl, '--no-cache', '--checks', 'none', '--quiet'], { env, cwd: dir });
    expect(file.code, file.stderr).toBe(1);
    expect(file.stdout).toMatch(/Verdict: FAIL \(2 vulnerabilities of unknown severity \(policy failOnUnknown\)\)/);
    // Rated by NVD, nothing is unknown: the same policy then fails on the threshold instead.
    const rated = await runCli(['scan', image, '--db', withNvd, '--no-cache', '--checks', 'none', '--quiet'], { env, cwd: dir });
    expect(rated.stdout).toMatch(/Verdict: FAIL \(2 finding\(s\) at or above high\)/);
  });

  it('bad NVD files: one-line error, exit 2, and the previous database stays', async () => {
    const db = path.join(tmp, 'keep.db');
    expect((await build(vulndata('v-keep', sample()), db)).code).toBe(0);
    const before = readFileSync(db);
    const bad: Array<[string, Buffer, RegExp]> = [
      ['truncated', sample().subarray(0, 1000), /nvd: nvd\/nvd-0001\.json\.gz: truncated or corrupt gzip$/],
      ['not-json', gzipSync('{"resultsPerPage":'), /nvd: nvd\/nvd-0001\.json\.gz: not JSON/],
      ['wrong-shape', gzipSync(JSON.stringify({ format: 'NVD_CPE', version: '2.0' })), /not an NVD CVE API 2\.0 response/],
    ];
    for (const [name, page, message] of bad) {
      const r = await runCli(['db', 'build', '--from', vulndata(`v-bad-${name}`, page), '--db', db, '--quiet'], { env, timeoutMs: 120_000 });
      expect(expectOneLineError(r)).toMatch(message);
    }
    expect(readFileSync(db).equals(before)).toBe(true);
  });

  it('a database of the previous schema (2) is refused with a one-line error naming the fix', async () => {
    const old = path.join(tmp, 'v2.db');
    const d = new Database(old);
    d.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version', '2');");
    d.pragma('user_version = 2');
    d.close();
    const r = await runCli(['scan', image, '--db', old, '--no-cache'], { env });
    expect(expectOneLineError(r)).toBe(`shipshape: ${old}: schema version 2, expected 3: run shipshape db build`);
  });
});

describe.skipIf(!nvdSample)('db update of the NVD feed from a local API server', () => {
  let nvd: FakeNvd;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-nvd-update-'));
  const env = { XDG_CACHE_HOME: path.join(tmp, 'cache') };
  const db = path.join(tmp, 'db.sqlite');

  beforeAll(async () => {
    nvd = await startFakeNvd(sampleRecords(nvdSample!), '/rest/json/cves/2.0');
  });
  afterAll(async () => {
    await nvd.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('downloads every CVE through --mirror the first time, then asks only for what changed since', async () => {
    const start = Date.now();
    const first = await runCli(['db', 'update', '--mirror', nvd.url, '--feeds', 'nvd', '--db', db, '--quiet'], { env, timeoutMs: 120_000 });
    expect(first.code, first.stderr).toBe(0);
    expect(nvd.log.map((r) => [r.path, r.params.startIndex, r.params.resultsPerPage, r.params.lastModStartDate])).toEqual([
      ['/services.nvd.nist.gov/rest/json/cves/2.0', '0', '2000', undefined],
    ]);
    const status = JSON.parse((await runCli(['db', 'status', '--db', db, '--format', 'json'], { env })).stdout) as { feeds: Array<{ id: string; records: number; source: string }> };
    expect(status.feeds).toEqual([expect.objectContaining({ id: 'nvd', records: 25, source: expect.stringMatching(/\(every CVE\)$/) })]);

    nvd.log.length = 0;
    const second = await runCli(['db', 'update', '--mirror', nvd.url, '--feeds', 'nvd', '--db', db, '--quiet'], { env, timeoutMs: 120_000 });
    expect(second.code, second.stderr).toBe(0);
    expect(nvd.log.length).toBe(1);
    const from = Date.parse(nvd.log[0]!.params.lastModStartDate!);
    const to = Date.parse(nvd.log[0]!.params.lastModEndDate!);
    // Since the first run started, less the hour of overlap kept for clock skew.
    expect(from).toBeGreaterThanOrEqual(start - 3600_000 - 1000);
    expect(from).toBeLessThanOrEqual(Date.now() - 3600_000);
    expect(to).toBeGreaterThanOrEqual(from);
    expect(to - from).toBeLessThanOrEqual(120 * 86_400_000);
    const again = JSON.parse((await runCli(['db', 'status', '--db', db, '--format', 'json'], { env })).stdout) as { feeds: Array<{ records: number; source: string }> };
    expect(again.feeds[0]).toMatchObject({ records: 25, source: expect.stringContaining('(changes since ') });
  });
});
