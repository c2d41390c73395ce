/** CycloneDX reporter: strict schema validation with the CycloneDX library, and what maps where. */
import * as CDX from '@cyclonedx/cyclonedx-library';
import { describe, expect, it } from 'vitest';
import { mixedReport, SAMPLE_REPORTS } from '../reports.case.js';
import type { ScanReport, Suppression } from '../../model/index.js';
import { analysisOf, cyclonedxReporter } from './index.js';

interface Bom {
  serialNumber: string;
  metadata: { timestamp?: string; component: { type: string; name: string; version: string; purl: string; hashes: { alg: string; content: string }[] } };
  components: { type: string; 'bom-ref': string; purl?: string; licenses?: { license: { name: string } }[]; properties: { name: string; value: string }[] }[];
  dependencies: { ref: string; dependsOn: string[] }[];
  vulnerabilities?: {
    'bom-ref': string;
    id: string;
    ratings: { severity: string; source?: { name: string } }[];
    affects: { ref: string }[];
    recommendation?: string;
    analysis?: { state: string; justification?: string; response?: string[]; detail: string };
  }[];
}

const validator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6);

describe('cyclonedx reporter', () => {
  it.each(SAMPLE_REPORTS.map((s) => [s.name, s.report] as const))('the %s report is valid CycloneDX 1.6 (strict)', async (_n, make) => {
    expect(await validator.validate(cyclonedxReporter.render(make()))).toBeNull();
  });

  it('the validator does reject a broken document', async () => {
    const bom = JSON.parse(cyclonedxReporter.render(mixedReport())) as Bom;
    bom.components[0]!.type = 'not-a-type';
    expect(await validator.validate(JSON.stringify(bom))).not.toBeNull();
  });

  const bom = JSON.parse(cyclonedxReporter.render(mixedReport())) as Bom;

  it("writes a lockfile's dev dependency with scope excluded and shipshape's dev property, still valid CycloneDX", async () => {
    const r = mixedReport();
    r.packages.push({ name: 'mocha', version: '10.0.0', type: 'npm', purl: 'pkg:npm/mocha@10.0.0', dev: true, locations: [{ layer: 'sha256:l', path: '/app/package-lock.json' }] });
    const text = cyclonedxReporter.render(r);
    expect(await validator.validate(text)).toBeNull();
    const mocha = (JSON.parse(text) as Bom).components.find((c) => c.purl === 'pkg:npm/mocha@10.0.0') as Bom['components'][number] & { scope?: string };
    expect(mocha.scope).toBe('excluded');
    expect(mocha.properties).toContainEqual({ name: 'shipshape:package:dev', value: 'true' });
    expect((JSON.parse(text) as Bom).components.filter((c) => (c as { scope?: string }).scope === 'excluded')).toHaveLength(1);
  });

  it('describes the image as a container with its digest', () => {
    const c = bom.metadata.component;
    expect(c.type).toBe('container');
    expect(c.name).toBe('app');
    expect(c.version).toBe(`sha256:${'d'.repeat(64)}`);
    expect(c.hashes).toEqual([{ alg: 'SHA-256', content: 'd'.repeat(64) }]);
    expect(c.purl).toBe(`pkg:oci/app@sha256%3A${'d'.repeat(64)}?arch=amd64&repository_url=registry.example%3A5000/team/app&tag=1.0`);
    expect(bom.metadata.timestamp).toBe('2026-01-02T03:04:05.678Z');
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('lists packages with unique refs, purls, licenses and where they were found', () => {
    const refs = bom.components.map((c) => c['bom-ref']);
    expect(new Set(refs).size).toBe(refs.length);
    const lodash = bom.components.filter((c) => c.purl === 'pkg:npm/lodash@4.17.20');
    expect(lodash.map((c) => c['bom-ref'])).toEqual(['pkg:npm/lodash@4.17.20', 'pkg:npm/lodash@4.17.20#/srv/node_modules/lodash/package.json']);
    const openssl = bom.components.find((c) => c.purl?.startsWith('pkg:deb/debian/openssl'))!;
    expect(openssl.licenses).toEqual([{ license: { name: 'Apache-2.0' } }, { license: { name: 'GPL-2+' } }]);
    expect(openssl.properties).toContainEqual({ name: 'shipshape:location:0:path', value: '/var/lib/dpkg/status' });
    expect(bom.components.find((c) => c.type === 'operating-system')).toBeDefined();
    expect(bom.dependencies[0]!.dependsOn).toHaveLength(bom.components.length);
  });

  it('lists each advisory once, affecting every package it was found in', () => {
    const v = bom.vulnerabilities!;
    expect(v.map((x) => x.id)).toEqual(['CVE-2020-28500', 'CVE-2023-2650', 'CVE-2023-5678', 'CVE-2024-0727', 'GHSA-35jh-r3h4-6jhm', 'GHSA-p6mc-m468-83gw']);
    const ghsa = v.find((x) => x.id === 'GHSA-35jh-r3h4-6jhm')!;
    expect(ghsa.affects.map((a) => a.ref)).toEqual(['pkg:npm/lodash@4.17.20', 'pkg:npm/lodash@4.17.20#/srv/node_modules/lodash/package.json']);
    expect(ghsa.ratings.map((r) => r.severity)).toEqual(['critical']);
    expect(ghsa.recommendation).toBe('Upgrade to lodash 4.17.21');
    const deb = v.find((x) => x.id === 'CVE-2023-5678')!;
    expect(deb.ratings[0]!.source?.name).toBe('Debian Security Tracker');
    // Checks and lint findings are not vulnerabilities of a component.
    expect(JSON.stringify(bom)).not.toContain('root-user');
  });

  it('lists suppressed vulnerabilities with an analysis: an ignore entry is an accepted risk, a VEX statement keeps its verdict', () => {
    const v = bom.vulnerabilities!;
    const ignored = v.find((x) => x.id === 'CVE-2023-2650')!;
    expect(ignored.analysis).toEqual({
      state: 'exploitable',
      response: ['will_not_fix'],
      detail: 'ignore entry (shipshape.yaml, owner platform-team, until 2026-12-31): we never translate untrusted OIDs to text',
    });
    expect(ignored.affects).toEqual([{ ref: 'pkg:deb/debian/openssl@3.0.11-1~deb12u1?arch=amd64&distro=debian-12' }]);
    const vex = v.find((x) => x.id === 'GHSA-p6mc-m468-83gw')!;
    expect(vex.analysis).toEqual({
      state: 'not_affected',
      justification: 'code_not_reachable',
      detail: 'VEX statement (vex/app.openvex.json): not_affected (vulnerable_code_not_in_execute_path): zipObjectDeep is never called',
    });
    expect(vex.affects).toEqual([{ ref: 'pkg:npm/lodash@4.17.20#/srv/node_modules/lodash/package.json' }]);
    // Active vulnerabilities have no analysis; checks suppressed (odd report) are not in the SBOM.
    expect(v.filter((x) => x.analysis).map((x) => x.id)).toEqual(['CVE-2023-2650', 'GHSA-p6mc-m468-83gw']);
    expect(cyclonedxReporter.render(SAMPLE_REPORTS[2]!.report())).not.toContain('shell-present');
  });

  it('gives an id found active in one place and suppressed in another two entries with unique refs', async () => {
    const r = mixedReport();
    const second = r.findings.filter((f) => f.id === 'GHSA-35jh-r3h4-6jhm')[1]!;
    const s: Suppression = { kind: 'ignore', reason: 'srv copy is dead code', source: 'shipshape.yaml' };
    const split: ScanReport = { ...r, findings: r.findings.filter((f) => f !== second), suppressed: [{ ...second, suppression: s }] };
    const out = cyclonedxReporter.render(split);
    expect(await validator.validate(out)).toBeNull();
    const entries = (JSON.parse(out) as Bom).vulnerabilities!.filter((x) => x.id === 'GHSA-35jh-r3h4-6jhm');
    expect(entries.map((e) => [e['bom-ref'], e.affects.map((a) => a.ref), e.analysis?.state])).toEqual([
      ['vuln:GHSA-35jh-r3h4-6jhm', ['pkg:npm/lodash@4.17.20'], undefined],
      ['vuln:GHSA-35jh-r3h4-6jhm#2', ['pkg:npm/lodash@4.17.20#/srv/node_modules/lodash/package.json'], 'exploitable'],
    ]);
  });

  it('changes the serial number when a vulnerability is suppressed, not when only a check is', () => {
    const plain = { ...mixedReport(), suppressed: undefined };
    const serial = (r: ScanReport) => (JSON.parse(cyclonedxReporter.render(r)) as Bom).serialNumber;
    expect(serial(mixedReport())).not.toBe(serial(plain));
    const checkOnly = SAMPLE_REPORTS[2]!.report().suppressed!.filter((f) => f.kind === 'check');
    expect(checkOnly).toHaveLength(1);
    expect(serial({ ...plain, suppressed: checkOnly })).toBe(serial(plain));
  });

  it('maps VEX statuses and justifications onto CycloneDX analysis', () => {
    const vex = (status: string, justification?: string): Suppression => ({
      kind: 'vex',
      reason: 'r',
      status,
      ...(justification ? { justification } : {}),
      source: 'v.json',
    });
    const cases: [Suppression, string, string | undefined][] = [
      [vex('not_affected', 'component_not_present'), 'not_affected', 'code_not_present'],
      [vex('not_affected', 'vulnerable_code_not_present'), 'not_affected', 'code_not_present'],
      [vex('not_affected', 'vulnerable_code_not_in_execute_path'), 'not_affected', 'code_not_reachable'],
      [vex('not_affected', 'vulnerable_code_cannot_be_controlled_by_adversary'), 'not_affected', 'requires_environment'],
      [vex('not_affected', 'inline_mitigations_already_exist'), 'not_affected', 'protected_by_mitigating_control'],
      [vex('fixed'), 'resolved', undefined],
      // CycloneDX VEX input: its own words pass through.
      [vex('false_positive'), 'false_positive', undefined],
      [vex('resolved_with_pedigree'), 'resolved_with_pedigree', undefined],
      [vex('not_affected', 'protected_at_perimeter'), 'not_affected', 'protected_at_perimeter'],
      // A justification neither format knows is left out (it is still in the detail).
      [vex('not_affected', 'because'), 'not_affected', undefined],
    ];
    for (const [s, state, justification] of cases) {
      const a = analysisOf(s);
      expect([a.state, a.justification]).toEqual([state, justification]);
      expect(a.response).toBeUndefined();
    }
  });

  it('leaves vulnerabilities out when there are none', () => {
    const empty = JSON.parse(cyclonedxReporter.render(SAMPLE_REPORTS[0]!.report())) as Bom;
    expect(empty.vulnerabilities).toBeUndefined();
    expect(empty.metadata.timestamp).toBeUndefined();
  });
});
