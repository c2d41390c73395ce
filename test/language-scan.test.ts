/**
 * User-level: language packages in the shared images, matched against the OSV-family feeds; packages
 * an OS package installed are reported once, as the OS package, unless --include-os-owned.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeZip, pomProperties } from './helpers/zip.js';
import { runCli } from './helpers/cli.js';
import { buildImage, packTar, writeOciLayout } from './helpers/image-builder.js';
import { sharedPath } from './helpers/shared.js';

const images = sharedPath('images');
const vulndata = sharedPath('vulndata');

interface Report {
  packages: Array<{ name: string; version: string; type: string; purl?: string; locations: Array<{ path: string }> }>;
  findings: Array<{ kind: string; id: string; aliases: string[]; package?: { name: string; version: string; type: string }; fixedVersion: string | null; match?: { rule: string } }>;
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** debian-app plus one layer holding a jar that no OS package owns. */
async function withExtraJar(src: string, dest: string): Promise<void> {
  cpSync(src, dest, { recursive: true });
  const blob = (d: string) => path.join(dest, 'blobs', ...d.split(':'));
  const index = JSON.parse(readFileSync(path.join(dest, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
  const config = JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8'));
  const jar = makeZip([{ name: 'META-INF/MANIFEST.MF', data: 'Manifest-Version: 1.0\n' }, pomProperties('org.apache.logging.log4j', 'log4j-core', '2.14.1')]);
  const tar = await packTar([{ path: 'opt/app/lib/log4j-core-2.14.1.jar', content: jar }]);
  const gz = gzipSync(tar);
  const put = (data: Buffer) => {
    writeFileSync(blob(sha(data)), data);
    return sha(data);
  };
  const layerDigest = put(gz);
  config.rootfs.diff_ids.push(sha(tar));
  const configBytes = Buffer.from(JSON.stringify(config));
  manifest.config = { ...manifest.config, digest: put(configBytes), size: configBytes.length };
  manifest.layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: gz.length });
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  index.manifests[0] = { ...index.manifests[0], digest: put(manifestBytes), size: manifestBytes.length };
  writeFileSync(path.join(dest, 'index.json'), JSON.stringify(index));
}

describe.skipIf(!images || !vulndata)('language ecosystems on the shared images', () => {
  let tmp = '';
  let db = '';
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-lang-'));
    db = path.join(tmp, 'db.sqlite');
    expect((await runCli(['db', 'build', '--from', vulndata!, '--db', db, '--quiet'], { timeoutMs: 300_000 })).code).toBe(0);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const scan = async (ref: string, ...extra: string[]): Promise<Report> => {
    const r = await runCli(['scan', ref, '--format', 'json', '--db', db, '--checks', 'none', '--cache-dir', path.join(tmp, 'cache'), ...extra]);
    if (r.code !== 0) throw new Error(`scan exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as Report;
  };
  const ids = (r: Report, name: string) => r.findings.filter((f) => f.package?.name === name).map((f) => f.id).sort();

  it('debian-app: npm packages with their GHSA advisories; OS-owned python and jar packages attributed to Debian', async () => {
    const r = await scan(`oci:${path.join(images!, 'oci', 'debian-app')}:latest`);
    const npm = r.packages.filter((p) => p.type === 'npm');
    expect(npm).toHaveLength(52);
    expect(npm.every((p) => p.locations[0]!.path.startsWith('/app/node_modules/') && p.purl?.startsWith('pkg:npm/'))).toBe(true);
    expect(ids(r, 'lodash')).toEqual(expect.arrayContaining(['GHSA-p6mc-m468-83gw', 'GHSA-35jh-r3h4-6jhm', 'GHSA-29mw-wpgm-hmr9']));
    expect(ids(r, 'lodash')).not.toContain('GHSA-jf85-cpcp-j695'); // fixed in 4.17.12, before 4.17.15
    expect(ids(r, 'minimist').length).toBeGreaterThan(0);
    // Debian's python3-requests and liblog4j1.2-java: once each, as Debian packages, not matched upstream.
    expect(r.packages.filter((p) => p.type === 'python' || p.type === 'maven')).toEqual([]);
    expect(r.packages.map((p) => p.name)).toEqual(expect.arrayContaining(['python3-requests', 'liblog4j1.2-java']));
    expect(r.findings.filter((f) => f.package?.type === 'python' || f.package?.type === 'maven')).toEqual([]);
  });

  it('debian-app with --include-os-owned: the PyPA and GHSA advisories for them appear', async () => {
    const r = await scan(`oci:${path.join(images!, 'oci', 'debian-app')}:latest`, '--include-os-owned');
    expect(r.packages.find((p) => p.type === 'python' && p.name === 'requests')?.version).toBe('2.28.1');
    expect(r.findings.filter((f) => f.package?.name === 'requests').flatMap((f) => [f.id, ...f.aliases])).toContain('PYSEC-2023-74');
    const log4j = r.findings.filter((f) => f.package?.type === 'maven' && f.package.name === 'log4j:log4j');
    expect(log4j.flatMap((f) => [f.id, ...f.aliases])).toContain('CVE-2021-4104');
  });

  it('a jar no OS package owns is matched against the Maven advisories', async () => {
    const dir = path.join(tmp, 'debian-app-jar');
    await withExtraJar(path.join(images!, 'oci', 'debian-app'), dir);
    const r = await scan(`oci:${dir}:latest`);
    const core = r.findings.filter((f) => f.package?.name === 'org.apache.logging.log4j:log4j-core');
    expect(core.map((f) => f.id)).toContain('GHSA-jfh8-c2jp-5v3q');
    expect(core.find((f) => f.id === 'GHSA-jfh8-c2jp-5v3q')?.match?.rule).toMatch(/2\.14\.1 >= introduced 2\.13\.0, 2\.14\.1 < fixed 2\.15\.0 \(maven\)/);
  });

  it("a lockfile's dev dependencies are listed, marked dev, and matched only with --include-dev-deps", async () => {
    const lock = {
      name: 'app',
      lockfileVersion: 3,
      packages: {
        '': { name: 'app', dependencies: { minimist: '1.2.0' }, devDependencies: { lodash: '4.17.15' } },
        'node_modules/minimist': { version: '1.2.0' },
        'node_modules/lodash': { version: '4.17.15', dev: true },
      },
    };
    const img = await buildImage({ layers: [[{ path: 'app/package-lock.json', content: JSON.stringify(lock) }]] });
    const ref = `oci:${writeOciLayout(path.join(tmp, 'dev-deps'), img, { tag: 'latest' })}:latest`;
    const plain = await scan(ref);
    expect(plain.packages.filter((p) => p.type === 'npm').map((p) => `${p.name}@${p.version}${(p as { dev?: boolean }).dev ? ' dev' : ''}`)).toEqual([
      'lodash@4.17.15 dev',
      'minimist@1.2.0',
    ]);
    expect(ids(plain, 'minimist').length).toBeGreaterThan(0);
    expect(ids(plain, 'lodash')).toEqual([]);
    const withDev = await scan(ref, '--include-dev-deps');
    expect(ids(withDev, 'lodash')).toContain('GHSA-p6mc-m468-83gw');
    expect(ids(withDev, 'minimist')).toEqual(ids(plain, 'minimist'));
  });

  it('go-static: stdlib at the Go version the binary was built with, and its Go vulndb advisories', async () => {
    const r = await scan(`oci:${path.join(images!, 'oci', 'go-static')}:latest`);
    expect(r.packages.find((p) => p.name === 'stdlib')?.version).toBe('1.19.8');
    const stdlib = ids(r, 'stdlib');
    expect(stdlib).toContain('GO-2023-1751'); // fixed in 1.19.9
    expect(stdlib).not.toContain('GO-2023-1705'); // fixed in 1.19.8 itself
    expect(ids(r, 'golang.org/x/net').length).toBeGreaterThan(0);
  });
});
