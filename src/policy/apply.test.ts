/** applyPolicy over in-code reports: ignores with expiry, stale entries, VEX by digest and purl, switches, --severity, verdict. */
import { describe, expect, it } from 'vitest';
import type { Finding, Package, ScanReport } from '../model/index.js';
import { applyPolicy } from './apply.js';
import { emptyPolicy, type Policy, type VexStatement } from './types.js';

const DIGEST = `sha256:${'d'.repeat(64)}`;
const LAYER = `sha256:${'1'.repeat(64)}`;
const NOW = new Date('2026-06-15T12:00:00Z');

function pkg(name: string, version: string): Package {
  return {
    name,
    version,
    type: 'apk',
    purl: `pkg:apk/alpine/${name}@${version}?arch=x86_64&distro=alpine-3.7.3`,
    locations: [{ layer: LAYER, path: '/lib/apk/db/installed' }],
  };
}

function vuln(id: string, p: Package, severity: Finding['severity'] = 'high', aliases: string[] = [], fixed: string | null = '9'): Finding {
  return {
    kind: 'vulnerability',
    id,
    aliases,
    severity,
    package: { name: p.name, version: p.version, type: p.type },
    fixedVersion: fixed,
    locations: p.locations,
  };
}

function check(id: string, severity: Finding['severity'], paths: string[] = []): Finding {
  return { kind: 'check', id, aliases: [], severity, fixedVersion: null, locations: paths.map((path) => ({ layer: LAYER, path })) };
}

const musl = pkg('musl', '1.1.18-r3');
const utils = pkg('musl-utils', '1.1.18-r3');
const zlib = pkg('zlib', '1.2.11-r1');

function report(findings: Finding[]): ScanReport {
  return {
    schemaVersion: 1,
    image: { reference: 'oci:x', digest: DIGEST, layers: [LAYER] },
    os: { id: 'alpine', version: '3.7.3' },
    packages: [musl, utils, zlib],
    findings,
    warnings: [],
    db: null,
    verdict: { pass: true, failOn: null, reasons: [], minimal: false },
  };
}

const base = () =>
  report([
    vuln('CVE-2019-14697', musl, 'critical'),
    vuln('CVE-2019-14697', utils, 'critical'),
    vuln('CVE-2018-25032', zlib, 'high', ['GHSA-zlib'], null),
    check('shell-present', 'medium', ['/bin/sh', '/bin/busybox']),
    check('root-user', 'high'),
  ]);

function policy(p: Partial<Policy>): Policy {
  return { ...emptyPolicy(), source: 'shipshape.yaml', ...p };
}

function openVex(s: Partial<VexStatement>): VexStatement {
  return { vulnerability: 'CVE-2019-14697', aliases: [], products: [], status: 'not_affected', originalStatus: 'not_affected', source: 'app.vex.json', ...s };
}

const ids = (fs: Finding[] | undefined) => (fs ?? []).map((f) => `${f.id}/${f.package?.name ?? '-'}`);

describe('applyPolicy: ignore entries', () => {
  it('suppresses what an entry matches by id, package and path, with its reason, owner and expiry', () => {
    const r = applyPolicy(
      base(),
      policy({
        failOn: 'high',
        ignore: [
          { id: 'CVE-2019-14697', package: 'musl', reason: 'not reachable', owner: 'team-a', expires: '2026-06-15' },
          { id: 'shell-present', path: '/bin/*', reason: 'debug image' },
        ],
      }),
      { now: NOW },
    );
    expect(ids(r.findings)).toEqual(['CVE-2019-14697/musl-utils', 'CVE-2018-25032/zlib', 'root-user/-']);
    expect(r.suppressed?.map((f) => [f.id, f.package?.name, f.suppression])).toEqual([
      ['CVE-2019-14697', 'musl', { kind: 'ignore', reason: 'not reachable', source: 'shipshape.yaml', owner: 'team-a', expires: '2026-06-15' }],
      ['shell-present', undefined, { kind: 'ignore', reason: 'debug image', source: 'shipshape.yaml' }],
    ]);
    expect(r.warnings).toEqual([]);
    expect(r.verdict).toMatchObject({ pass: false, failOn: 'high', reasons: ['3 finding(s) at or above high'] });
  });

  it('matches an alias, case-insensitively', () => {
    const r = applyPolicy(base(), policy({ ignore: [{ id: 'ghsa-zlib', reason: 'r' }] }), { now: NOW });
    expect(ids(r.suppressed)).toEqual(['CVE-2018-25032/zlib']);
  });

  it('stops applying after the end of the expiry day (UTC), with a warning naming the id and the date', () => {
    const p = policy({ failOn: 'critical', ignore: [{ id: 'CVE-2019-14697', reason: 'r', expires: '2026-06-14', where: 'shipshape.yaml:3:5' }] });
    const r = applyPolicy(base(), p, { now: NOW });
    expect(r.suppressed).toBeUndefined();
    expect(r.verdict.pass).toBe(false);
    expect(r.warnings).toEqual([
      {
        code: 'ignore-expired',
        message: 'ignore entry CVE-2019-14697 expired on 2026-06-14: it no longer suppresses anything (shipshape.yaml:3:5)',
      },
    ]);
    // The last millisecond of the expiry day still counts; the next one does not.
    expect(applyPolicy(base(), p, { now: new Date('2026-06-14T23:59:59.999Z') }).verdict.pass).toBe(true);
    expect(applyPolicy(base(), p, { now: new Date('2026-06-15T00:00:00.000Z') }).verdict.pass).toBe(false);
  });

  it('warns about an entry that matches nothing (stale), and about one whose path or package does not fit', () => {
    const r = applyPolicy(
      base(),
      policy({
        ignore: [
          { id: 'CVE-2000-0001', reason: 'old', where: 'shipshape.yaml:7:5' },
          { id: 'CVE-2019-14697', package: 'busybox', reason: 'r' },
          { id: 'shell-present', path: '/usr/**', reason: 'r' },
          { id: 'root-user', path: '/**', reason: 'a check without locations has no path' },
        ],
      }),
      { now: NOW },
    );
    expect(r.findings).toHaveLength(5);
    expect(r.warnings.map((w) => [w.code, w.message])).toEqual([
      ['ignore-stale', 'ignore entry CVE-2000-0001 matches no finding: remove it if the problem is gone (shipshape.yaml:7:5)'],
      ['ignore-stale', 'ignore entry CVE-2019-14697 package busybox matches no finding: remove it if the problem is gone'],
      ['ignore-stale', 'ignore entry shell-present path /usr/** matches no finding: remove it if the problem is gone'],
      ['ignore-stale', 'ignore entry root-user path /** matches no finding: remove it if the problem is gone'],
    ]);
  });

  it('leaves the input report unchanged', () => {
    const input = base();
    const copy = structuredClone(input);
    applyPolicy(input, policy({ ignore: [{ id: 'CVE-2019-14697', reason: 'r' }], failOn: 'low' }), { now: NOW });
    expect(input).toEqual(copy);
  });
});

describe('applyPolicy: VEX', () => {
  it('a not_affected statement for the image digest suppresses that vulnerability, with the justification', () => {
    const r = applyPolicy(
      base(),
      policy({
        failOn: 'critical',
        vex: [openVex({ products: [{ id: `pkg:oci/app@${DIGEST}`, digest: DIGEST, subcomponents: [] }], justification: 'vulnerable_code_not_in_execute_path', statement: 'x87 only' })],
      }),
      { now: NOW },
    );
    expect(ids(r.findings)).toEqual(['CVE-2018-25032/zlib', 'shell-present/-', 'root-user/-']);
    expect(r.suppressed?.map((f) => f.suppression)).toEqual([
      {
        kind: 'vex',
        reason: 'not_affected (vulnerable_code_not_in_execute_path): x87 only',
        status: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
        source: 'app.vex.json',
      },
      {
        kind: 'vex',
        reason: 'not_affected (vulnerable_code_not_in_execute_path): x87 only',
        status: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
        source: 'app.vex.json',
      },
    ]);
    expect(r.verdict.pass).toBe(true);
  });

  it('subcomponents limit a statement to those packages', () => {
    const st = openVex({ products: [{ id: DIGEST, digest: DIGEST, subcomponents: ['pkg:apk/alpine/musl-utils'] }] });
    const r = applyPolicy(base(), policy({ vex: [st] }), { now: NOW });
    expect(ids(r.suppressed)).toEqual(['CVE-2019-14697/musl-utils']);
  });

  it('a statement about another image does nothing; one naming the package purl applies in any image', () => {
    const other = `sha256:${'e'.repeat(64)}`;
    expect(applyPolicy(base(), policy({ vex: [openVex({ products: [{ id: other, digest: other, subcomponents: [] }] })] }), { now: NOW }).suppressed).toBeUndefined();
    const byPurl = openVex({ status: 'fixed', originalStatus: 'resolved', products: [{ id: 'pkg:apk/alpine/musl@1.1.18-r3', purl: 'pkg:apk/alpine/musl@1.1.18-r3', subcomponents: [] }] });
    const r = applyPolicy(base(), policy({ vex: [byPurl] }), { now: NOW });
    expect(ids(r.suppressed)).toEqual(['CVE-2019-14697/musl']);
    expect(r.suppressed![0]!.suppression).toMatchObject({ kind: 'vex', status: 'resolved', reason: 'resolved' });
  });

  it('affected and under_investigation do not suppress; the latest statement decides', () => {
    const img = [{ id: DIGEST, digest: DIGEST, subcomponents: [] }];
    const older = openVex({ products: img, timestamp: '2026-01-01T00:00:00Z' });
    const newer = openVex({ products: img, status: 'affected', originalStatus: 'affected', timestamp: '2026-03-01T00:00:00Z' });
    expect(applyPolicy(base(), policy({ vex: [newer, older] }), { now: NOW }).suppressed).toBeUndefined();
    expect(applyPolicy(base(), policy({ vex: [{ ...older, timestamp: '2026-04-01T00:00:00Z' }, newer] }), { now: NOW }).suppressed).toHaveLength(2);
    const triage = openVex({ products: img, status: 'under_investigation', originalStatus: 'in_triage' });
    expect(applyPolicy(base(), policy({ vex: [triage] }), { now: NOW }).suppressed).toBeUndefined();
  });

  it('an ignore entry takes a finding before VEX does', () => {
    const r = applyPolicy(
      base(),
      policy({ ignore: [{ id: 'CVE-2019-14697', package: 'musl', reason: 'mine' }], vex: [openVex({ products: [{ id: DIGEST, digest: DIGEST, subcomponents: [] }] })] }),
      { now: NOW },
    );
    expect(r.suppressed?.map((f) => `${f.package?.name}:${f.suppression.kind}`)).toEqual(['musl:ignore', 'musl-utils:vex']);
    expect(r.warnings).toEqual([]);
  });
});

describe('applyPolicy: switches, severities and the verdict', () => {
  it('drops switched-off checks and, with ignoreUnfixed, vulnerabilities without a fix', () => {
    const r = applyPolicy(base(), policy({ ignoreUnfixed: true, checks: { enabled: { 'root-user': false, 'shell-present': true } } }), { now: NOW });
    expect(ids(r.findings)).toEqual(['CVE-2019-14697/musl', 'CVE-2019-14697/musl-utils', 'shell-present/-']);
  });

  it('--severity keeps only the listed severities, in findings and suppressed, and the gate judges what is left', () => {
    const r = applyPolicy(base(), policy({ severities: ['high', 'medium'], failOn: 'unknown', ignore: [{ id: 'root-user', reason: 'r' }] }), { now: NOW });
    expect(ids(r.findings)).toEqual(['CVE-2018-25032/zlib', 'shell-present/-']);
    expect(ids(r.suppressed)).toEqual(['root-user/-']);
    expect(r.verdict).toMatchObject({ pass: false, reasons: ['2 finding(s) at or above unknown'] });
    expect(applyPolicy(base(), policy({ severities: ['low'], failOn: 'unknown' }), { now: NOW }).verdict.pass).toBe(true);
  });

  it('requireMinimal fails a non-minimal image; noData: fail fails when the database had nothing for the release', () => {
    expect(applyPolicy(base(), policy({ checks: { enabled: {}, requireMinimal: true } }), { now: NOW }).verdict.reasons).toEqual([
      'the image is not minimal (shell, package manager, root user or setuid files)',
    ]);
    const noData = { ...report([]), warnings: [{ code: 'no-data' as const, message: 'the database has no advisories for Alpine (alpine 3.7.3)' }] };
    expect(applyPolicy(noData, policy({}), { now: NOW }).verdict.pass).toBe(true);
    expect(applyPolicy(noData, policy({ noData: 'warn' }), { now: NOW }).verdict.pass).toBe(true);
    const failed = applyPolicy(noData, policy({ noData: 'fail' }), { now: NOW }).verdict;
    expect(failed.pass).toBe(false);
    expect(failed.reasons[0]).toMatch(/noData: fail/);
    // A warning that merely says the same words is not the flag.
    expect(applyPolicy({ ...noData, warnings: [{ message: 'the database has no advisories for x' }] }, policy({ noData: 'fail' }), { now: NOW }).verdict.pass).toBe(true);
  });
});

describe('vulnerabilities of unknown severity', () => {
  const unrated = () =>
    report([
      vuln('CVE-2019-14697', musl, 'unknown'),
      vuln('CVE-2019-14697', utils, 'unknown'),
      vuln('CVE-2018-25032', zlib, 'high'),
      check('stale-image', 'unknown'),
    ]);

  it('are counted and named, with their packages, in one warning; the gate still passes by default', () => {
    const out = applyPolicy(unrated(), { ...emptyPolicy(), failOn: 'critical' }, { now: NOW });
    expect(out.warnings).toEqual([
      {
        code: 'unknown-severity',
        message:
          '2 vulnerabilities have no known severity (no vendor severity, no CVSS score in the database), so --fail-on cannot judge them: ' +
          'CVE-2019-14697 (musl 1.1.18-r3, musl-utils 1.1.18-r3)',
      },
    ]);
    expect(out.verdict.pass).toBe(true);
  });

  it('fail the gate with failOnUnknown, even when --severity leaves them out of the report', () => {
    const out = applyPolicy(unrated(), { ...emptyPolicy(), failOnUnknown: true, severities: ['high', 'critical'] }, { now: NOW });
    expect(out.findings.map((f) => f.id)).toEqual(['CVE-2018-25032']);
    expect(out.verdict).toMatchObject({ pass: false, reasons: ['2 vulnerabilities of unknown severity (policy failOnUnknown)'] });
  });

  it('give no warning when every vulnerability is rated or suppressed, and a report judged twice warns once', () => {
    const policy = { ...emptyPolicy(), failOnUnknown: true, ignore: [{ id: 'CVE-2019-14697', reason: 'ldd is not run' }] };
    const out = applyPolicy(unrated(), policy, { now: NOW });
    expect(out.warnings.filter((w) => w.code === 'unknown-severity')).toEqual([]);
    expect(out.verdict.pass).toBe(true);
    const twice = applyPolicy(applyPolicy(unrated(), emptyPolicy(), { now: NOW }), emptyPolicy(), { now: NOW });
    expect(twice.warnings.filter((w) => w.code === 'unknown-severity').length).toBe(1);
  });

  it('name twenty ids and count the rest', () => {
    const many = report(Array.from({ length: 25 }, (_, i) => vuln(`CVE-2020-${String(1000 + i)}`, zlib, 'unknown')));
    const w = applyPolicy(many, emptyPolicy(), { now: NOW }).warnings.find((x) => x.code === 'unknown-severity')!;
    expect(w.message).toMatch(/^25 vulnerabilities .*CVE-2020-1000 \(zlib 1\.2\.11-r1\);.*CVE-2020-1019 \(zlib 1\.2\.11-r1\), and 5 more$/);
  });
});
