/** SPDX reporter: valid against the SPDX 2.3 JSON schema (from ../shared), ids safe and unique, the image CONTAINS its packages. */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test/helpers/shared.js';
import { mixedReport, oddReport, SAMPLE_REPORTS } from '../reports.case.js';
import { spdxReporter } from './index.js';

interface Doc {
  SPDXID: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[] };
  packages: { SPDXID: string; name: string; versionInfo: string; licenseDeclared: string; externalRefs?: { referenceLocator: string }[]; primaryPackagePurpose?: string }[];
  hasExtractedLicensingInfos?: { licenseId: string; extractedText: string }[];
  relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
}

const schemaFile = sharedPath('schemas/spdx-2.3.schema.json');

describe.skipIf(!schemaFile)('spdx output against the SPDX 2.3 schema', () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(schemaFile!, 'utf8')) as object);

  it.each(SAMPLE_REPORTS.map((s) => [s.name, s.report] as const))('the %s report is valid', (_n, make) => {
    const ok = validate(JSON.parse(spdxReporter.render(make())));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema does reject a broken document', () => {
    const doc = JSON.parse(spdxReporter.render(mixedReport())) as Doc;
    (doc.relationships[0] as { relationshipType: string }).relationshipType = 'LIKES';
    expect(validate(doc)).toBe(false);
  });
});

describe('spdx reporter', () => {
  const doc = JSON.parse(spdxReporter.render(mixedReport())) as Doc;

  it('names the document after the image digest and dates it from the report', () => {
    expect(doc.SPDXID).toBe('SPDXRef-DOCUMENT');
    expect(doc.documentNamespace).toBe(`https://shipshape.dev/spdx/app-${'d'.repeat(64)}`);
    expect(doc.creationInfo.created).toBe('2026-01-02T03:04:05Z');
    expect(doc.creationInfo.creators[0]).toMatch(/^Tool: shipshape-\d+\.\d+\.\d+/);
  });

  it('describes the image, which contains every package once', () => {
    expect(doc.packages[0]).toMatchObject({ SPDXID: 'SPDXRef-Image', primaryPackagePurpose: 'CONTAINER', versionInfo: `sha256:${'d'.repeat(64)}` });
    const describes = doc.relationships.filter((r) => r.relationshipType === 'DESCRIBES');
    expect(describes).toEqual([{ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-Image' }]);
    const contained = doc.relationships.filter((r) => r.relationshipType === 'CONTAINS').map((r) => r.relatedSpdxElement);
    expect(contained.sort()).toEqual(doc.packages.slice(1).map((p) => p.SPDXID).sort());
    expect(doc.packages[1]).toMatchObject({ SPDXID: 'SPDXRef-OperatingSystem', name: 'debian', versionInfo: '12' });
    expect(doc.packages.slice(2).map((p) => p.SPDXID)).toEqual([
      'SPDXRef-Package-deb-openssl-3.0.11-1-deb12u1',
      'SPDXRef-Package-npm-lodash-4.17.20',
      'SPDXRef-Package-npm-lodash-4.17.20-2',
    ]);
  });

  it('keeps SPDX license ids and turns other license texts into LicenseRefs', () => {
    const openssl = doc.packages.find((p) => p.name === 'openssl')!;
    expect(openssl.licenseDeclared).toBe('Apache-2.0 AND LicenseRef-GPL-2');
    expect(doc.hasExtractedLicensingInfos).toContainEqual({ licenseId: 'LicenseRef-GPL-2', extractedText: 'GPL-2+', name: 'GPL-2+' });
    expect(openssl.externalRefs?.[0]?.referenceLocator).toBe('pkg:deb/debian/openssl@3.0.11-1~deb12u1?arch=amd64&distro=debian-12');
  });

  it('makes ids from odd names that SPDX accepts', () => {
    const odd = JSON.parse(spdxReporter.render(oddReport())) as Doc;
    for (const p of odd.packages) expect(p.SPDXID).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    for (const l of odd.hasExtractedLicensingInfos ?? []) expect(l.licenseId).toMatch(/^LicenseRef-[A-Za-z0-9.-]+$/);
  });
});
