/** CycloneDX reporter: strict schema validation with the CycloneDX library, and what maps where. */
import * as CDX from '@cyclonedx/cyclonedx-library';
import { describe, expect, it } from 'vitest';
import { mixedReport, SAMPLE_REPORTS } from '../reports.case.js';
import { cyclonedxReporter } from './index.js';

interface Bom {
  serialNumber: string;
  metadata: { timestamp?: string; component: { type: string; name: string; version: string; purl: string; hashes: { alg: string; content: string }[] } };
  components: { type: string; 'bom-ref': string; purl?: string; licenses?: { license: { name: string } }[]; properties: { name: string; value: string }[] }[];
  dependencies: { ref: string; dependsOn: string[] }[];
  vulnerabilities?: { id: string; ratings: { severity: string; source?: { name: string } }[]; affects: { ref: string }[]; recommendation?: string }[];
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
    expect(v.map((x) => x.id)).toEqual(['CVE-2020-28500', 'CVE-2023-5678', 'CVE-2024-0727', 'GHSA-35jh-r3h4-6jhm']);
    const ghsa = v.find((x) => x.id === 'GHSA-35jh-r3h4-6jhm')!;
    expect(ghsa.affects.map((a) => a.ref)).toEqual(['pkg:npm/lodash@4.17.20', 'pkg:npm/lodash@4.17.20#/srv/node_modules/lodash/package.json']);
    expect(ghsa.ratings.map((r) => r.severity)).toEqual(['critical']);
    expect(ghsa.recommendation).toBe('Upgrade to lodash 4.17.21');
    const deb = v.find((x) => x.id === 'CVE-2023-5678')!;
    expect(deb.ratings[0]!.source?.name).toBe('Debian Security Tracker');
    // Checks and lint findings are not vulnerabilities of a component.
    expect(JSON.stringify(bom)).not.toContain('root-user');
  });

  it('leaves vulnerabilities out when there are none', () => {
    const empty = JSON.parse(cyclonedxReporter.render(SAMPLE_REPORTS[0]!.report())) as Bom;
    expect(empty.vulnerabilities).toBeUndefined();
    expect(empty.metadata.timestamp).toBeUndefined();
  });
});
