/**
 * User-level: `shipshape sbom IMAGE` then `shipshape scan sbom:FILE` finds exactly what scanning
 * the image finds (CycloneDX and SPDX), a Syft-style SBOM is matched the same way, and bad SBOMs
 * end in one line and exit 2.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanReport } from '../src/model/index.js';
import { expectOneLineError, runCli } from './helpers/cli.js';
import { sharedPath } from './helpers/shared.js';

const images = sharedPath('images');
const vulndata = sharedPath('vulndata');

/** What must survive the round trip: each vulnerability finding, by id and package, with where it was found. */
function vulnKeys(r: ScanReport): string[] {
  return r.findings
    .filter((f) => f.kind === 'vulnerability')
    .map((f) => `${f.id} ${f.package?.type} ${f.package?.name} ${f.package?.version} ${f.fixedVersion} ${f.match?.searchedBy} ${f.locations[0]?.path ?? ''}`)
    .sort();
}

function packageKeys(r: ScanReport): string[] {
  return r.packages.map((p) => `${p.type} ${p.name} ${p.version} src=${p.sourceName ?? ''}@${p.sourceVersion ?? ''} ${p.locations.map((l) => l.path).join(',')}`).sort();
}

describe.skipIf(!images || !vulndata)('scan sbom:FILE against scanning the image', () => {
  let tmp = '';
  let db = '';

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-sbom-'));
    db = path.join(tmp, 'db.sqlite');
    const built = await runCli(['db', 'build', '--from', vulndata!, '--db', db, '--quiet'], { timeoutMs: 300_000 });
    expect(built.code, built.stderr).toBe(0);
  }, 300_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const scanJson = async (ref: string): Promise<ScanReport> => {
    const r = await runCli(['scan', ref, '--db', db, '--format', 'json', '--no-cache', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as ScanReport;
  };

  // debian-app: language packages with findings; alpine-3.7: apk findings found through an origin (musl-utils → musl).
  for (const image of ['debian-app', 'alpine-3.7']) {
    describe(image, () => {
      let direct: ScanReport;
      beforeAll(async () => {
        direct = await scanJson(`oci:${path.join(images!, 'oci', image)}`);
        expect(vulnKeys(direct).length).toBeGreaterThan(0);
      }, 120_000);

      for (const format of ['cyclonedx', 'spdx']) {
        it(`${format}: same packages, OS and vulnerability findings`, async () => {
          const file = path.join(tmp, `${image}.${format}.json`);
          const made = await runCli(['sbom', `oci:${path.join(images!, 'oci', image)}`, '--format', format, '--output', file, '--no-cache']);
          expect(made.code, made.stderr).toBe(0);
          expect(made.stdout).toBe('');
          const fromSbom = await scanJson(`sbom:${file}`);
          expect(fromSbom.os?.id).toBe(direct.os?.id);
          expect(fromSbom.os?.version).toBe(direct.os?.version);
          expect(fromSbom.os?.name).toBe(direct.os?.name);
          expect(packageKeys(fromSbom)).toEqual(packageKeys(direct));
          expect(vulnKeys(fromSbom)).toEqual(vulnKeys(direct));
          // Only vulnerabilities: an SBOM has no filesystem or config to check.
          expect(fromSbom.findings.every((f) => f.kind === 'vulnerability')).toBe(true);
          expect(direct.findings.some((f) => f.kind === 'check')).toBe(true);
        }, 120_000);
      }

      it('the gate works on an SBOM: --fail-on a severity found exits 1, as for the image', async () => {
        const file = path.join(tmp, `${image}.gate.cdx.json`);
        expect((await runCli(['sbom', `oci:${path.join(images!, 'oci', image)}`, '-o', file, '--no-cache', '-q'])).code).toBe(0);
        // The severity of one of the image's vulnerabilities: both gates must fail on it.
        const sev = direct.findings.find((f) => f.kind === 'vulnerability')!.severity;
        const fromSbom = await runCli(['scan', `sbom:${file}`, '--db', db, '--fail-on', sev, '--quiet']);
        const fromImage = await runCli(['scan', `oci:${path.join(images!, 'oci', image)}`, '--db', db, '--fail-on', sev, '--quiet', '--checks', 'none', '--no-cache']);
        expect([fromSbom.code, fromImage.code]).toEqual([1, 1]);
      }, 120_000);
    });
  }

  it('shipshape sbom needs no database and, with SOURCE_DATE_EPOCH, gives the same bytes twice', async () => {
    const img = `oci:${path.join(images!, 'oci', 'alpine-3.7')}`;
    // An empty cache home: no database anywhere the command could find one.
    const env = { XDG_CACHE_HOME: path.join(tmp, 'empty-cache'), SOURCE_DATE_EPOCH: '1700000000' };
    const a = await runCli(['sbom', img, '--format', 'spdx'], { env });
    const b = await runCli(['sbom', img, '--format', 'spdx', '--no-cache'], { env });
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    expect(a.stdout).toBe(b.stdout);
    expect((JSON.parse(a.stdout) as { creationInfo: { created: string } }).creationInfo.created).toBe('2023-11-14T22:13:20Z');
  }, 120_000);

  it('a hand-written Syft-style CycloneDX SBOM (origin in the purl upstream) gets the image scan findings for its packages', async () => {
    const direct = await scanJson(`oci:${path.join(images!, 'oci', 'alpine-3.7')}`);
    // As `syft alpine:3.7 -o cyclonedx-json` writes them (trimmed): musl-utils's origin is only in `upstream=musl`.
    const syft = {
      $schema: 'http://cyclonedx.org/schema/bom-1.5.schema.json',
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      version: 1,
      metadata: { tools: { components: [{ type: 'application', author: 'anchore', name: 'syft', version: '1.4.1' }] }, component: { type: 'container', name: 'alpine:3.7' } },
      components: [
        {
          type: 'library',
          name: 'musl',
          version: '1.1.18-r3',
          purl: 'pkg:apk/alpine/musl@1.1.18-r3?arch=x86_64&distro=alpine-3.7.3',
          properties: [{ name: 'syft:location:0:path', value: '/lib/apk/db/installed' }],
        },
        {
          type: 'library',
          name: 'musl-utils',
          version: '1.1.18-r3',
          purl: 'pkg:apk/alpine/musl-utils@1.1.18-r3?arch=x86_64&upstream=musl&distro=alpine-3.7.3',
          properties: [{ name: 'syft:location:0:path', value: '/lib/apk/db/installed' }],
        },
        { type: 'library', name: 'zlib', version: '1.2.11-r1', purl: 'pkg:apk/alpine/zlib@1.2.11-r1?arch=x86_64&distro=alpine-3.7.3' },
        {
          type: 'operating-system',
          name: 'alpine',
          version: '3.7.3',
          properties: [{ name: 'syft:distro:id', value: 'alpine' }, { name: 'syft:distro:versionID', value: '3.7.3' }],
        },
        { type: 'file', name: '/lib/apk/db/installed' },
      ],
    };
    const file = path.join(tmp, 'syft.cdx.json');
    writeFileSync(file, JSON.stringify(syft, null, 2));
    const fromSyft = await scanJson(`sbom:${file}`);
    const names = new Set(['musl', 'musl-utils', 'zlib']);
    const want = vulnKeys({ ...direct, findings: direct.findings.filter((f) => names.has(f.package?.name ?? '')) });
    expect(want.some((k) => k.includes(' musl-utils '))).toBe(true);
    expect(vulnKeys(fromSyft)).toEqual(want);
    expect(fromSyft.os).toMatchObject({ id: "alpine", version: "3.7.3" });
  }, 120_000);
});

describe('bad SBOMs end in one line and exit 2', () => {
  let tmp = '';
  let db = '';
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-sbom-bad-'));
    // A database from a one-record Alpine secdb: the SBOM is judged before any advisory matters.
    const feed = path.join(tmp, 'feeds', 'alpine-secdb', 'v3.7');
    mkdirSync(feed, { recursive: true });
    writeFileSync(
      path.join(feed, 'main.yaml'),
      'distroversion: v3.7\nreponame: main\npackages:\n  - pkg:\n      name: musl\n      secfixes:\n        1.1.18-r4:\n          - CVE-2019-14697\n',
    );
    db = path.join(tmp, 'db.sqlite');
    const built = await runCli(['db', 'build', '--from', path.join(tmp, 'feeds'), '--db', db, '--quiet']);
    expect(built.code, built.stderr).toBe(0);
  }, 60_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('without ../shared: a Syft CycloneDX and a Trivy SPDX SBOM are matched through the apk origin', async () => {
    const purl = 'pkg:apk/alpine/musl-utils@1.1.18-r3?arch=x86_64&upstream=musl&distro=alpine-3.7.3';
    const cdx = { bomFormat: 'CycloneDX', specVersion: '1.4', version: 1, components: [{ type: 'library', name: 'musl-utils', version: '1.1.18-r3', purl }] };
    const spdx = {
      spdxVersion: 'SPDX-2.3',
      SPDXID: 'SPDXRef-DOCUMENT',
      packages: [
        { SPDXID: 'SPDXRef-os', name: 'alpine', versionInfo: '3.7.3', primaryPackagePurpose: 'OPERATING-SYSTEM' },
        {
          SPDXID: 'SPDXRef-p1',
          name: 'musl-utils',
          versionInfo: '1.1.18-r3',
          sourceInfo: 'built package from: musl 1.1.18-r3',
          externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:apk/alpine/musl-utils@1.1.18-r3?distro=3.7.3' }],
        },
      ],
    };
    for (const [name, doc] of [['syft.cdx.json', cdx], ['trivy.spdx.json', spdx]] as const) {
      const file = path.join(tmp, name);
      writeFileSync(file, JSON.stringify(doc));
      const r = await runCli(['scan', `sbom:${file}`, '--db', db, '--format', 'json', '--fail-on', 'unknown', '--quiet']);
      expect(r.code, r.stderr).toBe(1);
      const report = JSON.parse(r.stdout) as ScanReport;
      expect(report.findings.map((f) => [f.id, f.package?.name, f.match?.searchedBy, f.fixedVersion])).toEqual([['CVE-2019-14697', 'musl-utils', 'musl', '1.1.18-r4']]);
    }
  });

  it.each([
    ['not JSON', 'this is {not json', /not JSON/],
    ['JSON but not an SBOM', '{"apiVersion":"v1","kind":"Pod"}', /not a CycloneDX or SPDX JSON document/],
    ['CycloneDX 1.3', '{"bomFormat":"CycloneDX","specVersion":"1.3","components":[]}', /CycloneDX specVersion 1\.3 is not supported/],
    ['SPDX 2.1', '{"spdxVersion":"SPDX-2.1","SPDXID":"SPDXRef-DOCUMENT","packages":[]}', /spdxVersion SPDX-2\.1 is not supported/],
    ['a malformed component', '{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"a"},{"type":"library"}]}', /\$\.components\[1\]\.name/],
  ])('%s', async (name, content, want) => {
    const file = path.join(tmp, `${name.replace(/\W+/g, '-')}.json`);
    writeFileSync(file, content);
    const r = await runCli(['scan', `sbom:${file}`, '--db', db, '--quiet']);
    const line = expectOneLineError(r);
    expect(line).toContain(file);
    expect(line).toMatch(want);
  });

  it('a missing file and an empty sbom: reference', async () => {
    expect(expectOneLineError(await runCli(['scan', `sbom:${path.join(tmp, 'absent.json')}`, '--db', db]))).toMatch(/absent\.json/);
    expect(expectOneLineError(await runCli(['scan', 'sbom:', '--db', db]))).toMatch(/sbom: needs a file/);
  });

  it('shipshape sbom refuses other formats and SBOM inputs', async () => {
    expect(expectOneLineError(await runCli(['sbom', 'oci:/nonexistent', '--format', 'sarif']))).toMatch(/unknown SBOM format "sarif"/);
    expect(expectOneLineError(await runCli(['sbom', `sbom:${path.join(tmp, 'x.json')}`]))).toMatch(/already an SBOM/);
  });
});
