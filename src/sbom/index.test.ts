/**
 * SBOM readers on documents shaped like Syft's, Trivy's and shipshape's own, and on bad input:
 * each problem is one ShipshapeError naming the file and the JSON path.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ShipshapeError } from '../errors.js';
import { parseSbom, readSbomFile } from './index.js';

const LAYER = `sha256:${'a'.repeat(64)}`;
const DIGEST = `sha256:${'b'.repeat(64)}`;

// Shaped after `syft alpine:3.7 -o cyclonedx-json` (syft 1.x): apk origin as purl `upstream`, OS component with syft:distro properties.
const syftCdx = {
  $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  serialNumber: 'urn:uuid:1b671687-395b-41f5-a30f-a58921a69b79',
  version: 1,
  metadata: {
    tools: { components: [{ type: 'application', author: 'anchore', name: 'syft', version: '1.4.1' }] },
    component: { 'bom-ref': 'c1', type: 'container', name: 'alpine:3.7', version: DIGEST },
  },
  components: [
    {
      'bom-ref': 'pkg:apk/alpine/musl-utils@1.1.18-r3?arch=x86_64&upstream=musl&distro=alpine-3.7.3&package-id=1',
      type: 'library',
      name: 'musl-utils',
      version: '1.1.18-r3',
      licenses: [{ license: { id: 'MIT' } }, { license: { name: 'BSD' } }],
      purl: 'pkg:apk/alpine/musl-utils@1.1.18-r3?arch=x86_64&upstream=musl&distro=alpine-3.7.3',
      properties: [
        { name: 'syft:package:foundBy', value: 'apk-db-cataloger' },
        { name: 'syft:location:0:layerID', value: LAYER },
        { name: 'syft:location:0:path', value: '/lib/apk/db/installed' },
      ],
    },
    { 'bom-ref': 'gen', type: 'library', name: 'openssl', version: '1.0', purl: 'pkg:generic/openssl@1.0' },
    { 'bom-ref': 'nopurl', type: 'library', name: 'mystery', version: '1.0' },
    {
      'bom-ref': 'os:alpine@3.7.3',
      type: 'operating-system',
      name: 'alpine',
      version: '3.7.3',
      description: 'Alpine Linux v3.7',
      properties: [
        { name: 'syft:distro:id', value: 'alpine' },
        { name: 'syft:distro:prettyName', value: 'Alpine Linux v3.7' },
        { name: 'syft:distro:versionID', value: '3.7.3' },
      ],
    },
    { 'bom-ref': 'f1', type: 'file', name: '/bin/busybox' },
  ],
};

// Shaped after `trivy image --format cyclonedx debian:12`: source package in aquasecurity:trivy:Src* properties.
const trivyCdx = {
  bomFormat: 'CycloneDX',
  specVersion: '1.5',
  version: 1,
  metadata: {
    component: { 'bom-ref': 'pkg:oci/debian@sha256%3A' + 'b'.repeat(64), type: 'container', name: 'debian:12', purl: `pkg:oci/debian@sha256%3A${'b'.repeat(64)}?arch=amd64` },
  },
  components: [
    { 'bom-ref': 'os', type: 'operating-system', name: 'debian', version: '12.5', properties: [{ name: 'aquasecurity:trivy:Class', value: 'os-pkgs' }] },
    {
      'bom-ref': 'libc6',
      type: 'library',
      name: 'libc6',
      version: '2.36-9+deb12u4',
      purl: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12.5',
      properties: [
        { name: 'aquasecurity:trivy:SrcName', value: 'glibc' },
        { name: 'aquasecurity:trivy:SrcRelease', value: '9+deb12u4' },
        { name: 'aquasecurity:trivy:SrcVersion', value: '2.36' },
      ],
    },
    {
      'bom-ref': 'app',
      type: 'application',
      name: 'app/package-lock.json',
      properties: [{ name: 'aquasecurity:trivy:Class', value: 'lang-pkgs' }],
      components: [{ 'bom-ref': 'lodash', type: 'library', name: 'lodash', version: '4.17.20', purl: 'pkg:npm/lodash@4.17.20' }],
    },
  ],
};

// Shaped after `trivy image --format spdx-json`: an OPERATING-SYSTEM package, source in sourceInfo.
const trivySpdx = {
  spdxVersion: 'SPDX-2.3',
  dataLicense: 'CC0-1.0',
  SPDXID: 'SPDXRef-DOCUMENT',
  name: 'debian:12',
  documentNamespace: 'http://aquasecurity.github.io/trivy/container_image/debian:12-x',
  packages: [
    { SPDXID: 'SPDXRef-ContainerImage-1', name: 'debian:12', versionInfo: DIGEST, primaryPackagePurpose: 'CONTAINER', downloadLocation: 'NONE' },
    { SPDXID: 'SPDXRef-OperatingSystem-1', name: 'debian', versionInfo: '12.5', primaryPackagePurpose: 'OPERATING-SYSTEM', downloadLocation: 'NONE' },
    {
      SPDXID: 'SPDXRef-Package-1',
      name: 'libc6',
      versionInfo: '2.36-9+deb12u4',
      sourceInfo: 'built package from: glibc 2.36-9+deb12u4',
      licenseDeclared: 'LGPL-2.1-or-later',
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12.5' }],
      primaryPackagePurpose: 'LIBRARY',
      downloadLocation: 'NONE',
    },
    { SPDXID: 'SPDXRef-Application-1', name: 'app/package-lock.json', primaryPackagePurpose: 'APPLICATION', downloadLocation: 'NONE' },
  ],
};

// Shaped after `syft -o spdx-json` (SPDX 2.2): purl refs with PACKAGE_MANAGER, no OS package: the distro comes from the purls.
const syftSpdx22 = {
  spdxVersion: 'SPDX-2.2',
  SPDXID: 'SPDXRef-DOCUMENT',
  name: 'alpine',
  packages: [
    {
      SPDXID: 'SPDXRef-Package-apk-musl',
      name: 'musl',
      versionInfo: '1.1.18-r3',
      externalRefs: [{ referenceCategory: 'PACKAGE_MANAGER', referenceType: 'purl', referenceLocator: 'pkg:apk/alpine/musl@1.1.18-r3?arch=x86_64&upstream=musl&distro=alpine-3.7.3' }],
    },
  ],
};

const text = (o: unknown) => JSON.stringify(o);

describe('CycloneDX', () => {
  it("keeps a dev dependency dev (shipshape's own property), so a rescan matches it only with --include-dev-deps", () => {
    const doc = {
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      components: [
        { type: 'library', name: 'lodash', version: '4.17.15', purl: 'pkg:npm/lodash@4.17.15', scope: 'excluded', properties: [{ name: 'shipshape:package:dev', value: 'true' }] },
        { type: 'library', name: 'ms', version: '2.0.0', purl: 'pkg:npm/ms@2.0.0' },
      ],
    };
    const s = parseSbom(text(doc), 'dev.json');
    expect(s.packages.map((p) => `${p.name} ${p.dev ?? false}`)).toEqual(['lodash true', 'ms false']);
  });

  it('reads a Syft document: purl upstream as origin, locations, licences, OS from the operating-system component', () => {
    const s = parseSbom(text(syftCdx), 'syft.json');
    expect(s.format).toBe('cyclonedx');
    expect(s.specVersion).toBe('1.6');
    expect(s.os).toEqual({ id: 'alpine', version: '3.7.3', name: 'Alpine Linux v3.7' });
    expect(s.subject).toEqual({ name: 'alpine:3.7', digest: DIGEST });
    expect(s.packages).toHaveLength(1);
    expect(s.packages[0]).toMatchObject({
      name: 'musl-utils',
      version: '1.1.18-r3',
      type: 'apk',
      arch: 'x86_64',
      sourceName: 'musl',
      licenses: ['MIT', 'BSD'],
      locations: [{ layer: LAYER, path: '/lib/apk/db/installed' }],
    });
    const w = s.warnings.map((x) => x.message).join('\n');
    expect(w).toMatch(/1 package\(s\) without a purl.*mystery/);
    expect(w).toMatch(/purl types shipshape does not match.*generic: 1/);
  });

  it('reads a Trivy document: Src* properties as the Debian source version, nested lockfile components', () => {
    const s = parseSbom(text(trivyCdx), 'trivy.json');
    expect(s.os).toEqual({ id: 'debian', version: '12.5' });
    expect(s.subject.digest).toBe(DIGEST);
    expect(s.packages.map((p) => [p.type, p.name, p.version, p.sourceName, p.sourceVersion])).toEqual([
      ['deb', 'libc6', '2.36-9+deb12u4', 'glibc', '2.36-9+deb12u4'],
      ['npm', 'lodash', '4.17.20', undefined, undefined],
    ]);
    expect(s.warnings).toEqual([]);
  });

  it("Syft's metadata properties name the source when the purl has no upstream; Trivy's epoch is kept", () => {
    const doc = {
      ...trivyCdx,
      components: [
        {
          type: 'library',
          name: 'libssl3',
          version: '3.0.11-1~deb12u2',
          purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12',
          properties: [
            { name: 'syft:metadata:source', value: 'openssl' },
            { name: 'syft:metadata:sourceVersion', value: '3.0.11-1~deb12u1' },
          ],
        },
        {
          type: 'library',
          name: 'linux-libc-dev',
          version: '6.12.38-1',
          purl: 'pkg:deb/debian/linux-libc-dev@6.12.38-1?distro=debian-12',
          properties: [
            { name: 'aquasecurity:trivy:SrcName', value: 'linux' },
            { name: 'aquasecurity:trivy:SrcEpoch', value: '1' },
            { name: 'aquasecurity:trivy:SrcVersion', value: '6.12.38' },
            { name: 'aquasecurity:trivy:SrcRelease', value: '1' },
          ],
        },
      ],
    };
    expect(parseSbom(text(doc), 'x.json').packages.map((p) => [p.name, p.sourceName, p.sourceVersion])).toEqual([
      ['libssl3', 'openssl', '3.0.11-1~deb12u1'],
      ['linux-libc-dev', 'linux', '1:6.12.38-1'],
    ]);
  });

  it('without an operating-system component the distro comes from the purls; disagreeing purls give none and a warning', () => {
    const noOs = { ...syftCdx, components: syftCdx.components.filter((c) => c.type !== 'operating-system') };
    expect(parseSbom(text(noOs), 'a.json').os).toEqual({ id: 'alpine', version: '3.7.3' });
    const two = {
      ...noOs,
      components: [...noOs.components, { type: 'library', name: 'zlib', version: '1', purl: 'pkg:apk/alpine/zlib@1?distro=alpine-3.20.0' }],
    };
    const s = parseSbom(text(two), 'a.json');
    expect(s.os).toBeNull();
    expect(s.warnings.map((w) => w.message).join('\n')).toMatch(/several distros/);
  });
});

describe('SPDX', () => {
  it('reads a Trivy document: the OPERATING-SYSTEM package is the OS, sourceInfo the source package', () => {
    const s = parseSbom(text(trivySpdx), 'trivy.spdx.json');
    expect(s.format).toBe('spdx');
    expect(s.os).toEqual({ id: 'debian', version: '12.5' });
    expect(s.subject).toEqual({ name: 'debian:12', digest: DIGEST });
    expect(s.packages).toHaveLength(1);
    expect(s.packages[0]).toMatchObject({ type: 'deb', name: 'libc6', sourceName: 'glibc', sourceVersion: '2.36-9+deb12u4', licenses: ['LGPL-2.1-or-later'] });
    expect(s.warnings).toEqual([]);
  });

  it('takes the JSON schema spelling OPERATING_SYSTEM too (as shipshape writes it), with the description as the OS name', () => {
    const doc = {
      ...trivySpdx,
      packages: trivySpdx.packages.map((p) =>
        p.primaryPackagePurpose === 'OPERATING-SYSTEM' ? { ...p, primaryPackagePurpose: 'OPERATING_SYSTEM', versionInfo: '12', description: 'Debian GNU/Linux 12 (bookworm)' } : p,
      ),
    };
    expect(parseSbom(text(doc), 'x.json').os).toEqual({ id: 'debian', version: '12', name: 'Debian GNU/Linux 12 (bookworm)' });
  });

  it('reads SPDX 2.2 with PACKAGE_MANAGER refs and takes the OS from the purl distro', () => {
    const s = parseSbom(text(syftSpdx22), 'syft.spdx.json');
    expect(s.os).toEqual({ id: 'alpine', version: '3.7.3' });
    expect(s.packages[0]).toMatchObject({ type: 'apk', name: 'musl', sourceName: 'musl' });
  });

  it('a distro package marked OPERATING-SYSTEM but carrying a package purl is a package, not the OS', () => {
    const doc = {
      ...syftSpdx22,
      packages: [{ ...syftSpdx22.packages[0], primaryPackagePurpose: 'OPERATING-SYSTEM', annotations: [{ comment: 'shipshape:sourceName=musl-src' }] }],
    };
    const s = parseSbom(text(doc), 'x.json');
    expect(s.packages[0]).toMatchObject({ name: 'musl', sourceName: 'musl' }); // the purl's upstream wins over the annotation
    expect(s.os).toEqual({ id: 'alpine', version: '3.7.3' });
  });
});

describe('bad input: one line naming the file and the problem', () => {
  const bad = (input: string): ShipshapeError => {
    try {
      parseSbom(input, 'in.json');
    } catch (err) {
      expect(err).toBeInstanceOf(ShipshapeError);
      const e = err as ShipshapeError;
      expect(e.message).not.toContain('\n');
      expect(e.message.startsWith('in.json: ')).toBe(true);
      return e;
    }
    throw new Error(`no error for ${input.slice(0, 80)}`);
  };

  it.each([
    ['not JSON', 'hello\nworld', /not JSON/],
    ['truncated', text(syftCdx).slice(0, 300), /not JSON/],
    ['a JSON array', '[1,2]', /\$ must be an object/],
    ['JSON but not an SBOM', '{"name":"x"}', /not a CycloneDX or SPDX JSON document/],
    ['another bomFormat', '{"bomFormat":"SWID"}', /\$\.bomFormat/],
    ['CycloneDX 1.2', text({ ...syftCdx, specVersion: '1.2' }), /CycloneDX specVersion 1\.2 is not supported/],
    ['SPDX 2.1', text({ ...trivySpdx, spdxVersion: 'SPDX-2.1' }), /spdxVersion SPDX-2\.1 is not supported/],
    ['SPDX 3 JSON-LD', text({ '@context': 'https://spdx.org/rdf/3.0.1/spdx-context.jsonld', '@graph': [] }), /SPDX 3/],
    ['CycloneDX XML', '<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.6"/>', /XML/],
    ['SPDX tag-value', 'SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n', /tag-value/],
    ['a component without a name', text({ ...syftCdx, components: [syftCdx.components[0], { type: 'library', version: '1' }] }), /\$\.components\[1\]\.name/],
    ['components not an array', text({ ...syftCdx, components: {} }), /\$\.components: /],
    ['an SPDX package without SPDXID', text({ ...trivySpdx, packages: [{ name: 'x' }] }), /\$\.packages\[0\]\.SPDXID/],
  ])('%s', (_name, input, want) => {
    const e = bad(input);
    expect(e.code).toBe('bad-sbom');
    expect(e.message).toMatch(want);
  });
});

describe('readSbomFile', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-sbom-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file (with a BOM mark) and names missing files and directories', () => {
    const f = path.join(dir, 'a.cdx.json');
    writeFileSync(f, `\uFEFF${text(syftCdx)}`);
    expect(readSbomFile(f).packages).toHaveLength(1);
    expect(() => readSbomFile(path.join(dir, 'nope.json'))).toThrow(expect.objectContaining({ code: 'not-found' }));
    expect(() => readSbomFile(dir)).toThrow(/not a regular file/);
  });
});

describe('sbom: references', () => {
  it('parse to kind sbom with an absolute path; an empty one is a bad reference', async () => {
    const { parseReference } = await import('../image/reference.js');
    expect(parseReference('sbom:out/app.cdx.json')).toEqual({ kind: 'sbom', path: path.resolve('out/app.cdx.json'), name: 'sbom:out/app.cdx.json' });
    expect(() => parseReference('sbom:')).toThrow(expect.objectContaining({ code: 'bad-reference' }));
  });
});
