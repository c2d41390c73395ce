/**
 * User-level: Debian matching on a bullseye image made in code, against the real DSA/DLA lists of
 * ../shared/vulndata: advisories apply by source package, compare the source version with dpkg's
 * rules (epochs included), and every finding names the DSA it came from.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { buildImage, writeOciLayout } from './helpers/image-builder.js';
import { sharedPath } from './helpers/shared.js';

const vulndata = sharedPath('vulndata');

/** A dpkg status stanza; binary packages name their source, binNMUs carry a source version. */
const stanza = (pkg: string, version: string, source?: string) =>
  [`Package: ${pkg}`, 'Status: install ok installed', 'Architecture: amd64', ...(source ? [`Source: ${source}`] : []), `Version: ${version}`, 'Description: x', ''].join('\n');

describe.skipIf(!vulndata)('Debian 11 against the security tracker lists', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-deb-'));
  const db = path.join(tmp, 'db.sqlite');
  let report: { findings: Array<{ id: string; aliases: string[]; package: { name: string; version: string }; fixedVersion: string | null; match: { searchedBy: string; installedVersion: string; rule: string } }>; warnings: Array<{ message: string }> };

  beforeAll(async () => {
    expect((await runCli(['db', 'build', '--from', vulndata!, '--feeds', 'debian-tracker', '--db', db, '-q'], { timeoutMs: 300_000 })).code).toBe(0);
    const status = [
      stanza('libssl1.1', '1.1.1n-0+deb11u3', 'openssl'), // one update short of DSA-5343-1
      stanza('openssl', '1.1.1n-0+deb11u4'), // fixed by DSA-5343-1
      stanza('zlib1g', '1:1.2.11.dfsg-2+deb11u1', 'zlib'), // epoch 1:, before DSA-5218-1's fix
      stanza('bash', '5.1-2+b3', 'bash (5.1-2)'), // binNMU: the source version decides
    ].join('\n');
    const image = await buildImage({
      layers: [[
        { path: 'etc/os-release', content: 'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nID=debian\nVERSION_ID="11"\nVERSION_CODENAME=bullseye\n' },
        { path: 'var/lib/dpkg/status', content: status },
      ]],
    });
    const dir = writeOciLayout(path.join(tmp, 'bullseye'), image, { tag: 'latest' });
    const r = await runCli(['scan', `oci:${dir}`, '--db', db, '--no-cache', '--checks', 'none', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    report = JSON.parse(r.stdout);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const of = (pkg: string) => report.findings.filter((f) => f.package.name === pkg);

  it('a binary package is matched by its source package and source version', () => {
    const ssl = of('libssl1.1');
    const dsa5343 = ssl.filter((f) => f.aliases.includes('DSA-5343-1'));
    expect(dsa5343.map((f) => f.id).sort()).toEqual(['CVE-2022-2097', 'CVE-2022-4304', 'CVE-2022-4450', 'CVE-2023-0215', 'CVE-2023-0286']);
    for (const f of dsa5343) {
      expect(f.fixedVersion).toBe('1.1.1n-0+deb11u4');
      expect(f.match.searchedBy).toBe('openssl');
      expect(f.match.rule).toBe('1.1.1n-0+deb11u3 < fixed 1.1.1n-0+deb11u4 (deb)');
    }
  });

  it('the fixed version itself is not affected by that advisory', () => {
    expect(of('openssl').filter((f) => f.aliases.includes('DSA-5343-1'))).toEqual([]);
  });

  it('epochs count: 1:1.2.11.dfsg-2+deb11u1 is before 1:1.2.11.dfsg-2+deb11u2', () => {
    const z = of('zlib1g').find((f) => f.id === 'CVE-2022-37434');
    expect(z?.fixedVersion).toBe('1:1.2.11.dfsg-2+deb11u2');
    expect(z?.aliases).toContain('DSA-5218-1');
  });

  it('a binNMU is judged by its source version, and the release has data (no "no advisories" warning)', () => {
    for (const f of of('bash')) expect(f.match.installedVersion).toBe('5.1-2');
    expect(report.warnings.map((w) => w.message).join('\n')).not.toMatch(/no advisories/);
  });
});
